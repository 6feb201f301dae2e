/*
 * backoff — the one rule for waiting longer after each failure: the delay
 * doubles, up to a cap.  The core's seed and member redials (node_link.c)
 * and the shell's dialler (conn_backoff) each keep their own first delay
 * and cap, and step with this.
 */
#ifndef CHORUS_BACKOFF_H
#define CHORUS_BACKOFF_H

#include <stdint.h>

/* The delay after delay: twice as long, but never over cap. */
static inline uint64_t
backoff_next(uint64_t delay, uint64_t cap)
{
	return delay * 2 > cap ? cap : delay * 2;
}

#endif
