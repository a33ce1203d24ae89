#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ident.h"
#include "util.h"

bool ident_emails_ok(const char *list)
{
	char one[256];

	for (const char *p = list, *end; p; p = *end ? end + 1 : NULL) {
		end = p + strcspn(p, ",");
		if ((size_t)(end - p) >= sizeof(one))
			return false;
		memcpy(one, p, (size_t)(end - p));
		one[end - p] = '\0';
		if (!ident_email_ok(one))
			return false;
	}
	return list != NULL;
}

bool ident_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static const char *label_problem(const char *label, size_t len)
{
	if (len == 0)
		return "it has an empty label";
	if (len > 63)
		return "a label is longer than 63 characters";
	if (label[0] == '-' || label[len - 1] == '-')
		return "a label starts or ends with a hyphen";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];

		if (!isalnum(c) && c != '-')
			return "only letters, digits, hyphens and dots are allowed";
	}
	return NULL;
}

int ident_normalize(const char *in, char out[IDENT_MAX + 1], char *err, size_t errlen)
{
	const char *why = NULL, *p;
	size_t len = strlen(in), labels = 0;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0)
		why = "it is empty";
	else if (len > 253)
		why = "it is longer than 253 characters";
	if (why)
		goto fail;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[len] = '\0';
	if (ident_is_ip(out)) {
		/* RFC 8738: an "ip" identifier, in its canonical text form
		 * (RFC 5952 for IPv6: "2001:db8::1", lower case, compressed). */
		unsigned char addr[16];
		int af = strchr(out, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(af, out, addr) != 1 || !inet_ntop(af, addr, out, IDENT_MAX + 1)) {
			why = "it is not an IP address acmed can read";
			goto fail;
		}
		return 0;
	}
	p = out;
	if (strncmp(p, "*.", 2) == 0) {
		p += 2;
		labels++;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		why = label_problem(p, l);
		if (why)
			goto fail;
		labels++;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (labels < 2) {
		why = "it is not a fully qualified domain name (it needs a dot)";
		goto fail;
	}
	/* No top-level domain is all digits: "192.0.2.256", "*.10.0.0.1". */
	if (strspn(p, "0123456789") == strlen(p)) {
		why = "its last label is a number: neither a domain name nor an IP address";
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "'%s' is not a valid domain name: %s", in, why);
	return -EINVAL;
}

bool ident_email_ok(const char *s)
{
	if (!s || !strchr(s, '@') || strpbrk(s, " ,<>\"") || strlen(s) >= 256)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}
