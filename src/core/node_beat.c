/*
 * node_beat — who gets a heartbeat this period, and how long a member
 * may be silent before it counts as lost.
 *
 * A full mesh where everyone heartbeats everyone every heartbeat-ms costs
 * the chat n² frames a period.  Instead:
 *  - the NODE_BEAT_SENIORS most senior live members (the leader, and who
 *    would lead after it) and everyone else heartbeat each other every
 *    period, so a silent leader or successor is found within timeout-ms,
 *    as SPEC 5.5 wants, and leadership passes without waiting;
 *  - two members that are neither heartbeat each other every `spread`
 *    periods, spread = the other members over NODE_BEAT_FAN, rounded up,
 *    each at its own phase in the round: about NODE_BEAT_FAN of them a
 *    period, whatever the chat's size.  The phase moves when the spread
 *    does (a growing chat), so a member also gets one whenever spread
 *    periods have passed since its last: no gap is ever longer.  Such a member is lost after
 *    timeout-ms + 2 (spread - 1) heartbeat-ms of silence: room for the
 *    other's spread being one more than ours (its view of the chat a few
 *    members larger).
 * With NODE_BEAT_FAN or fewer others, spread is 1: every member every
 * period, as before.  When this node becomes one of the seniors, members
 * start to count its silence at the full rate: it gives them all a fresh
 * timeout first, since they heartbeat it at the slow rate until they see
 * it senior too.
 */
#include "node_int.h"

#include <string.h>

/* Whether m is one of the seniors (plan's). */
static bool
senior(const node_beats *b, uint64_t id)
{
	for (int i = 0; i < b->nseniors; i++)
		if (b->seniors[i] == id)
			return true;
	return false;
}

/* Insert m into the seniors, kept in order, at most NODE_BEAT_SENIORS. */
static void
rank(node_beats *b, const member **top, const member *m)
{
	int k = b->nseniors < NODE_BEAT_SENIORS ? b->nseniors++ : NODE_BEAT_SENIORS;

	while (k > 0 && member_senior(m, top[k - 1]) < 0) {
		if (k < NODE_BEAT_SENIORS)
			top[k] = top[k - 1];
		k--;
	}
	if (k < NODE_BEAT_SENIORS)
		top[k] = m;
}

void
node_beat_plan(node *n, uint64_t now)
{
	node_beats *b = &n->beats;
	const member *top[NODE_BEAT_SENIORS];
	bool was = b->self_senior;
	int others = 0;

	b->nseniors = 0;
	for (int i = 0; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (!member_live(m))
			continue;
		others += !m->self;
		rank(b, top, m);
	}
	for (int i = 0; i < b->nseniors; i++)
		b->seniors[i] = top[i]->id;
	b->spread = others <= NODE_BEAT_FAN ? 1 : (others + NODE_BEAT_FAN - 1) / NODE_BEAT_FAN;
	b->self_senior = senior(b, n->cfg.id);
	b->period++;
	if (b->self_senior && !was && b->spread > 1)
		for (int i = 1; i < n->members.len; i++)
			if (n->members.v[i].state == MEMBER_ALIVE && n->members.v[i].last_heard < now)
				n->members.v[i].last_heard = now;
}

/* Whether m and this node heartbeat each other every period. */
static bool
full_rate(const node *n, const member *m)
{
	return n->beats.spread <= 1 || n->beats.self_senior || senior(&n->beats, m->id);
}

bool
node_beat_due(const node *n, const member *m, uint64_t now)
{
	const node_beats *b = &n->beats;
	uint64_t round = (uint64_t)b->spread * n->cfg.heartbeat_ms;

	return full_rate(n, m) || (b->period + m->id) % b->spread == 0 ||
	       now + n->cfg.heartbeat_ms / 2 >= m->beat_at + round;
}

uint64_t
node_beat_limit(const node *n, const member *m)
{
	if (full_rate(n, m))
		return n->cfg.timeout_ms;
	return n->cfg.timeout_ms + 2ull * (n->beats.spread - 1) * n->cfg.heartbeat_ms;
}
