/*
 * sim — the deterministic cluster simulator: the driver.
 *
 *   build/sim --seeds N     run seeds 1..N, print a summary line
 *   build/sim --seed S -v   replay one seed with a trace of everything
 *   build/sim ... --per-seed  one line a seed, hashed: compare two builds
 *   build/sim ... --broker    the nodes on a fake RabbitMQ broker (simbroker.h,
 *                             bnode.h), and its faults: --broker-msg (messages
 *                             dropped, duplicated, delayed, reordered),
 *                             --broker-restart, --broker-drop-conn (one node's
 *                             connection), --broker-skew (clocks seconds apart),
 *                             --broker-all (every one)
 *
 * One seed is one scenario (scenario.h says what it does) on a cluster
 * (cluster.h), judged by check.h's invariants; report.h prints the results.
 * A violation prints the seed, the reason and the command that replays it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "scenario.h"

static sim_stats stats;
static broker_opts bopts; /* --broker and its faults: off, the mesh */

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

/* The broker flags of this run, to replay a seed with. */
static const char *
broker_flags(void)
{
	static char buf[96];

	snprintf(buf, sizeof buf, "%s%s%s%s%s", bopts.on ? " --broker" : "",
		 bopts.msg ? " --broker-msg" : "", bopts.restart ? " --broker-restart" : "",
		 bopts.drop_conn ? " --broker-drop-conn" : "", bopts.skew ? " --broker-skew" : "");
	return buf;
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --seeds N | --seed S [-v] [--per-seed] [--broker] [--broker-msg] "
			"[--broker-restart] [--broker-drop-conn] [--broker-skew] [--broker-all]\n",
		prog);
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
	clock_t t0 = clock();
	for (uint64_t seed = first; seed <= last; seed++) {
		if (run_seed(seed, verbose, per_seed, &vms))
			continue;
		printf("sim: reproduce with: %s --seed %" PRIu64 "%s -v\n", argv[0], seed,
		       broker_flags());
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
