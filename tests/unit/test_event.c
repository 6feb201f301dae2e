/*
 * Unit tests of event lines: each event reads exactly as SPEC section 4
 * says, and nothing from the network reaches the terminal raw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"

static char line[64 * 1024];

static const char *
fmt(event_kind kind, const char *nick, const char *text)
{
	event ev = {.kind = kind, .nick = nick, .text = text,
		    .text_len = text ? strlen(text) : 0};

	event_format(&ev, line, sizeof line);
	return line;
}

/* A chat message with raw bytes (len given: may hold NULs). */
static const char *
msg(const char *nick, const char *text, size_t len)
{
	event ev = {.kind = EVENT_MESSAGE, .nick = nick, .text = text, .text_len = len};

	event_format(&ev, line, sizeof line);
	return line;
}

static void
assert_no_control_bytes(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
}

static void
test_spec_lines(void **state)
{
	(void)state;
	assert_string_equal(fmt(EVENT_JOIN, "alice", NULL), "[JOIN] alice joined the chat");
	assert_string_equal(fmt(EVENT_LEAVE, "alice", NULL), "[LEAVE] alice left the chat");
	assert_string_equal(fmt(EVENT_LOST, "bob", NULL), "[LOST] bob is unreachable");
	assert_string_equal(fmt(EVENT_BACK, "bob", NULL), "[BACK] bob is reachable again");
	assert_string_equal(fmt(EVENT_LEADER, "carol", NULL), "[LEADER] carol is the leader");
	assert_string_equal(fmt(EVENT_USERS, NULL, "alice (leader), bob"),
			    "[USERS] alice (leader), bob");
	assert_string_equal(fmt(EVENT_CURRENT_LEADER, "alice", NULL), "[CURRENT_LEADER] alice");
	assert_string_equal(fmt(EVENT_IS_LEADER, NULL, "yes"), "[IS_LEADER] yes");
	assert_string_equal(fmt(EVENT_IS_LEADER, NULL, "no"), "[IS_LEADER] no");
	assert_string_equal(fmt(EVENT_STATE, NULL, "nick=a id=1 role=leader"),
			    "[STATE] nick=a id=1 role=leader");
	assert_string_equal(fmt(EVENT_CHECKSUM, NULL, "count=0 digest=00"),
			    "[CHECKSUM] count=0 digest=00");
	assert_string_equal(fmt(EVENT_ERROR, NULL, "unknown command: \\x"),
			    "[ERROR] unknown command: \\x");
	assert_string_equal(fmt(EVENT_HELP, NULL, "\\help  this"), "\\help  this");
	assert_string_equal(fmt(EVENT_MOD, NULL, "bob was silenced by alice"),
			    "[MOD] bob was silenced by alice");
	assert_string_equal(fmt(EVENT_REMOVED, "alice", NULL), "[REMOVED] removed by alice");
	assert_string_equal(fmt(EVENT_REMOVED, "the leader", NULL),
			    "[REMOVED] removed by the leader");
	assert_string_equal(fmt(EVENT_RENAMED, "Guest12345", NULL),
			    "[INFO] your nick was taken by another user; you are now Guest12345");
	assert_string_equal(msg("alice", "hello, world", 12), "[alice] hello, world");
}

static void
test_utf8_validity(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("plain ascii", 11));
	assert_true(utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
	assert_true(utf8_valid("\xc2\x9b", 2));        /* a C1 control is valid (and escaped) */
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("\xc3", 1));            /* cut short */
	assert_false(utf8_valid("\xc0\xaf", 2));        /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));    /* a surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(utf8_valid("ok\x80", 3));
}

static void
test_history_and_late_lines(void **state)
{
	(void)state;
	static char buf[256];
	/* 1970-01-02 03:04:05.678 UTC */
	event ev = {.kind = EVENT_HISTORY, .nick = "bob", .text = "hi\x1b", .text_len = 3,
		    .time = 97445678};

	event_format(&ev, buf, sizeof buf);
	assert_string_equal(buf, "[HISTORY] [bob] hi\\e");
	ev.kind = EVENT_LATE;
	event_format(&ev, buf, sizeof buf);
	assert_string_equal(buf, "[LATE 03:04:05] [bob] hi\\e");
	/* The shell passes the author's time in its own time zone. */
	ev.stamp = "04:04:05";
	event_format(&ev, buf, sizeof buf);
	assert_string_equal(buf, "[LATE 04:04:05] [bob] hi\\e");
}

static void
test_terminal_escapes_are_defused(void **state)
{
	(void)state;
	const char osc[] = "\x1b]0;pwned\x07";
	const char clear[] = "\x1b[2J";

	assert_string_equal(msg("eve", osc, sizeof osc - 1), "[eve] \\e]0;pwned\\x07");
	assert_no_control_bytes(line);
	assert_string_equal(msg("eve", clear, sizeof clear - 1), "[eve] \\e[2J");
	assert_no_control_bytes(line);
	assert_string_equal(msg("eve", "a\rb", 3), "[eve] a\\rb");
	assert_string_equal(msg("eve", "a\nb\tc", 5), "[eve] a\\nb\\tc");
	assert_string_equal(msg("eve", "del\x7f", 4), "[eve] del\\x7f");
	assert_string_equal(msg("eve", "nul\0x", 5), "[eve] nul\\x00x");
	assert_no_control_bytes(line);
}

static void
test_invalid_utf8_is_escaped(void **state)
{
	(void)state;
	assert_string_equal(msg("eve", "\xff\xfe", 2), "[eve] \\xff\\xfe");
	/* an overlong '/' */
	assert_string_equal(msg("eve", "\xc0\xaf", 2), "[eve] \\xc0\\xaf");
	/* a UTF-16 surrogate */
	assert_string_equal(msg("eve", "\xed\xa0\x80", 3), "[eve] \\xed\\xa0\\x80");
	/* a sequence cut short by the end of the text */
	assert_string_equal(msg("eve", "ok\xc3", 3), "[eve] ok\\xc3");
	/* a lone continuation byte */
	assert_string_equal(msg("eve", "\x80", 1), "[eve] \\x80");
	/* C1 control CSI (U+009B), valid UTF-8 but a terminal escape */
	assert_string_equal(msg("eve", "\xc2\x9b" "2J", 4), "[eve] \\xc2\\x9b2J");
	assert_no_control_bytes(line);
}

/* A pending line: its own length, escaped like any text. */
static void
test_pending_line(void **state)
{
	(void)state;
	event ev = {.kind = EVENT_PENDING, .text = "hi\x1b[2Jthere, and more", .text_len = 11};

	event_format(&ev, line, sizeof line);
	assert_string_equal(line, "[PENDING] hi\\e[2Jthere");
}

static void
test_layout_controls_are_escaped(void **state)
{
	(void)state;
	/* RIGHT-TO-LEFT OVERRIDE would make "exe.txt" read as "txt.exe" */
	assert_string_equal(msg("eve", "\xe2\x80\xae" "txt.exe", 10), "[eve] \\u202etxt.exe");
	assert_string_equal(msg("eve", "a\xe2\x80\xa8" "b\xe2\x80\xa9", 8), "[eve] a\\u2028b\\u2029");
	assert_string_equal(msg("eve", "\xe2\x81\xa6\xe2\x81\xa9", 6), "[eve] \\u2066\\u2069");
	assert_string_equal(msg("eve", "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 8),
			    "[eve] \\u200e\\u200f\\u061c");
	assert_string_equal(msg("eve", "\xe2\x80\xaa\xe2\x80\xac", 6), "[eve] \\u202a\\u202c");
	/* their neighbours are ordinary text */
	assert_string_equal(msg("eve", "\xe2\x80\x94\xe2\x80\xaf", 6), "[eve] \xe2\x80\x94\xe2\x80\xaf");
}

static void
test_valid_utf8_passes(void **state)
{
	(void)state;
	assert_string_equal(msg("alice", "h\xc3\xa9llo", 6), "[alice] h\xc3\xa9llo");
	assert_string_equal(msg("alice", "\xe2\x82\xac 5", 5), "[alice] \xe2\x82\xac 5");
	assert_string_equal(msg("alice", "\xf0\x9f\x98\x80", 4), "[alice] \xf0\x9f\x98\x80");
	assert_string_equal(msg("alice", "\xc2\xa0", 2), "[alice] \xc2\xa0"); /* U+00A0 */
}

static void
test_escape_respects_its_buffer(void **state)
{
	(void)state;
	char buf[8];
	size_t n;

	/* "\e" takes 2 bytes; pieces are never cut in the middle. */
	n = event_escape("\x1b\x1b\x1b\x1b", 4, buf, sizeof buf);
	assert_int_equal(n, 6);
	assert_string_equal(buf, "\\e\\e\\e");
	n = event_escape("abcdefghij", 10, buf, sizeof buf);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "abcdefg");
	n = event_escape("h\xc3\xa9llo", 6, buf, 3);
	assert_string_equal(buf, "h"); /* "é" does not fit beside the NUL */
	assert_int_equal(event_escape("x", 1, buf, 0), 0);
}

static void
test_format_respects_its_buffer(void **state)
{
	(void)state;
	char small[10];
	event ev = {.kind = EVENT_JOIN, .nick = "alice"};
	size_t n = event_format(&ev, small, sizeof small);

	assert_int_equal(n, 9);
	assert_string_equal(small, "[JOIN] al");
	ev = (event){.kind = EVENT_MESSAGE, .nick = "bob", .text = "\x1b[2J", .text_len = 4};
	n = event_format(&ev, small, sizeof small);
	assert_int_equal(strlen(small), n);
	assert_no_control_bytes(small);
}

static void
test_longest_message_is_escaped_whole(void **state)
{
	(void)state;
	static char text[4096];
	memset(text, 0x1b, sizeof text);

	msg("bob", text, sizeof text);
	assert_int_equal(strlen(line), 6 + 2 * sizeof text);
	assert_no_control_bytes(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_lines),
		cmocka_unit_test(test_history_and_late_lines),
		cmocka_unit_test(test_utf8_validity),
		cmocka_unit_test(test_terminal_escapes_are_defused),
		cmocka_unit_test(test_invalid_utf8_is_escaped),
		cmocka_unit_test(test_layout_controls_are_escaped),
		cmocka_unit_test(test_pending_line),
		cmocka_unit_test(test_valid_utf8_passes),
		cmocka_unit_test(test_escape_respects_its_buffer),
		cmocka_unit_test(test_format_respects_its_buffer),
		cmocka_unit_test(test_longest_message_is_escaped_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
