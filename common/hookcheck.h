/* certbot's check of a hook before anything is ordered: the first word of
 * the command must be an executable file, found in the PATH the hooks run
 * with (HOOK_PATH) or named by its path. A typo is refused up front rather
 * than saved and failing at every renewal. */
#pragma once

#include <stddef.h>

/* Check COMMAND (NULL or "" for none: fine), the hook certbot calls
 * "KIND-hook" (KIND: "pre", "deploy", "manual-auth"...). Its first word,
 * split at white space as certbot splits it, must be a regular executable
 * file: a path containing '/' (a relative one counts from /, where hooks
 * run), else a name found in SEARCH (':'-separated directories). 0, or
 * ACMED_EHOOK with certbot's words and what to do next in ERR. */
int hookcheck_command(const char *kind, const char *command, const char *search, char *err,
		      size_t errlen);
