/*
 * fault — the faults of a scenario (scenario.h): which node may crash,
 * leave, restart or stall; one random fault as the cluster's state allows
 * (a crash, a restart, a link break, a partition or its end, a stall, a
 * leave); and the heal that ends them all.
 */
#include <stdio.h>

#include "scenario.h"
#include "simbroker.h"

/* A random node for which ok() holds, or -1. */
static int
choose(scenario *s, bool (*ok)(scenario *, int))
{
	int cand[SIM_MAX_NODES], k = 0;

	for (int i = 0; i < s->c->n; i++)
		if (ok(s, i))
			cand[k++] = i;
	return k ? cand[pick(s, 0, (uint64_t)k - 1)] : -1;
}

/*
 * A member others can join through: in, and sure to stay (no clash, not
 * leaving: a leave waits for the lines typed before it to go out).
 */
static bool
good_seed(scenario *s, int i)
{
	return cluster_alive(s->c, i) && !s->c->nodes[i].clash && !s->c->nodes[i].leaving &&
	       node_announced(s->c->nodes[i].core);
}

/*
 * Crash or leave: never a clash node, and never the last good seed, so
 * that a restart always has a member to join through.
 */
bool
fault_may_die(scenario *s, int i)
{
	if (!cluster_alive(s->c, i) || s->c->nodes[i].clash)
		return false;
	for (int j = 0; j < s->c->n; j++)
		if (j != i && good_seed(s, j))
			return true;
	return false;
}

static bool
may_restart(scenario *s, int i)
{
	sn_state st = s->c->nodes[i].state;

	return (st == SN_CRASHED || st == SN_EXITED) && !s->c->nodes[i].clash &&
	       s->c->now - s->down_since[i] >= 50;
}

static bool
may_stall(scenario *s, int i)
{
	return cluster_alive(s->c, i) && !s->c->nodes[i].stalled;
}

/*
 * A restart joins through one or two good seeds (there is always one), or
 * now and then with no seed at all, through the members it remembers.
 */
static void
restart(scenario *s, int i)
{
	simnode *sn = &s->c->nodes[i];
	int k = 0;

	if (s->c->broker) { /* no --join on a broker: the roll call finds the chat */
		cluster_start(s->c, i);
		return;
	}
	if (sn->store.npeers > 0 && chance(s, 25)) {
		sn->nseeds = 0;
		s->stats->recalls++;
		cluster_start(s->c, i);
		return;
	}

	for (int tries = 0; tries < 2; tries++) {
		int j = choose(s, good_seed);
		if (j >= 0 && !(k == 1 && sn->seeds[0] == j))
			sn->seeds[k++] = j;
	}
	if (k == 0) {
		cluster_fail(s->c, "sim: no member left to join through");
		return;
	}
	sn->nseeds = k;
	cluster_start(s->c, i);
}

static void
partition(scenario *s)
{
	cluster *c = s->c;
	int side[SIM_MAX_NODES], ones = 0;

	do {
		ones = 0;
		for (int i = 0; i < c->n; i++)
			ones += side[i] = (int)pick(s, 0, 1);
	} while (ones == 0 || ones == c->n);
	cluster_trace(c, "PARTITION:%s%s%s%s%s |%s%s%s%s%s",
		      side[0] ? "" : " n0", c->n > 1 && !side[1] ? " n1" : "",
		      c->n > 2 && !side[2] ? " n2" : "", c->n > 3 && !side[3] ? " n3" : "",
		      c->n > 4 && !side[4] ? " n4" : "", side[0] ? " n0" : "",
		      c->n > 1 && side[1] ? " n1" : "", c->n > 2 && side[2] ? " n2" : "",
		      c->n > 3 && side[3] ? " n3" : "", c->n > 4 && side[4] ? " n4" : "");
	if (c->broker) {
		/*
		 * The broker is on side 0's side of the cut: side 1's connections
		 * hang (no AMQP heartbeats: nobody notices but the cores).
		 */
		for (int i = 0; i < c->n; i++)
			simbroker_hang(c->broker_net, i, side[i] == 1);
		s->stats->hangs++;
	} else {
		simnet_partition(c->net, side, c->n);
	}
	s->stats->partitions++;
	c->faults = true;
	s->partition_end = c->now + pick(s, 200, 3000);
}

void
fault_heal_partition(scenario *s)
{
	cluster_trace(s->c, "partition heals");
	simnet_heal(s->c->net);
	for (int i = 0; s->c->broker && i < s->c->n; i++)
		simbroker_hang(s->c->broker_net, i, false);
	s->partition_end = 0;
}

void
fault_note_down(scenario *s, int i)
{
	s->down_since[i] = s->c->now;
}

/*
 * On a broker, in the place of a link break: the broker restarts empty, or
 * one node's connection to it drops (each as its flag allows).
 */
static void
broker_fault(scenario *s)
{
	cluster *c = s->c;
	bool restart = c->bopts.restart && (!c->bopts.drop_conn || chance(s, 30));
	int i;

	if (restart) {
		uint64_t down = pick(s, 0, 1) ? pick(s, 10, 300) : pick(s, 300, 3000);
		cluster_trace(c, "the BROKER RESTARTS (down %llu ms)", (unsigned long long)down);
		simbroker_restart(c->broker_net, c->now, down);
		c->faults = true;
	} else if (c->bopts.drop_conn && (i = choose(s, may_stall)) >= 0) {
		uint64_t outage = pick(s, 0, 2) ? 0 : pick(s, 100, 2500);
		if (simbroker_drop_conn(c->broker_net, i, c->now, outage)) {
			cluster_trace(c, "n%d's BROKER CONNECTION DROPS (out %llu ms)", i,
				      (unsigned long long)outage);
			c->faults = true;
		}
	}
}

void
fault_random(scenario *s)
{
	cluster *c = s->c;
	uint64_t r = pick(s, 0, 99);
	int i;

	if (r < 20 && (i = choose(s, fault_may_die)) >= 0) {
		bool rst = chance(s, 80);
		cluster_crash(c, i, rst);
		fault_note_down(s, i);
		rst ? s->stats->kills++ : s->stats->poweroffs++;
	} else if (r < 40 && (i = choose(s, may_restart)) >= 0) {
		restart(s, i);
		s->stats->restarts++;
	} else if (r < 55 && c->broker) {
		broker_fault(s);
	} else if (r < 55) {
		if (simnet_break_random(c->net, c->now)) {
			cluster_trace(c, "a link BREAKS");
			c->faults = true;
			s->stats->breaks++;
		}
	} else if (r < 70) {
		if (s->partition_end)
			fault_heal_partition(s);
		else
			partition(s);
	} else if (r < 90 && (i = choose(s, may_stall)) >= 0) {
		cluster_stall(c, i, true);
		s->stall_end[i] = c->now + pick(s, 100, 2500);
		s->stats->stalls++;
	} else if (r >= 95 && (i = choose(s, fault_may_die)) >= 0) {
		cluster_leave(c, i);
		fault_note_down(s, i);
		s->stats->leaves++;
	}
}

/* A live node still probing through seeds that are all down gets one back. */
static bool
revive_seeds(scenario *s)
{
	cluster *c = s->c;

	for (int i = 0; i < c->n; i++) {
		simnode *sn = &c->nodes[i];
		if (!cluster_alive(c, i) || node_announced(sn->core))
			continue;
		bool any = false;
		for (int k = 0; k < sn->nseeds; k++)
			any |= cluster_alive(c, sn->seeds[k]);
		sn_state st = c->nodes[sn->seeds[0]].state;
		if (!any && (st == SN_CRASHED || st == SN_EXITED)) {
			restart(s, sn->seeds[0]);
			return true;
		}
	}
	return false;
}

void
fault_heal(scenario *s)
{
	cluster *c = s->c;

	cluster_trace(c, "HEAL");
	while (s->started < c->n)
		cluster_start(c, s->started++);
	if (s->partition_end)
		fault_heal_partition(s);
	for (int i = 0; i < c->n; i++)
		if (s->stall_end[i]) {
			s->stall_end[i] = 0;
			cluster_stall(c, i, false);
		}
	if (c->broker) { /* no more chaos, no outage: the broker is there for all */
		simbroker_chaos(c->broker_net, 0, 0, 0, 0);
		simbroker_heal(c->broker_net, c->now);
	}
	for (int i = 0; i < c->n; i++)
		if (may_restart(s, i) && chance(s, 50)) {
			restart(s, i);
			s->stats->restarts++;
		}
	while (!c->broker && revive_seeds(s))
		;
}
