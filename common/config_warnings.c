/* acmed.conf's expiry_warnings: when, before expiry, an unrenewed
 * certificate is announced (alert.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "config_priv.h"
#include "timefmt.h"

static const long default_warnings[] = { 14 * 86400L, 7 * 86400L, 3 * 86400L, 86400L };

void config_default_warnings(struct acmed_config *cfg)
{
	cfg->nexpiry_warnings = sizeof(default_warnings) / sizeof(default_warnings[0]);
	for (size_t i = 0; i < cfg->nexpiry_warnings; i++)
		cfg->expiry_warnings[i] = default_warnings[i];
}

static int by_size_down(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* One element of the list: a duration string or a number of seconds. */
static int element(config_setting_t *e, long *v)
{
	if (config_setting_type(e) == CONFIG_TYPE_STRING)
		return timefmt_parse_duration(config_setting_get_string(e), v);
	if (config_setting_type(e) == CONFIG_TYPE_INT || config_setting_type(e) == CONFIG_TYPE_INT64) {
		*v = (long)config_setting_get_int64(e);
		return 0;
	}
	return -EINVAL;
}

int config_apply_warnings(config_setting_t *s, struct acmed_config *cfg, const char *path,
			  char *err, size_t errlen)
{
	long v[CONFIG_MAX_WARNINGS];
	int n = config_setting_length(s);
	size_t kept = 0;

	if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY)
		n = -1;
	if (n < 0 || n > CONFIG_MAX_WARNINGS) {
		snprintf(err, errlen,
			 "%s:%d: expiry_warnings: must be a list of at most %d durations, such as "
			 "[ \"14d\", \"7d\", \"3d\", \"1d\" ] ([] for none)",
			 path, config_setting_source_line(s), CONFIG_MAX_WARNINGS);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (element(e, &v[i]) < 0 || v[i] < 60 || v[i] > 365 * 86400L) {
			snprintf(err, errlen,
				 "%s:%d: expiry_warnings: element %d: must be a duration from "
				 "\"1m\" to \"365d\", such as \"7d\" or \"12h\"",
				 path, config_setting_source_line(s), i + 1);
			return -EINVAL;
		}
	}
	qsort(v, (size_t)n, sizeof(v[0]), by_size_down);
	for (int i = 0; i < n; i++)
		if (kept == 0 || v[i] != cfg->expiry_warnings[kept - 1])
			cfg->expiry_warnings[kept++] = v[i];
	cfg->nexpiry_warnings = kept;
	return 0;
}
