/* certbot's -w, -d and --webroot-map, combined as certbot does
 * (webroots.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/webroots.h"
#include "fsutil.h"
#include "util.h"

int webroots_init(struct webroots *w)
{
	memset(w, 0, sizeof(*w));
	w->domains = json_object_new_array();
	w->map = json_object_new_object();
	return w->domains && w->map ? 0 : -ENOMEM;
}

void webroots_clear(struct webroots *w)
{
	json_object_put(w->domains);
	json_object_put(w->map);
	strv_free(w->paths, w->npaths);
	memset(w, 0, sizeof(*w));
}

int webroots_absolute(const char *path, char **out)
{
	char cwd[4096];

	if (path[0] == '/')
		*out = strdup(path);
	else if (getcwd(cwd, sizeof(cwd)))
		*out = fs_join(cwd, path);
	else
		return -errno;
	return *out ? 0 : -ENOMEM;
}

/* NAME lower-cased (ASCII, as DNS compares), in BUF. */
static const char *lower(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

static bool listed(const struct webroots *w, const char *key)
{
	char buf[512];

	for (size_t i = 0; i < json_object_array_length(w->domains); i++)
		if (streq(lower(json_object_get_string(json_object_array_get_idx(w->domains, i)),
				buf, sizeof(buf)),
			  key))
			return true;
	return false;
}

/* Each name of LIST, trimmed, to the domains; with PATH, its web root too
 * (replacing any it had: --webroot-map). */
static int add_names(struct webroots *w, const char *list, const char *path)
{
	char *copy = strdup(list), *save = NULL, key[512];
	int r = copy ? 0 : -ENOMEM;

	for (char *d = copy ? strtok_r(copy, ",", &save) : NULL; r == 0 && d;
	     d = strtok_r(NULL, ",", &save)) {
		size_t n;

		d += strspn(d, " \t");
		for (n = strlen(d); n > 0 && (d[n - 1] == ' ' || d[n - 1] == '\t'); n--)
			d[n - 1] = '\0';
		if (!*d)
			continue;
		lower(d, key, sizeof(key));
		if (!listed(w, key) &&
		    json_object_array_add(w->domains, json_object_new_string(d)) < 0)
			r = -ENOMEM;
		if (r == 0 && path &&
		    json_object_object_add(w->map, key, json_object_new_string(path)) < 0)
			r = -ENOMEM;
	}
	free(copy);
	return r;
}

int webroots_add_domains(struct webroots *w, const char *list)
{
	return add_names(w, list, NULL);
}

int webroots_add_path(struct webroots *w, const char *path, char *err, size_t errlen)
{
	char *abs = NULL, **v, key[512];
	int r;

	if (w->domain_first) {
		snprintf(err, errlen, "if you specify multiple webroot paths, one of them must "
				      "precede all domain flags");
		return -EINVAL;
	}
	/* The -w before this one goes to every domain so far without one. */
	for (size_t i = 0; w->npaths && i < json_object_array_length(w->domains); i++) {
		lower(json_object_get_string(json_object_array_get_idx(w->domains, i)), key,
		      sizeof(key));
		if (!json_object_object_get_ex(w->map, key, NULL) &&
		    json_object_object_add(w->map, key,
					   json_object_new_string(w->paths[w->npaths - 1])) < 0)
			return -ENOMEM;
	}
	if (!w->npaths && json_object_array_length(w->domains))
		w->domain_first = true;
	r = webroots_absolute(path, &abs);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot tell the current directory", path);
		return r;
	}
	v = realloc(w->paths, (w->npaths + 1) * sizeof(*v));
	if (!v) {
		free(abs);
		return -ENOMEM;
	}
	w->paths = v;
	v[w->npaths++] = abs;
	return 0;
}

int webroots_add_map(struct webroots *w, const char *json, char *err, size_t errlen)
{
	enum json_tokener_error jerr = json_tokener_success;
	struct json_object *o = json_tokener_parse_verbose(json, &jerr);
	int r = 0;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object such as {\"example.com,www.example.com\": "
				      "\"/var/www/example\"}%s%s",
			 o ? "" : ": ", o ? "" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return -EINVAL;
	}
	json_object_object_foreach(o, names, val) {
		char *abs = NULL;

		if (r < 0)
			break;
		if (!json_object_is_type(val, json_type_string) || !*json_object_get_string(val)) {
			snprintf(err, errlen, "\"%.200s\": the web root must be a path (text)", names);
			r = -EINVAL;
			break;
		}
		r = webroots_absolute(json_object_get_string(val), &abs);
		if (r == 0)
			r = add_names(w, names, abs);
		else
			snprintf(err, errlen, "%s: cannot tell the current directory",
				 json_object_get_string(val));
		free(abs);
	}
	json_object_put(o);
	return r;
}

struct json_object *webroots_pairs(const struct webroots *w)
{
	struct json_object *pairs = json_object_new_array(), *path;
	char key[512];

	for (size_t i = 0; pairs && i < json_object_array_length(w->domains); i++) {
		struct json_object *d = json_object_array_get_idx(w->domains, i), *e;
		const char *p = w->npaths ? w->paths[w->npaths - 1] : NULL;

		if (json_object_object_get_ex(w->map, lower(json_object_get_string(d), key,
							     sizeof(key)),
					      &path))
			p = json_object_get_string(path);
		if (!p)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "domain", json_object_get(d));
		json_object_object_add(e, "path", json_object_new_string(p));
		json_object_array_add(pairs, e);
	}
	if (pairs && json_object_array_length(pairs) == 0) {
		json_object_put(pairs);
		pairs = NULL;
	}
	return pairs;
}

const char *webroots_last(const struct webroots *w)
{
	return w->npaths ? w->paths[w->npaths - 1] : NULL;
}
