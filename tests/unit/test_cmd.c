/* Unit tests of input parsing: messages, commands, directives, leaving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"

static cmd
parse(const char *line)
{
	return cmd_parse(line, strlen(line));
}

/* The command's argument, as a C string (for comparisons). */
static const char *
arg(cmd c)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "%.*s", (int)c.arg_len, c.arg ? c.arg : "");
	return buf;
}

static void
test_messages_keep_the_whole_line(void **state)
{
	(void)state;
	const char *line = "  hello, world  ";
	cmd c = parse(line);

	assert_int_equal(c.kind, CMD_MESSAGE);
	assert_ptr_equal(c.arg, line);
	assert_int_equal(c.arg_len, strlen(line));
	assert_int_equal(parse("hello \\state").kind, CMD_MESSAGE);
	assert_int_equal(parse("byebye").kind, CMD_MESSAGE);
	assert_int_equal(parse("Bye").kind, CMD_MESSAGE);
	assert_int_equal(parse("exit now").kind, CMD_MESSAGE);
}

static void
test_empty_lines_do_nothing(void **state)
{
	(void)state;
	assert_int_equal(parse("").kind, CMD_NONE);
	assert_int_equal(parse("   ").kind, CMD_NONE);
	assert_int_equal(parse("\t \r").kind, CMD_NONE);
}

static void
test_leaving(void **state)
{
	(void)state;
	assert_int_equal(parse("bye").kind, CMD_QUIT);
	assert_int_equal(parse("exit").kind, CMD_QUIT);
	assert_int_equal(parse("\\quit").kind, CMD_QUIT);
	assert_int_equal(parse("  bye \r").kind, CMD_QUIT);
}

static void
test_commands(void **state)
{
	(void)state;
	assert_int_equal(parse("\\list_users").kind, CMD_LIST_USERS);
	assert_int_equal(parse("\\current_leader").kind, CMD_CURRENT_LEADER);
	assert_int_equal(parse("\\is_leader").kind, CMD_IS_LEADER);
	assert_int_equal(parse("\\state").kind, CMD_STATE);
	assert_int_equal(parse("\\checksum").kind, CMD_CHECKSUM);
	assert_int_equal(parse("\\help").kind, CMD_HELP);
	assert_int_equal(parse("\\is_leader\r").kind, CMD_IS_LEADER);

	cmd h = parse("\\history");
	assert_int_equal(h.kind, CMD_HISTORY);
	assert_int_equal(h.arg_len, 0);
	h = parse("\\history   5  ");
	assert_int_equal(h.kind, CMD_HISTORY);
	assert_string_equal(arg(h), "5");
}

static void
test_directives_take_a_nick(void **state)
{
	(void)state;
	cmd c = parse("!silence bob");

	assert_int_equal(c.kind, CMD_SILENCE);
	assert_string_equal(arg(c), "bob");
	c = parse("!unsilence\tBob ");
	assert_int_equal(c.kind, CMD_UNSILENCE);
	assert_string_equal(arg(c), "Bob");
	c = parse("!remove carol");
	assert_int_equal(c.kind, CMD_REMOVE);
	assert_string_equal(arg(c), "carol");
	c = parse("!remove");
	assert_int_equal(c.kind, CMD_REMOVE);
	assert_int_equal(c.arg_len, 0);
}

static void
test_unknown_words(void **state)
{
	(void)state;
	cmd c = parse("\\nope and more");

	assert_int_equal(c.kind, CMD_UNKNOWN);
	assert_string_equal(arg(c), "\\nope");
	c = parse("!ban bob");
	assert_int_equal(c.kind, CMD_UNKNOWN);
	assert_string_equal(arg(c), "!ban");
	/* Commands are case-sensitive, and a prefix is not the command. */
	assert_int_equal(parse("\\STATE").kind, CMD_UNKNOWN);
	assert_int_equal(parse("\\stat").kind, CMD_UNKNOWN);
	assert_int_equal(parse("\\").kind, CMD_UNKNOWN);
}

static void
test_help_is_listed(void **state)
{
	(void)state;
	int n = 0;

	for (; cmd_help[n]; n++)
		assert_true(strlen(cmd_help[n]) > 0);
	assert_true(n >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_keep_the_whole_line),
		cmocka_unit_test(test_empty_lines_do_nothing),
		cmocka_unit_test(test_leaving),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_directives_take_a_nick),
		cmocka_unit_test(test_unknown_words),
		cmocka_unit_test(test_help_is_listed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
