/* report — see report.h. */
#include "report.h"

#include <inttypes.h>
#include <stdio.h>

#include "simbroker.h"

/* What was delivered: frames on the mesh, messages on a broker. */
static uint64_t
delivered(const cluster *c)
{
	return c->broker ? simbroker_stats(c->broker_net)->delivered : simnet_delivered(c->net);
}

void
report_account(scenario *s)
{
	cluster *c = s->c;
	sim_stats *st = s->stats;

	st->quiet += s->quiet && !s->failover;
	st->lines += (unsigned long)c->nlines;
	st->renames += (unsigned long)c->renames;
	st->takeovers += (unsigned long)c->takeovers;
	for (int k = 0; k < c->nlines; k++) {
		st->checked += c->lines[k].checked;
		st->guest_lines += c->lines[k].guest;
	}
	for (int i = 0; i < c->n; i++)
		st->clashes += (unsigned long)c->nodes[i].exits[3];
	for (int i = 0; i < c->n; i++)
		st->lates += (unsigned long)c->nodes[i].lates;
	st->frames += delivered(c);
	if (c->broker) {
		const sb_stats *b = simbroker_stats(c->broker_net);
		st->broker_runs++;
		st->b_delivered += b->delivered;
		st->b_returns += b->returns;
		st->b_dropped += b->dropped;
		st->b_duplicated += b->duplicated;
		st->b_delayed += b->delayed;
		st->b_reordered += b->reordered;
		st->b_restarts += b->restarts;
		st->b_conn_drops += b->conn_drops;
	}
	st->splits += c->parts > 1;
	st->insiders += c->insider >= 0;
	st->forgeries += (unsigned long)c->forgeries;
}

void
report_seed(const cluster *c, uint64_t seed, bool per_seed)
{
	bool ok = !c->failed;

	if (!ok)
		printf("sim: seed %" PRIu64 " FAILED at %.3f s: %s\n", seed,
		       (double)(c->now - SIM_T0) / 1000, c->why);
	if (per_seed)
		printf("seed %" PRIu64 " %s end %.3f s lines %d frames %llu events %016llx frames %016llx\n",
		       seed, ok ? "ok" : "FAILED", (double)(c->now - SIM_T0) / 1000, c->nlines,
		       (unsigned long long)delivered(c), (unsigned long long)c->events_hash,
		       (unsigned long long)c->frames_hash);
}

void
report_summary(const sim_stats *st, uint64_t first, uint64_t last, bool one, uint64_t virtual_ms,
	       double cpu)
{
	printf("sim: %" PRIu64 " seed%s ok (%.1f virtual s, %.1f s cpu)\n", last - first + 1,
	       one ? "" : "s", (double)virtual_ms / 1000, cpu);
	printf("sim: %lu quiet runs, %lu failovers; %lu kills, %lu power-offs, %lu restarts "
	       "(%lu without --join), %lu leaves, "
	       "%lu link breaks, %lu partitions, %lu stalls, %lu nick clashes lost; "
	       "%lu lines typed (%lu by guests; %lu guests taken over, %lu renamed), %lu checked everywhere, %lu shown late, %lu directives; "
	       "%lu insiders forged %lu lines and directives; %lu frames delivered; "
	       "%lu runs ended split by knowledge (judged per part)\n",
	       st->quiet, st->failovers, st->kills, st->poweroffs, st->restarts,
	       st->recalls, st->leaves,
	       st->breaks, st->partitions, st->stalls, st->clashes, st->lines,
	       st->guest_lines, st->takeovers, st->renames, st->checked, st->lates, st->directives, st->insiders, st->forgeries, st->frames,
	       st->splits);
	if (st->broker_runs)
		printf("sim: on the broker: %lu messages delivered, %lu returned, %lu dropped, "
		       "%lu duplicated, %lu delayed, %lu reordered; %lu broker restarts, "
		       "%lu connections dropped (%lu of them a leader's, failover timed), "
		       "%lu times connections hung (partitions); "
		       "%lu runs waited > 2 s after the joins for one chat\n",
		       st->b_delivered, st->b_returns, st->b_dropped, st->b_duplicated,
		       st->b_delayed, st->b_reordered, st->b_restarts, st->b_conn_drops,
		       st->conn_failovers, st->hangs, st->merge_waits);
}
