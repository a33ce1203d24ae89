#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unitlimits.h"
#include "util.h"

const char *const unit_web_roots[] = { "/var/www", "/srv/www", "/srv/http",
				       "/usr/share/nginx/html", NULL };

bool unit_running(void)
{
	const char *id = getenv("INVOCATION_ID");

	return id && *id;
}

/* PATH is ROOT or below it. */
static bool below(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool unit_allows_write(const char *path, char *const *extra, size_t n)
{
	for (size_t i = 0; unit_web_roots[i]; i++)
		if (below(path, unit_web_roots[i]))
			return true;
	for (size_t i = 0; i < n; i++)
		if (below(path, extra[i]))
			return true;
	return false;
}

void unit_dropin_hint(char *buf, size_t len, const char *path, bool dac_override)
{
	/* A unit file takes a path with a space in double quotes. */
	const char *q = strpbrk(path, " \t") ? "\"" : "";

	snprintf(buf, len,
		 "run `systemctl edit %s`, add the lines `[Service]` and `ReadWritePaths=%s%s%s`%s, "
		 "then `systemctl restart %s`",
		 UNIT_SERVICE, q, path, q,
		 dac_override ? " and `CapabilityBoundingSet=CAP_DAC_OVERRIDE` (or make it root's)"
			      : "",
		 UNIT_SERVICE);
}

/* Append the paths of one "ReadWritePaths=" VALUE to *OUT. */
static int add_paths(const char *value, char ***out, size_t *n)
{
	char *copy = xstrdup(value), *save = NULL;
	int r = copy ? 0 : -ENOMEM;

	for (char *w = copy ? strtok_r(copy, " \t\"", &save) : NULL; r == 0 && w;
	     w = strtok_r(NULL, " \t\"", &save)) {
		char **v;

		w += strspn(w, "-+");
		if (*w != '/')
			continue;
		v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v || !(v[*n] = xstrdup(w))) {
			if (v)
				*out = v;
			r = -ENOMEM;
			break;
		}
		*out = v;
		(*n)++;
	}
	free(copy);
	return r;
}

static int read_dropin(const char *file, char ***out, size_t *n)
{
	FILE *f = fopen(file, "re");
	char line[4096];
	int r = 0;

	if (!f)
		return 0;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "ReadWritePaths=", 15) == 0)
			r = add_paths(line + 15, out, n);
	}
	fclose(f);
	return r;
}

int unit_dropin_paths(char ***out, size_t *n)
{
	static const char *const dirs[] = UNIT_DROPIN_DIRS;
	int r = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		while (r == 0 && d && (e = readdir(d))) {
			size_t len = strlen(e->d_name);
			char path[1024];

			if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			r = read_dropin(path, out, n);
		}
		if (d)
			closedir(d);
	}
	if (r < 0) {
		strv_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}
