/*
 * rng — the simulator's only source of randomness.
 *
 * splitmix64: tiny, fast, and good enough to drive schedules.  Everything a
 * run decides (delays, faults, what is typed where) comes from one rng
 * seeded with the run's seed, so that a seed replays exactly.  Never rand().
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rng {
	uint64_t s;
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform in [lo, hi], both included; lo <= hi. */
uint64_t rng_range(rng *r, uint64_t lo, uint64_t hi);
/* True with the given chance in percent. */
bool rng_chance(rng *r, unsigned percent);

#endif
