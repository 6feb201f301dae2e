/* Unit tests of the IRC codec: framing, parameters, tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "irc.h"

static bool
parse(const char *line, irc_msg *m)
{
	return irc_parse(line, strlen(line), m);
}

static void
assert_param(const irc_msg *m, int i, const char *want)
{
	assert_true(i < m->nparams);
	assert_int_equal(m->params[i].len, strlen(want));
	assert_memory_equal(m->params[i].ptr, want, strlen(want));
}

static void
test_command_and_params(void **state)
{
	irc_msg m;

	(void)state;
	assert_true(parse("privmsg #chorus :hello there", &m));
	assert_string_equal(m.command, "PRIVMSG");
	assert_int_equal(m.nparams, 2);
	assert_param(&m, 0, "#chorus");
	assert_param(&m, 1, "hello there");
	assert_true(parse("USER bob 0 *   :Bob B", &m));
	assert_int_equal(m.nparams, 4);
	assert_param(&m, 2, "*");
	assert_param(&m, 3, "Bob B");
	assert_true(parse("PRIVMSG #c ::-) smile", &m));
	assert_param(&m, 1, ":-) smile");
	assert_true(parse("PING", &m));
	assert_int_equal(m.nparams, 0);
	assert_true(parse("001 nick :welcome", &m));
	assert_string_equal(m.command, "001");
}

static void
test_prefix_and_tags(void **state)
{
	irc_msg m;
	char v[64];

	(void)state;
	assert_true(parse("@time=2026-01-01T00:00:00.000Z;msgid=ab-cd;+x/y=a\\sb\\:c :bob!b@h "
			  "PRIVMSG #chorus :hi", &m));
	assert_int_equal(m.prefix.len, 7);
	assert_memory_equal(m.prefix.ptr, "bob!b@h", 7);
	assert_true(irc_tag(&m, "msgid", v, sizeof v));
	assert_string_equal(v, "ab-cd");
	assert_true(irc_tag(&m, "+x/y", v, sizeof v));
	assert_string_equal(v, "a b;c");
	assert_false(irc_tag(&m, "msg", v, sizeof v)); /* a prefix of a key is not the key */
	assert_true(parse("@flag PING x", &m));
	assert_true(irc_tag(&m, "flag", v, sizeof v));
	assert_string_equal(v, "");
}

static void
test_the_fifteenth_param_takes_the_rest(void **state)
{
	irc_msg m;

	(void)state;
	assert_true(parse("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", &m));
	assert_int_equal(m.nparams, IRC_MAX_PARAMS);
	assert_param(&m, 14, "15 16 17");
}

static void
test_malformed_lines(void **state)
{
	irc_msg m;

	(void)state;
	assert_false(parse("", &m));
	assert_false(parse("   ", &m));
	assert_false(parse(":prefix-only", &m));
	assert_false(parse("@tags-only", &m));
	assert_false(parse("PRIV.MSG x", &m));
	assert_false(parse("ABCDEFGHIJKLMNOPQ x", &m)); /* 17 letters */
	assert_false(irc_parse("PRIVMSG #c :a\0b", 15, &m));
	assert_false(parse("PRIVMSG #c :a\rb", &m));
	assert_false(parse("PRIVMSG #c :a\nb", &m));
}

static void
test_is_ignores_case(void **state)
{
	(void)state;
	assert_true(irc_is((irc_str){"#Chorus", 7}, "#chorus"));
	assert_false(irc_is((irc_str){"#chorus2", 8}, "#chorus"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_and_params),
		cmocka_unit_test(test_prefix_and_tags),
		cmocka_unit_test(test_the_fifteenth_param_takes_the_rest),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_is_ignores_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
