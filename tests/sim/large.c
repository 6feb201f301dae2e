/* large — see large.h: the large-cluster scenario and what it measures. */
#include "large.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define BEAT_FAN 8 /* NODE_BEAT_FAN (node_int.h): others heartbeaten a period */

static uint64_t
pick(cluster *c, uint64_t lo, uint64_t hi)
{
	return rng_range(&c->rng, lo, hi);
}

/* How long a silent member other than the seniors may take to be lost. */
static uint64_t
silence_ms(const cluster *c)
{
	uint64_t spread = ((uint64_t)c->n - 1 + BEAT_FAN - 1) / BEAT_FAN;

	return c->timeout_ms + 2 * (spread - 1) * c->heartbeat_ms;
}

/*
 * The first live node whose view is not the live set (not announced, a
 * member missing, a dead one listed), or -1 when every view is whole.
 */
static int
view_not_whole(cluster *c)
{
	int live = 0;

	for (int i = 0; i < c->n; i++)
		live += cluster_alive(c, i);
	for (int i = 0; i < c->n; i++) {
		if (!cluster_alive(c, i))
			continue;
		if (!node_announced(c->nodes[i].core))
			return i;
		int k = node_members(c->nodes[i].core, c->ids[0], c->n);
		if (k != live)
			return i;
		for (int m = 0; m < k; m++) {
			simnode *o = cluster_by_id(c, c->ids[0][m]);
			if (o == NULL || !cluster_alive(c, o->idx))
				return i;
		}
	}
	return -1;
}

/* Run until every view is whole; a violation if not within limit_ms. */
static bool
await_whole(cluster *c, uint64_t limit_ms, const char *after)
{
	uint64_t limit = c->now + limit_ms;
	int i;

	while (!c->failed && (i = view_not_whole(c)) >= 0) {
		if (c->now >= limit) {
			int k = cluster_alive(c, i) && node_announced(c->nodes[i].core)
					? node_members(c->nodes[i].core, c->ids[0], c->n)
					: -1;
			cluster_fail(c, "(a) %llu ms after %s, n%d's view (%d members%s) is not "
				     "the live set", (unsigned long long)limit_ms, after, i, k,
				     k < 0 ? ", not announced" : "");
			return false;
		}
		cluster_run_until(c, c->now + 100);
	}
	return !c->failed;
}

/* The leader every live node names, or 0 when they differ. */
static uint64_t
one_leader(cluster *c)
{
	uint64_t leader = 0;

	for (int i = 0; i < c->n; i++) {
		if (!cluster_alive(c, i))
			continue;
		uint64_t l = node_leader(c->nodes[i].core);
		if (leader && l != leader)
			return 0;
		leader = l;
	}
	return leader;
}

/* A random live node other than `not`. */
static int
live_other(cluster *c, int not)
{
	for (;;) {
		int i = (int)pick(c, 0, (uint64_t)c->n - 1);
		if (i != not && cluster_alive(c, i))
			return i;
	}
}

static void
joins(cluster *c, large_result *r)
{
	uint64_t t = SIM_T0;

	for (int i = 0; i < c->n && !c->failed; i++) {
		if (i > 0) {
			c->nodes[i].seeds[0] = (int)pick(c, 0, (uint64_t)i - 1);
			c->nodes[i].nseeds = 1;
			t += pick(c, 20, 80);
		}
		cluster_run_until(c, t);
		cluster_start(c, i);
	}
	if (await_whole(c, LARGE_FORM_MS + 60 * (uint64_t)c->n, "the last start"))
		r->formed_ms = c->now - SIM_T0;
	r->join_lost = c->lost_live;
}

static void
quiet(cluster *c, uint64_t settle_ms, large_result *r)
{
	int before = c->lost_live;

	cluster_run_until(c, c->now + settle_ms);
	r->settle_lost = c->lost_live - before;
	c->lost_live = 0;
	c->first_lost[0] = '\0';
	uint64_t f0 = simnet_delivered(c->net), t0 = c->now;
	cluster_run_until(c, c->now + LARGE_QUIET_MS);
	r->quiet_fps = (double)(simnet_delivered(c->net) - f0) /
		       ((double)(c->now - t0) / 1000) / c->n;
	r->quiet_lost = c->lost_live;
	if (c->lost_live && !c->failed)
		cluster_fail(c, "(5.5) %d [LOST] of live nodes in the quiet period; the first: %s",
			     c->lost_live, c->first_lost);
}

/* Kill (or power off) a node; the run then waits for the views to heal. */
static void
kill_one(cluster *c, int i)
{
	cluster_crash(c, i, rng_chance(&c->rng, 50));
}

static void
kill_leader(cluster *c, large_result *r)
{
	uint64_t old = one_leader(c);

	if (old == 0) {
		cluster_fail(c, "(a) the live nodes name different leaders before the failover");
		return;
	}
	int gone = cluster_by_id(c, old)->idx;
	uint64_t t0 = c->now, within = c->timeout_ms + 500, l = 0;
	kill_one(c, gone);
	while (!c->failed && ((l = one_leader(c)) == 0 || l == old) && c->now < t0 + within)
		cluster_run_until(c, c->now + 10);
	if (c->failed)
		return;
	if (l == 0 || l == old) {
		cluster_fail(c, "(5.5) %llu ms after the leader n%d's %s, the live nodes do not "
			     "name one new leader", (unsigned long long)within, gone,
			     c->nodes[gone].powered_off ? "power-off" : "kill");
		return;
	}
	r->failover_ms = c->now - t0;
	cluster_trace(c, "every live node names %s, %llu ms after", cluster_by_id(c, l)->nick,
		      (unsigned long long)r->failover_ms);
}

static void
partition(cluster *c, large_result *r)
{
	int *side = calloc((size_t)c->n, sizeof *side);
	int k = (int)pick(c, 2, 5);

	if (side == NULL)
		abort();
	for (int j = 0; j < k; j++)
		side[live_other(c, -1)] = 1;
	for (int j = 0; j < c->n; j++)
		r->partitioned += side[j];
	cluster_trace(c, "PARTITION: %d nodes cut off", r->partitioned);
	simnet_partition(c->net, side, c->n);
	c->faults = true;
	cluster_run_until(c, c->now + pick(c, 2000, 6000));
	cluster_trace(c, "partition heals");
	simnet_heal(c->net);
	free(side);
}

/* A few lines at a few nodes, in a settled cluster: each must reach all. */
static void
type_lines(cluster *c, large_result *r)
{
	int nl = (int)pick(c, 3, 8), first = c->nlines;

	for (int j = 0; j < nl && !c->failed; j++) {
		int k = cluster_type(c, live_other(c, -1));
		if (k >= 0) {
			c->lines[k].checked = true;
			r->lines++;
		}
		cluster_run_until(c, c->now + pick(c, 50, 300));
	}
	cluster_run_until(c, c->now + 3000);
	for (int k = first; k < c->nlines; k++)
		if (c->lines[k].shown_at > c->lines[k].typed_at + r->shown_ms)
			r->shown_ms = c->lines[k].shown_at - c->lines[k].typed_at;
}

void
large_run(cluster *c, uint64_t settle_ms, large_result *r)
{
	uint64_t heal = silence_ms(c) + 5000 + 20 * (uint64_t)c->n;

	*r = (large_result){0};
	joins(c, r);
	if (!c->failed)
		quiet(c, settle_ms, r);
	if (!c->failed) {
		uint64_t leader = one_leader(c);
		kill_one(c, live_other(c, leader ? cluster_by_id(c, leader)->idx : -1));
		await_whole(c, heal, "a member's crash");
	}
	if (!c->failed) {
		kill_leader(c, r);
		if (!c->failed)
			await_whole(c, heal, "the leader's crash");
	}
	if (!c->failed) {
		partition(c, r);
		await_whole(c, heal, "the partition healed");
	}
	if (!c->failed) {
		cluster_run_until(c, c->now + 1000);
		type_lines(c, r);
		await_whole(c, heal, "the lines typed");
	}
	if (!c->failed)
		check_final(c);
}
