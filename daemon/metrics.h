/* Prometheus metrics (text exposition format 0.0.4, DESIGN.md "Telling the
 * admin"): per lineage its certificate's validity, next renewal, last
 * success and attempt, failures in a row, ARI window and alert level; the
 * renewals, hook runs and alerts counted since start; the jobs; the
 * daemon's start time and version. Served three ways: `acmectl metrics`,
 * metrics_file (written durably every metrics_interval, for
 * node_exporter's textfile collector) and metrics_listen (an HTTP listener
 * in the event loop, GET /metrics only; metrics_http.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "daemon/daemon.h"

/* Start what acmed.conf asks for: the file's timer, the listener. Also
 * after a reload (what changed is stopped and started again). 0 or an
 * error (logged). */
int metrics_apply(struct daemon *d);
void metrics_fini(struct daemon *d);

/* The metrics now, as text; caller frees. NULL if out of memory. */
char *metrics_text(struct daemon *d, size_t *len);

/* Count a renewal's result, a hook run (KIND: enum hook_kind; RESULT 0
 * success, 1 failure, 2 timeout), an alert (EVENT: enum alert_event). */
void metrics_count_renewal(struct daemon *d, bool ok);
void metrics_count_hook(struct daemon *d, int kind, int result);
void metrics_count_alert(struct daemon *d, int event);
/* A version another host published, switched to here (cluster mode). */
void metrics_count_materialised(struct daemon *d);
/* A request a job made to a CA: ENDPOINT ("newOrder"... anything else
 * counts as "other"), the HTTP STATUS (0: no answer), how long it took. */
void metrics_count_request(struct daemon *d, const char *endpoint, int status, double seconds);

/* The listener (metrics_http.c): open it on ADDRESS ("HOST:PORT"), close
 * it and every connection. */
int metrics_http_open(struct daemon *d, const char *address);
void metrics_http_close(struct daemon *d);
