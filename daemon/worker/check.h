/* acmectl check and repair, the worker's side. */
#pragma once

#include <json-c/json.h>

#include "config.h"

/* The `check` task (job.h's task_fn): ARGS {"op": "check" | "repair",
 * "names": [...] (absent: every lineage)}. For each lineage: its problems;
 * with repair, what was done and what problems remain. Data:
 * {"lineages": [{"name", "ok", "problems", "repaired", "remaining"}],
 *  "problems": N} with N the lineages still not well. */
struct json_object *check_task(struct json_object *args, const struct acmed_config *cfg,
			       int ev_fd);
