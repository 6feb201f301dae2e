/*
 * Unit tests of seal, what a link refuses: a wrong secret; altered, cut,
 * replayed, dropped, reordered and reflected records and CONFIRMs; bad
 * HELLOs (reflected, wrong magic or size, low-order keys); messages out of
 * turn, and records before the keys are agreed; records of a wrong size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seal_fixture.h"

static void
test_wrong_secret(void **state)
{
	(void)state;

	for (int order = 0; order < 2; order++) {
		seal a, b;
		uint8_t ca[CONFIRM_LEN], cb[CONFIRM_LEN], rec[4 + SEAL_TAG], p[4];
		size_t n;

		ends(&a, &b, "one secret", "another secret", 0x11, 0x5a);
		if (order) {
			take_hello(&a, &b, ca);
			take_hello(&b, &a, cb);
		} else {
			take_hello(&b, &a, cb);
			take_hello(&a, &b, ca);
		}
		seal_close(&b, (const uint8_t *)"data", 4, rec);
		assert_int_equal(open_rec(&a, cb, sizeof cb, NULL, &n), SEAL_EAUTH);
		assert_int_equal(a.state, SEAL_FAILED);
		assert_int_equal(open_rec(&b, ca, sizeof ca, NULL, &n), SEAL_EAUTH);
		assert_int_equal(b.state, SEAL_FAILED);
		/* the failed links' keys are gone */
		assert_memory_equal(a.tx, zero, SEAL_KEY);
		assert_memory_equal(a.rx, zero, SEAL_KEY);
		assert_memory_equal(b.tx, zero, SEAL_KEY);
		assert_memory_equal(b.rx, zero, SEAL_KEY);
		/* nothing opens afterwards, not even the CONFIRM again */
		assert_int_equal(open_rec(&a, cb, sizeof cb, NULL, &n), SEAL_ESTATE);
		assert_int_equal(open_rec(&a, rec, sizeof rec, p, &n), SEAL_ESTATE);
		assert_int_equal(n, 0);
		assert_int_equal(open_rec(&b, ca, sizeof ca, NULL, &n), SEAL_ESTATE);
		assert_int_equal(a.state, SEAL_FAILED);
		assert_int_equal(b.state, SEAL_FAILED);
	}
}

static void
test_every_flipped_bit_fails(void **state)
{
	(void)state;
	const uint8_t text[] = "short";
	enum { LEN = sizeof text - 1, RLEN = LEN + SEAL_TAG };

	for (size_t pos = 0; pos < RLEN; pos++)
		for (int bit = 0; bit < 8; bit++) {
			seal a, b;
			uint8_t rec[RLEN], p[LEN];
			size_t n;

			linked(&a, &b);
			flow(&a, &b, (const uint8_t *)"first", 5);
			assert_int_equal(seal_close(&a, text, LEN, rec), RLEN);
			uint8_t good[RLEN];
			memcpy(good, rec, RLEN);
			rec[pos] ^= (uint8_t)(1u << bit);
			assert_int_equal(open_rec(&b, rec, RLEN, p, &n), SEAL_EAUTH);
			assert_int_equal(n, 0);
			assert_int_equal(b.state, SEAL_FAILED);
			/* the link is closed: the genuine record is refused too */
			assert_int_equal(open_rec(&b, good, RLEN, p, &n), SEAL_ESTATE);
		}
}

static void
test_flipped_confirm_fails(void **state)
{
	(void)state;

	for (size_t pos = 0; pos < CONFIRM_LEN; pos++) {
		seal a, b;
		uint8_t ca[CONFIRM_LEN], cb[CONFIRM_LEN];
		size_t n;

		ends(&a, &b, "s", "s", 3, 4);
		take_hello(&a, &b, ca);
		take_hello(&b, &a, cb);
		cb[pos] ^= 0x80;
		assert_int_equal(open_rec(&a, cb, CONFIRM_LEN, NULL, &n), SEAL_EAUTH);
		assert_int_equal(a.state, SEAL_FAILED);
	}
}

static void
test_cut_or_lengthened_record_fails(void **state)
{
	(void)state;
	seal a, b;
	uint8_t rec[10 + SEAL_TAG + 1] = {0}, p[11];
	size_t n;

	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"0123456789", 10, rec);
	assert_int_equal(open_rec(&b, rec, 10 + SEAL_TAG - 1, p, &n), SEAL_EAUTH);
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"0123456789", 10, rec);
	assert_int_equal(open_rec(&b, rec, 10 + SEAL_TAG + 1, p, &n), SEAL_EAUTH);
}

static void
test_replayed_dropped_swapped(void **state)
{
	(void)state;
	seal a, b;
	uint8_t r1[2 + SEAL_TAG], r2[2 + SEAL_TAG], r3[2 + SEAL_TAG], p[2];
	size_t n;

	/* replayed */
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"r1", 2, r1);
	seal_close(&a, (const uint8_t *)"r2", 2, r2);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), 0);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), SEAL_EAUTH);
	assert_int_equal(b.state, SEAL_FAILED);
	assert_int_equal(open_rec(&b, r2, sizeof r2, p, &n), SEAL_ESTATE);

	/* replayed right away, the first record after the CONFIRM */
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"r1", 2, r1);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), 0);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), SEAL_EAUTH);

	/* dropped */
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"r1", 2, r1);
	seal_close(&a, (const uint8_t *)"r2", 2, r2);
	seal_close(&a, (const uint8_t *)"r3", 2, r3);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), 0);
	assert_int_equal(open_rec(&b, r3, sizeof r3, p, &n), SEAL_EAUTH);
	assert_int_equal(b.state, SEAL_FAILED);

	/* the first dropped */
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"r1", 2, r1);
	seal_close(&a, (const uint8_t *)"r2", 2, r2);
	assert_int_equal(open_rec(&b, r2, sizeof r2, p, &n), SEAL_EAUTH);

	/* swapped */
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"r1", 2, r1);
	seal_close(&a, (const uint8_t *)"r2", 2, r2);
	seal_close(&a, (const uint8_t *)"r3", 2, r3);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), 0);
	assert_int_equal(open_rec(&b, r3, sizeof r3, p, &n), SEAL_EAUTH);
	assert_int_equal(open_rec(&b, r2, sizeof r2, p, &n), SEAL_ESTATE);
	assert_int_equal(b.state, SEAL_FAILED);
}

static void
test_confirm_replayed_or_skipped(void **state)
{
	(void)state;
	seal a, b;
	uint8_t ca[CONFIRM_LEN], cb[CONFIRM_LEN], rec[8 + SEAL_TAG];
	size_t n;

	/* B's CONFIRM again once open: it is record 0 again, not 1 */
	ends(&a, &b, "s", "s", 5, 6);
	take_hello(&a, &b, ca);
	take_hello(&b, &a, cb);
	take_confirm(&a, cb);
	assert_int_equal(open_rec(&a, cb, sizeof cb, rec, &n), SEAL_EAUTH);
	assert_int_equal(a.state, SEAL_FAILED);

	/* B's first data record (of a CONFIRM's size) instead of its CONFIRM */
	ends(&a, &b, "s", "s", 5, 6);
	take_hello(&a, &b, ca);
	take_hello(&b, &a, cb);
	seal_close(&b, (const uint8_t *)"confirm1", 8, rec);
	assert_int_equal(open_rec(&a, rec, sizeof rec, NULL, &n), SEAL_EAUTH);
	assert_int_equal(a.state, SEAL_FAILED);

	/* a record 0 under the right key that is not the CONFIRM text */
	ends(&a, &b, "s", "s", 5, 6);
	take_hello(&a, &b, ca);
	uint8_t hello[SEAL_HELLO];
	seal_hello(&a, hello);
	assert_int_equal(seal_on_hello(&b, hello, sizeof hello), 0);
	seal_close(&b, (const uint8_t *)"confirm2", 8, rec); /* B skips its CONFIRM */
	assert_int_equal(open_rec(&a, rec, sizeof rec, NULL, &n), SEAL_EAUTH);
	assert_int_equal(a.state, SEAL_FAILED);
}

static void
test_bad_hellos(void **state)
{
	(void)state;
	seal a, b;
	uint8_t hello[SEAL_HELLO + 1], good[SEAL_HELLO];
	/* low-order points (and non-canonical encodings of them) */
	static const uint8_t weak[][SEAL_KEY] = {
		{0},
		{1},
		{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
		{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
		 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
		 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
		{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	};

	/* reflected: our own HELLO */
	ends(&a, &b, "s", "s", 7, 8);
	seal_hello(&a, hello);
	assert_int_equal(seal_on_hello(&a, hello, SEAL_HELLO), SEAL_EREFLECT);
	assert_int_equal(a.state, SEAL_FAILED);
	/* and once failed, a good HELLO is out of turn */
	seal_hello(&b, good);
	assert_int_equal(seal_on_hello(&a, good, SEAL_HELLO), SEAL_ESTATE);

	/* wrong magic, each byte */
	for (int i = 0; i < 8; i++) {
		ends(&a, &b, "s", "s", 7, 8);
		seal_hello(&b, hello);
		hello[i] ^= 0x20;
		assert_int_equal(seal_on_hello(&a, hello, SEAL_HELLO), SEAL_EBADHELLO);
		assert_int_equal(a.state, SEAL_FAILED);
	}

	/* wrong length: the right bytes, one short, one over, none */
	const size_t lens[] = {0, 1, 8, SEAL_HELLO - 1, SEAL_HELLO + 1};
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		ends(&a, &b, "s", "s", 7, 8);
		seal_hello(&b, hello);
		hello[SEAL_HELLO] = 0;
		assert_int_equal(seal_on_hello(&a, hello, lens[i]), SEAL_EBADHELLO);
		assert_int_equal(a.state, SEAL_FAILED);
		assert_int_equal(seal_on_hello(&a, hello, SEAL_HELLO), SEAL_ESTATE);
	}

	/* low-order public keys */
	for (size_t i = 0; i < sizeof weak / sizeof *weak; i++) {
		ends(&a, &b, "s", "s", 7, 8);
		memcpy(hello, "CHORUS-1", 8);
		memcpy(hello + 8, weak[i], SEAL_KEY);
		assert_int_equal(seal_on_hello(&a, hello, SEAL_HELLO), SEAL_EBADHELLO);
		assert_int_equal(a.state, SEAL_FAILED);
		assert_memory_equal(a.tx, zero, SEAL_KEY);
		assert_memory_equal(a.rx, zero, SEAL_KEY);
	}
}

static void
test_out_of_turn(void **state)
{
	(void)state;
	seal a, b;
	uint8_t ca[CONFIRM_LEN], cb[CONFIRM_LEN], hello[SEAL_HELLO], rec[4 + SEAL_TAG], p[4];
	size_t n;

	/* a record before any HELLO: not even a CONFIRM can be */
	ends(&a, &b, "s", "s", 9, 10);
	memset(rec, 0, sizeof rec);
	assert_int_equal(open_rec(&a, rec, sizeof rec, p, &n), SEAL_ESTATE);
	assert_int_equal(n, 0);
	assert_int_equal(a.state, SEAL_FAILED);
	ends(&a, &b, "s", "s", 9, 10);
	take_hello(&b, &a, cb);
	assert_int_equal(open_rec(&a, cb, sizeof cb, NULL, &n), SEAL_ESTATE);
	assert_int_equal(a.state, SEAL_FAILED);

	/* a second HELLO while waiting for the CONFIRM */
	ends(&a, &b, "s", "s", 9, 10);
	take_hello(&a, &b, ca);
	seal_hello(&b, hello);
	assert_int_equal(seal_on_hello(&a, hello, sizeof hello), SEAL_ESTATE);
	assert_int_equal(a.state, SEAL_FAILED);
	assert_memory_equal(a.rx, zero, SEAL_KEY);

	/* a second HELLO once open */
	linked(&a, &b);
	seal_hello(&b, hello);
	assert_int_equal(seal_on_hello(&a, hello, sizeof hello), SEAL_ESTATE);
	assert_int_equal(a.state, SEAL_FAILED);
	seal_close(&b, (const uint8_t *)"late", 4, rec);
	assert_int_equal(open_rec(&a, rec, sizeof rec, p, &n), SEAL_ESTATE);
}

static void
test_record_sizes(void **state)
{
	(void)state;
	seal a, b;
	size_t big = SEAL_MAX_PLAIN + SEAL_TAG + 1, n;
	uint8_t *rec = calloc(1, big), *p = calloc(1, big), ca[CONFIRM_LEN], cb[CONFIRM_LEN];
	const size_t small[] = {0, 1, SEAL_TAG - 1};

	assert_non_null(rec);
	assert_non_null(p);
	for (size_t i = 0; i < sizeof small / sizeof *small; i++) {
		linked(&a, &b);
		assert_int_equal(open_rec(&a, rec, small[i], p, &n), SEAL_ESIZE);
		assert_int_equal(n, 0);
		assert_int_equal(a.state, SEAL_FAILED);
	}
	linked(&a, &b);
	assert_int_equal(open_rec(&a, rec, big, p, &n), SEAL_ESIZE);
	assert_int_equal(a.state, SEAL_FAILED);
	linked(&a, &b);
	assert_int_equal(open_rec(&a, rec, SIZE_MAX, p, &n), SEAL_ESIZE);
	/* the largest opens (flow() checks it), one byte fewer than the tag
	 * does not; a CONFIRM has exactly its size */
	const size_t confirms[] = {0, SEAL_TAG, CONFIRM_LEN - 1, CONFIRM_LEN + 1, 64};
	for (size_t i = 0; i < sizeof confirms / sizeof *confirms; i++) {
		ends(&a, &b, "s", "s", 9, 10);
		take_hello(&a, &b, ca);
		take_hello(&b, &a, cb);
		memcpy(rec, cb, sizeof cb);
		assert_int_equal(open_rec(&a, rec, confirms[i], p, &n), SEAL_ESIZE);
		assert_int_equal(a.state, SEAL_FAILED);
	}
	free(rec);
	free(p);
}

static void
test_directions_have_their_own_keys(void **state)
{
	(void)state;
	seal a, b;
	uint8_t ca[CONFIRM_LEN], rec[4 + SEAL_TAG], p[4];
	size_t n;

	/* our own CONFIRM sent back to us */
	ends(&a, &b, "s", "s", 11, 12);
	take_hello(&a, &b, ca);
	assert_int_equal(open_rec(&a, ca, sizeof ca, NULL, &n), SEAL_EAUTH);
	assert_int_equal(a.state, SEAL_FAILED);

	/* our own record sent back to us, at the number we expect next */
	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"mine", 4, rec);
	assert_int_equal(open_rec(&a, rec, sizeof rec, p, &n), SEAL_EAUTH);
	assert_int_equal(a.state, SEAL_FAILED);

	/* the same from B's side */
	linked(&a, &b);
	seal_close(&b, (const uint8_t *)"mine", 4, rec);
	assert_int_equal(open_rec(&b, rec, sizeof rec, p, &n), SEAL_EAUTH);

	/* a record of one link does not open on another of the same chat */
	seal c, d;
	linked(&a, &b);
	ends(&c, &d, "the chat secret", "the chat secret", 0x22, 0x77);
	handshake(&c, &d, false);
	seal_close(&a, (const uint8_t *)"link", 4, rec);
	assert_int_equal(open_rec(&d, rec, sizeof rec, p, &n), SEAL_EAUTH);
}

static void
test_nothing_is_sealed_without_agreed_keys(void **state)
{
	(void)state;
	seal s;
	uint8_t psk[SEAL_KEY] = {1}, rnd[SEAL_KEY] = {2}, out[64 + SEAL_TAG];

	seal_init(&s, psk, rnd);
	assert_int_equal(seal_close(&s, (const uint8_t *)"hi", 2, out), 0);
	assert_int_equal(seal_on_hello(&s, NULL, 0), SEAL_EBADHELLO);
	assert_int_equal(s.state, SEAL_FAILED);
	assert_int_equal(seal_close(&s, (const uint8_t *)"hi", 2, out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_is_sealed_without_agreed_keys),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_every_flipped_bit_fails),
		cmocka_unit_test(test_flipped_confirm_fails),
		cmocka_unit_test(test_cut_or_lengthened_record_fails),
		cmocka_unit_test(test_replayed_dropped_swapped),
		cmocka_unit_test(test_confirm_replayed_or_skipped),
		cmocka_unit_test(test_bad_hellos),
		cmocka_unit_test(test_out_of_turn),
		cmocka_unit_test(test_record_sizes),
		cmocka_unit_test(test_directions_have_their_own_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
