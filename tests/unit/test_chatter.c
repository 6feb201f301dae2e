/* Unit tests of chatter: SPEC 6's test vector, the generator, the texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chatter.h"

static void
test_spec_vector(void **state)
{
	(void)state;
	/* Sending times 0, 1, 2, 5 with values 1, 6, 8, 5 units: 57 units. */
	const uint64_t values[] = {1, 6, 8, 5};
	chatter_sum s = {0};
	char buf[128];

	for (int i = 0; i < 4; i++)
		chatter_add(&s, values[i]);
	chatter_result(&s, buf, sizeof buf);
	assert_string_equal(buf, "(4, 0.0000000057)");
}

static void
test_sum_is_exact_past_64_bits(void **state)
{
	(void)state;
	chatter_sum s = {0};
	char buf[128];

	/* Two million values of 1.0: sum i * 1e10 = 2e6 * (2e6 + 1) / 2 * 1e10. */
	for (int i = 0; i < 2000000; i++)
		chatter_add(&s, CHATTER_SCALE);
	chatter_result(&s, buf, sizeof buf);
	assert_string_equal(buf, "(2000000, 2000001000000.0000000000)");
	assert_true(s.sum > UINT64_MAX);
}

static void
test_generator_is_reproducible_and_in_range(void **state)
{
	(void)state;
	uint64_t a = 42, b = 42, c = 43;
	int differ = 0;

	for (int i = 0; i < 10000; i++) {
		uint64_t x = chatter_next(&a), y = chatter_next(&b), z = chatter_next(&c);
		assert_true(x == y);
		assert_true(x >= 1 && x <= CHATTER_SCALE);
		differ += x != z;
	}
	assert_true(differ > 9990);
	/* SplitMix64 from 0: its first output is 0xe220a8397b1dcdaf. */
	uint64_t zero = 0;
	assert_true(chatter_next(&zero) == 0xe220a8397b1dcdafULL % CHATTER_SCALE + 1);
}

static void
test_texts_round_trip(void **state)
{
	(void)state;
	char buf[16];
	uint64_t u;

	chatter_format(1, buf);
	assert_string_equal(buf, "0.0000000001");
	chatter_format(CHATTER_SCALE, buf);
	assert_string_equal(buf, "1.0000000000");
	assert_true(chatter_parse("0.5488135039", 12, &u) && u == 5488135039ULL);
	assert_false(chatter_parse("0.0000000000", 12, &u)); /* 0 is not in (0, 1] */
	assert_false(chatter_parse("1.0000000001", 12, &u));
	assert_false(chatter_parse("hello world!", 12, &u));
	assert_false(chatter_parse("0.5", 3, &u));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_vector),
		cmocka_unit_test(test_sum_is_exact_past_64_bits),
		cmocka_unit_test(test_generator_is_reproducible_and_in_range),
		cmocka_unit_test(test_texts_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
