/* acmectl certificates --timeline: each lineage's validity window, its
 * renewal window and "now", drawn as one line of text. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

/* The instants one bar shows, in seconds since the epoch. RENEW_FROM and
 * RENEW_UNTIL bound the renewal window (0: none known); OVERDUE: the
 * certificate should have been renewed by now and was not. */
struct timeline_span {
	long not_before, not_after;
	long renew_from, renew_until;
	long now;
	bool overdue;
};

/* The cells of the bar for S, WIDTH of them, into CELLS (WIDTH + 1 bytes,
 * NUL-terminated): '=' valid, '#' the renewal window, '!' the part of the
 * renewal window that passed without a renewal, '*' now (when it falls
 * inside the validity window). */
void timeline_cells(const struct timeline_span *s, char *cells, int width);

/* The span of certificate E as acmed lists it (its "not_before",
 * "not_after", "next_renewal", "ari", "failures", "revoked") at NOW. False
 * when E has no certificate to draw. */
bool timeline_span_of(struct json_object *e, long now, struct timeline_span *s);

/* The members of a certificate timeline_print() reads (NULL-terminated). */
extern const char *const timeline_fields[];

/* The legend and the heading, once before the first lineage. */
void timeline_print_head(long now);

/* Lineage E's two lines: its name and state, then the bar WIDTH cells wide
 * between its notBefore and notAfter dates. */
void timeline_print(struct json_object *e, long now, int width);

/* The bar width for the terminal on stdout, else a fixed one. */
int timeline_width(void);
