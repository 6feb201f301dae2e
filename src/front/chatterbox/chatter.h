/*
 * chatter — the numbers of `chorus chatterbox` (SPEC section 6): a
 * seeded generator, exact fixed-point values, and the agreed sum.
 *
 * Values are in (0, 1] with 10 decimal digits, kept as integer units of
 * 1e-10: 1 .. 10,000,000,000.  The generator is SplitMix64 (Vigna): from
 * the seed s, state += 0x9e3779b97f4a7c15, then the usual two
 * multiply-xorshift rounds; a value is (output mod 10^10) + 1.  The same
 * seed gives the same stream on every machine.  A message's text is its
 * value printed with 10 fraction digits ("0.0000000001" .. "1.0000000000").
 *
 * The result is (COUNT, SUM) with SUM the sum over i = 1..COUNT of
 * i * m_i in history order, computed exactly in 128 bits.
 */
#ifndef CHORUS_CHATTER_H
#define CHORUS_CHATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHATTER_SCALE 10000000000ULL /* units per 1.0 */

/* The next value of the stream in *state, in units. */
uint64_t chatter_next(uint64_t *state);

/* A value's text, NUL-terminated (buf: at least 13 bytes); its length. */
size_t chatter_format(uint64_t units, char *buf);
/* A message text back into units; false when it is not a value in (0, 1]. */
bool chatter_parse(const char *text, size_t len, uint64_t *units);

typedef struct chatter_sum {
	uint64_t count;
	unsigned __int128 sum;
} chatter_sum;

/* The next message of the history, in history order. */
void chatter_add(chatter_sum *s, uint64_t units);
/* "(COUNT, SUM)" with SUM in full, 10 fraction digits; returns the length. */
size_t chatter_result(const chatter_sum *s, char *buf, size_t cap);

#endif
