/* Text from outside (a CA, a file, a hook) on its way to a terminal or a
 * log line. */
#pragma once

/* Replace in S, in place, every byte that could move a terminal's cursor,
 * change its colours or title, or start a new line: C0 controls, DEL, and
 * the C1 controls as UTF-8 (U+0080..U+009F, two bytes each) become ' '. */
void text_clean(char *s);
