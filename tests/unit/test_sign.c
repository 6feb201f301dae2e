/*
 * Unit tests of sign: ids from keys, hash chains over records, signed
 * heads, and link identity proofs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sign.h"

static uint8_t pk[SIGN_PK], sk[SIGN_SK], pk2[SIGN_PK], sk2[SIGN_SK];

static int
setup(void **state)
{
	uint8_t seed[32] = {1};

	(void)state;
	crypto_sign_seed_keypair(pk, sk, seed);
	seed[0] = 2;
	crypto_sign_seed_keypair(pk2, sk2, seed);
	return 0;
}

static hist_rec
rec(uint64_t seq, const char *text)
{
	hist_rec r = {.sender = sign_id(pk), .seq = seq, .hlc = 1000 + seq, .text = text,
		      .len = strlen(text)};

	strcpy(r.nick, "alice");
	return r;
}

static void
test_id_belongs_to_its_key(void **state)
{
	(void)state;
	assert_true(sign_id(pk) == sign_id(pk));
	assert_true(sign_id(pk) != sign_id(pk2));
	assert_true(sign_id(pk) != 0);
}

static void
test_chain_covers_every_field(void **state)
{
	(void)state;
	uint8_t base[SIGN_CHAIN] = {0}, c[SIGN_CHAIN];
	hist_rec r = rec(1, "hello");
	hist_rec variants[5];

	memcpy(c, base, sizeof c);
	sign_chain(c, &r);
	for (int i = 0; i < 5; i++)
		variants[i] = r;
	variants[0].sender++;
	variants[1].seq++;
	variants[2].hlc++;
	strcpy(variants[3].nick, "alicf");
	variants[4].text = "hellp";
	for (int i = 0; i < 5; i++) {
		uint8_t v[SIGN_CHAIN] = {0};
		sign_chain(v, &variants[i]);
		assert_memory_not_equal(v, c, SIGN_CHAIN);
	}
	/* The chain depends on what came before. */
	uint8_t other[SIGN_CHAIN] = {9};
	sign_chain(other, &r);
	assert_memory_not_equal(other, c, SIGN_CHAIN);
}

static void
test_signed_head_checks_out_and_nothing_else_does(void **state)
{
	(void)state;
	hist_sig s = {.sender = sign_id(pk), .seq = 2};
	hist_rec r1 = rec(1, "one"), r2 = rec(2, "two");

	sign_chain(s.chain, &r1);
	sign_chain(s.chain, &r2);
	memcpy(s.pk, pk, SIGN_PK);
	sign_head(&s, sk);
	assert_true(sign_check(&s));
	hist_sig t = s;
	t.seq = 3;
	assert_false(sign_check(&t));
	t = s;
	t.chain[5] ^= 1;
	assert_false(sign_check(&t));
	/* Another key, even one that signs correctly, is not the sender's. */
	t = s;
	memcpy(t.pk, pk2, SIGN_PK);
	sign_head(&t, sk2);
	assert_false(sign_check(&t));
	t.sender = sign_id(pk2);
	sign_head(&t, sk2);
	assert_true(sign_check(&t)); /* as its own head, it is fine */
}

static void
test_link_proof(void **state)
{
	(void)state;
	uint8_t binding[SIGN_CHAIN] = {7}, other[SIGN_CHAIN] = {8}, proof[SIGN_SIG];

	sign_proof(proof, binding, sk);
	assert_true(sign_proof_check(proof, binding, pk, sign_id(pk)));
	assert_false(sign_proof_check(proof, other, pk, sign_id(pk)));   /* another session */
	assert_false(sign_proof_check(proof, binding, pk, sign_id(pk2))); /* another id */
	assert_false(sign_proof_check(proof, binding, pk2, sign_id(pk2)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_belongs_to_its_key),
		cmocka_unit_test(test_chain_covers_every_field),
		cmocka_unit_test(test_signed_head_checks_out_and_nothing_else_does),
		cmocka_unit_test(test_link_proof),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
