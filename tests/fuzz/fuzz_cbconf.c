/* certbot renewal files: the ConfigObj reader and the mapping onto acmed's
 * settings (acmectl import-certbot reads files it did not write). */
#include "ctl/import/certbot.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cbconf_section *root = NULL;
	struct certbot_lineage l;
	char err[512];
	char *domains[] = { "example.com", "www.example.com" };

	if (cbconf_parse((const char *)data, size, "fuzz.conf", &root, err, sizeof(err)) < 0)
		return 0;
	if (certbot_map(root, "fuzz.conf", "example.com", &l, err, sizeof(err)) == 0) {
		certbot_complete_webroots(&l, domains, 2, "/var/lib/acmed/nginx/webroot", err,
					  sizeof(err));
		certbot_lineage_clear(&l);
	}
	cbconf_free(root);
	return 0;
}
