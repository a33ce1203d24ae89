/* renewal/NAME.conf: parse, and a file that parses formats and parses back
 * to the same text. */
#include <stdio.h>

#include "fuzz.h"
#include "store/renewal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct renewal r = { 0 }, again = { 0 };
	char *text = fuzz_str(data, size), *out = NULL, *out2 = NULL, err[512];

	if (text && renewal_parse(text, "fuzz.conf", &r, err, sizeof(err)) == 0 &&
	    renewal_format(&r, &out) == 0) {
		if (renewal_parse(out, "formatted.conf", &again, err, sizeof(err)) != 0) {
			fprintf(stderr, "formatted renewal file does not parse: %s\n%s\n", err, out);
			abort();
		}
		if (renewal_format(&again, &out2) == 0 && strcmp(out, out2) != 0) {
			fprintf(stderr, "format is not stable:\n%s\n---\n%s\n", out, out2);
			abort();
		}
	}
	renewal_clear(&r);
	renewal_clear(&again);
	free(out);
	free(out2);
	free(text);
	return 0;
}
