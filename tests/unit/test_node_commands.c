/*
 * Unit tests of the node core: commands and moderation.  The commands
 * answer (and send nothing), to whoever asked (node_ask); the leader's
 * directives (!silence, !unsilence, !remove) are records, enforced on
 * every node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_fixture.h"

static void
test_commands_answer(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	input(&a, 2100, "\\is_leader");
	assert_string_equal(last_line(&a), "[IS_LEADER] yes");
	input(&b, 2100, "\\is_leader");
	assert_string_equal(last_line(&b), "[IS_LEADER] no");
	input(&b, 2100, "\\current_leader");
	assert_string_equal(last_line(&b), "[CURRENT_LEADER] alice");
	input(&b, 2100, "\\list_users");
	assert_string_equal(last_line(&b), "[USERS] alice (leader), bob");
	input(&b, 2100, "\\state");
	assert_non_null(strstr(last_line(&b), "[STATE] nick=bob "));
	assert_non_null(strstr(last_line(&b), " role=follower leader=alice members=2"));
	input(&b, 2100, "\\checksum");
	assert_int_equal(strncmp(last_line(&b), "[CHECKSUM] count=0 digest=", 26), 0);
	input(&b, 2100, "\\bogus");
	assert_string_equal(last_line(&b), "[ERROR] unknown command: \\bogus");
	input(&b, 2100, "!silence alice");
	assert_string_equal(last_line(&b), "[ERROR] only the leader can silence");
	int before = a.nout + b.nout;
	input(&b, 2100, "\\help");
	assert_int_equal(a.nout + b.nout, before); /* commands send nothing */
	stop(&a);
	stop(&b);
}

/* The answers to one node_ask, as lines. */
typedef struct asked {
	char lines[8][256];
	int n;
} asked;

static void
on_answer(void *arg, const event *ev)
{
	asked *q = arg;

	assert_true(q->n < 8);
	event_format(ev, q->lines[q->n++], sizeof q->lines[0]);
}

/* A front end's user asks (node_ask): the answers are its own, not the node's user's. */
static void
test_answers_go_to_whoever_asked(void **state)
{
	(void)state;
	static fake a, b;
	asked q = {.n = 0};

	pair(&a, &b);
	int lines = a.nlines, sent = a.nout;
	node_ask(a.n, 2100, "\\list_users", 11, on_answer, &q);
	node_ask(a.n, 2100, "\\is_leader", 10, on_answer, &q);
	node_ask(a.n, 2100, "hello", 5, on_answer, &q); /* not a command: ignored */
	node_ask(a.n, 2100, "\\quit", 5, on_answer, &q);
	node_flush(a.n, 2100);
	assert_int_equal(q.n, 2);
	assert_string_equal(q.lines[0], "[USERS] alice (leader), bob");
	assert_string_equal(q.lines[1], "[IS_LEADER] yes");
	assert_int_equal(a.nlines, lines);
	assert_int_equal(a.nout, sent); /* no line submitted, no leave */
	assert_false(node_done(a.n));
	input(&a, 2110, "\\is_leader"); /* the node's own user: io.event, as ever */
	assert_string_equal(last_line(&a), "[IS_LEADER] yes");
	assert_int_equal(q.n, 2);
	stop(&a);
	stop(&b);
}

static void
test_directives_are_records_enforced_everywhere(void **state)
{
	(void)state;
	static fake a, b, c;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	/* Only the leader directs; an unknown nick is an error. */
	input(&b, 3310, "!silence carol");
	assert_string_equal(last_line(&b), "[ERROR] only the leader can silence");
	input(&a, 3311, "!silence zed");
	assert_string_equal(last_line(&a), "[ERROR] no such user: zed");
	/* alice silences bob: a record, shown everywhere as [MOD]. */
	input(&a, 3320, "!silence Bob");
	mesh3(&a, &b, &c, 3350, 3500);
	for (fake *f = &a; f; f = f == &a ? &b : f == &b ? &c : NULL)
		assert_int_equal(count_line(f, "[MOD] bob was silenced by alice"), 1);
	input(&c, 3510, "\\list_users");
	assert_string_equal(last_line(&c), "[USERS] alice (leader), bob (silenced), carol");
	input(&c, 3511, "\\state");
	assert_non_null(strstr(last_line(&c), " silenced=1 "));
	/* bob's node refuses to send for him. */
	int sent = b.nout;
	input(&b, 3520, "let me speak");
	assert_string_equal(last_line(&b), "[ERROR] you are silenced");
	assert_int_equal(b.nout, sent);
	/* Lifted: he speaks again. */
	input(&a, 3600, "!unsilence bob");
	mesh3(&a, &b, &c, 3650, 3800);
	assert_int_equal(count_line(&c, "[MOD] bob was unsilenced by alice"), 1);
	input(&b, 3810, "thanks");
	mesh3(&a, &b, &c, 3850, 4000);
	assert_int_equal(count_line(&c, "[bob] thanks"), 1);
	/* carol is removed: she says so and ends with 4; the others cut her off. */
	input(&a, 4100, "!remove carol");
	mesh3(&a, &b, &c, 4150, 4400);
	assert_int_equal(c.exit_code, 4);
	assert_int_equal(count_line(&c, "[REMOVED] removed by alice"), 1);
	assert_int_equal(count_line(&b, "[MOD] carol was removed by alice"), 1);
	input(&b, 4410, "\\list_users");
	assert_string_equal(last_line(&b), "[USERS] alice (leader), bob");
	stop3(&a, &b, &c);
}

/*
 * bob speaks after alice's silence of him is written but before carol's
 * endorsement makes it count.  His line sorts before the place where the
 * silence came to count, so every node shows it -- carol too, who holds
 * her endorsement (the records after the line) by the time she shows it --
 * and \history judges it alike.  Before, a node judged a line by what it
 * had folded in when it showed it, and carol hid what the others showed.
 */
static void
test_a_line_before_its_authors_silence_counts_is_shown_everywhere(void **state)
{
	(void)state;
	static fake a, b, c;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	input(&a, 3320, "!silence bob");
	input(&b, 3321, "said before it counts");
	mesh3(&a, &b, &c, 3350, 3600);
	for (fake *f = &a; f; f = f == &a ? &b : f == &b ? &c : NULL) {
		assert_int_equal(count_line(f, "[MOD] bob was silenced by alice"), 1);
		assert_int_equal(count_line(f, "[bob] said before it counts"), 1);
		assert_true(find_line(f, "[bob] said before it counts") <
			    find_line(f, "[MOD] bob was silenced by alice"));
	}
	input(&c, 3610, "\\history");
	assert_int_equal(count_line(&c, "[HISTORY] [bob] said before it counts"), 1);
	/* Once it counts, bob's node refuses to send for him. */
	input(&b, 3620, "said after");
	assert_string_equal(last_line(&b), "[ERROR] you are silenced");
	stop3(&a, &b, &c);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands_answer),
		cmocka_unit_test(test_answers_go_to_whoever_asked),
		cmocka_unit_test(test_directives_are_records_enforced_everywhere),
		cmocka_unit_test(test_a_line_before_its_authors_silence_counts_is_shown_everywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
