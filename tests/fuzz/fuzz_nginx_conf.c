/* nginx's configuration syntax (ctl/nginx/ngx_parse.c): any bytes, NUL
 * included. A text that parses must keep its offsets inside the text, in
 * order, and render back byte for byte. */
#include <assert.h>

#include "fuzz.h"
#include "ctl/nginx/ngx_conf.h"

static void check(const struct ngx_dir *d, size_t len)
{
	size_t prev = 0;

	for (size_t i = 0; i < d->nkids; i++) {
		const struct ngx_dir *k = &d->kids[i];

		assert(k->nwords > 0 && k->start >= prev && k->end <= len && k->start < k->end);
		for (size_t w = 0; w < k->nwords; w++)
			assert(k->words[w].off >= k->start && k->words[w].off + k->words[w].len <= k->end);
		if (k->block) {
			assert(k->open < k->close && k->close + 1 == k->end);
			check(k, len);
		}
		prev = k->end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ngx_conf c = { 0 };
	struct ngx_file f = { .text = (char *)data, .len = size };
	struct ngx_edits none = { 0 };
	char err[256], *out = NULL;
	size_t len = 0;

	if (ngx_parse((const char *)data, size, &f.root, err, sizeof(err)) != 0)
		return 0;
	check(&f.root, size);
	c.files = &f;
	c.nfiles = 1;
	if (ngx_render(&c, &none, 0, &out, &len) == 0)
		assert(len == size && memcmp(out, data, size) == 0);
	free(out);
	ngx_dir_clear(&f.root);
	return 0;
}
