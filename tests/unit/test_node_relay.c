/*
 * Unit tests of node_report.c: in a chat whose reports go through the
 * seniors, a line is shown everywhere with no STATUS at all (RELAYs carry
 * the clocks); and a relayed report counts only when its tag holds: not a
 * forged one, not one tagged for another member, not one from an earlier
 * incarnation of its author.
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
#include "node_int.h"

/* Frames of this type f has queued and not yet carried. */
static int
queued(const fake *f, int type)
{
	int k = 0;

	for (int i = 0; i < f->nout; i++)
		k += f->out[i].buf[WIRE_HEADER + 1] == type;
	return k;
}

static void
test_with_relays_a_line_is_shown_everywhere_without_a_status(void **state)
{
	(void)state;
	static fake a, b, c;
	fake *all[3] = {&a, &b, &c};
	int status = 0, relays = 0;

	next_relay_from = 1;
	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3500);
	input(&b, 3510, "hi everyone");
	for (uint64_t t = 3510; t <= 4500; t += 5) {
		for (int i = 0; i < 3; i++) {
			ticks(all[i], t, t);
			status += queued(all[i], WIRE_STATUS);
			relays += queued(all[i], WIRE_RELAY);
		}
		settle3(&a, &b, &c, t);
	}
	next_relay_from = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(count_line(all[i], "[bob] hi everyone"), 1);
	assert_int_equal(status, 0);
	assert_true(relays > 0);
	stop3(&a, &b, &c);
}

/* alice's word for carol's clock: what her reports moved it to. */
static uint64_t
carols_clock(fake *a)
{
	return hist_author_get(&a->n->history.hist, C_ID, NULL)->clock;
}

/* A RELAY to alice, from bob's link, of carol's report (hlc, 0) with tag. */
static void
relay_carol(fake *a, uint64_t now, uint64_t hlc, uint64_t tag)
{
	static wire_msg m;

	m.type = WIRE_RELAY;
	m.u.relay.count = 1;
	m.u.relay.entry[0] = (wire_relayed){.author = C_ID, .hlc = hlc, .seq = 0, .tag = tag};
	inject(a, 101, now, &m);
}

static void
test_a_relayed_report_counts_only_when_its_tag_holds(void **state)
{
	(void)state;
	static fake a, b, c;
	uint8_t carol_alice[RELAY_KEY], carol_bob[RELAY_KEY];
	const uint8_t *apk = keys[0], *bpk = keys[1], *cpk = keys[2], *csk = keys[2] + SIGN_PK;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3500);
	uint64_t inc = member_find(&a.n->members, C_ID)->inc, before = carols_clock(&a);
	uint64_t hlc = before + (100ull << HLC_SHIFT);
	assert_true(relay_pair_key(carol_alice, cpk, csk, apk));
	assert_true(relay_pair_key(carol_bob, cpk, csk, bpk));

	relay_carol(&a, 3510, hlc, 12345); /* bob forges it */
	assert_true(carols_clock(&a) == before);
	relay_carol(&a, 3511, hlc, relay_report_tag(carol_bob, C_ID, inc, B_ID, hlc, 0));
	assert_true(carols_clock(&a) == before); /* bob's own, passed on as alice's */
	relay_carol(&a, 3512, hlc, relay_report_tag(carol_alice, C_ID, inc - 1, A_ID, hlc, 0));
	assert_true(carols_clock(&a) == before); /* an earlier life's */
	relay_carol(&a, 3513, hlc + 1, relay_report_tag(carol_alice, C_ID, inc, A_ID, hlc, 0));
	assert_true(carols_clock(&a) == before); /* another clock than the one tagged */
	relay_carol(&a, 3514, hlc, relay_report_tag(carol_alice, C_ID, inc, A_ID, hlc, 0));
	assert_true(carols_clock(&a) == hlc);
	stop3(&a, &b, &c);
}

static void
test_a_report_for_more_members_than_a_frame_holds_goes_in_pages(void **state)
{
	(void)state;
	static fake a;
	int held = 0;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	ticks(&a, 1000, 3000); /* founds the chat alone */
	for (int i = 0; i < 300; i++) {
		char nick[16];
		snprintf(nick, sizeof nick, "m%d", i);
		wire_member e = {.id = 0x1000 + (uint64_t)i, .inc = 5000, .nick = wire_cstr(nick)};
		member *m;
		member_state to;
		member_merge(&a.n->members, &e, &m, &to);
		m->state = MEMBER_ALIVE; /* as if heard (no [JOIN] lines for 300 of them) */
		m->paired = true;
	}
	node_beat_plan(a.n, 3100);
	assert_true(a.n->beats.self_senior); /* alice's report goes into her own relay */
	a.n->history.ack_due = true;
	node_report_due(a.n, 3100);
	for (int i = 0; i < a.n->reports.relay.len; i++)
		if (a.n->reports.relay.v[i].author == A_ID)
			held = a.n->reports.relay.v[i].ntags;
	assert_int_equal(held, 300); /* two pages, 256 + 44, one report */
	stop(&a);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_with_relays_a_line_is_shown_everywhere_without_a_status),
		cmocka_unit_test(test_a_relayed_report_counts_only_when_its_tag_holds),
		cmocka_unit_test(test_a_report_for_more_members_than_a_frame_holds_goes_in_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
