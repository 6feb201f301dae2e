/*
 * Unit tests of seal: the handshake in both delivery orders and both key
 * orders, records both ways (empty and largest included), a wrong secret,
 * altered, replayed, dropped, reordered and reflected records, bad HELLOs
 * (reflected, wrong magic or size, low-order keys), messages out of turn,
 * record sizes, and erasing the keys.  "Random" bytes are fixed patterns so
 * every run is the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "seal.h"

#define CONFIRM_LEN (SEAL_TAG + 8)

static const uint8_t zero[SEAL_KEY];

static void
rand_of(uint8_t r[SEAL_KEY], uint8_t pattern)
{
	for (int i = 0; i < SEAL_KEY; i++)
		r[i] = (uint8_t)(pattern + 37 * i);
}

static void
psk_of(const char *secret, uint8_t psk[SEAL_KEY])
{
	seal_psk(secret, strlen(secret), psk);
}

/* Two fresh ends, A and B, with these secrets and random patterns. */
static void
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
static void
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

static int
open_rec(seal *s, const uint8_t *rec, size_t len, uint8_t *plain, size_t *plain_len)
{
	*plain_len = 12345;
	return seal_open(s, rec, len, plain, plain_len);
}

static void
take_confirm(seal *to, const uint8_t confirm[CONFIRM_LEN])
{
	size_t n;

	assert_int_equal(open_rec(to, confirm, CONFIRM_LEN, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(to->state, SEAL_OPEN);
}

/* A full handshake; b_first: B takes A's HELLO before A takes B's. */
static void
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
static void
linked(seal *a, seal *b)
{
	ends(a, b, "the chat secret", "the chat secret", 0x11, 0x5a);
	handshake(a, b, true);
}

/* from seals plain; to must open it intact. */
static void
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

static void
test_psk(void **state)
{
	(void)state;
	uint8_t a[SEAL_KEY], b[SEAL_KEY], c[SEAL_KEY], d[SEAL_KEY];

	psk_of("secret", a);
	psk_of("secret", b);
	psk_of("secreT", c);
	seal_psk("secret", 7, d); /* with the NUL: a different secret */
	assert_memory_equal(a, b, SEAL_KEY);
	assert_memory_not_equal(a, c, SEAL_KEY);
	assert_memory_not_equal(a, d, SEAL_KEY);
	assert_memory_not_equal(a, zero, SEAL_KEY);
}

static void
test_handshake_both_orders_then_records_both_ways(void **state)
{
	(void)state;
	static uint8_t big[SEAL_MAX_PLAIN];
	const char *texts[] = {"", "hi", "a somewhat longer message, over one block of sixty-four bytes!",
			       "x", "confirm1"};
	int low_a = 0, low_b = 0;

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 9));
	for (int order = 0; order < 2; order++)
		for (int swap = 0; swap < 2; swap++) {
			seal a, b;

			/* swapping the random patterns swaps which end has the
			 * smaller key, so both halves of the key split are used */
			ends(&a, &b, "the chat secret", "the chat secret", swap ? 0x5a : 0x11,
			     swap ? 0x11 : 0x5a);
			if (memcmp(a.pk, b.pk, SEAL_KEY) < 0)
				low_a++;
			else
				low_b++;
			handshake(&a, &b, order);
			assert_memory_equal(a.tx, b.rx, SEAL_KEY);
			assert_memory_equal(a.rx, b.tx, SEAL_KEY);
			assert_memory_not_equal(a.tx, a.rx, SEAL_KEY);
			assert_memory_not_equal(a.tx, zero, SEAL_KEY);
			assert_memory_not_equal(a.rx, zero, SEAL_KEY);
			for (int k = 0; k < 3; k++)
				for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
					size_t len = strlen(texts[t]);
					flow(&a, &b, (const uint8_t *)texts[t], len);
					flow(&b, &a, (const uint8_t *)texts[t], len);
				}
			flow(&a, &b, big, sizeof big);
			flow(&b, &a, big, sizeof big);
			flow(&a, &b, big, 1);
			assert_true(a.tx_n == b.rx_n && b.tx_n == a.rx_n);
			seal_wipe(&a);
			seal_wipe(&b);
		}
	assert_int_equal(low_a, 2);
	assert_int_equal(low_b, 2);
}

/* The keys and records are exactly what seal.h documents, so that another
 * implementation of it can talk to this one: X25519, BLAKE2b-512 keyed
 * with the psk over the shared point and both public keys (smaller first),
 * the smaller key's side sending with the first half; ChaCha20-Poly1305
 * IETF with the counter little-endian in the nonce's last 8 bytes. */
static void
test_keys_and_records_as_documented(void **state)
{
	(void)state;

	for (int swap = 0; swap < 2; swap++) {
		seal a, b;
		uint8_t ra[SEAL_KEY], rb[SEAL_KEY], pk[SEAL_KEY], psk[SEAL_KEY];
		uint8_t shared[SEAL_KEY], keys[2 * SEAL_KEY], ca[CONFIRM_LEN], want[64];
		uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = {0};
		unsigned long long wlen;
		crypto_generichash_state h;

		ends(&a, &b, "kat", "kat", swap ? 0x5a : 0x11, swap ? 0x11 : 0x5a);
		rand_of(ra, swap ? 0x5a : 0x11);
		rand_of(rb, swap ? 0x11 : 0x5a);
		assert_int_equal(crypto_scalarmult_base(pk, ra), 0);
		assert_memory_equal(a.pk, pk, SEAL_KEY);
		assert_int_equal(crypto_scalarmult_base(pk, rb), 0);
		assert_memory_equal(b.pk, pk, SEAL_KEY);
		assert_int_equal(crypto_scalarmult(shared, ra, b.pk), 0);
		psk_of("kat", psk);
		bool a_low = memcmp(a.pk, b.pk, SEAL_KEY) < 0;
		crypto_generichash_init(&h, psk, SEAL_KEY, sizeof keys);
		crypto_generichash_update(&h, shared, sizeof shared);
		crypto_generichash_update(&h, a_low ? a.pk : b.pk, SEAL_KEY);
		crypto_generichash_update(&h, a_low ? b.pk : a.pk, SEAL_KEY);
		crypto_generichash_final(&h, keys, sizeof keys);

		take_hello(&a, &b, ca);
		assert_memory_equal(a.tx, a_low ? keys : keys + SEAL_KEY, SEAL_KEY);
		assert_memory_equal(a.rx, a_low ? keys + SEAL_KEY : keys, SEAL_KEY);
		crypto_aead_chacha20poly1305_ietf_encrypt(want, &wlen, (const uint8_t *)"confirm1", 8,
							  NULL, 0, NULL, nonce, a.tx);
		assert_int_equal(wlen, CONFIRM_LEN);
		assert_memory_equal(ca, want, CONFIRM_LEN);

		a.tx_n = 0x0102030405060708ull;
		uint8_t rec[3 + SEAL_TAG];
		assert_int_equal(seal_close(&a, (const uint8_t *)"abc", 3, rec), sizeof rec);
		const uint8_t n[] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
		memcpy(nonce, n, sizeof n);
		crypto_aead_chacha20poly1305_ietf_encrypt(want, &wlen, (const uint8_t *)"abc", 3, NULL,
							  0, NULL, nonce, a.tx);
		assert_memory_equal(rec, want, sizeof rec);
		assert_true(a.tx_n == 0x0102030405060709ull);
	}
}

static void
test_same_text_twice_is_not_the_same_record(void **state)
{
	(void)state;
	seal a, b;
	uint8_t r1[5 + SEAL_TAG], r2[5 + SEAL_TAG], p[5];
	size_t n;

	linked(&a, &b);
	seal_close(&a, (const uint8_t *)"hello", 5, r1);
	seal_close(&a, (const uint8_t *)"hello", 5, r2);
	assert_memory_not_equal(r1, r2, sizeof r1);
	assert_int_equal(open_rec(&b, r1, sizeof r1, p, &n), 0);
	assert_int_equal(open_rec(&b, r2, sizeof r2, p, &n), 0);
	assert_memory_equal(p, "hello", 5);
}

static void
test_data_sent_right_after_confirm(void **state)
{
	(void)state;
	seal a, b;
	uint8_t ca[CONFIRM_LEN], cb[CONFIRM_LEN], r1[3 + SEAL_TAG], r2[SEAL_TAG], p[3];
	size_t n;

	ends(&a, &b, "s", "s", 1, 2);
	/* B has A's HELLO, sends its CONFIRM and at once two records, before
	 * A's CONFIRM reached it; A takes them all before sending its own. */
	take_hello(&b, &a, cb);
	seal_close(&b, (const uint8_t *)"abc", 3, r1);
	seal_close(&b, NULL, 0, r2);
	uint8_t hello[SEAL_HELLO];
	seal_hello(&b, hello);
	assert_int_equal(seal_on_hello(&a, hello, sizeof hello), 0);
	take_confirm(&a, cb);
	assert_int_equal(open_rec(&a, r1, sizeof r1, p, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	assert_int_equal(open_rec(&a, r2, sizeof r2, p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(seal_confirm(&a, ca), CONFIRM_LEN);
	take_confirm(&b, ca);
	flow(&a, &b, (const uint8_t *)"ok", 2);
	flow(&b, &a, (const uint8_t *)"ok", 2);
}

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
test_wipe(void **state)
{
	(void)state;
	seal a, b;
	size_t n;

	linked(&a, &b);
	flow(&a, &b, (const uint8_t *)"x", 1);
	seal_wipe(&a);
	assert_int_equal(a.state, SEAL_FAILED);
	assert_memory_equal(a.psk, zero, SEAL_KEY);
	assert_memory_equal(a.sk, zero, SEAL_KEY);
	assert_memory_equal(a.tx, zero, SEAL_KEY);
	assert_memory_equal(a.rx, zero, SEAL_KEY);
	assert_true(a.tx_n == 0 && a.rx_n == 0);
	uint8_t rec[1 + SEAL_TAG], p[1];
	seal_close(&b, (const uint8_t *)"y", 1, rec);
	assert_int_equal(open_rec(&a, rec, sizeof rec, p, &n), SEAL_ESTATE);

	/* wiping a link mid-handshake erases its ephemeral secret too */
	ends(&a, &b, "s", "s", 13, 14);
	assert_memory_not_equal(a.sk, zero, SEAL_KEY);
	seal_wipe(&a);
	assert_memory_equal(a.sk, zero, SEAL_KEY);
	assert_memory_equal(a.psk, zero, SEAL_KEY);
	assert_int_equal(a.state, SEAL_FAILED);
}

static void
test_strerror(void **state)
{
	(void)state;
	const int errs[] = {SEAL_EBADHELLO, SEAL_EREFLECT, SEAL_EAUTH, SEAL_ESTATE, SEAL_ESIZE};

	for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) {
		assert_non_null(seal_strerror(errs[i]));
		assert_string_not_equal(seal_strerror(errs[i]), seal_strerror(0));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seal_strerror(errs[i]), seal_strerror(errs[j]));
	}
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
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_handshake_both_orders_then_records_both_ways),
		cmocka_unit_test(test_keys_and_records_as_documented),
		cmocka_unit_test(test_same_text_twice_is_not_the_same_record),
		cmocka_unit_test(test_data_sent_right_after_confirm),
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
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
