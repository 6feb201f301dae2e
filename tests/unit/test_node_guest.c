/*
 * Unit tests of the node core: guests (the IRC gateway's users).  The
 * leader can silence one just attached; two guests claiming one nick end
 * with one renamed; a guest of a lost node is taken over; a node cannot
 * take an online guest's nick.
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

/*
 * The leader moderates an IRC user the moment it is attached here, before
 * its join is shown (that waits for the others' clocks): the user is
 * known, so the directive is issued, not "no such user".
 */
static void
test_the_leader_can_silence_a_user_just_attached(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t since;

	settled_pair(&a, &b);
	assert_int_equal(node_guest_join(a.n, 2110, "xena", &since), NODE_GUEST_OK);
	input(&a, 2111, "!silence xena");
	assert_int_equal(count_line(&a, "[JOIN] xena joined the chat"), 0); /* not shown yet */
	assert_int_equal(count_line(&a, "[ERROR] no such user: xena"), 0);
	for (uint64_t t = 2150; t <= 2600; t += 50) {
		call_tick(&a, t);
		call_tick(&b, t);
		settle(&a, 101, &b, 1, t);
	}
	assert_int_equal(count_line(&a, "[MOD] xena was silenced by alice"), 1);
	assert_int_equal(count_line(&b, "[MOD] xena was silenced by alice"), 1);
	stop(&a);
	stop(&b);
}

static void
test_two_guests_claiming_one_nick_end_with_one_renamed(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t since;
	char users_a[256], users_b[256];

	settled_pair(&a, &b);
	/* Each node attaches "xena" before hearing of the other's. */
	assert_int_equal(node_guest_join(a.n, 2110, "xena", &since), NODE_GUEST_OK);
	assert_true(since == 0);
	node_flush(a.n, 2110);
	assert_int_equal(node_guest_join(b.n, 2120, "Xena", &since), NODE_GUEST_OK);
	node_flush(b.n, 2120);
	settle(&a, 101, &b, 1, 2130);
	/* bob's claim is the later in history order: bob renames its guest. */
	assert_string_equal(a.guest_notice, "");
	assert_true(strncmp(b.guest_notice, "1 Xena Guest", 12) == 0);
	const char *fresh = b.guest_notice + 7;
	assert_int_equal(node_guest_say(b.n, 2140, "Xena", "", 0, "hi", 2), NODE_GUEST_NOT_READY);
	assert_int_equal(node_guest_say(b.n, 2140, fresh, "", 0, "hi", 2), NODE_GUEST_OK);
	node_flush(b.n, 2140);
	for (uint64_t t = 2150; t <= 2400; t += 50) {
		call_tick(&a, t);
		call_tick(&b, t);
		settle(&a, 101, &b, 1, t);
	}
	char said[128];
	snprintf(said, sizeof said, "[%s] hi", fresh);
	assert_int_equal(count_line(&a, said), 1);
	assert_int_equal(count_line(&b, said), 1);
	/* One xena, and the renamed guest, alike on both. */
	input(&a, 2500, "\\list_users");
	snprintf(users_a, sizeof users_a, "%s", last_line(&a));
	input(&b, 2500, "\\list_users");
	snprintf(users_b, sizeof users_b, "%s", last_line(&b));
	assert_string_equal(users_a, users_b);
	char want[256];
	snprintf(want, sizeof want, "[USERS] alice (leader), bob, xena, %s", fresh);
	assert_string_equal(users_a, want);
	assert_int_equal(count_line(&a, "[JOIN] xena joined the chat"), 1);
	assert_int_equal(count_line(&a, "[LEAVE] xena left the chat"), 0);
	stop(&a);
	stop(&b);
}

static void
test_a_guest_of_a_lost_node_is_taken_over(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t since;

	settled_pair(&a, &b);
	assert_int_equal(node_guest_join(a.n, 2110, "xena", &since), NODE_GUEST_OK);
	node_flush(a.n, 2110);
	for (uint64_t t = 2150; t <= 2400; t += 50) {
		call_tick(&a, t);
		call_tick(&b, t);
		settle(&a, 101, &b, 1, t);
	}
	assert_true(find_line(&b, "[JOIN] xena joined the chat") >= 0);
	/* While alice is reachable, xena is hers. */
	assert_int_equal(node_guest_join(b.n, 2410, "xena", &since), NODE_GUEST_IN_USE);
	call_link_down(&b, 2500, 1, "connection reset by peer");
	assert_true(find_line(&b, "[LOST] xena is unreachable") >= 0);
	assert_int_equal(node_guest_join(b.n, 2510, "XENA", &since), NODE_GUEST_OK);
	assert_true(since != 0); /* what was said since it joined is replayed */
	node_flush(b.n, 2510);
	ticks(&b, 2550, 2600);
	assert_string_equal(last_line(&b), "[BACK] XENA is reachable again");
	assert_int_equal(count_line(&b, "[JOIN] xena joined the chat"), 1);
	stop(&a);
	stop(&b);
}

static void
test_a_node_cannot_take_an_online_guests_nick(void **state)
{
	(void)state;
	static fake a, b, c;
	uint64_t since;

	pair(&a, &b);
	ticks(&a, 2050, 2100);
	assert_int_equal(node_guest_join(a.n, 2110, "carol", &since), NODE_GUEST_OK);
	node_flush(a.n, 2110);
	for (uint64_t t = 2150; t <= 2600; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		settle(&a, 101, &b, 1, t);
	}
	/* A new node named Carol joins through bob, who knows the IRC user. */
	start(&c, C_ID, 3000, "Carol", "10.0.0.3", "10.0.0.2:7420");
	link_up(&c, 1, &b, 102, 3001);
	settle(&b, 102, &c, 1, 3002);
	assert_int_equal(c.exit_code, 3);
	assert_false(node_announced(c.n));
	assert_non_null(strstr(b.last_log, "an IRC user is online under that nick"));
	/* The user keeps the nick. */
	ticks(&a, 3100, 3100);
	assert_int_equal(a.guest_notice[0], '\0');
	stop3(&a, &b, &c);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_leader_can_silence_a_user_just_attached),
		cmocka_unit_test(test_two_guests_claiming_one_nick_end_with_one_renamed),
		cmocka_unit_test(test_a_guest_of_a_lost_node_is_taken_over),
		cmocka_unit_test(test_a_node_cannot_take_an_online_guests_nick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
