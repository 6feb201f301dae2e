/*
 * Unit tests of the node core: what a forging peer cannot do.  A HELLO
 * counts only once its id is proven; records signed with another key,
 * records under another nick, guest lines from a node that does not host
 * the guest, and a first record claiming a silent member are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "node_fixture.h"

/*
 * The core's own way to write a record under a given nick (node_int.h;
 * its guests' records use it): called here as a modified binary would.
 */
void node_submit_as(node *n, uint64_t now, int kind, const char *nick, const char *text,
		    size_t len);

/*
 * An impostor with the secret says HELLO as bob, with a higher incarnation
 * (a restart), and LEAVE; it cannot PROVE bob's key.  Nothing of it counts:
 * bob stays, and his real link stays up.  Nor does its REJECT.
 */
static void
test_a_hello_counts_only_once_its_id_is_proven(void **state)
{
	(void)state;
	static fake a, b;
	static wire_msg m;

	pair(&a, &b);
	ticks(&a, 2050, 2100);
	call_link_up(&a, 2110, 150, false, "10.0.0.66");
	m = (wire_msg){.type = WIRE_HELLO};
	m.u.hello = (wire_member){.id = B_ID, .inc = 999999, .nick = wire_cstr("bob"),
				  .host = wire_cstr("10.0.0.66"), .port = 7420};
	inject(&a, 150, 2111, &m);
	m = (wire_msg){.type = WIRE_LEAVE};
	m.u.leave.inc = 999999;
	inject(&a, 150, 2112, &m);
	assert_non_null(strstr(a.last_log, "leave before hello"));
	assert_int_equal(find_line(&a, "[LEAVE] bob left the chat"), -1);
	input(&a, 2120, "\\list_users");
	assert_string_equal(last_line(&a), "[USERS] alice (leader), bob");
	/* A PROVE signed with another key is refused, and the link dropped. */
	call_link_up(&a, 2113, 151, false, "10.0.0.66");
	m = (wire_msg){.type = WIRE_HELLO};
	m.u.hello = (wire_member){.id = B_ID, .inc = 999999, .nick = wire_cstr("bob"),
				  .host = wire_cstr("10.0.0.66"), .port = 7420};
	inject(&a, 151, 2113, &m);
	uint8_t proof[SIGN_SIG];
	static const uint8_t zeros[SIGN_CHAIN];
	sign_proof(proof, zeros, keys[0] + SIGN_PK);
	m = (wire_msg){.type = WIRE_PROVE};
	m.u.prove.pk = keys[0];
	m.u.prove.proof = proof;
	inject(&a, 151, 2114, &m);
	assert_non_null(strstr(a.last_log, "its identity proof fails"));
	assert_int_equal(find_line(&a, "[LEAVE] bob left the chat"), -1);
	for (int i = 0; i < a.nclosed; i++)
		assert_true(a.closed[i] != 101); /* bob's own link */
	/* A REJECT or a member list from nobody proven counts for nothing. */
	call_link_up(&a, 2115, 152, false, "10.0.0.66");
	m = (wire_msg){.type = WIRE_REJECT};
	m.u.reject.reason = WIRE_NICK_TAKEN;
	m.u.reject.nick = wire_cstr("alice");
	inject(&a, 152, 2116, &m);
	assert_int_equal(a.exit_code, -1);
	assert_non_null(strstr(a.last_log, "reject before its proof"));
	stop(&a);
	stop(&b);
}

/* Whether every one of the three shows line (count times). */
static bool
all_show(fake *a, fake *b, fake *c, const char *line, int times)
{
	return count_line(a, line) == times && count_line(b, line) == times &&
	       count_line(c, line) == times;
}

/*
 * bob's node is modified: it writes records under other nicks.  They are
 * signed by bob, so they are held (every history stays equal), but no
 * node shows them; bob's own lines still are.
 */
static void
test_a_record_under_another_nick_is_refused(void **state)
{
	(void)state;
	static fake a, b, c;
	char da[33], db[33], dc[33];

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	input(&b, 3305, "just bob");
	node_submit_as(b.n, 3310, 0, "alice", "I am alice", 10);
	node_submit_as(b.n, 3311, 0, "Carol", "and carol", 9);
	input(&b, 3312, "still bob");
	mesh3(&a, &b, &c, 3350, 3600);
	assert_true(all_show(&a, &b, &c, "[bob] just bob", 1));
	assert_true(all_show(&a, &b, &c, "[bob] still bob", 1));
	assert_true(all_show(&a, &b, &c, "[alice] I am alice", 0));
	assert_true(all_show(&a, &b, &c, "[Carol] and carol", 0));
	assert_true(all_show(&a, &b, &c, "[bob] I am alice", 0));
	assert_non_null(strstr(a.last_log, "its author is bob"));
	node_history_digest(a.n, da);
	node_history_digest(b.n, db);
	node_history_digest(c.n, dc);
	assert_string_equal(da, db);
	assert_string_equal(da, dc);
	assert_true(node_history_count(c.n) == 4);
	stop3(&a, &b, &c);
}

/*
 * alice hosts IRC user xena; bob's node is modified and writes guest lines
 * under xena's nick without ever opening a session of it.  They are held
 * but shown nowhere; xena's own lines, through alice, are.
 */
static void
test_a_guest_line_from_a_node_that_does_not_host_the_guest_is_refused(void **state)
{
	(void)state;
	static fake a, b, c;
	uint64_t since;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	assert_int_equal(node_guest_join(a.n, 3301, "xena", &since), NODE_GUEST_OK);
	assert_int_equal(node_guest_say(a.n, 3302, "xena", "", 0, "from xena", 9), NODE_GUEST_OK);
	node_flush(a.n, 3302);
	node_submit_as(b.n, 3310, HIST_GUEST_CHAT, "xena", "- not xena", 10);
	node_submit_as(b.n, 3311, HIST_GUEST_CHAT, "zoe", "- nor zoe", 9);
	mesh3(&a, &b, &c, 3350, 3600);
	assert_true(all_show(&a, &b, &c, "[xena] from xena", 1));
	assert_true(all_show(&a, &b, &c, "[xena] not xena", 0));
	assert_true(all_show(&a, &b, &c, "[zoe] nor zoe", 0));
	assert_non_null(strstr(c.last_log, "never hosted that guest"));
	/* \history judges alike */
	input(&c, 3610, "\\history");
	assert_int_equal(count_line(&c, "[HISTORY] [xena] from xena"), 1);
	assert_int_equal(count_line(&c, "[HISTORY] [xena] not xena"), 0);
	assert_int_equal(node_history_count(a.n), node_history_count(c.n));
	stop3(&a, &b, &c);
}

/*
 * carol's very first record names bob, while bob has written nothing:
 * her member entry says who she is, so it is refused; her later records
 * under her own nick are refused too, as her first record bound her to
 * "bob" (every node holding her records agrees on that binding).
 */
static void
test_a_first_record_cannot_claim_a_silent_member(void **state)
{
	(void)state;
	static fake a, b, c;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	node_submit_as(c.n, 3310, 0, "bob", "bob here", 8);
	input(&c, 3311, "carol here");
	mesh3(&a, &b, &c, 3350, 3600);
	assert_true(all_show(&a, &b, &c, "[bob] bob here", 0));
	assert_true(all_show(&a, &b, &c, "[carol] carol here", 0));
	input(&b, 3610, "the real bob");
	mesh3(&a, &b, &c, 3650, 3800);
	assert_true(all_show(&a, &b, &c, "[bob] the real bob", 1));
	stop3(&a, &b, &c);
}

static void
test_forged_records_are_refused(void **state)
{
	(void)state;
	static fake a, b, c;
	wire_msg chat, sigm;
	hist_sig sig = {.sender = 0};
	hist_rec r = {.seq = 1, .hlc = 3100ull << HLC_SHIFT, .text = "I owe you", .len = 9};

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	/* Carol relays a record in bob's name, signed with her own key. */
	r.sender = B_ID;
	strcpy(r.nick, "bob");
	set_chat(&chat, B_ID, 1, 3100, "bob", "I owe you");
	inject(&a, 103, 3310, &chat);
	sig.sender = B_ID;
	sig.seq = 1;
	sign_chain(sig.chain, &r);
	memcpy(sig.pk, keys[2], SIGN_PK);
	sign_head(&sig, keys[2] + SIGN_PK);
	inject_sig_msg(&sigm, &sig);
	inject(&a, 103, 3311, &sigm);
	assert_non_null(strstr(a.last_log, "do not match its signature"));
	assert_int_equal(count_line(&a, "[bob] I owe you"), 0);
	assert_true(node_history_count(a.n) == 0);
	/* Bob's genuine record with its text changed, relayed by carol. */
	input(&b, 3400, "pay alice 10");
	pump(&b, 102, &c, 1, 3401); /* carol gets it from bob, as it is */
	int relayed = 0;
	for (int i = 0; i < b.nout; i++) {
		static wire_msg m;
		frame *f = &b.out[i];
		if (f->link != 1 || wire_decode(f->buf + WIRE_HEADER, f->len - WIRE_HEADER, &m) != 0)
			continue;
		if (m.type == WIRE_CHAT) {
			char *t = memmem(f->buf, f->len, "alice 10", 8);
			t[6] = '9';
		}
		if (m.type == WIRE_CHAT || m.type == WIRE_SIG) {
			call_frame(&a, 3402, 103, f->buf + WIRE_HEADER, f->len - WIRE_HEADER);
			relayed++;
		}
	}
	drop_sent(&b);
	assert_int_equal(relayed, 2);
	assert_non_null(strstr(a.last_log, "do not match its signature"));
	assert_int_equal(count_line(&a, "[bob] pay alice 90"), 0);
	/* The genuine copy, pulled again, is taken. */
	mesh3(&a, &b, &c, 3450, 4500);
	assert_int_equal(count_line(&a, "[bob] pay alice 10"), 1);
	assert_int_equal(count_line(&c, "[bob] pay alice 10"), 1);
	stop3(&a, &b, &c);
}

/*
 * A member's first record (seq 1), stamped ms, as a peer relays it with its
 * signed head: the author is the key pair seeded by seed, a member we
 * never met.
 */
static void
relay_first(fake *to, uint32_t link, uint64_t now, uint8_t seed, uint64_t ms,
	    const char *nick, const char *text)
{
	uint8_t pk[SIGN_PK], sk[SIGN_SK], s[32] = {seed};
	static wire_msg chat, sigm;
	hist_sig sig = {.seq = 1};
	hist_rec r = {.seq = 1, .hlc = ms << HLC_SHIFT, .text = text, .len = strlen(text)};

	crypto_sign_seed_keypair(pk, sk, s);
	r.sender = sig.sender = sign_id(pk);
	snprintf(r.nick, sizeof r.nick, "%s", nick);
	set_chat(&chat, r.sender, 1, ms, nick, text);
	inject(to, link, now, &chat);
	sign_chain(sig.chain, &r);
	memcpy(sig.pk, pk, SIGN_PK);
	sign_head(&sig, sk);
	inject_sig_msg(&sigm, &sig);
	inject(to, link, now, &sigm);
}

/* alice's and bob's timers from from to to, then their frames carried. */
static void
carry(fake *a, fake *b, uint64_t from, uint64_t to)
{
	ticks(a, from, to);
	ticks(b, from, to);
	settle(a, 101, b, 1, to);
}

/*
 * Records of authors this node does not know as members (a member met
 * elsewhere: the other side of a partition, or of a nick clash, as in
 * build/sim --seed 738 --broker-all) are judged by the records alone.
 * "Bob" spoke elsewhere before our bob ever did: his line is shown under
 * his nick on both nodes, though bob, whose nick his clashes with, is live
 * here (before, each node refused it as long as it knew a live "bob", and
 * showed it once it knew "Bob" as a member: nodes disagreed).  A stranger
 * under a nick that bob's own record bound first is refused alike.
 */
static void
test_a_strangers_line_is_judged_by_the_records_alone(void **state)
{
	(void)state;
	static fake a, b;

	settled_pair(&a, &b);
	relay_first(&a, 101, 2110, 7, 2105, "Bob", "I was Bob elsewhere");
	relay_first(&b, 1, 2110, 7, 2105, "Bob", "I was Bob elsewhere");
	carry(&a, &b, 2150, 2300);
	assert_int_equal(count_line(&a, "[Bob] I was Bob elsewhere"), 1);
	assert_int_equal(count_line(&b, "[Bob] I was Bob elsewhere"), 1);
	/* alice's own line binds her nick: a stranger cannot take it after. */
	input(&a, 2310, "alice here");
	carry(&a, &b, 2350, 2500);
	relay_first(&b, 1, 2510, 8, 2505, "ALICE", "I am alice too");
	carry(&a, &b, 2550, 2700);
	assert_int_equal(count_line(&b, "[alice] alice here"), 1);
	assert_int_equal(count_line(&b, "[ALICE] I am alice too"), 0);
	assert_non_null(strstr(b.last_log, "another author's records bound first"));
	stop(&a);
	stop(&b);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_records_are_refused),
		cmocka_unit_test(test_a_record_under_another_nick_is_refused),
		cmocka_unit_test(test_a_guest_line_from_a_node_that_does_not_host_the_guest_is_refused),
		cmocka_unit_test(test_a_hello_counts_only_once_its_id_is_proven),
		cmocka_unit_test(test_a_first_record_cannot_claim_a_silent_member),
		cmocka_unit_test(test_a_strangers_line_is_judged_by_the_records_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
