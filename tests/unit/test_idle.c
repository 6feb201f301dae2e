/*
 * Unit tests of idle: the setup deadline of a new connection, and the
 * PING and the end of a set-up one that goes quiet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "idle.h"

static const idle_limits lim = {.setup_ms = 1000, .ping_ms = 500};

static void
test_setup_deadline_runs_from_the_start(void **state)
{
	idle s;

	(void)state;
	idle_start(&s, 10000);
	assert_int_equal(idle_check(&s, &lim, 10000), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 10999), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 11000), IDLE_LATE);
	assert_int_equal(idle_check(&s, &lim, 12000), IDLE_LATE); /* until it is closed */
}

static void
test_bytes_before_setup_do_not_extend_it(void **state)
{
	idle s;

	(void)state;
	idle_start(&s, 0);
	for (uint64_t t = 100; t < 1000; t += 100) {
		idle_heard(&s, t); /* a byte now and then */
		assert_int_equal(idle_check(&s, &lim, t), IDLE_OK);
	}
	assert_int_equal(idle_check(&s, &lim, 1000), IDLE_LATE);
}

static void
test_set_up_in_time_is_never_late(void **state)
{
	idle s;

	(void)state;
	idle_start(&s, 0);
	idle_ready(&s, 999);
	assert_int_equal(idle_check(&s, &lim, 1000), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1400), IDLE_OK);
}

static void
test_quiet_is_asked_once_then_dropped(void **state)
{
	idle s;

	(void)state;
	idle_start(&s, 0);
	idle_ready(&s, 100);
	assert_int_equal(idle_check(&s, &lim, 599), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 600), IDLE_PING);
	assert_int_equal(idle_check(&s, &lim, 601), IDLE_OK); /* asked once */
	assert_int_equal(idle_check(&s, &lim, 1099), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1100), IDLE_SILENT);
	assert_int_equal(idle_check(&s, &lim, 1200), IDLE_SILENT);
}

static void
test_an_answer_starts_a_new_quiet_spell(void **state)
{
	idle s;

	(void)state;
	idle_ready(&s, 0);
	assert_int_equal(idle_check(&s, &lim, 500), IDLE_PING);
	idle_heard(&s, 700); /* PONG */
	assert_int_equal(idle_check(&s, &lim, 1100), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1199), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1200), IDLE_PING);
	assert_int_equal(idle_check(&s, &lim, 1699), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1700), IDLE_SILENT);
}

static void
test_chatter_keeps_it_from_being_asked(void **state)
{
	idle s;

	(void)state;
	idle_ready(&s, 0);
	for (uint64_t t = 400; t < 5000; t += 400) {
		assert_int_equal(idle_check(&s, &lim, t), IDLE_OK);
		idle_heard(&s, t);
	}
}

static void
test_a_late_check_asks_before_it_drops(void **state)
{
	idle s;

	(void)state;
	idle_ready(&s, 0);
	/* The node was stopped for a long time: the client still gets its ping_ms. */
	assert_int_equal(idle_check(&s, &lim, 60000), IDLE_PING);
	assert_int_equal(idle_check(&s, &lim, 60499), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 60500), IDLE_SILENT);
}

static void
test_paused_time_does_not_count(void **state)
{
	idle s;

	(void)state;
	idle_start(&s, 0);
	idle_pause(&s, 900); /* not read from 0 to 900 */
	assert_int_equal(idle_check(&s, &lim, 1500), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1900), IDLE_LATE);

	idle_ready(&s, 0);
	assert_int_equal(idle_check(&s, &lim, 500), IDLE_PING);
	idle_pause(&s, 800); /* its answer may be waiting unread */
	assert_int_equal(idle_check(&s, &lim, 1200), IDLE_OK);
	assert_int_equal(idle_check(&s, &lim, 1300), IDLE_PING);
}

static void
test_no_ping_interval_means_never(void **state)
{
	const idle_limits links = {.setup_ms = 1000, .ping_ms = 0};
	idle s;

	(void)state;
	idle_start(&s, 0);
	assert_int_equal(idle_check(&s, &links, 1000), IDLE_LATE);
	idle_ready(&s, 500);
	assert_int_equal(idle_check(&s, &links, 1000000), IDLE_OK);
}

static int
pick(const char *flags, int grace)
{
	/* flags: newest first, 's' spoke, 'p' proved the secret, '.' silent */
	idle c[16];
	const idle *v[16];
	int n = 0;

	for (; flags[n]; n++) {
		idle_start(&c[n], 100 - (uint64_t)n);
		if (flags[n] == 's')
			idle_heard(&c[n], 100);
		if (flags[n] == 'p')
			idle_proved(&c[n]);
		v[n] = &c[n];
	}
	return idle_pick(v, n, grace);
}

static void
test_the_silent_make_room_before_those_that_spoke(void **state)
{
	(void)state;
	assert_int_equal(pick("", 2), -1);
	/* All alike: the oldest. */
	assert_int_equal(pick("......", 2), 5);
	assert_int_equal(pick("ssssss", 2), 5);
	/* The oldest silent one, however many older ones spoke. */
	assert_int_equal(pick("s..sss", 2), 2);
	assert_int_equal(pick("...sss", 2), 2);
	/* The newest `grace` are not judged yet: they may be about to speak. */
	assert_int_equal(pick("..ssss", 2), 5);
	assert_int_equal(pick(".sssss", 0), 0);
	assert_int_equal(pick(".sssss", 1), 5);
	/* Those that gave the secret go last, whatever the others did. */
	assert_int_equal(pick("spppps", 2), 5);
	assert_int_equal(pick("sppppp", 2), 0);
	assert_int_equal(pick("spp.pp", 2), 3);
	assert_int_equal(pick(".ppppp", 2), 0); /* within the grace: a speaker, unproved */
	assert_int_equal(pick("pppppp", 2), 5);
	/* Speaking does not move the deadline, nor does proving the secret. */
	idle s;
	idle_start(&s, 0);
	idle_heard(&s, 10);
	idle_proved(&s);
	assert_int_equal(idle_check(&s, &lim, 1000), IDLE_LATE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_deadline_runs_from_the_start),
		cmocka_unit_test(test_bytes_before_setup_do_not_extend_it),
		cmocka_unit_test(test_set_up_in_time_is_never_late),
		cmocka_unit_test(test_quiet_is_asked_once_then_dropped),
		cmocka_unit_test(test_an_answer_starts_a_new_quiet_spell),
		cmocka_unit_test(test_chatter_keeps_it_from_being_asked),
		cmocka_unit_test(test_a_late_check_asks_before_it_drops),
		cmocka_unit_test(test_paused_time_does_not_count),
		cmocka_unit_test(test_no_ping_interval_means_never),
		cmocka_unit_test(test_the_silent_make_room_before_those_that_spoke),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
