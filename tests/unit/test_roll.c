/*
 * Unit tests of the roll call's rules (roll.h): of any two nodes that
 * join together exactly one answers the other, and the other calls again,
 * whichever call the broker brought first; a member answers everyone; no
 * node answers or calls again for its own call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "roll.h"

typedef struct {
	uint64_t started;
	const char *id;
} caller;

static const caller callers[] = {
	{1000, "00000000000000aa"}, {1000, "00000000000000bb"},
	{999, "ffffffffffffffff"},  {5000, "0000000000000001"},
};
#define NCALLERS (sizeof callers / sizeof callers[0])

static bool
answers(bool joined, const caller *me, const caller *them)
{
	return roll_answers(joined, me->started, me->id, them->started, them->id);
}

static bool
again(bool joined, const caller *me, const caller *them)
{
	return roll_calls_again(joined, me->started, me->id, them->started, them->id);
}

static void
test_of_two_joining_exactly_one_answers_and_the_other_calls_again(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCALLERS; i++)
		for (size_t j = 0; j < NCALLERS; j++) {
			const caller *a = &callers[i], *b = &callers[j];
			if (i == j)
				continue;
			/* b's call reached a: a answers it or calls again, never both */
			assert_true(answers(false, a, b) != again(false, a, b));
			/* and exactly one of the two answers the other */
			assert_true(answers(false, a, b) != answers(false, b, a));
		}
}

static void
test_the_older_answers_the_younger(void **state)
{
	(void)state;
	assert_true(answers(false, &callers[2], &callers[0]));  /* 999 before 1000 */
	assert_false(answers(false, &callers[0], &callers[2]));
	assert_true(again(false, &callers[0], &callers[2]));
	assert_true(answers(false, &callers[0], &callers[1]));  /* same time: lower ID */
	assert_true(again(false, &callers[1], &callers[0]));
}

static void
test_a_member_answers_every_call_and_never_calls_again_for_one(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCALLERS; i++)
		for (size_t j = 0; j < NCALLERS; j++) {
			if (i == j)
				continue;
			assert_true(answers(true, &callers[i], &callers[j]));
			assert_false(again(true, &callers[i], &callers[j]));
		}
}

static void
test_own_call_is_neither_answered_nor_called_again_for(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCALLERS; i++) {
		assert_false(answers(false, &callers[i], &callers[i]));
		assert_false(answers(true, &callers[i], &callers[i]));
		assert_false(again(false, &callers[i], &callers[i]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_of_two_joining_exactly_one_answers_and_the_other_calls_again),
		cmocka_unit_test(test_the_older_answers_the_younger),
		cmocka_unit_test(test_a_member_answers_every_call_and_never_calls_again_for_one),
		cmocka_unit_test(test_own_call_is_neither_answered_nor_called_again_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
