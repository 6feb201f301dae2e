/*
 * report — what the simulator prints of its runs: the line a failed seed
 * gets, the one line a seed with --per-seed (what it did, hashed, to
 * compare two builds), the sums over all seeds (sim_stats) and the summary
 * of them at the end.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

/* Add what the seed's run did to s->stats. */
void report_account(scenario *s);
/* The seed's failure (if it failed), and with per_seed its one line. */
void report_seed(const cluster *c, uint64_t seed, bool per_seed);
/* The summary of seeds first..last (one: a single --seed). */
void report_summary(const sim_stats *st, uint64_t first, uint64_t last, bool one,
		    uint64_t virtual_ms, double cpu);

#endif
