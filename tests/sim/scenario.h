/*
 * scenario — one seed's scenario: its plan, and the phases it runs through.
 *
 * One seed is one scenario (all its choices come from the seed, through
 * the cluster's rng):
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
 * On a broker (c->broker, sim --broker): nodes start with no seeds and find
 * the chat by roll call; a partition hangs the connections of one side to
 * the broker; a link break becomes a broker fault its flags allow (the
 * broker restarting empty, one node's connection dropping), and during the
 * faults the broker may drop, duplicate, delay and reorder messages
 * (--broker-msg); a failover may be the leader's connection dropping
 * (--broker-drop-conn: a new leader within 0.5 s).  After the joins, the
 * run waits up to ROLL_AGAIN_MS + 5 s for the live nodes to be one chat
 * (chats founded apart find each other by calling the roll again).
 *
 * scenario.c plans and runs the phases; fault.c holds the faults (what may
 * fail, one random fault, the heal).  What the runs did is summed in
 * sim_stats, which report.c prints.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"

/* What the runs did, summed over seeds: evidence that faults happen. */
typedef struct sim_stats {
	unsigned long kills, poweroffs, restarts, breaks, partitions, stalls, leaves;
	unsigned long clashes, quiet, lines, checked, frames, splits, failovers, lates, recalls;
	unsigned long directives, guest_lines, renames, takeovers, insiders, forgeries;
	/* Broker mode (simbroker.h): what the broker did. */
	unsigned long broker_runs, hangs, merge_waits, conn_failovers;
	unsigned long b_delivered, b_returns, b_dropped, b_duplicated, b_delayed, b_reordered,
		b_restarts, b_conn_drops;
} sim_stats;

typedef struct scenario {
	cluster *c;
	sim_stats *stats;        /* summed into */
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

/* The seed's choices: all from the cluster's rng. */
static inline uint64_t
pick(scenario *s, uint64_t lo, uint64_t hi)
{
	return rng_range(&s->c->rng, lo, hi);
}

static inline bool
chance(scenario *s, unsigned percent)
{
	return rng_chance(&s->c->rng, percent);
}

/* scenario.c: plan the seed's run (s->c initialised, s->stats set). */
void scenario_plan(scenario *s);
/* Run every phase: the faults (or quiet typing), a failover, the heal, the quiet end. */
void scenario_run(scenario *s);

/* fault.c */
/* Whether node i may crash or leave (never the last good seed). */
bool fault_may_die(scenario *s, int i);
/* Node i went down now (a restart waits a little). */
void fault_note_down(scenario *s, int i);
/* One random fault, as the state of the cluster allows. */
void fault_random(scenario *s);
void fault_heal_partition(scenario *s);
/* Heal everything; bring some crashed nodes back. */
void fault_heal(scenario *s);

#endif
