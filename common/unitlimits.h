/* Where acmed.service lets acmed write, beyond its state and runtime
 * directories: the web roots of its ReadWritePaths= (systemd/
 * acmed.service.in; tests/integration/systemd-units.sh keeps the two in
 * step), and the drop-in that allows another path. Used where a path is
 * refused (the webroot plugin) and where one is taken on (import-certbot). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define UNIT_SERVICE "acmed.service"
#define UNIT_DROPIN_DIRS { "/etc/systemd/system/" UNIT_SERVICE ".d", \
			   "/run/systemd/system/" UNIT_SERVICE ".d" }

/* The unit's web roots, NULL-terminated: "/var/www", ... */
extern const char *const unit_web_roots[];

/* Whether acmed runs under systemd (it has an INVOCATION_ID; its jobs get
 * it passed on). */
bool unit_running(void);

/* Whether PATH (absolute) is one of the unit's web roots or below one, or
 * one of the N paths of EXTRA (a drop-in's) or below one. */
bool unit_allows_write(const char *path, char *const *extra, size_t n);

/* Into BUF: what an administrator does to let acmed.service write into
 * PATH: "run `systemctl edit acmed.service`, add the lines `[Service]` and
 * `ReadWritePaths=PATH` (with DAC_OVERRIDE also
 * `CapabilityBoundingSet=CAP_DAC_OVERRIDE`), then `systemctl restart
 * acmed.service`". */
void unit_dropin_hint(char *buf, size_t len, const char *path, bool dac_override);

/* The ReadWritePaths= of acmed.service's drop-ins (UNIT_DROPIN_DIRS, files
 * ending in .conf), in *OUT (caller frees with strv_free(*out, *n)); a
 * leading '-' or '+' is dropped. A missing directory has none. 0 or
 * -ENOMEM. */
int unit_dropin_paths(char ***out, size_t *n);
