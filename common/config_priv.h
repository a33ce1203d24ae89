/* Between config.c and the settings it reads in their own files. */
#pragma once

#include <libconfig.h>

#include "config.h"

/* The built-in expiry warnings (14, 7, 3 and 1 days) into CFG. */
void config_default_warnings(struct acmed_config *cfg);
/* acmed.conf's expiry_warnings setting S into CFG (sorted, largest first,
 * without repeats): 0, or -EINVAL with ERR naming PATH, the line and what
 * is wrong. */
int config_apply_warnings(config_setting_t *s, struct acmed_config *cfg, const char *path,
			  char *err, size_t errlen);
