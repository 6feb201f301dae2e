/*
 * scenario — see scenario.h: the plan of a seed, and the phases it runs
 * through (the faults, a failover, the quiet end that check_final judges).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "roll.h"
#include "scenario.h"
#include "simbroker.h"

#define QUIET_MS 3000       /* > timeout (1000) + 2 heartbeats (400) + slack */
#define JOIN_LIMIT_MS 12000 /* after healing, every node must be in by then */
/* On a broker, chats founded apart (a roll call lost) merge by calling again. */
#define MERGE_LIMIT_MS (ROLL_AGAIN_MS + 5000)

/* --- the plan ------------------------------------------------------------- */

/* The earlier nodes a joiner may go through: never one of a clash pair. */
static void
plan_seed(scenario *s, int i)
{
	cluster *c = s->c;
	int cand[SIM_MAX_NODES], k = 0;

	for (int j = 0; j < i; j++)
		if (!c->nodes[j].clash)
			cand[k++] = j;
	c->nodes[i].seeds[0] = cand[pick(s, 0, (uint64_t)k - 1)];
	c->nodes[i].nseeds = 1;
}

static void
plan_clash(scenario *s)
{
	static const char *const bobs[] = {"bob", "Bob", "BOB", "bOb"};
	cluster *c = s->c;
	int a = (int)pick(s, 1, (uint64_t)c->n - 2);
	int va = (int)pick(s, 0, 3), vb = (va + 1 + (int)pick(s, 0, 2)) % 4;

	snprintf(c->nodes[a].nick, sizeof c->nodes[a].nick, "%s", bobs[va]);
	snprintf(c->nodes[a + 1].nick, sizeof c->nodes[a + 1].nick, "%s", bobs[vb]);
	c->nodes[a].clash = c->nodes[a + 1].clash = true;
	s->start_at[a + 1] = s->start_at[a];
}

void
scenario_plan(scenario *s)
{
	cluster *c = s->c;

	uint64_t kind = pick(s, 0, 99);
	s->quiet = kind < 35;
	s->failover = kind < 15;
	s->start_at[0] = SIM_T0;
	for (int i = 1; i < c->n; i++)
		s->start_at[i] = s->start_at[i - 1] + pick(s, 0, 400);
	if (chance(s, 35))
		plan_clash(s);
	if (chance(s, 30)) {
		c->insider = c->n - 1; /* the last to start: rarely the leader */
		c->nodes[c->insider].silenced_ever = true; /* its own lines may be refused */
	}
	for (int i = 1; i < c->n; i++)
		plan_seed(s, i);
	s->next_fault = s->start_at[1] + pick(s, 0, 1200);
	s->faults_end = s->next_fault + pick(s, 1000, 8000);
	if (s->quiet) /* type through the joins, and a while after */
		s->faults_end = s->start_at[c->n - 1] + pick(s, 300, 2000);
	s->next_type = SIM_T0 + pick(s, 20, 300);
}

/* --- the run ------------------------------------------------------------------ */

/*
 * A node that leads in its own view silences or unsilences another.  (It
 * may be wrong about leading: then it is refused, and that is checked too:
 * nothing changes anywhere.)
 */
static void
direct(scenario *s)
{
	cluster *c = s->c;
	int i = (int)pick(s, 0, (uint64_t)c->n - 1), t = (int)pick(s, 0, (uint64_t)c->n - 1);
	char line[64];

	if (!cluster_alive(c, i) || t == i || i == c->insider)
		return;
	bool silence = chance(s, 60);
	snprintf(line, sizeof line, "!%s %s", silence ? "silence" : "unsilence", c->nodes[t].nick);
	/* Nicks match without regard to case: mark whoever it may hit. */
	for (int k = 0; k < c->n && silence; k++)
		if (strcasecmp(c->nodes[k].nick, c->nodes[t].nick) == 0)
			c->nodes[k].silenced_ever = true;
	s->stats->directives++;
	cluster_command(c, i, line);
}

/* Before the quiet run: the leader lifts every silence it knows of. */
static void
unsilence_all(scenario *s)
{
	cluster *c = s->c;
	char line[64];

	for (int i = 0; i < c->n; i++) {
		if (!cluster_alive(c, i) || node_leader(c->nodes[i].core) != c->nodes[i].id)
			continue;
		for (int t = 0; t < c->n; t++)
			if (node_is_silenced(c->nodes[i].core, c->nodes[t].id)) {
				snprintf(line, sizeof line, "!unsilence %s", c->nodes[t].nick);
				cluster_command(c, i, line);
			}
	}
}

/* A line, now and then a burst of 24 (more than a joiner's [HISTORY]), at one node. */
static void
type_line(scenario *s, bool checked)
{
	int i = (int)pick(s, 0, (uint64_t)s->c->n - 1);
	bool ok = checked && cluster_all_announced(s->c);
	int burst = pick(s, 0, 19) == 0 ? 24 : 1;

	for (int b = 0; b < burst; b++) {
		/* One line in four comes from the node's guest, an IRC user. */
		int k = pick(s, 0, 3) == 0 ? cluster_guest_type(s->c, i) : cluster_type(s->c, i);
		if (k >= 0)
			s->c->lines[k].checked = ok;
	}
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Starts, faults, stall ends, partition ends and typing, until the heal. */
static void
run_faults(scenario *s)
{
	cluster *c = s->c;

	if (c->broker && c->bopts.msg && !s->quiet) /* per mille of the messages routed */
		simbroker_chaos(c->broker_net, 10, 10, 20, 10);

	for (;;) {
		uint64_t t = s->faults_end;
		if (s->started < c->n)
			t = min_u64(t, s->start_at[s->started]);
		if (!s->quiet)
			t = min_u64(t, s->next_fault);
		t = min_u64(t, s->next_type);
		for (int i = 0; i < c->n; i++)
			if (s->stall_end[i])
				t = min_u64(t, s->stall_end[i]);
		if (s->partition_end)
			t = min_u64(t, s->partition_end);
		cluster_run_until(c, t);
		if (c->failed || t >= s->faults_end)
			return;
		if (s->started < c->n && t == s->start_at[s->started]) {
			cluster_start(c, s->started++);
			continue;
		}
		for (int i = 0; i < c->n; i++)
			if (s->stall_end[i] == t) {
				s->stall_end[i] = 0;
				cluster_stall(c, i, false);
			}
		if (s->partition_end == t)
			fault_heal_partition(s);
		if (!s->quiet && t == s->next_fault) {
			fault_random(s);
			s->next_fault = t + pick(s, 100, 700);
		}
		if (t == s->next_type) {
			if (c->insider >= 0 && chance(s, 8))
				cluster_insider_act(c);
			else if (!s->quiet && chance(s, 4))
				direct(s);
			else
				type_line(s, s->quiet);
			s->next_type = t + pick(s, 5, 150);
		}
	}
}

/* Run until every live node is in; false (a violation) if one never is. */
static bool
await_joins(scenario *s, uint64_t limit_ms)
{
	cluster *c = s->c;
	uint64_t limit = c->now + limit_ms;

	while (!c->failed && !cluster_all_announced(c)) {
		if (c->now >= limit) {
			for (int i = 0; i < c->n; i++)
				if (cluster_alive(c, i) && !node_announced(c->nodes[i].core))
					cluster_fail(c, "(a) n%d has not joined %llu ms after the heal",
						     i, (unsigned long long)limit_ms);
			return false;
		}
		cluster_run_until(c, c->now + 50);
	}
	return !c->failed;
}

/* Whether every live node lists every live node, and no other, as its members. */
static bool
one_chat(cluster *c)
{
	uint64_t ids[16];

	for (int i = 0; i < c->n; i++) {
		if (!cluster_alive(c, i))
			continue;
		int k = node_members(c->nodes[i].core, ids, 16), want = 0;
		for (int j = 0; j < c->n; j++) {
			if (!cluster_alive(c, j))
				continue;
			want++;
			bool in = false;
			for (int m = 0; m < k; m++)
				in |= ids[m] == c->nodes[j].id;
			if (!in)
				return false;
		}
		if (k != want)
			return false;
	}
	return true;
}

/*
 * On a broker: give chats founded apart (a roll call the broker lost) the
 * time to find each other by calling again (ROLL_AGAIN_MS), as a real
 * chat would; those that do not are judged by check_final and fail.
 */
static void
await_one_chat(scenario *s)
{
	cluster *c = s->c;
	uint64_t from = c->now, limit = c->now + MERGE_LIMIT_MS;

	while (!c->failed && !one_chat(c) && c->now < limit)
		cluster_run_until(c, c->now + 100);
	s->stats->merge_waits += c->now - from > 2000;
	if (c->now - from > 2000)
		cluster_trace(c, "the live nodes took %llu ms to be one chat again",
			      (unsigned long long)(c->now - from));
}

/* Wait for every live node to be in, then run quietly and judge. */
static void
run_quiet(scenario *s)
{
	cluster *c = s->c;

	if (!await_joins(s, JOIN_LIMIT_MS))
		return;
	if (c->broker)
		await_one_chat(s);
	cluster_run_until(c, c->now + 600);
	unsilence_all(s);
	uint64_t end = c->now + QUIET_MS;
	/* Lines typed once the views have settled must reach everyone. */
	uint64_t t = c->now + 1600;
	while (!c->failed && t < end - 600) {
		cluster_run_until(c, t);
		type_line(s, true);
		t += pick(s, 50, 300);
	}
	cluster_run_until(c, end);
	if (!c->failed)
		check_final(c);
}

/* Every live node but `gone` names one leader, and not `gone`. */
static void
check_failover(scenario *s, int gone, const char *how, uint64_t within)
{
	cluster *c = s->c;
	uint64_t leader = 0;

	for (int i = 0; i < c->n && !c->failed; i++) {
		if (i == gone || !cluster_alive(c, i))
			continue;
		uint64_t l = node_leader(c->nodes[i].core);
		if (l == c->nodes[gone].id || (leader && l != leader))
			cluster_fail(c, "(5.5) %llu ms after the leader n%d was %s, n%d names %s",
				     (unsigned long long)within, gone, how, i,
				     cluster_by_id(c, l)->nick);
		leader = l;
	}
}

/* Settle, then fail the leader once and time the failover. */
static void
failover(scenario *s)
{
	cluster *c = s->c;

	if (!await_joins(s, JOIN_LIMIT_MS))
		return;
	cluster_run_until(c, c->now + 1500);
	int gone = cluster_by_id(c, node_leader(c->nodes[0].core))->idx;
	for (int i = 0; i < c->n; i++)
		if (cluster_alive(c, i) && node_leader(c->nodes[i].core) != c->nodes[gone].id)
			cluster_fail(c, "(a) n%d and n0 disagree on the leader after settling", i);
	for (int k = 0; k < c->nlines; k++)
		c->lines[k].checked = false; /* the leader may come back without them */
	uint64_t how = fault_may_die(s, gone) ? pick(s, 0, 2) : 2, within;
	/* On a broker, now and then the leader's connection to it drops instead. */
	if (c->broker && c->bopts.drop_conn && chance(s, 40))
		how = 3;
	if (how == 3) {
		s->stats->conn_failovers++;
		cluster_trace(c, "n%d's BROKER CONNECTION DROPS (for %u ms)", gone,
			      3 * c->timeout_ms);
		simbroker_drop_conn(c->broker_net, gone, c->now, 3 * c->timeout_ms);
		c->faults = true;
	} else if (how == 2) {
		cluster_stall(c, gone, true);
		s->stall_end[gone] = c->now + 3 * c->timeout_ms;
	} else {
		cluster_crash(c, gone, how == 0);
		fault_note_down(s, gone);
	}
	within = how == 0 || how == 3 ? 500 : c->timeout_ms + 500;
	cluster_run_until(c, c->now + within);
	if (!c->failed)
		check_failover(s, gone,
			       how == 0   ? "killed"
			       : how == 1 ? "powered off"
			       : how == 2 ? "stalled"
					  : "cut off the broker",
			       within);
	s->stats->failovers++;
}

void
scenario_run(scenario *s)
{
	run_faults(s);
	if (s->failover && !s->c->failed)
		failover(s);
	if (!s->c->failed) {
		fault_heal(s);
		run_quiet(s);
	}
}
