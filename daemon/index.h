/* The daemon's in-memory index of lineages: `certificates` is answered from
 * here, not by re-reading every file, and the scheduler works from it. It is
 * refreshed after each job. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "crypto.h"
#include "store/renewal.h"
#include "store/store.h"

/* What the scheduler keeps about a lineage in memory only. It lives as long
 * as the certificate: a new version starts afresh. */
struct entry_sched {
	bool jitter_drawn;
	long jitter;            /* random delay after the due time, seconds */
	bool ari_valid;         /* the CA's suggested window is known */
	time_t ari_start, ari_end;
	time_t ari_pick;        /* the random moment in the window we chose */
	time_t ari_next_check;  /* when to ask again; 0: as soon as the CA is known */
	char *ari_explanation;  /* the CA's explanationURL, or NULL */
	char *ari_error;        /* why the last answer was not used, or NULL */
	/* The certificate was due again the moment it was issued (this host's
	 * clock is ahead of the CA's): the timer leaves it until then. */
	time_t hold_until;
	/* What the alerts announced of this certificate (alert.h), read from
	 * the store once. */
	bool alert_loaded;
	struct alert_mark alert;
	time_t last_success; /* this daemon renewed it then (metrics.h); 0: not */
};

struct lineage_entry {
	char *name;
	bool have_conf;      /* conf parsed; else PROBLEM says why */
	struct renewal conf; /* renewal/NAME.conf */
	bool have_cert;
	struct cert_info cert;
	int version;
	char *problem; /* why the lineage could not be read, or NULL */
	struct entry_sched sched;
};

struct cert_index {
	struct lineage_entry *v;
	size_t n;
};

int index_load(struct cert_index *ix, struct store *s);
/* Re-read one lineage (adding it if new). The scheduler's memory is kept if
 * the certificate is the same. */
int index_refresh(struct cert_index *ix, struct store *s, const char *name);
void index_clear(struct cert_index *ix);
struct lineage_entry *index_get(const struct cert_index *ix, const char *name);
/* The lineage whose domain set is exactly DOMAINS (any order), or NULL. */
const char *index_find_by_domains(const struct cert_index *ix, char *const *domains, size_t n);
/* Whether E's names are exactly DOMAINS (any order). */
bool index_entry_has_names(const struct lineage_entry *e, char *const *domains, size_t n);
/* A lineage whose names are some, not all, of DOMAINS (certbot's "subset"
 * lineage, which --expand extends), or NULL. */
struct lineage_entry *index_find_subset(const struct cert_index *ix, char *const *domains,
					size_t n);
/* The entry as JSON for `certificates`: RUNNING says a job works on it,
 * NEXT_RENEWAL is when the scheduler will renew it (0: not scheduled). */
struct json_object *index_entry_json(const struct lineage_entry *e, const struct store *s,
				     time_t now, bool running, time_t next_renewal);
/* Lineages whose renewal file does not parse: quarantined, never renewed. */
int index_quarantined(const struct cert_index *ix);
