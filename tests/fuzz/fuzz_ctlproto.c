/* Control-socket frames as the daemon reads them from any local client:
 * the input is fed in pieces whose sizes come from the input itself. The
 * same bytes as a reply body to acmectl's listing reader, item by item. */
#include <json-c/json.h>

#include "ctlproto.h"
#include "fuzz.h"

static int count_item(struct json_object *item, void *ctx)
{
	(void)item;
	++*(size_t *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_reader r = { .max = 4096 };
	size_t pos = 0, items = 0;
	struct json_object *whole = NULL;

	(void)ctl_list_each((const char *)data, size, "certificates", count_item, &items);
	if (ctl_frame_parse((const char *)data, size, &whole) == 0)
		json_object_put(whole);

	while (pos < size) {
		size_t chunk = (size_t)data[pos] % 64 + 1;
		struct json_object *o = NULL;
		int ret;

		pos++;
		if (chunk > size - pos)
			chunk = size - pos;
		if (ctl_reader_feed(&r, data + pos, chunk) < 0)
			break;
		pos += chunk;
		while ((ret = ctl_reader_next(&r, &o)) == 1) {
			int cmd = ctl_cmd_lookup(json_object_get_string(json_object_object_get(o, "cmd")));

			(void)cmd;
			json_object_put(o);
		}
		if (ret < 0)
			break;
	}
	ctl_reader_clear(&r);
	return 0;
}
