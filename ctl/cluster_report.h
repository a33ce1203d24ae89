/* acmectl cluster status's view of the cluster's own state (hosts, locks,
 * orders in flight, backoff), beside etcd's members and health
 * (cluster.c). */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#include "etcd/cluster_view.h"

/* Add "hosts", "locks", "orders" and "backoff" to REPORT, read through V
 * (docs/json.md, "cluster status"). 0, or an error with ERR saying
 * what etcd answered. */
int cluster_report_add(struct cview *v, struct json_object *report, char *err, size_t errlen);
/* Print those sections of REPORT as text. */
void cluster_report_print(struct json_object *report);
