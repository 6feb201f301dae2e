/*
 * Unit tests of relay.h: the key two members share is the same at both
 * ends and no one else's; a report's tag names its author, incarnation,
 * recipient, clock and sequence number; the relay keeps each author's
 * latest report, pages of it together, and finds a recipient's tag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sodium.h>

#include "relay.h"

static uint8_t pk[3][SIGN_PK], sk[3][SIGN_SK];

static void
keys(void)
{
	for (int i = 0; i < 3; i++) {
		uint8_t seed[32] = {(uint8_t)(i + 1)};
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
}

static void
test_a_pair_shares_one_key_and_no_one_else_has_it(void **state)
{
	(void)state;
	uint8_t ab[RELAY_KEY], ba[RELAY_KEY], ac[RELAY_KEY], cb[RELAY_KEY];

	assert_true(relay_pair_key(ab, pk[0], sk[0], pk[1]));
	assert_true(relay_pair_key(ba, pk[1], sk[1], pk[0]));
	assert_true(relay_pair_key(ac, pk[0], sk[0], pk[2]));
	assert_true(relay_pair_key(cb, pk[2], sk[2], pk[1]));
	assert_memory_equal(ab, ba, RELAY_KEY);
	assert_memory_not_equal(ab, ac, RELAY_KEY);
	assert_memory_not_equal(ab, cb, RELAY_KEY);
}

static void
test_a_key_that_is_no_point_is_refused(void **state)
{
	(void)state;
	uint8_t key[RELAY_KEY], zero[SIGN_PK] = {0};

	assert_false(relay_pair_key(key, pk[0], sk[0], zero));
}

static void
test_a_tag_covers_every_field(void **state)
{
	(void)state;
	uint8_t k[RELAY_KEY], other[RELAY_KEY];
	uint64_t t = relay_report_tag((relay_pair_key(k, pk[0], sk[0], pk[1]), k), 1, 2, 3, 4, 5);

	relay_pair_key(other, pk[0], sk[0], pk[2]);
	assert_true(t == relay_report_tag(k, 1, 2, 3, 4, 5));
	assert_true(t != relay_report_tag(other, 1, 2, 3, 4, 5));
	assert_true(t != relay_report_tag(k, 9, 2, 3, 4, 5));
	assert_true(t != relay_report_tag(k, 1, 9, 3, 4, 5));
	assert_true(t != relay_report_tag(k, 1, 2, 9, 4, 5));
	assert_true(t != relay_report_tag(k, 1, 2, 3, 9, 5));
	assert_true(t != relay_report_tag(k, 1, 2, 3, 4, 9));
}

static const report_held *
held(const relay *r, uint64_t author)
{
	for (int i = 0; i < r->len; i++)
		if (r->v[i].author == author)
			return &r->v[i];
	return NULL;
}

static void
test_the_relay_keeps_the_latest_report_and_its_pages(void **state)
{
	(void)state;
	relay r = {0};
	wire_tag p1[] = {{.to = 30, .tag = 3}, {.to = 10, .tag = 1}};
	wire_tag p2[] = {{.to = 20, .tag = 2}};
	wire_tag late[] = {{.to = 10, .tag = 11}};
	uint64_t tag;

	relay_take(&r, 7, 100, 4, p1, 2);
	relay_take(&r, 7, 100, 4, p2, 1); /* another page of the same report */
	relay_take(&r, 7, 90, 3, late, 1); /* an earlier report: ignored */
	const report_held *h = held(&r, 7);
	assert_non_null(h);
	assert_int_equal(h->ntags, 3);
	assert_true(relay_tag(h, 10, &tag) && tag == 1);
	assert_true(relay_tag(h, 20, &tag) && tag == 2);
	assert_true(relay_tag(h, 30, &tag) && tag == 3);
	assert_false(relay_tag(h, 15, &tag));
	relay_take(&r, 7, 110, 4, late, 1); /* a later one replaces it */
	h = held(&r, 7);
	assert_int_equal(h->ntags, 1);
	assert_true(h->hlc == 110 && relay_tag(h, 10, &tag) && tag == 11);
	assert_false(relay_tag(h, 20, &tag));
	relay_clear(&r);
	assert_null(held(&r, 7));
	relay_take(&r, 8, 5, 1, p2, 1); /* a cleared slot is reused */
	assert_int_equal(r.len, 1);
	assert_true(relay_tag(held(&r, 8), 20, &tag) && tag == 2);
	relay_free(&r);
}

static void
test_a_liar_cannot_make_the_relay_hold_without_bound(void **state)
{
	(void)state;
	static wire_tag many[RELAY_MAX_TAGS];
	relay r = {0};

	for (int i = 0; i < RELAY_MAX_TAGS; i++)
		many[i] = (wire_tag){.to = (uint64_t)i, .tag = (uint64_t)i};
	relay_take(&r, 7, 100, 4, many, RELAY_MAX_TAGS);
	relay_take(&r, 7, 100, 4, many, RELAY_MAX_TAGS);
	assert_int_equal(held(&r, 7)->ntags, RELAY_MAX_TAGS);
	relay_free(&r);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_pair_shares_one_key_and_no_one_else_has_it),
		cmocka_unit_test(test_a_key_that_is_no_point_is_refused),
		cmocka_unit_test(test_a_tag_covers_every_field),
		cmocka_unit_test(test_the_relay_keeps_the_latest_report_and_its_pages),
		cmocka_unit_test(test_a_liar_cannot_make_the_relay_hold_without_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
