/*
 * The seal tests' fixture (tests/unit/test_seal_*.c): ends of a link, their
 * handshake, and records sealed at one end and opened at the other.
 * "Random" bytes are fixed patterns so every run is the same.  See
 * seal_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seal_fixture.h"

const uint8_t zero[SEAL_KEY];

void
rand_of(uint8_t r[SEAL_KEY], uint8_t pattern)
{
	for (int i = 0; i < SEAL_KEY; i++)
		r[i] = (uint8_t)(pattern + 37 * i);
}

void
psk_of(const char *secret, uint8_t psk[SEAL_KEY])
{
	seal_psk(secret, strlen(secret), psk);
}

/* Two fresh ends, A and B, with these secrets and random patterns. */
void
ends(seal *a, seal *b, const char *sa, const char *sb, uint8_t ra, uint8_t rb)
{
	uint8_t pa[SEAL_KEY], pb[SEAL_KEY], r[SEAL_KEY];

	psk_of(sa, pa);
	psk_of(sb, pb);
	rand_of(r, ra);
	seal_init(a, pa, r);
	rand_of(r, rb);
	seal_init(b, pb, r);
	assert_int_equal(a->state, SEAL_WAIT_HELLO);
	assert_int_equal(b->state, SEAL_WAIT_HELLO);
}

/* One side takes the other's HELLO and answers with its CONFIRM. */
void
take_hello(seal *to, const seal *from, uint8_t confirm[CONFIRM_LEN])
{
	uint8_t hello[SEAL_HELLO];

	seal_hello(from, hello);
	assert_memory_equal(hello, "CHORUS-1", 8);
	assert_memory_equal(hello + 8, from->pk, SEAL_KEY);
	assert_int_equal(seal_on_hello(to, hello, sizeof hello), 0);
	assert_int_equal(to->state, SEAL_WAIT_CONFIRM);
	/* the ephemeral secret is gone once the keys are derived */
	assert_memory_equal(to->sk, zero, SEAL_KEY);
	assert_int_equal(seal_confirm(to, confirm), CONFIRM_LEN);
}

int
open_rec(seal *s, const uint8_t *rec, size_t len, uint8_t *plain, size_t *plain_len)
{
	*plain_len = 12345;
	return seal_open(s, rec, len, plain, plain_len);
}

void
take_confirm(seal *to, const uint8_t confirm[CONFIRM_LEN])
{
	size_t n;

	assert_int_equal(open_rec(to, confirm, CONFIRM_LEN, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(to->state, SEAL_OPEN);
}

/* A full handshake; b_first: B takes A's HELLO before A takes B's. */
void
handshake(seal *a, seal *b, bool b_first)
{
	uint8_t ca[CONFIRM_LEN], cb[CONFIRM_LEN];

	if (b_first) {
		take_hello(b, a, cb);
		take_hello(a, b, ca);
		take_confirm(a, cb);
		take_confirm(b, ca);
	} else {
		take_hello(a, b, ca);
		take_hello(b, a, cb);
		take_confirm(b, ca);
		take_confirm(a, cb);
	}
	assert_true(a->tx_n == 1 && a->rx_n == 1 && b->tx_n == 1 && b->rx_n == 1);
}

/* Linked ends, the same secret, ready for records. */
void
linked(seal *a, seal *b)
{
	ends(a, b, "the chat secret", "the chat secret", 0x11, 0x5a);
	handshake(a, b, true);
}

/* from seals plain; to must open it intact. */
void
flow(seal *from, seal *to, const uint8_t *plain, size_t len)
{
	uint8_t *rec = malloc(len + SEAL_TAG), *got = malloc(len ? len : 1);
	size_t n;

	assert_non_null(rec);
	assert_non_null(got);
	assert_int_equal(seal_close(from, plain, len, rec), len + SEAL_TAG);
	if (len >= 8)
		assert_memory_not_equal(rec, plain, len); /* it is encrypted */
	assert_int_equal(open_rec(to, rec, len + SEAL_TAG, got, &n), 0);
	assert_int_equal(n, len);
	if (len)
		assert_memory_equal(got, plain, len);
	assert_int_equal(to->state, SEAL_OPEN);
	free(rec);
	free(got);
}
