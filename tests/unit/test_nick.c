/* Unit tests of nick rules: what a nick may be, and when two clash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nick.h"

static bool
ok(const char *nick)
{
	return nick_check(nick, strlen(nick)) == NULL;
}

static void
test_valid_nicks(void **state)
{
	(void)state;
	assert_true(ok("alice"));
	assert_true(ok("Bob"));
	assert_true(ok("x"));
	assert_true(ok("joe_42"));
	assert_true(ok("a-b-c"));
	assert_true(ok("_"));
	assert_true(ok("0123456789"));
	assert_true(ok("abcdefghijklmnopqrstuvwxyzABCDEF")); /* 32: the maximum */
}

static void
test_invalid_nicks(void **state)
{
	(void)state;
	assert_non_null(nick_check("", 0));
	assert_non_null(nick_check("abcdefghijklmnopqrstuvwxyzABCDEFG", 33));
	assert_false(ok("two words"));
	assert_false(ok("dot.ted"));
	assert_false(ok("semi;colon"));
	assert_false(ok("[JOIN]"));
	assert_false(ok("h\xc3\xa9llo")); /* letters are ASCII letters */
	assert_false(ok("tab\there"));
	assert_false(nick_check("nul\0byte", 8) == NULL); /* len counts, not NUL */
}

static void
test_reserved_words_in_any_case(void **state)
{
	(void)state;
	const char *const words[] = {"JOIN", "join", "Users", "LEADER", "lost", "BACK",
				     "leave", "History", "late", "MOD", "error", "removed",
				     "current_leader", "IS_LEADER", "state", "Checksum"};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		assert_false(ok(words[i]));
	/* A reserved word inside a longer nick is fine. */
	assert_true(ok("joiner"));
	assert_true(ok("lost_and_found"));
}

static void
test_equal_ignores_ascii_case_only(void **state)
{
	(void)state;
	assert_true(nick_equal("Joe", 3, "joe", 3));
	assert_true(nick_equal("BOB", 3, "bOb", 3));
	assert_true(nick_equal("a-B_c", 5, "A-b_C", 5));
	assert_false(nick_equal("joe", 3, "joey", 4));
	assert_false(nick_equal("joe", 3, "jOa", 3));
	assert_false(nick_equal("a-b", 3, "a_b", 3));
	assert_true(nick_equal("", 0, "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_nicks),
		cmocka_unit_test(test_invalid_nicks),
		cmocka_unit_test(test_reserved_words_in_any_case),
		cmocka_unit_test(test_equal_ignores_ascii_case_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
