/* base64url (RFC 4648 section 5, no padding, as RFC 7515 uses it). */
#include "jws.h"

#include "test.h"

static void check_encode(const char *in, size_t len, const char *want)
{
	char *s = b64url_encode(in, len);
	unsigned char *back = NULL;
	size_t n = 0;

	ASSERT_STR_EQ(s, want);
	ASSERT_INT_EQ(b64url_decode(want, &back, &n), 0);
	ASSERT_INT_EQ(n, len);
	ASSERT_TRUE(memcmp(back, in, len) == 0);
	ASSERT_INT_EQ(back[n], 0); /* NUL-terminated for convenience */
	free(s);
	free(back);
}

TEST(rfc4648_vectors)
{
	check_encode("", 0, "");
	check_encode("f", 1, "Zg");
	check_encode("fo", 2, "Zm8");
	check_encode("foo", 3, "Zm9v");
	check_encode("foob", 4, "Zm9vYg");
	check_encode("fooba", 5, "Zm9vYmE");
	check_encode("foobar", 6, "Zm9vYmFy");
}

TEST(url_alphabet)
{
	/* 0xfb 0xff is "+/8=" in standard base64. */
	check_encode("\xfb\xff", 2, "-_8");
	check_encode("\xff\xff\xff", 3, "____");
	check_encode("\xf8\x00\x00", 3, "-AAA");
}

TEST(round_trip_0_to_64)
{
	unsigned char buf[64];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(buf); len++) {
		char *s = b64url_encode(buf, len);
		unsigned char *back = NULL;
		size_t n = 99;

		ASSERT_NONNULL(s);
		ASSERT_INT_EQ(strlen(s), (len * 4 + 2) / 3); /* no padding */
		ASSERT_TRUE(len == 0 || b64url_valid(s));
		ASSERT_INT_EQ(b64url_decode(s, &back, &n), 0);
		ASSERT_INT_EQ(n, len);
		ASSERT_TRUE(memcmp(back, buf, len) == 0);
		free(s);
		free(back);
	}
}

static void check_rejected(const char *s)
{
	unsigned char *out = (unsigned char *)"untouched";
	size_t n = 12345;

	if (b64url_decode(s, &out, &n) != -EINVAL)
		test_fail(__FILE__, __LINE__, "b64url_decode(\"%s\") was not -EINVAL", s);
	ASSERT_STR_EQ((char *)out, "untouched");
	ASSERT_INT_EQ(n, 12345);
}

TEST(decode_rejects)
{
	check_rejected("Zg==");     /* padding */
	check_rejected("Zm8=");
	check_rejected("=");
	check_rejected("+_8");      /* standard alphabet */
	check_rejected("-/8");
	check_rejected("Zm9v Yg");  /* whitespace */
	check_rejected("Zm9v\nYg");
	check_rejected("Zm9vYg\t");
	check_rejected(" Zm9v");
	check_rejected("Z");        /* length % 4 == 1 */
	check_rejected("Zm9vY");
	check_rejected("Zh");       /* non-canonical: trailing bits set ("Zg" is canonical) */
	check_rejected("Zm9");      /* "Zm8" is canonical */
	check_rejected("-_9");      /* "-_8" is canonical */
	check_rejected("Zm9v\xc3\xa9");
	check_rejected("Zm.v");
}

TEST(valid)
{
	ASSERT_TRUE(b64url_valid("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));
	ASSERT_TRUE(b64url_valid("a"));
	ASSERT_TRUE(b64url_valid("-_"));
	ASSERT_TRUE(!b64url_valid(""));
	ASSERT_TRUE(!b64url_valid(NULL));
	ASSERT_TRUE(!b64url_valid("../x"));
	ASSERT_TRUE(!b64url_valid(".."));
	ASSERT_TRUE(!b64url_valid("a/b"));
	ASSERT_TRUE(!b64url_valid("a.b"));
	ASSERT_TRUE(!b64url_valid("a=b"));
	ASSERT_TRUE(!b64url_valid("a b"));
	ASSERT_TRUE(!b64url_valid("a+b"));
	ASSERT_TRUE(!b64url_valid("a\nb"));
}
