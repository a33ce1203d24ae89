/* text: cleaning outside text, and the tail of a hook's error output. */
#include <stdlib.h>

#include "test.h"
#include "text.h"

TEST(tail_keeps_short_output_whole_and_clean)
{
	struct text_tail *t = calloc(1, sizeof(*t));

	ASSERT_STR_EQ(text_tail_get(t), "");
	text_tail_add(t, "  first line\n", 13);
	text_tail_add(t, "second\x1b[31m red\r\n\t", 19);
	ASSERT_STR_EQ(text_tail_get(t), "first line second [31m red");
	free(t);
}

TEST(tail_keeps_the_last_bytes)
{
	struct text_tail *t = calloc(1, sizeof(*t));
	char *big = malloc(3 * TEXT_TAIL_MAX);
	const char *s;

	memset(big, 'a', 3 * TEXT_TAIL_MAX);
	/* Many small writes, then the end of the output. */
	for (int i = 0; i < 3 * TEXT_TAIL_MAX / 100; i++)
		text_tail_add(t, big, 100);
	text_tail_add(t, "the real error", 14);
	s = text_tail_get(t);
	ASSERT_INT_EQ(strlen(s), 3 + TEXT_TAIL_MAX);
	ASSERT_TRUE(strncmp(s, "...aaa", 6) == 0);
	ASSERT_TRUE(strcmp(s + strlen(s) - 14, "the real error") == 0);
	free(t);

	/* One write larger than the cap. */
	t = calloc(1, sizeof(*t));
	big[3 * TEXT_TAIL_MAX - 1] = 'z';
	text_tail_add(t, big, 3 * TEXT_TAIL_MAX);
	s = text_tail_get(t);
	ASSERT_INT_EQ(strlen(s), 3 + TEXT_TAIL_MAX);
	ASSERT_TRUE(s[strlen(s) - 1] == 'z');
	free(t);
	free(big);
}

TEST(tail_cut_inside_utf8_and_nul)
{
	struct text_tail *t = calloc(1, sizeof(*t));
	char *big = malloc(TEXT_TAIL_MAX + 1);

	/* "é" (c3 a9) cut after its first byte: the lone a9 is dropped. */
	memset(big, 'b', TEXT_TAIL_MAX + 1);
	big[0] = (char)0xc3;
	big[1] = (char)0xa9;
	big[5] = '\0';
	text_tail_add(t, big, TEXT_TAIL_MAX + 1);
	ASSERT_TRUE(strncmp(text_tail_get(t), "...bbb b", 8) == 0);
	free(t);
	free(big);
}
