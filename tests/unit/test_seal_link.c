/*
 * Unit tests of seal, what a link does: the chat's key from its secret; the
 * handshake in both delivery orders and both key orders, then records both
 * ways (empty and largest included); keys and records exactly as seal.h
 * documents them; the same text twice sealed apart; data sent right after
 * the CONFIRM; erasing the keys; the error strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "seal_fixture.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_handshake_both_orders_then_records_both_ways),
		cmocka_unit_test(test_keys_and_records_as_documented),
		cmocka_unit_test(test_same_text_twice_is_not_the_same_record),
		cmocka_unit_test(test_data_sent_right_after_confirm),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
