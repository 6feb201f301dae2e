/* rng — see rng.h. */
#include "rng.h"

void
rng_seed(rng *r, uint64_t seed)
{
	r->s = seed ^ 0x6a09e667f3bcc909ULL;
}

uint64_t
rng_next(rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
rng_range(rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo + 1;

	if (span == 0)
		return rng_next(r); /* the whole 64-bit range */
	return lo + rng_next(r) % span;
}

bool
rng_chance(rng *r, unsigned percent)
{
	return rng_next(r) % 100 < percent;
}
