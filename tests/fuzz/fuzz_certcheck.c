/* The publish checks (certcheck.h) on what a CA could send: the input is a
 * leaf, its chain and, after a line "#roots", an issuer_bundle, all PEM
 * text as it arrives (not re-encoded first). */
#include <time.h>

#include "certcheck.h"
#include "fuzz.h"

static char *const names[] = { "a.test", "b.test" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char end[] = "-----END CERTIFICATE-----\n";
	char *text = fuzz_str(data, size), *chain, *roots, err[600];

	if (!text)
		return 0;
	/* The leaf ends where the first certificate does. */
	chain = strstr(text, end);
	chain = chain ? chain + sizeof(end) - 1 : text + strlen(text);
	roots = strstr(chain, "#roots\n");
	if (roots) {
		*roots = '\0';
		roots += 7;
	}
	{
		char *leaf = strndup(text, (size_t)(chain - text));

		if (leaf)
			certcheck_run(&(struct certcheck){ .cert = leaf, .chain = chain, .names = names,
							    .nnames = 2, .now = time(NULL),
							    .roots = roots },
				      err, sizeof(err));
		free(leaf);
	}
	free(text);
	return 0;
}
