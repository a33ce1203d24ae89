/* conf/acmed.conf, the sample installed as /etc/acmed/acmed.conf: every
 * setting acmed knows is shown in it, and in acmed.conf(5); and with every
 * one-line setting uncommented, it loads. The .c is included to reach the
 * settings table. */
#include "common/config.c"

#include <stdlib.h>

#include "testutil.h"

/* NAME, a whole word, on a ".B" or ".BR" line of the man page MAN. */
static bool man_has(const char *man, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(man, name); p; p = strstr(p + 1, name)) {
		const char *bol = p;

		while (bol > man && bol[-1] != '\n')
			bol--;
		if ((p[n] == ' ' || p[n] == '\n' || p[n] == '"') && p > bol &&
		    (p[-1] == ' ' || p[-1] == '"') && strncmp(bol, ".B", 2) == 0)
			return true;
	}
	return false;
}

static char *source_file(const char *rel)
{
	const char *src = getenv("SOURCE_DIR");
	char *path, *text = NULL;
	size_t len;

	ASSERT_NONNULL(src);
	path = path_join(src, rel);
	ASSERT_INT_EQ(fs_read_file(path, 1 << 20, &text, &len), 0);
	free(path);
	return text;
}

TEST(every_setting_is_in_the_sample_and_the_man_page)
{
	char *sample = source_file("conf/acmed.conf"), *man = source_file("docs/acmed.conf.5");
	const char *extra[] = { "ca", "expiry_warnings" };

	for (size_t i = 0; i < ELEMENTSOF(schema) + ELEMENTSOF(extra); i++) {
		const char *name = i < ELEMENTSOF(schema) ? schema[i].name
							  : extra[i - ELEMENTSOF(schema)];
		char *in_sample;

		ASSERT_TRUE(asprintf(&in_sample, "\n#%s = ", name) > 0);
		if (!strstr(sample, in_sample))
			test_fail(__FILE__, __LINE__, "conf/acmed.conf does not show %s", name);
		if (!man_has(man, name))
			test_fail(__FILE__, __LINE__, "acmed.conf(5) has no entry for %s", name);
		free(in_sample);
	}
	free(sample);
	free(man);
}

/* Each "#name = value;" line uncommented (the multi-line ca list stays a
 * comment): the file loads. */
TEST(the_sample_loads_uncommented)
{
	char *sample = source_file("conf/acmed.conf"), *dir = tmpdir_make(), *path, err[512];
	FILE *out;
	struct acmed_config cfg;
	int n = 0;

	path = path_join(dir, "acmed.conf");
	out = fopen(path, "w");
	ASSERT_NONNULL(out);
	for (char *line = strtok(sample, "\n"); line; line = strtok(NULL, "\n")) {
		const char *semi = strchr(line, ';');

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = ") &&
		    semi && !strstr(line, "= (")) {
			fprintf(out, "%s\n", line + 1);
			n++;
		}
	}
	fclose(out);
	ASSERT_TRUE(n >= 30);
	ASSERT_INT_EQ(config_defaults(&cfg), 0);
	if (config_load(path, false, &cfg, err, sizeof(err)) != 0)
		test_fail(__FILE__, __LINE__, "the sample uncommented: %s", err);
	config_clear(&cfg);
	free(path);
	tmpdir_remove(dir);
	free(sample);
}
