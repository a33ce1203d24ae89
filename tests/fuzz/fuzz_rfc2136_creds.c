/* certbot's dns-rfc2136 credentials file. */
#include "fuzz.h"
#include "rfc2136_creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfc2136_creds c;
	char *text = fuzz_str(data, size), err[512];

	if (text && rfc2136_creds_parse(text, "fuzz.ini", &c, err, sizeof(err)) == 0)
		rfc2136_creds_clear(&c);
	free(text);
	return 0;
}
