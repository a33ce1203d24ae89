/* The daemon's in-memory index of lineages: `certificates` is answered from
 * here, not by re-reading every file; it is refreshed after each job. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "crypto.h"
#include "store.h"

struct lineage_entry {
	char *name;
	char **domains;
	size_t ndomains;
	char *server;
	char *authenticator;
	bool have_cert;
	struct cert_info cert;
	int version;
	char *problem; /* why the lineage could not be read, or NULL */
};

struct cert_index {
	struct lineage_entry *v;
	size_t n;
};

int index_load(struct cert_index *ix, struct store *s);
/* Re-read one lineage (adding it if new). */
int index_refresh(struct cert_index *ix, struct store *s, const char *name);
void index_clear(struct cert_index *ix);
const struct lineage_entry *index_get(const struct cert_index *ix, const char *name);
/* The lineage whose domain set is exactly DOMAINS (any order), or NULL. */
const char *index_find_by_domains(const struct cert_index *ix, char *const *domains, size_t n);
/* The entry as JSON for `certificates`; RUNNING says a job works on it. */
struct json_object *index_entry_json(const struct lineage_entry *e, const struct store *s,
				     time_t now, bool running);
