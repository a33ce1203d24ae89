/* Small macros and inline helpers shared by every module. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Free *p and set it to NULL. */
#define FREE_AND_NULL(p) do { free(p); (p) = NULL; } while (0)

static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static inline bool str_empty(const char *s)
{
	return !s || !*s;
}

/* Duplicate s; NULL stays NULL. Returns NULL on allocation failure too,
 * so callers that pass non-NULL must check. */
static inline char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Free a NULL-terminated or counted array of strings. */
static inline void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Free a NULL-terminated array of strings. */
static inline void strv_free_nt(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Wipe secret S (a key, a password), then free it; NULL is fine. */
static inline void str_free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* S, or "" for NULL (for printing). */
static inline const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* CLOCK_MONOTONIC now, in seconds. */
static inline double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
