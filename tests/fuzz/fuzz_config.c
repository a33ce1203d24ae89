/* acmed.conf, through the same loader the daemon uses (a memfd stands in
 * for the file). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acmed_config cfg;
	char path[64], err[512];
	int fd = memfd_create("acmed.conf", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && config_defaults(&cfg) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		config_load(path, false, &cfg, err, sizeof(err));
		config_clear(&cfg);
	}
	close(fd);
	return 0;
}
