/* archive/NAME/.alerts: which expiry warning of the current certificate
 * has been announced already, so that a restart does not repeat it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "store/store.h"

#include "store/store_priv.h"

#define ALERT_FILE ".alerts"
#define ALERT_MAX 256

static int alert_dir(struct store *s, const char *name)
{
	if (!store_name_valid(name))
		return -EINVAL;
	return fs_open_dirs(s->archive_fd, name, false, 0755);
}

int store_alert_load(struct store *s, const char *name, struct alert_mark *m)
{
	int dfd = alert_dir(s, name), r;
	char *text = NULL;
	long long na = 0;
	long warned = 0;

	memset(m, 0, sizeof(*m));
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	r = fs_read_fileat(dfd, ALERT_FILE, ALERT_MAX, &text, NULL);
	close(dfd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* A damaged file counts as none: at worst a warning is repeated. */
	if (sscanf(text, "not_after %lld warned %ld", &na, &warned) == 2 && warned >= 0) {
		m->not_after = (time_t)na;
		m->warned = warned;
	}
	free(text);
	return 0;
}

int store_alert_save(struct store *s, const char *name, const struct alert_mark *m)
{
	int dfd = alert_dir(s, name), r;
	char text[96];

	if (dfd < 0)
		return dfd;
	snprintf(text, sizeof(text), "not_after %lld warned %ld\n", (long long)m->not_after,
		 m->warned);
	r = fs_write_durable(dfd, ALERT_FILE, text, strlen(text), 0600, 0);
	close(dfd);
	return r;
}
