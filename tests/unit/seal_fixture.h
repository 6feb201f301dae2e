/*
 * The seal tests' fixture (seal_fixture.c), shared by tests/unit/test_seal_*.c:
 * two ends of a link, A and B, made from fixed "random" patterns, their
 * handshake, and records sealed at one end and opened at the other.
 */
#ifndef SEAL_FIXTURE_H
#define SEAL_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"

#define CONFIRM_LEN (SEAL_TAG + 8)

/* SEAL_KEY zero bytes: what erased keys are. */
extern const uint8_t zero[SEAL_KEY];

/* The "random" bytes of the pattern; the psk of a secret. */
void rand_of(uint8_t r[SEAL_KEY], uint8_t pattern);
void psk_of(const char *secret, uint8_t psk[SEAL_KEY]);

/* Two fresh ends, A and B, with these secrets and random patterns. */
void ends(seal *a, seal *b, const char *sa, const char *sb, uint8_t ra, uint8_t rb);
/* The handshake, a step at a time, and whole (b_first: B takes A's HELLO first). */
void take_hello(seal *to, const seal *from, uint8_t confirm[CONFIRM_LEN]);
void take_confirm(seal *to, const uint8_t confirm[CONFIRM_LEN]);
void handshake(seal *a, seal *b, bool b_first);
/* Linked ends, the same secret, ready for records. */
void linked(seal *a, seal *b);

/* seal_open, with *plain_len set to a bogus value first. */
int open_rec(seal *s, const uint8_t *rec, size_t len, uint8_t *plain, size_t *plain_len);
/* from seals plain; to must open it intact. */
void flow(seal *from, seal *to, const uint8_t *plain, size_t len);

#endif
