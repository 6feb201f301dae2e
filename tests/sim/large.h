/*
 * large — the large-cluster mode of the simulator (sim --size N): one
 * simpler scenario on many nodes, to exercise what a 3..5 node cluster
 * never does: heartbeats by seniority and spread (node_beat.c), member
 * lists in pages, a mesh of N² links.
 *
 * One seed, N nodes (all its choices from the cluster's rng):
 *  1. the nodes start one after another, 20..80 ms apart, each joining
 *     through a random earlier node (as --join); every live node's view
 *     must come to be the live set (within LARGE_FORM_MS + 60 ms a node);
 *  2. a quiet period of LARGE_QUIET_MS, settle_ms after that (2 s unless
 *     sim --settle-ms says otherwise): no faults, and no
 *     live node may be declared [LOST] by anyone; the frames delivered in
 *     it, per node and virtual second, are what the mode measures (they
 *     should stay about the same as N grows);
 *  3. faults, one at a time, each waited out until every view is the live
 *     set again (a silent member other than the seniors is lost only after
 *     timeout + 2 (spread - 1) heartbeats): a non-leader killed or powered
 *     off; the leader killed or powered off, after which every live node
 *     must name one new leader within timeout + 0.5 s (SPEC 5.5); a few
 *     nodes partitioned away for 2..6 s, then healed;
 *  4. a few lines typed at a few nodes, then quiet until the views are
 *     whole, and check.h's final invariants: one member list, one leader,
 *     each line shown once everywhere in one order, equal history digests.
 */
#ifndef SIM_LARGE_H
#define SIM_LARGE_H

#include <stdint.h>

#include "cluster.h"

#define LARGE_QUIET_MS 30000
#define LARGE_FORM_MS  20000

/* What one large run measured. */
typedef struct large_result {
	uint64_t formed_ms;     /* from the first start to every view whole */
	double quiet_fps;       /* frames delivered per node per virtual second, quiet */
	int join_lost;          /* [LOST] of live nodes while they joined (not judged) */
	int settle_lost;        /* ... from then to the quiet period (not judged) */
	int quiet_lost;         /* ... in the quiet period: must be 0 */
	uint64_t failover_ms;   /* the leader's fault to one new leader everywhere */
	int partitioned;        /* nodes cut off */
	int lines;              /* lines typed */
	uint64_t shown_ms;      /* the longest from typed to shown on every node, of them */
} large_result;

/* Run the large scenario on c (cluster_init'ed with n > SIM_MAX_NODES). */
void large_run(cluster *c, uint64_t settle_ms, large_result *r);

#endif
