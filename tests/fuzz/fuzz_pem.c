/* PEM bundles from the CA (certificate chains): split, then read the facts
 * of each certificate as `certificates` and the renewal timer do. The
 * publish checks have their own target (fuzz_certcheck.c). */
#include "crypto.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), **pems = NULL;
	size_t n = 0;

	if (text && crypto_pem_split(text, size, &pems, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct cert_info ci = { 0 };

			if (crypto_cert_info(pems[i], strlen(pems[i]), &ci) == 0)
				cert_info_clear(&ci);
		}
		strv_free(pems, n);
	}
	free(text);
	return 0;
}
