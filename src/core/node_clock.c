/*
 * node_clock — the node's clocks: its wall clock from the shell's, the
 * bound on how far stamps may be from it (what moves our hybrid logical
 * clock and what does not), judging the clocks members report, a joiner
 * whose own clock is off, and where "since we started" lies in the chat's
 * time.
 */
#include "node_int.h"

#include <stdio.h>

uint64_t
node_wall(const node *n, uint64_t now)
{
	return n->cfg.wall_ms + (now - n->clocks.start);
}

/*
 * Clocks.  A stamp within NODE_CLOCK_BOUND_MS of our wall clock moves our
 * clock on (hlc_seen), so that what we write next sorts after it: within
 * the bound the chat works as if the clocks agreed.  A stamp further ahead
 * does not move it, so that no record or report, forged or from a wrong
 * clock, can drag everyone's clock along; its record is still taken, and
 * its report still counts (it holds nobody up: the frontier is a
 * minimum), so that nothing stalls and no history differs from another's.
 */
bool
node_clock_near(const node *n, uint64_t now, uint64_t hlc)
{
	return hlc_ms(hlc) <= node_wall(n, now) + NODE_CLOCK_BOUND_MS;
}

void
node_see_clock(node *n, uint64_t now, uint64_t hlc)
{
	if (node_clock_near(n, now, hlc))
		n->clocks.hlc = hlc_seen(n->clocks.hlc, hlc);
}

/* "+25h03m": how far ms is from 0. */
static void
offset_text(int64_t ms, char *buf, size_t cap)
{
	uint64_t m = (uint64_t)(ms < 0 ? -ms : ms) / 60000;

	snprintf(buf, cap, "%c%lluh%02llum", ms < 0 ? '-' : '+', (unsigned long long)(m / 60),
		 (unsigned long long)(m % 60));
}

/*
 * Where m's reported clock stands against our wall clock; a member whose
 * clock is further off than the bound is logged, once, by a node that is
 * in the chat (a joiner judges them all at once: node_clock_refused).
 */
static void
check_clock(node *n, uint64_t now, member *m, uint64_t hlc)
{
	char t[32];

	m->clock_skew = (int64_t)node_wall(n, now) - (int64_t)hlc_ms(hlc);
	bool off = m->clock_skew > (int64_t)NODE_CLOCK_BOUND_MS ||
		   -m->clock_skew > (int64_t)NODE_CLOCK_BOUND_MS;
	if (off && !m->clock_off && node_in_chat(n)) {
		offset_text(m->clock_skew, t, sizeof t);
		node_log(n, NODE_LOG_ALWAYS, "%s's clock is off by %s from ours", m->nick, t);
	}
	m->clock_off = off;
}

/*
 * A joiner about to announce itself: when more than half of the members
 * that reported to it have clocks further than the bound from its own, it
 * is its clock that is off (one member's word is not enough: it may lie).
 * It says so and stops (SPEC 5.9: kept out until it is fixed).
 */
bool
node_clock_refused(node *n)
{
	int reported = 0, off = 0;
	const member *far = NULL;
	char t[32];

	for (int i = 1; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (m->state != MEMBER_ALIVE || !m->reported)
			continue;
		reported++;
		if (m->clock_off) {
			off++;
			far = m;
		}
	}
	if (2 * off <= reported)
		return false;
	offset_text(far->clock_skew, t, sizeof t);
	node_log(n, NODE_LOG_ALWAYS,
		 "clock is off by %s from %s's (%d of %d members; at most %dh allowed): set the "
		 "clock right (NTP) and start again", t, far->nick, off, reported,
		 (int)(NODE_CLOCK_BOUND_MS / 3600000));
	node_finish(n, CHORUS_EXIT_CLOCK);
	return true;
}

/*
 * The first report from the chat: how far ahead of our wall clock the
 * chat's clocks run (0 if behind: our own clock then leads), so that "since
 * we started" is judged in the chat's time (node_since_start).
 */
static uint64_t
started_ms(const node *n)
{
	return n->cfg.started_ms ? n->cfg.started_ms : n->cfg.wall_ms;
}

static void
fix_since(node *n, uint64_t now)
{
	uint64_t wall = node_wall(n, now), hlc = hlc_ms(n->clocks.hlc);
	uint64_t ahead = hlc > wall ? hlc - wall : 0;
	uint64_t since = (started_ms(n) + ahead) << HLC_SHIFT;

	n->clocks.since_fixed = true;
	if (since > n->clocks.since_hlc)
		n->clocks.since_hlc = since;
}

/* A member's clock report, as clocks go: judged, taken in, and at join fixes "since". */
void
node_clock_report(node *n, uint64_t now, member *m, uint64_t hlc)
{
	check_clock(n, now, m, hlc);
	node_see_clock(n, now, hlc);
	if (!n->clocks.since_fixed && !node_in_chat(n))
		fix_since(n, now);
}

void
node_clock_start(node *n, uint64_t now)
{
	n->clocks.start = now;
}

uint64_t
node_clock_started(const node *n)
{
	return n->clocks.start;
}

uint64_t
node_clock_latest(const node *n)
{
	return n->clocks.hlc;
}

uint64_t
node_clock_stamp(node *n, uint64_t now)
{
	n->clocks.hlc = hlc_tick(n->clocks.hlc, node_wall(n, now));
	return n->clocks.hlc;
}

uint64_t
node_clock_on(node *n, uint64_t now)
{
	n->clocks.hlc = hlc_seen(n->clocks.hlc, node_wall(n, now) << HLC_SHIFT);
	return n->clocks.hlc;
}

void
node_clock_fix_since(node *n, uint64_t now)
{
	uint64_t base = n->cfg.started_ms ? n->cfg.started_ms : node_wall(n, now);

	n->clocks.since_hlc = hlc_seen(n->clocks.hlc, base << HLC_SHIFT);
}

uint64_t
node_clock_since(const node *n)
{
	return n->clocks.since_hlc;
}
