/*
 * sim — the deterministic cluster simulator: the driver.
 *
 *   build/sim --seeds N     run seeds 1..N, print a summary line
 *   build/sim --seed S -v   replay one seed with a trace of everything
 *   build/sim ... --per-seed  one line a seed, hashed: compare two builds
 *   build/sim ... --relay     clock reports through the seniors (node_report.c)
 *                             at every size, not only from NODE_RELAY_FROM on
 *                             (--no-relay: at none, to compare)
 *   build/sim ... --broker    the nodes on a fake RabbitMQ broker (simbroker.h,
 *                             bnode.h), and its faults: --broker-msg (messages
 *                             dropped, duplicated, delayed, reordered),
 *                             --broker-restart, --broker-drop-conn (one node's
 *                             connection), --broker-skew (clocks seconds apart),
 *                             --broker-all (every one)
 *   build/sim --size N --seeds K  the large mode: N nodes (6..SIM_LARGE_MAX), one
 *                             simpler scenario (large.h); a line a seed, with the
 *                             frames per node and second of its quiet period
 *                             (--settle-ms MS: from formed to quiet, default 2000)
 *
 * One seed is one scenario (scenario.h says what it does) on a cluster
 * (cluster.h), judged by check.h's invariants; report.h prints the results.
 * A violation prints the seed, the reason and the command that replays it.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "large.h"
#include "report.h"
#include "scenario.h"

static sim_stats stats;
static broker_opts bopts; /* --broker and its faults: off, the mesh */
/* --relay: 1, clock reports through the seniors at any size; --no-relay: never */
static unsigned relay_from;

/* Run one seed; returns true when every invariant held. */
static bool
run_seed(uint64_t seed, bool verbose, bool per_seed, uint64_t *virtual_ms)
{
	static cluster c;
	rng r;
	scenario s = {.c = &c, .stats = &stats};

	rng_seed(&r, seed);
	cluster_init(&c, rng_next(&r), (int)rng_range(&r, 3, SIM_MAX_NODES), verbose);
	cluster_use_broker(&c, &bopts);
	c.relay_from = relay_from;
	scenario_plan(&s);
	if (verbose)
		printf("seed %" PRIu64 ": %d nodes, %s%s\n", seed, c.n,
		       s.failover ? "failover" : s.quiet ? "no faults" : "faults",
		       c.broker ? ", on a broker" : "");
	scenario_run(&s);
	*virtual_ms += c.now - SIM_T0;
	report_account(&s);
	bool ok = !c.failed;
	report_seed(&c, seed, per_seed);
	cluster_free(&c);
	return ok;
}

/* The large mode's runs, summed. */
static struct {
	int runs;
	double fps_min, fps_max, fps_sum;
	uint64_t formed_max, failover_max;
	int join_lost;
} large_sum;

/* Run one seed of the large mode on n nodes; true when every check held. */
static bool
run_large(uint64_t seed, int n, uint64_t settle_ms, bool verbose, uint64_t *virtual_ms)
{
	static cluster c;
	large_result r;
	rng g;

	rng_seed(&g, seed);
	cluster_init(&c, rng_next(&g), n, verbose);
	c.relay_from = relay_from;
	if (verbose)
		printf("seed %" PRIu64 ": %d nodes, the large scenario\n", seed, c.n);
	large_run(&c, settle_ms, &r);
	*virtual_ms += c.now - SIM_T0;
	bool ok = !c.failed;
	if (ok) {
		printf("seed %" PRIu64 " ok: %d nodes formed in %.1f s ([LOST] of live nodes: %d "
		       "while joining, %d settling); quiet %d s: %.2f frames/s a node, 0 [LOST]; "
		       "new leader in %" PRIu64 " ms; %d cut off; %d lines, shown everywhere "
		       "within %" PRIu64 " ms; end %.1f s; %.0f kframes\n",
		       seed, n, (double)r.formed_ms / 1000, r.join_lost, r.settle_lost,
		       LARGE_QUIET_MS / 1000,
		       r.quiet_fps, r.failover_ms, r.partitioned, r.lines, r.shown_ms,
		       (double)(c.now - SIM_T0) / 1000, (double)simnet_delivered(c.net) / 1e3);
		if (large_sum.runs == 0 || r.quiet_fps < large_sum.fps_min)
			large_sum.fps_min = r.quiet_fps;
		if (r.quiet_fps > large_sum.fps_max)
			large_sum.fps_max = r.quiet_fps;
		large_sum.fps_sum += r.quiet_fps;
		large_sum.runs++;
		if (r.formed_ms > large_sum.formed_max)
			large_sum.formed_max = r.formed_ms;
		if (r.failover_ms > large_sum.failover_max)
			large_sum.failover_max = r.failover_ms;
		large_sum.join_lost += r.join_lost + r.settle_lost;
	} else {
		printf("seed %" PRIu64 " FAILED at %.3f s: %s", seed,
		       (double)(c.now - SIM_T0) / 1000, c.why);
		if (r.quiet_fps > 0) /* the quiet period ran: what it cost still stands */
			printf(" (quiet: %.2f frames/s a node)", r.quiet_fps);
		printf("\n");
	}
	fflush(stdout);
	cluster_free(&c);
	return ok;
}

/* The flags of this run, to replay a seed with. */
static const char *
run_flags(void)
{
	static char buf[112];

	snprintf(buf, sizeof buf, "%s%s%s%s%s%s", relay_from ? " --relay" : "",
		 bopts.on ? " --broker" : "",
		 bopts.msg ? " --broker-msg" : "", bopts.restart ? " --broker-restart" : "",
		 bopts.drop_conn ? " --broker-drop-conn" : "", bopts.skew ? " --broker-skew" : "");
	return buf;
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --seeds N | --seed S [-v] [--per-seed] [--relay] [--broker] [--broker-msg] "
			"[--broker-restart] [--broker-drop-conn] [--broker-skew] [--broker-all]\n"
			"       %s --size N (%d..%d) [--settle-ms MS] [--no-relay] --seeds K | --seed S [-v]\n",
		prog, prog, SIM_MAX_NODES + 1, SIM_LARGE_MAX);
	return 2;
}

int
main(int argc, char **argv)
{
	uint64_t first = 1, last = 0, vms = 0;
	bool verbose = false, one = false, per_seed = false;
	int failed = 0, size = 0;
	uint64_t settle_ms = 2000;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			last = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			first = last = strtoull(argv[++i], NULL, 10);
			one = true;
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			size = atoi(argv[++i]); /* the large mode (large.h) */
		} else if (strcmp(argv[i], "--settle-ms") == 0 && i + 1 < argc) {
			settle_ms = strtoull(argv[++i], NULL, 10); /* formed to quiet */
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--per-seed") == 0) {
			per_seed = true; /* one line a seed: what it did, hashed */
		} else if (strcmp(argv[i], "--relay") == 0) {
			relay_from = 1; /* node_report.c's relay, in the small chats too */
		} else if (strcmp(argv[i], "--no-relay") == 0) {
			relay_from = UINT_MAX; /* STATUS to everyone, at any size: to compare */
		} else if (strcmp(argv[i], "--broker") == 0) {
			bopts.on = true; /* the nodes on a fake RabbitMQ (simbroker.h) */
		} else if (strcmp(argv[i], "--broker-msg") == 0) {
			bopts.on = bopts.msg = true;
		} else if (strcmp(argv[i], "--broker-restart") == 0) {
			bopts.on = bopts.restart = true;
		} else if (strcmp(argv[i], "--broker-drop-conn") == 0) {
			bopts.on = bopts.drop_conn = true;
		} else if (strcmp(argv[i], "--broker-skew") == 0) {
			bopts.on = bopts.skew = true;
		} else if (strcmp(argv[i], "--broker-all") == 0) {
			bopts = (broker_opts){true, true, true, true, true};
		} else {
			return usage(argv[0]);
		}
	}
	if (last < first)
		return usage(argv[0]);
	if (size && (size <= SIM_MAX_NODES || size > SIM_LARGE_MAX || bopts.on || per_seed))
		return usage(argv[0]);
	clock_t t0 = clock();
	if (size) {
		for (uint64_t seed = first; seed <= last; seed++) {
			if (run_large(seed, size, settle_ms, verbose, &vms))
				continue;
			if (settle_ms != 2000)
				printf("sim: reproduce with: %s --size %d --settle-ms %" PRIu64
				       " --seed %" PRIu64 " -v\n", argv[0], size, settle_ms, seed);
			else
				printf("sim: reproduce with: %s --size %d --seed %" PRIu64 " -v\n",
				       argv[0], size, seed);
			failed++;
		}
		double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
		if (large_sum.runs == 0) {
			printf("sim --size %d: no seed of %" PRIu64 " ok (%.1f virtual s, %.1f s cpu)\n",
			       size, last - first + 1, (double)vms / 1000, cpu);
			return 1;
		}
		printf("sim --size %d: %d of %" PRIu64 " seeds ok (%.1f virtual s, %.1f s cpu); "
		       "quiet frames/s a node: min %.2f mean %.2f max %.2f; formed within %.1f s; "
		       "new leader within %" PRIu64 " ms; %d [LOST] of live nodes before the quiet\n",
		       size, large_sum.runs, last - first + 1, (double)vms / 1000, cpu,
		       large_sum.fps_min, large_sum.fps_sum / large_sum.runs,
		       large_sum.fps_max, (double)large_sum.formed_max / 1000,
		       large_sum.failover_max, large_sum.join_lost);
		return failed ? 1 : 0;
	}
	for (uint64_t seed = first; seed <= last; seed++) {
		if (run_seed(seed, verbose, per_seed, &vms))
			continue;
		printf("sim: reproduce with: %s --seed %" PRIu64 "%s -v\n", argv[0], seed,
		       run_flags());
		if (++failed == 10)
			break;
	}
	double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (failed) {
		printf("sim: %d failing seed(s)\n", failed);
		return 1;
	}
	report_summary(&stats, first, last, one, vms, cpu);
	return 0;
}
