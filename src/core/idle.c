/* idle — see idle.h. */
#include "idle.h"

void
idle_start(idle *s, uint64_t now)
{
	*s = (idle){.since = now};
}

void
idle_ready(idle *s, uint64_t now)
{
	*s = (idle){.since = now, .ready = true};
}

void
idle_heard(idle *s, uint64_t now)
{
	s->spoke = true;
	if (!s->ready)
		return; /* the setup deadline stands, whatever arrives */
	s->since = now;
	s->pinged = false;
}

void
idle_proved(idle *s)
{
	s->spoke = s->proved = true;
}

/* 0: silent past the grace, 1: not proved, 2: the rest (idle.h). */
static int
tier(const idle *s, int i, int grace)
{
	if (!s->spoke && i >= grace)
		return 0;
	return s->proved ? 2 : 1;
}

int
idle_pick(const idle *const *v, int n, int grace)
{
	int best = -1, best_tier = 3;

	for (int i = n - 1; i >= 0; i--) { /* oldest first: the first of a tier wins */
		int t = tier(v[i], i, grace);
		if (t < best_tier) {
			best = i;
			best_tier = t;
		}
	}
	return best;
}

void
idle_pause(idle *s, uint64_t now)
{
	s->since = now;
	s->pinged = false;
}

idle_verdict
idle_check(idle *s, const idle_limits *l, uint64_t now)
{
	uint64_t quiet = now > s->since ? now - s->since : 0;

	if (!s->ready)
		return quiet >= l->setup_ms ? IDLE_LATE : IDLE_OK;
	if (l->ping_ms == 0)
		return IDLE_OK;
	if (s->pinged)
		return now >= s->asked + l->ping_ms ? IDLE_SILENT : IDLE_OK;
	if (quiet < l->ping_ms)
		return IDLE_OK;
	s->pinged = true;
	s->asked = now;
	return IDLE_PING;
}
