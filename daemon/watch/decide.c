#include <string.h>

#include "daemon/watch/decide.h"

struct watch_decision watch_decide(int local, int current, const char *lock, const char *me)
{
	struct watch_decision d = { WATCH_NOTHING, 0, 0 };

	if (current <= 0 || current <= local)
		return d;
	if (lock && me && strcmp(lock, me) == 0) {
		d.action = WATCH_SKIP_LOCKED;
		return d;
	}
	d.action = WATCH_MATERIALISE;
	d.from = local > 0 ? local + 1 : 1;
	d.to = current;
	return d;
}
