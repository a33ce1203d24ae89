/* acmectl import-certbot, one lineage at a time (import_lineage.c: its
 * renewal file, archive, account, links), as the verb (import.c: options,
 * certbot's lock, the report) runs it. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "store/store.h"

struct import_run {
	char *config_dir; /* certbot's, resolved */
	const char *state_dir;
	bool dry_run, keep_paths;
	struct store *store; /* NULL on a dry run before acmed's first start */
	char *lock_path;
	int lock_fd;
	struct json_object *lineages, *accounts, *notes; /* the report */
};

/* Add a sentence made from FMT to the JSON array LIST. */
__attribute__((format(printf, 2, 3))) void import_note(struct json_object *list, const char *fmt,
							...);

/* Import certbot's lineage NAME (renewal/NAME.conf) as RUN says; its report
 * (result "imported", "would import", "already imported" or "skipped" with
 * a reason) is added to RUN->lineages, an account it brings to
 * RUN->accounts. */
void import_lineage(struct import_run *run, const char *name);
