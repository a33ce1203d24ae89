/* JSON objects from the CA. The first byte picks the kind: directory,
 * order, authorization (with its challenges), problem document, ARI
 * renewalInfo, account; the rest is the body. */
#include "fuzz.h"

#include "common/acme/acme.c"
#include "common/acme/acme_account.c"
#include "common/acme/acme_cert.c"
#include "common/acme/acme_order.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_client c;
	struct json_object *o;
	char *body;

	if (size < 1)
		return 0;
	body = fuzz_str(data + 1, size - 1);
	if (!body)
		return 0;
	memset(&c, 0, sizeof(c));
	c.directory_url = "https://ca.test/dir";
	o = json_tokener_parse(body);
	switch (data[0] % 6) {
	case 0:
		directory_from_json(&c, o);
		directory_clear(&c.dir);
		break;
	case 1: {
		struct acme_order ord = { 0 };

		order_from_json(&c, o, &ord);
		acme_order_clear(&ord);
		break;
	}
	case 2: {
		struct acme_authz a = { 0 };

		authz_from_json(&c, o, &a);
		acme_authz_clear(&a);
		break;
	}
	case 3: {
		struct acme_problem p = { 0 };
		char text[512];

		if (acme_problem_parse(body, &p) == 0)
			acme_problem_format(&p, text, sizeof(text));
		acme_problem_clear(&p);
		break;
	}
	case 4: {
		struct acme_renewal_info ri = { 0 };

		renewal_window(o, &ri);
		acme_renewal_info_clear(&ri);
		break;
	}
	case 5:
		account_from_json(&c, o, "https://ca.test/acct/1");
		break;
	}
	json_object_put(o);
	acme_problem_clear(&c.problem);
	free(body);
	return 0;
}
