/* check — see check.h. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXM 16 /* room for a member list in the normal mode; n in the large */

/* Room for a member list: c->ids[0] and [1] (cluster.h). */
static int
room(const cluster *c)
{
	return c->n > MAXM ? c->n : MAXM;
}

static const char *
nick_of(cluster *c, uint64_t id)
{
	simnode *sn = cluster_by_id(c, id);

	return sn ? sn->nick : "?";
}

/* The node's live members; fails on ids no simulated node has. */
static int
members_of(cluster *c, simnode *sn, uint64_t *ids)
{
	int k = node_members(sn->core, ids, room(c));

	for (int i = 0; i < k; i++)
		if (cluster_by_id(c, ids[i]) == NULL)
			cluster_fail(c, "n%d lists an unknown member %016llx", sn->idx,
				     (unsigned long long)ids[i]);
	return k;
}

static bool
contains(const uint64_t *ids, int k, uint64_t id)
{
	for (int i = 0; i < k; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void
step_node(cluster *c, simnode *sn)
{
	uint64_t *ids = c->ids[0];
	int k = members_of(c, sn, ids);
	uint64_t leader = node_leader(sn->core);

	if (!contains(ids, k, leader))
		cluster_fail(c, "(c) n%d names %s as leader, not one of its live members",
			     sn->idx, nick_of(c, leader));
	if (strcmp(sn->leader, nick_of(c, leader)) != 0)
		cluster_fail(c, "(c) n%d last printed [LEADER] %s but its leader is %s", sn->idx,
			     sn->leader, nick_of(c, leader));
	if (c->large)
		return; /* (d): nicks n0, n1, ... are distinct, as ids are; and k² is costly */
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (nick_same(nick_of(c, ids[i]), nick_of(c, ids[j])))
				cluster_fail(c, "(d) n%d has two live members with nick %s",
					     sn->idx, nick_of(c, ids[i]));
}

void
check_step(cluster *c)
{
	for (int i = 0; i < c->n && !c->failed; i++)
		if (cluster_alive(c, i) && node_announced(c->nodes[i].core))
			step_node(c, &c->nodes[i]);
}

/* --- the end of a run -------------------------------------------------------- */

/* Label the live nodes by part of the knowledge graph; returns how many. */
static int
parts(cluster *c, int *part)
{
	int np = 0;

	int *todo = malloc((size_t)c->n * sizeof *todo);

	if (todo == NULL)
		abort();
	for (int i = 0; i < c->n; i++)
		part[i] = -1;
	/* Each part grows from its first node by acquaintance (n² in all). */
	for (int i = 0; i < c->n; i++) {
		int ntodo = 0;
		if (!cluster_alive(c, i) || part[i] >= 0)
			continue;
		part[i] = np;
		todo[ntodo++] = i;
		while (ntodo > 0) {
			int a = todo[--ntodo];
			for (int b = 0; b < c->n; b++)
				if (part[b] < 0 && cluster_alive(c, b) && cluster_acquainted(c, a, b)) {
					part[b] = np;
					todo[ntodo++] = b;
				}
		}
		np++;
	}
	free(todo);
	return np;
}

/* (a), (b): one member list, one leader, and they are the live nodes. */
static void
final_part(cluster *c, const int *part, int p)
{
	uint64_t *want = c->ids[1], *ids = c->ids[0];
	int nwant = 0, ref = -1;

	for (int i = 0; i < c->n; i++)
		if (part[i] == p)
			want[nwant++] = c->nodes[i].id;
	for (int i = 0; i < c->n && !c->failed; i++) {
		simnode *sn = &c->nodes[i];
		if (part[i] != p)
			continue;
		if (!node_announced(sn->core)) {
			cluster_fail(c, "(a) n%d never announced itself", i);
			return;
		}
		int k = members_of(c, sn, ids);
		bool same = k == nwant;
		for (int j = 0; j < nwant && same; j++)
			same = contains(ids, k, want[j]);
		if (!same) {
			cluster_fail(c, "(a) n%d lists %d live members, not the %d live nodes",
				     i, k, nwant);
			return;
		}
		if (node_leader(sn->core) != ids[0])
			cluster_fail(c, "(a) n%d: leader %s is not its most senior member %s", i,
				     nick_of(c, node_leader(sn->core)), nick_of(c, ids[0]));
		if (ref < 0) {
			ref = i;
			memcpy(want, ids, sizeof ids[0] * (size_t)k);
		} else if (memcmp(want, ids, sizeof ids[0] * (size_t)k) != 0) {
			cluster_fail(c, "(a) n%d and n%d order the members differently", ref, i);
		}
	}
}

static void
final_agreement(cluster *c)
{
	c->parts = parts(c, c->part);
	for (int p = 0; p < c->parts && !c->failed; p++)
		final_part(c, c->part, p);
}

/* (d): distinct nicks; clash pairs resolved; nobody else exited with 3. */
static void
final_nicks(cluster *c)
{
	for (int i = 0; i < c->n; i++) {
		simnode *a = &c->nodes[i];
		if (a->exits[1] || a->exits[2] || (a->exits[0] && !a->left))
			cluster_fail(c, "n%d exited with an unexpected code", i);
		if (a->exits[3] && !a->clash)
			cluster_fail(c, "(d) n%d exited with 3 but its nick is unique", i);
		for (int j = i + 1; j < c->n; j++) {
			simnode *b = &c->nodes[j];
			if (!nick_same(a->nick, b->nick))
				continue;
			if (cluster_alive(c, i) && cluster_alive(c, j)) {
				if (c->part[i] == c->part[j])
					cluster_fail(c, "(d) n%d and n%d both live with nick %s", i,
						     j, a->nick);
			} else if (a->exits[3] + b->exits[3] != 1)
				cluster_fail(c, "(d) of n%d and n%d (%s, %s), %d exited with code 3",
					     i, j, a->nick, b->nick, a->exits[3] + b->exits[3]);
		}
	}
}

/*
 * (e): every checked line was shown exactly once at every live node of its
 * part; and every line was shown by its own sender, if it still runs the
 * life in which it was typed.
 */
static void
final_lines(cluster *c)
{
	for (int k = 0; k < c->nlines && !c->failed; k++) {
		const line_rec *l = &c->lines[k];
		const simnode *from = &c->nodes[l->from];
		/* A line of a member silenced meanwhile may be held, not shown. */
		if (cluster_alive(c, l->from) && from->life == l->life && from->got[k] != 1 &&
		    !from->silenced_ever && !l->refused)
			cluster_fail(c, "n%d showed its own line m%d %d times", l->from, k,
				     from->got[k]);
		if (!l->checked || l->refused || !cluster_alive(c, l->from))
			continue;
		/* The insider's lines may be refused, but alike everywhere. */
		int want = l->from == c->insider ? c->nodes[l->from].got[k] : 1;
		for (int i = 0; i < c->n; i++)
			if (c->part[i] == c->part[l->from] && c->nodes[i].got[k] != want) {
				cluster_fail(c, "(8) n%d showed the insider's line m%d %d times, n%d %d",
					     i, k, c->nodes[i].got[k], l->from, want);
				break;
			}
		for (int i = 0; i < c->n && want == 1; i++)
			if (c->part[i] == c->part[l->from] && c->nodes[i].got[k] != 1) {
				cluster_fail(c, "(e) n%d showed line m%d (from n%d) %d times", i, k,
					     l->from, c->nodes[i].got[k]);
				break;
			}
	}
}

/*
 * (1) No loss: a line that a live node holds, or that its live sender
 * accepted, is held by every live node of that part.  (4) Agreement: the
 * nodes of a part hold the same history: the same count and digest.
 */
static void
final_history(cluster *c)
{
	for (int k = 0; k < c->nlines && !c->failed; k++) {
		const line_rec *l = &c->lines[k];
		const simnode *from = &c->nodes[l->from];
		if (l->refused)
			continue;
		/*
		 * Typed means kept: a live node holds every line it was ever
		 * typed, in any life (SPEC 5.10).  (The insider's own node
		 * refuses its lines after a forged stamp.)
		 */
		if (cluster_alive(c, l->from) && !from->store.has[k] && l->from != c->insider)
			cluster_fail(c, "(1) n%d never stored its own line m%d (typed in life %d)",
				     l->from, k, l->life);
		for (int i = 0; i < c->n && !c->failed; i++) {
			if (!cluster_alive(c, i) || !c->nodes[i].store.has[k])
				continue;
			for (int j = 0; j < c->n; j++)
				if (c->part[j] == c->part[i] && !c->nodes[j].store.has[k]) {
					cluster_fail(c, "(1) n%d holds m%d but n%d does not", i, k, j);
					break;
				}
		}
	}
	/* Directives: the same silences everywhere in a part (the large mode has none). */
	for (int i = 0; i < c->n && !c->failed && !c->large; i++)
		for (int j = 0; j < c->n && cluster_alive(c, i); j++)
			for (int t = 0; t < c->n; t++)
				if (cluster_alive(c, j) && c->part[j] == c->part[i] &&
				    node_is_silenced(c->nodes[i].core, c->nodes[t].id) !=
					    node_is_silenced(c->nodes[j].core, c->nodes[t].id))
					cluster_fail(c, "(5) n%d and n%d disagree on whether n%d is silenced",
						     i, j, t);
	for (int i = 0; i < c->n && !c->failed; i++) {
		char di[33], dj[33];
		if (!cluster_alive(c, i))
			continue;
		node_history_digest(c->nodes[i].core, di);
		for (int j = i + 1; j < c->n; j++) {
			if (!cluster_alive(c, j) || c->part[j] != c->part[i])
				continue;
			node_history_digest(c->nodes[j].core, dj);
			if (strcmp(di, dj) != 0 ||
			    node_history_count(c->nodes[i].core) != node_history_count(c->nodes[j].core)) {
				cluster_fail(c, "(4) n%d and n%d hold different histories (%llu %s, %llu %s)",
					     i, j, (unsigned long long)node_history_count(c->nodes[i].core), di,
					     (unsigned long long)node_history_count(c->nodes[j].core), dj);
				break;
			}
		}
	}
}

typedef struct users {
	char s[2048];
	size_t o;
} users;

static void
user_one(void *arg, const char *nick, bool leader, bool silenced, bool is_guest)
{
	users *u = arg;

	if (u->o < sizeof u->s)
		u->o += (size_t)snprintf(u->s + u->o, sizeof u->s - u->o, "%s%s%s%s ", nick,
					 leader ? "*" : "", silenced ? "!" : "", is_guest ? "~" : "");
}

/*
 * (f) Users: the nodes of a part list the same users (nodes and guests,
 * one order), and no nick twice -- guests' clashes resolved by renames.
 */
static void
final_users(cluster *c)
{
	users *u = malloc((size_t)c->n * sizeof *u);

	if (u == NULL)
		abort();
	for (int i = 0; i < c->n && !c->failed; i++) {
		if (!cluster_alive(c, i))
			continue;
		u[i].o = 0;
		u[i].s[0] = '\0';
		node_each_user(c->nodes[i].core, user_one, &u[i]);
		for (const char *p = u[i].s; *p; p += strcspn(p, " ") + 1)
			for (const char *q = p + strcspn(p, " ") + 1; *q; q += strcspn(q, " ") + 1) {
				size_t a = strcspn(p, "*!~ "), b = strcspn(q, "*!~ ");
				if (nick_equal(p, a, q, b))
					cluster_fail(c, "(f) n%d lists %.*s twice: %s", i, (int)a, p, u[i].s);
			}
		/* The insider's own node may list its guests, refused everywhere else. */
		for (int j = 0; j < i && !c->failed && i != c->insider; j++)
			if (cluster_alive(c, j) && j != c->insider && c->part[j] == c->part[i] &&
			    strcmp(u[i].s, u[j].s))
				cluster_fail(c, "(f) n%d lists \"%s\", n%d \"%s\"", j, u[j].s, i, u[i].s);
	}
	free(u);
}

/*
 * (g) Nothing held is left unshown: a line a live node holds, said since
 * its life began (stamped past the backlog of that life) and at or before the
 * last line it showed, was shown in this life -- unless its sender was
 * silenced, or is the insider.  (Only the backlog from before a node
 * started may be passed over, but for its last lines.)
 */
static void
final_shown(cluster *c)
{
	for (int i = 0; i < c->n && !c->failed; i++) {
		const simnode *sn = &c->nodes[i];
		uint64_t h, s;
		if (!cluster_alive(c, i))
			continue;
		node_shown_key(sn->core, &h, &s);
		for (int k = 0; k < c->nlines; k++) {
			const line_rec *l = &c->lines[k];
			if (!sn->store.has[k] || sn->got[k] || l->refused || l->from == c->insider ||
			    c->nodes[l->from].silenced_ever ||
			    sn->store.key_hlc[k] <= node_backlog_until(sn->core) ||
			    hist_cmp(sn->store.key_hlc[k], sn->store.key_sender[k], h, s) > 0)
				continue;
			cluster_fail(c, "(g) n%d holds m%d, said since it started and before what it "
				     "showed last, but never showed it", i, k);
			return;
		}
	}
}

void
check_final(cluster *c)
{
	if (!c->failed)
		final_agreement(c);
	if (!c->failed)
		final_nicks(c);
	if (!c->failed)
		final_lines(c);
	if (!c->failed)
		final_history(c);
	if (!c->failed)
		final_users(c);
	if (!c->failed)
		final_shown(c);
	check_step(c);
}
