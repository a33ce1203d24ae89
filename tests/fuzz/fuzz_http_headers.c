/* Response headers from the CA: Replay-Nonce, Location, Retry-After (both
 * forms), Content-Type and Link, one per input line, as curl hands them
 * over; then Retry-After as the backoff reads it. */
#include "fuzz.h"
#include "jws.h"

#include "common/acme/http.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp;
	size_t pos = 0;

	memset(&resp, 0, sizeof(resp));
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) + 1 : size - pos;
		char *line = malloc(n ? n : 1);

		if (!line)
			break;
		memcpy(line, data + pos, n);
		on_header(line, 1, n, &resp);
		free(line);
		pos += n;
	}
	if (resp.retry_after)
		http_retry_after_seconds(resp.retry_after, 1767225600);
	if (resp.replay_nonce)
		b64url_valid(resp.replay_nonce);
	http_response_clear(&resp);
	return 0;
}
