/* acmectl's verbs (ctl/verbtab.c): the suggestion for a mistyped verb, and
 * the tables' consistency: every certbot verb maps to a verb acmectl has or
 * names a command, no name twice. */
#include "ctl/verbtab.h"

#include "test.h"

static const char *nearest(const char *s)
{
	const char *v = verb_nearest(s);

	return v ? v : "(none)";
}

TEST(nearest_verb)
{
	ASSERT_STR_EQ(nearest("certonyl"), "certonly");  /* swapped letters */
	ASSERT_STR_EQ(nearest("certonl"), "certonly");   /* one dropped */
	ASSERT_STR_EQ(nearest("Renew"), "renew");        /* case */
	ASSERT_STR_EQ(nearest("renwe"), "renew");
	ASSERT_STR_EQ(nearest("revok"), "revoke");
	ASSERT_STR_EQ(nearest("certificate"), "certificates");
	ASSERT_STR_EQ(nearest("update-account"), "update_account"); /* '-' for '_' */
	ASSERT_STR_EQ(nearest("import_certbot"), "import-certbot");
	ASSERT_STR_EQ(nearest("registr"), "register");
	ASSERT_STR_EQ(nearest("xyzzy"), "(none)");
	ASSERT_STR_EQ(nearest("ab"), "(none)");           /* too short to guess */
	ASSERT_STR_EQ(nearest("certonlyyyyy"), "(none)"); /* too far */
	ASSERT_STR_EQ(nearest(""), "(none)");
}

TEST(tables_are_consistent)
{
	const char *a, *b;

	for (size_t i = 0; (a = verb_name_at(i)); i++)
		for (size_t k = 0; k < i; k++) {
			b = verb_name_at(k);
			ASSERT_TRUE(strcmp(a, b) != 0);
		}
	for (size_t i = 0; i < ncertbot_verbs; i++) {
		const struct certbot_verb *cv = &certbot_verbs[i];

		/* Either it runs an acmectl verb, or it says which command. */
		ASSERT_TRUE(!cv->verb != !cv->hint);
		if (cv->verb)
			ASSERT_TRUE(ctl_cmd_lookup(cv->verb) >= 0);
		if (cv->hint)
			ASSERT_TRUE(strncmp(cv->hint, "acmectl ", 8) == 0);
		if (cv->sub) {
			bool known = false;

			for (size_t k = 0; account_ops[k]; k++)
				known |= strcmp(account_ops[k], cv->sub) == 0;
			ASSERT_TRUE(known);
		}
	}
	ASSERT_TRUE(verb_options("renew") == renew_options);
	ASSERT_TRUE(verb_options("register") == account_options);
	ASSERT_TRUE(verb_options("certonly") == NULL);
}
