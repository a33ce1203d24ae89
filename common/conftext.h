/* What the text of a libconfig file must pass before libconfig reads it.
 *
 * libconfig 1.5 (Debian 12) reads a decimal integer beyond int with atoi():
 * "max_parallel_jobs = 4294967297" arrives as 1. And "@include" makes it
 * open files itself, with fopen(): a FIFO blocks it, a directory ends in
 * "input in flex scanner failed". So the text is scanned first. */
#pragma once

#include <stddef.h>

/* Every integer literal in TEXT (strings and comments skipped) fits in an
 * int, or carries libconfig's L suffix. 0, or -ERANGE with ERR saying
 * "FNAME:LINE: SETTING: N is out of range". */
int conftext_check_numbers(const char *text, const char *fname, char *err, size_t errlen);

/* Call FN for each "@include "PATH"" line of TEXT with the PATH as written
 * and its line; the first non-zero return ends the scan and is returned.
 * A malformed @include line is -EINVAL with ERR set. */
int conftext_includes(const char *text, const char *fname,
		      int (*fn)(const char *path, int line, void *ctx), void *ctx, char *err,
		      size_t errlen);
