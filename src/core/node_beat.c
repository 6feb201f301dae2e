/*
 * node_beat — who gets a heartbeat this period, and how long a member
 * may be silent before it counts as lost.
 *
 * A full mesh where everyone heartbeats everyone every heartbeat-ms costs
 * the chat n² frames a period.  Instead:
 *  - the NODE_BEAT_SENIORS most senior live members (the leader, and who
 *    would lead after it) heartbeat everyone every period, so a silent
 *    leader or successor is found within timeout-ms, as SPEC 5.5 wants,
 *    and leadership passes without waiting;
 *  - everyone else heartbeats each member (the seniors too: how soon a
 *    junior's death is found is no promise of SPEC's) every `spread`
 *    periods, spread = the other members over NODE_BEAT_FAN, rounded up,
 *    each at its own phase in the round: about NODE_BEAT_FAN of them a
 *    period, whatever the chat's size.  The phase moves when the spread
 *    does (a growing chat), so a member also gets one whenever spread
 *    periods have passed since its last: no gap is ever longer.  A member
 *    that is not a senior is lost after timeout-ms + 2 (spread - 1)
 *    heartbeat-ms of silence: room for the other's spread being one more
 *    than ours (its view of the chat a few members larger).
 * With NODE_BEAT_FAN or fewer others, spread is 1: every member every
 * period, as before.  Views of who is senior differ for a while when
 * seniority moves: a member that becomes a senior in our view gets a
 * fresh timeout-ms (it beat us at the slow rate until it saw itself
 * senior), and a node that stops being a senior goes on beating everyone
 * every period for NODE_BEAT_GRACE timeouts (the others may still count
 * its silence at the full rate).
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

/* Members that became seniors (in our view) since the last plan: a fresh timeout. */
static void
welcome_seniors(node *n, const uint64_t *before, int nbefore, uint64_t now)
{
	for (int i = 0; i < n->beats.nseniors; i++) {
		bool was = false;
		for (int k = 0; k < nbefore; k++)
			was = was || before[k] == n->beats.seniors[i];
		member *m = was ? NULL : member_find(&n->members, n->beats.seniors[i]);
		if (m && !m->self && m->state == MEMBER_ALIVE && m->last_heard < now)
			m->last_heard = now;
	}
}

void
node_beat_plan(node *n, uint64_t now)
{
	node_beats *b = &n->beats;
	const member *top[NODE_BEAT_SENIORS];
	uint64_t before[NODE_BEAT_SENIORS];
	int nbefore = b->nseniors, spread = b->spread;
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
	memcpy(before, b->seniors, sizeof before);
	for (int i = 0; i < b->nseniors; i++)
		b->seniors[i] = top[i]->id;
	b->spread = others <= NODE_BEAT_FAN ? 1 : (others + NODE_BEAT_FAN - 1) / NODE_BEAT_FAN;
	b->self_senior = senior(b, n->cfg.id);
	b->period++;
	if (was && !b->self_senior)
		b->senior_until = now + NODE_BEAT_GRACE * n->cfg.timeout_ms;
	if (b->spread > 1 && spread > 1)
		welcome_seniors(n, before, nbefore, now);
	else if (b->spread > 1)
		welcome_seniors(n, NULL, 0, now); /* the chat just grew large */
}

bool
node_beat_due(const node *n, const member *m, uint64_t now)
{
	const node_beats *b = &n->beats;
	uint64_t round = (uint64_t)b->spread * n->cfg.heartbeat_ms;

	return b->spread <= 1 || b->self_senior || now < b->senior_until ||
	       (b->period + m->id) % b->spread == 0 ||
	       now + n->cfg.heartbeat_ms / 2 >= m->beat_at + round;
}

uint64_t
node_beat_limit(const node *n, const member *m)
{
	if (n->beats.spread <= 1 || senior(&n->beats, m->id))
		return n->cfg.timeout_ms; /* it beats us every period */
	return n->cfg.timeout_ms + 2ull * (n->beats.spread - 1) * n->cfg.heartbeat_ms;
}
