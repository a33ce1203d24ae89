/* What every fuzz target shares: libFuzzer's entry point and a helper
 * that makes the input a NUL-terminated string. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DATA as a C string (caller frees); bytes after a NUL are cut off, as
 * they would be for the code that reads a string. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
