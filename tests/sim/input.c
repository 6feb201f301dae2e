/*
 * input — what is typed into the simulated nodes: chat lines at a node or
 * through its guest (an IRC user), commands, a graceful leave, and what
 * the insider forges through the core's own record writer.  Each typed
 * chat line gets a number and a record (c->lines) for the checks.
 */
#include <stdio.h>
#include <string.h>

#include "cluster_int.h"
#include "mod.h"

/* The core's own record writer (node_int.h), called as a forger would. */
void node_submit_as(node *n, uint64_t now, int kind, const char *nick, const char *text,
		    size_t len);
void node_submit_stamped(node *n, uint64_t now, uint64_t hlc, const char *text, size_t len);

int
cluster_type(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];
	char text[16];

	if (!cluster_alive(c, i) || sn->stalled || c->nlines == SIM_MAX_LINES)
		return -1;
	int k = c->nlines++;
	c->lines[k] = (line_rec){.from = i, .life = sn->life, .typed_at = c->now};
	int len = snprintf(text, sizeof text, "m%d", k);
	cluster_trace(c, "n%d types \"%s\"", i, text);
	node_input(sn->core, c->now, text, (size_t)len);
	c->lines[k].refused = sn->core && node_is_silenced(sn->core, sn->id);
	cluster_after_call(sn);
	return k;
}

/*
 * A directive of the insider's about another node: a silence or unsilence
 * (a removal the scenario cannot follow, should the insider come to lead
 * and its directive count by right; the fold is the same for every
 * operation).  Its voters: every node; or only the insider, or the
 * insider and its target, so that its own word would be a majority.
 */
static size_t
forged_directive(cluster *c, int t, char *text, size_t cap)
{
	mod_directive d = {.op = MOD_SILENCE + (int)rng_range(&c->rng, 0, 1),
			   .target = c->nodes[t].id};
	int voters = (int)rng_range(&c->rng, 0, 2);

	snprintf(d.nick, sizeof d.nick, "%s", c->nodes[t].nick);
	for (int i = 0; i < c->n; i++) {
		if ((voters == 1 && i != c->insider) || (voters == 2 && i != c->insider && i != t))
			continue;
		int k = d.nvoters++;
		for (; k > 0 && d.voters[k - 1] > c->nodes[i].id; k--)
			d.voters[k] = d.voters[k - 1];
		d.voters[k] = c->nodes[i].id;
	}
	return mod_encode(&d, text, cap);
}

void
cluster_insider_act(cluster *c)
{
	simnode *sn = &c->nodes[c->insider];
	int t = (int)rng_range(&c->rng, 0, (uint64_t)c->n - 1);
	char text[64 + NICK_MAX + 17 * SIM_MAX_NODES];

	if (!cluster_alive(c, c->insider) || sn->stalled || !node_announced(sn->core) ||
	    nick_same(c->nodes[t].nick, sn->nick))
		return; /* (a nick that differs only in case is its own) */
	c->forgeries++;
	if (rng_chance(&c->rng, 30)) {
		/* A line stamped a day or more ahead of, or behind, its clock. */
		int64_t off = (int64_t)rng_range(&c->rng, 24, 100) * 3600000 *
			      (rng_chance(&c->rng, 50) ? 1 : -1);
		uint64_t ms = (uint64_t)((int64_t)c->now + sn->skew + off);
		int len = snprintf(text, sizeof text, "stamped %+lld h", (long long)(off / 3600000));
		cluster_trace(c, "n%d writes \"%s\"", c->insider, text);
		node_submit_stamped(sn->core, c->now, ms << HLC_SHIFT, text, (size_t)len);
	} else if (rng_chance(&c->rng, 30) && !(sn->hosted & (1u << t))) {
		/* A line of IRC user "gt", whom this node never hosted. */
		char nick[NICK_MAX + 1];
		int len = snprintf(text, sizeof text, "- forged %d", c->forgeries);
		snprintf(nick, sizeof nick, "g%d", t);
		cluster_trace(c, "n%d forges \"%s\" as guest %s", c->insider, text + 2, nick);
		node_submit_as(sn->core, c->now, HIST_GUEST_CHAT, nick, text, (size_t)len);
	} else if (rng_chance(&c->rng, 50)) {
		int len = snprintf(text, sizeof text, "forged %d", c->forgeries);
		cluster_trace(c, "n%d forges \"%s\" as %s", c->insider, text, c->nodes[t].nick);
		node_submit_as(sn->core, c->now, HIST_CHAT, c->nodes[t].nick, text, (size_t)len);
	} else if (node_leader(sn->core) != sn->id) {
		size_t len = forged_directive(c, t, text, sizeof text);
		cluster_trace(c, "n%d forges a directive: %s", c->insider, text);
		node_submit_as(sn->core, c->now, HIST_DIRECTIVE, NULL, text, len);
	}
	cluster_after_call(sn);
}

int
cluster_guest_type(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];
	char text[16];
	uint64_t since;

	if (!cluster_alive(c, i) || sn->stalled || c->nlines == SIM_MAX_LINES ||
	    !node_announced(sn->core))
		return -1;
	if (!sn->guest[0]) {
		int j = rng_chance(&c->rng, 75) ? i : (int)rng_range(&c->rng, 0, (uint64_t)c->n - 1);
		char nick[NICK_MAX + 1];
		snprintf(nick, sizeof nick, "g%d", j);
		int rc = node_guest_join(sn->core, c->now, nick, &since);
		cluster_trace(c, "n%d attaches guest %s: %d", i, nick, rc);
		cluster_after_call(sn);
		if (rc != NODE_GUEST_OK || !cluster_alive(c, i))
			return -1;
		c->takeovers += j != i && since != 0;
		sn->hosted |= 1u << j;
		snprintf(sn->guest, sizeof sn->guest, "%s", nick);
	}
	int k = c->nlines;
	int len = snprintf(text, sizeof text, "m%d", k);
	cluster_trace(c, "n%d's guest %s types \"%s\"", i, sn->guest, text);
	c->lines[k] = (line_rec){.from = i, .life = sn->life, .guest = true};
	memcpy(c->lines[k].nick, sn->guest, sizeof sn->guest); /* both NICK_MAX + 1 */
	if (node_guest_say(sn->core, c->now, sn->guest, "", 0, text, (size_t)len) != NODE_GUEST_OK) {
		cluster_after_call(sn);
		return -1;
	}
	c->nlines++;
	cluster_after_call(sn);
	return k;
}

void
cluster_command(cluster *c, int i, const char *line)
{
	simnode *sn = &c->nodes[i];

	if (!cluster_alive(c, i) || sn->stalled)
		return;
	cluster_trace(c, "n%d types \"%s\"", i, line);
	node_input(sn->core, c->now, line, strlen(line));
	cluster_after_call(sn);
}

void
cluster_leave(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];

	cluster_trace(c, "n%d LEAVES", i);
	sn->left = sn->leaving = true;
	c->faults = true;
	node_leave(sn->core, c->now);
	cluster_after_call(sn);
}

