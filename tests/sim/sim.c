/*
 * sim — the deterministic cluster simulator: the driver and the scenario.
 *
 *   build/sim --seeds N     run seeds 1..N, print a summary line
 *   build/sim --seed S -v   replay one seed with a trace of everything
 *
 * One seed is one scenario (all its choices come from the seed):
 *  1. 3..5 nodes start, staggered; the first alone, each later one through
 *     a random earlier node.  Sometimes two of them claim one nick in
 *     different cases ("bob", "Bob") at the same moment.
 *  2. One of three kinds of run:
 *     - quiet: no faults at all;
 *     - failover: once the cluster has settled, its leader is killed,
 *       powered off or stalled, and every other node must name one new
 *       leader within 0.5 s of a kill (the links break), within
 *       timeout + 0.5 s of a silent failure (SPEC 5.5);
 *     - faults: random faults for a few virtual seconds: crashes (killed,
 *       or powered off), restarts, link breaks, partitions, stalls,
 *       graceful leaves.
 *     In three scenarios of ten the last node is an insider: a member
 *     running a modified binary, which writes lines under other nodes'
 *     nicks (members' and IRC users') and directives while it does not lead
 *     (cluster_insider_act).
 *     Chat lines are typed throughout, one in four by a node's guest (an
 *     IRC user attached to it, written into the history by the node):
 *     usually "g<i>" on node i, sometimes another node's "g<j>" -- a user
 *     who moved on (a takeover) or one who took a nick in use across a
 *     partition (a clash, settled by a rename).
 *  3. Everything heals: partitions end, stalls resume, some crashed nodes
 *     come back.  Once every live node has announced itself, the cluster
 *     runs quietly for 3 s (more than timeout + 2 heartbeats), with a few
 *     chat lines typed in it, and check.h's final invariants are judged.
 *
 * A violation prints the seed, the reason and the command that replays it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check.h"
#include "cluster.h"

#define QUIET_MS 3000       /* > timeout (1000) + 2 heartbeats (400) + slack */
#define JOIN_LIMIT_MS 12000 /* after healing, every node must be in by then */

/* What the runs did, summed over seeds: evidence that faults happen. */
static struct stats {
	unsigned long kills, poweroffs, restarts, breaks, partitions, stalls, leaves;
	unsigned long clashes, quiet, lines, checked, frames, splits, failovers, lates, recalls;
	unsigned long directives, guest_lines, renames, takeovers, insiders, forgeries;
} stats;

typedef struct scenario {
	cluster *c;
	uint64_t start_at[SIM_MAX_NODES];
	int started;
	bool quiet;              /* no random faults */
	bool failover;           /* a quiet run whose leader fails once */
	uint64_t faults_end;     /* the heal */
	uint64_t next_fault;
	uint64_t next_type;
	uint64_t stall_end[SIM_MAX_NODES];
	uint64_t partition_end;
	uint64_t down_since[SIM_MAX_NODES];
} scenario;

static rng *
R(scenario *s)
{
	return &s->c->rng;
}

static uint64_t
pick(scenario *s, uint64_t lo, uint64_t hi)
{
	return rng_range(R(s), lo, hi);
}

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

static void
plan(scenario *s)
{
	cluster *c = s->c;

	uint64_t kind = pick(s, 0, 99);
	s->quiet = kind < 35;
	s->failover = kind < 15;
	s->start_at[0] = SIM_T0;
	for (int i = 1; i < c->n; i++)
		s->start_at[i] = s->start_at[i - 1] + pick(s, 0, 400);
	if (rng_chance(R(s), 35))
		plan_clash(s);
	if (rng_chance(R(s), 30)) {
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

/* --- faults ----------------------------------------------------------------- */

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
static bool
may_die(scenario *s, int i)
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

	if (sn->store.npeers > 0 && rng_chance(R(s), 25)) {
		sn->nseeds = 0;
		stats.recalls++;
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
	simnet_partition(c->net, side, c->n);
	stats.partitions++;
	c->faults = true;
	s->partition_end = c->now + pick(s, 200, 3000);
}

static void
heal_partition(scenario *s)
{
	cluster_trace(s->c, "partition heals");
	simnet_heal(s->c->net);
	s->partition_end = 0;
}

static void
note_down(scenario *s, int i)
{
	s->down_since[i] = s->c->now;
}

/* One random fault, as the state of the cluster allows. */
static void
fault(scenario *s)
{
	cluster *c = s->c;
	uint64_t r = pick(s, 0, 99);
	int i;

	if (r < 20 && (i = choose(s, may_die)) >= 0) {
		bool rst = rng_chance(R(s), 80);
		cluster_crash(c, i, rst);
		note_down(s, i);
		rst ? stats.kills++ : stats.poweroffs++;
	} else if (r < 40 && (i = choose(s, may_restart)) >= 0) {
		restart(s, i);
		stats.restarts++;
	} else if (r < 55) {
		if (simnet_break_random(c->net, c->now)) {
			cluster_trace(c, "a link BREAKS");
			c->faults = true;
			stats.breaks++;
		}
	} else if (r < 70) {
		if (s->partition_end)
			heal_partition(s);
		else
			partition(s);
	} else if (r < 90 && (i = choose(s, may_stall)) >= 0) {
		cluster_stall(c, i, true);
		s->stall_end[i] = c->now + pick(s, 100, 2500);
		stats.stalls++;
	} else if (r >= 95 && (i = choose(s, may_die)) >= 0) {
		cluster_leave(c, i);
		note_down(s, i);
		stats.leaves++;
	}
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
	bool silence = rng_chance(R(s), 60);
	snprintf(line, sizeof line, "!%s %s", silence ? "silence" : "unsilence", c->nodes[t].nick);
	/* Nicks match without regard to case: mark whoever it may hit. */
	for (int k = 0; k < c->n && silence; k++)
		if (strcasecmp(c->nodes[k].nick, c->nodes[t].nick) == 0)
			c->nodes[k].silenced_ever = true;
	stats.directives++;
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
			heal_partition(s);
		if (!s->quiet && t == s->next_fault) {
			fault(s);
			s->next_fault = t + pick(s, 100, 700);
		}
		if (t == s->next_type) {
			if (c->insider >= 0 && rng_chance(R(s), 8))
				cluster_insider_act(c);
			else if (!s->quiet && rng_chance(R(s), 4))
				direct(s);
			else
				type_line(s, s->quiet);
			s->next_type = t + pick(s, 5, 150);
		}
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

/* Heal everything; bring some crashed nodes back. */
static void
heal(scenario *s)
{
	cluster *c = s->c;

	cluster_trace(c, "HEAL");
	while (s->started < c->n)
		cluster_start(c, s->started++);
	if (s->partition_end)
		heal_partition(s);
	for (int i = 0; i < c->n; i++)
		if (s->stall_end[i]) {
			s->stall_end[i] = 0;
			cluster_stall(c, i, false);
		}
	for (int i = 0; i < c->n; i++)
		if (may_restart(s, i) && rng_chance(R(s), 50)) {
			restart(s, i);
			stats.restarts++;
		}
	while (revive_seeds(s))
		;
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

/* Wait for every live node to be in, then run quietly and judge. */
static void
run_quiet(scenario *s)
{
	cluster *c = s->c;

	if (!await_joins(s, JOIN_LIMIT_MS))
		return;
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

static void
account(scenario *s)
{
	cluster *c = s->c;

	stats.quiet += s->quiet && !s->failover;
	stats.lines += (unsigned long)c->nlines;
	stats.renames += (unsigned long)c->renames;
	stats.takeovers += (unsigned long)c->takeovers;
	for (int k = 0; k < c->nlines; k++) {
		stats.checked += c->lines[k].checked;
		stats.guest_lines += c->lines[k].guest;
	}
	for (int i = 0; i < c->n; i++)
		stats.clashes += (unsigned long)c->nodes[i].exits[3];
	for (int i = 0; i < c->n; i++)
		stats.lates += (unsigned long)c->nodes[i].lates;
	stats.frames += simnet_delivered(c->net);
	stats.splits += c->parts > 1;
	stats.insiders += c->insider >= 0;
	stats.forgeries += (unsigned long)c->forgeries;
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
	uint64_t how = may_die(s, gone) ? pick(s, 0, 2) : 2, within;
	if (how == 2) {
		cluster_stall(c, gone, true);
		s->stall_end[gone] = c->now + 3 * c->timeout_ms;
	} else {
		cluster_crash(c, gone, how == 0);
		note_down(s, gone);
	}
	within = how == 0 ? 500 : c->timeout_ms + 500;
	cluster_run_until(c, c->now + within);
	if (!c->failed)
		check_failover(s, gone, how == 0 ? "killed" : how == 1 ? "powered off" : "stalled",
			       within);
	stats.failovers++;
}

/* Run one seed; returns true when every invariant held. */
static bool
run_seed(uint64_t seed, bool verbose, bool per_seed, uint64_t *virtual_ms)
{
	static cluster c;
	rng r;
	scenario s = {.c = &c};

	rng_seed(&r, seed);
	cluster_init(&c, rng_next(&r), (int)rng_range(&r, 3, SIM_MAX_NODES), verbose);
	plan(&s);
	if (verbose)
		printf("seed %" PRIu64 ": %d nodes, %s\n", seed, c.n,
		       s.failover ? "failover" : s.quiet ? "no faults" : "faults");
	run_faults(&s);
	if (s.failover && !c.failed)
		failover(&s);
	if (!c.failed) {
		heal(&s);
		run_quiet(&s);
	}
	*virtual_ms += c.now - SIM_T0;
	account(&s);
	bool ok = !c.failed;
	if (!ok)
		printf("sim: seed %" PRIu64 " FAILED at %.3f s: %s\n", seed,
		       (double)(c.now - SIM_T0) / 1000, c.why);
	if (per_seed)
		printf("seed %" PRIu64 " %s end %.3f s lines %d frames %llu events %016llx frames %016llx\n",
		       seed, ok ? "ok" : "FAILED", (double)(c.now - SIM_T0) / 1000, c.nlines,
		       (unsigned long long)simnet_delivered(c.net), (unsigned long long)c.events_hash,
		       (unsigned long long)c.frames_hash);
	cluster_free(&c);
	return ok;
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --seeds N | --seed S [-v] [--per-seed]\n", prog);
	return 2;
}

int
main(int argc, char **argv)
{
	uint64_t first = 1, last = 0, vms = 0;
	bool verbose = false, one = false, per_seed = false;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			last = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			first = last = strtoull(argv[++i], NULL, 10);
			one = true;
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--per-seed") == 0) {
			per_seed = true; /* one line a seed: what it did, hashed */
		} else {
			return usage(argv[0]);
		}
	}
	if (last < first)
		return usage(argv[0]);
	clock_t t0 = clock();
	for (uint64_t seed = first; seed <= last; seed++) {
		if (run_seed(seed, verbose, per_seed, &vms))
			continue;
		printf("sim: reproduce with: %s --seed %" PRIu64 " -v\n", argv[0], seed);
		if (++failed == 10)
			break;
	}
	double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (failed) {
		printf("sim: %d failing seed(s)\n", failed);
		return 1;
	}
	printf("sim: %" PRIu64 " seed%s ok (%.1f virtual s, %.1f s cpu)\n", last - first + 1,
	       one ? "" : "s", (double)vms / 1000, cpu);
	printf("sim: %lu quiet runs, %lu failovers; %lu kills, %lu power-offs, %lu restarts "
	       "(%lu without --join), %lu leaves, "
	       "%lu link breaks, %lu partitions, %lu stalls, %lu nick clashes lost; "
	       "%lu lines typed (%lu by guests; %lu guests taken over, %lu renamed), %lu checked everywhere, %lu shown late, %lu directives; "
	       "%lu insiders forged %lu lines and directives; %lu frames delivered; "
	       "%lu runs ended split by knowledge (judged per part)\n",
	       stats.quiet, stats.failovers, stats.kills, stats.poweroffs, stats.restarts,
	       stats.recalls, stats.leaves,
	       stats.breaks, stats.partitions, stats.stalls, stats.clashes, stats.lines,
	       stats.guest_lines, stats.takeovers, stats.renames, stats.checked, stats.lates, stats.directives, stats.insiders, stats.forgeries, stats.frames,
	       stats.splits);
	return 0;
}
