/* Unit tests of mod: directive texts, endorsements, and the fold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"
#include "mod.h"

#define A 0x0a0a0a0a0a0a0a0aull /* alice, the leader */
#define B 0x0b0b0b0b0b0b0b0bull /* bob */
#define C 0x0c0c0c0c0c0c0c0cull /* carol */
#define X 0x0d0d0d0d0d0d0d0dull /* a stranger: no voter */

static char texts[16][64 + NICK_MAX + 17 * 4];

/* A directive record: author, seq, stamp; op on target, with voters. */
static hist_rec
directive(int slot, uint64_t author, uint64_t seq, uint64_t hlc, int op, uint64_t target,
	  const char *nick, const uint64_t *voters, int nvoters)
{
	mod_directive d = {.op = op, .target = target, .nvoters = nvoters};
	hist_rec r = {.sender = author, .seq = seq, .hlc = hlc, .kind = HIST_DIRECTIVE};

	snprintf(d.nick, sizeof d.nick, "%s", nick);
	memcpy(d.voters, voters, (size_t)nvoters * sizeof *voters);
	r.len = mod_encode(&d, texts[slot], sizeof texts[slot]);
	r.text = texts[slot];
	snprintf(r.nick, sizeof r.nick, "%s", author == A ? "alice" : author == B ? "bob" : "carol");
	return r;
}

static hist_rec
endorse(int slot, uint64_t who, uint64_t hlc, uint64_t author, uint64_t seq)
{
	hist_rec r = {.sender = who, .seq = 99, .hlc = hlc, .kind = HIST_ENDORSE};

	r.len = mod_endorse_encode(author, seq, texts[slot], sizeof texts[slot]);
	r.text = texts[slot];
	snprintf(r.nick, sizeof r.nick, "%s", "someone");
	return r;
}

static const uint64_t ABC[] = {A, B, C};

static void
test_texts_round_trip(void **state)
{
	(void)state;
	mod_directive d;
	hist_rec r = directive(0, A, 1, 100, MOD_SILENCE, B, "bob", ABC, 3);
	uint64_t author, seq;

	assert_string_equal(r.text, "silence 0b0b0b0b0b0b0b0b bob 0a0a0a0a0a0a0a0a "
				    "0b0b0b0b0b0b0b0b 0c0c0c0c0c0c0c0c");
	assert_true(mod_decode(r.text, r.len, &d));
	assert_int_equal(d.op, MOD_SILENCE);
	assert_true(d.target == B);
	assert_string_equal(d.nick, "bob");
	assert_int_equal(d.nvoters, 3);
	assert_true(mod_is_voter(&d, C) && !mod_is_voter(&d, X));
	hist_rec e = endorse(1, B, 110, A, 1);
	assert_string_equal(e.text, "endorse 0a0a0a0a0a0a0a0a 0000000000000001");
	assert_true(mod_endorse_decode(e.text, e.len, &author, &seq));
	assert_true(author == A && seq == 1);
}

static void
test_malformed_texts_are_refused(void **state)
{
	(void)state;
	mod_directive d;
	uint64_t a, s;
	static const char *const bad[] = {
		"", "silence", "silence 0b0b0b0b0b0b0b0b", "silence 0b0b0b0b0b0b0b0b ",
		"mute 0b0b0b0b0b0b0b0b bob", "silence 0B0B0B0B0B0B0B0B bob",
		"silence 0000000000000000 bob", "silence 0b0b0b0b0b0b0b0b b@b",
		"silence 0b0b0b0b0b0b0b0b bob 0c0c0c0c0c0c0c0c 0a0a0a0a0a0a0a0a", /* unsorted */
		"silence 0b0b0b0b0b0b0b0b bob 0a0a0a0a0a0a0a0a 0a0a0a0a0a0a0a0a", /* twice */
		"silence 0b0b0b0b0b0b0b0b bob 0a0a0a0a0a0a0a0a ",
		"silence 0b0b0b0b0b0b0b0b bob 0a0a0a0a0a0a0a",
		"silence 0b0b0b0b0b0b0b0bbob",
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(mod_decode(bad[i], strlen(bad[i]), &d));
	/* The old form, without voters, is a directive no majority can back. */
	assert_true(mod_decode("silence 0b0b0b0b0b0b0b0b bob", 28, &d));
	assert_int_equal(d.nvoters, 0);
	static const char *const bad_endorse[] = {
		"endorse 0a0a0a0a0a0a0a0a 1", "endorse 0a0a0a0a0a0a0a0a 00000000000000010",
		"endorse 0a0a0a0a0a0a0a0a 0000000000000000", "endorse  0a0a0a0a0a0a0a0a0000000000000001",
		"endorsed 0a0a0a0a0a0a0a0a 000000000000001",
	};
	for (size_t i = 0; i < sizeof bad_endorse / sizeof *bad_endorse; i++)
		assert_false(mod_endorse_decode(bad_endorse[i], strlen(bad_endorse[i]), &a, &s));
}

/*
 * The records of one chat: alice (the leader) silences bob, bob endorses;
 * later alice unsilences him and carol endorses.  bob, not the leader,
 * silences carol: only a stranger stands behind him, or he names himself
 * (and himself and carol) the only voters.  alice silences carol with
 * nobody behind her yet.
 */
enum { NRECS = 8 };

static void
chat_records(hist_rec *r)
{
	static const uint64_t bc[] = {B, C};
	static const uint64_t b_only[] = {B};

	r[0] = directive(0, A, 1, 100, MOD_SILENCE, B, "bob", ABC, 3);
	r[1] = endorse(1, B, 110, A, 1);
	r[2] = directive(2, A, 2, 200, MOD_UNSILENCE, B, "bob", ABC, 3);
	r[3] = endorse(3, C, 210, A, 2);
	r[4] = directive(4, B, 1, 150, MOD_SILENCE, C, "carol", ABC, 3);
	r[5] = endorse(5, X, 160, B, 1);
	r[6] = directive(6, B, 2, 170, MOD_SILENCE, C, "carol", b_only, 1);
	r[7] = directive(7, B, 3, 180, MOD_SILENCE, A, "alice", bc, 2);
}

static void
check_state(const mod_state *m)
{
	assert_false(mod_silenced(m, B)); /* the later unsilence counts */
	assert_false(mod_silenced(m, C)); /* bob's directives never count */
	assert_false(mod_silenced(m, A));
	/*
	 * At a place in history, what had come to count before it decides:
	 * bob's silence from bob's endorsement at 110 on, until carol's
	 * endorsement at 210 makes the unsilence count.
	 */
	assert_false(mod_silenced_at(m, B, 105, C)); /* written, not counting yet */
	assert_false(mod_silenced_at(m, B, 110, A)); /* level with the tip, before it */
	assert_true(mod_silenced_at(m, B, 150, C));
	assert_true(mod_silenced_at(m, B, 205, C)); /* the unsilence waits for its vote */
	assert_false(mod_silenced_at(m, B, 215, C));
	assert_false(mod_silenced_at(m, C, 190, A) || mod_silenced_at(m, A, 190, C));
}

/* Heap's algorithm: every order of n records, each folded from scratch. */
static void
every_order(hist_rec *r, int n, int k, int *orders)
{
	if (k == 1) {
		mod_state m = {0};
		for (int i = 0; i < n; i++)
			mod_apply(&m, &r[i], NULL, NULL);
		check_state(&m);
		mod_free(&m);
		++*orders;
		return;
	}
	for (int i = 0; i < k; i++) {
		every_order(r, n, k - 1, orders);
		hist_rec t = r[k % 2 ? 0 : i];
		r[k % 2 ? 0 : i] = r[k - 1];
		r[k - 1] = t;
	}
}

static void
test_fold_is_the_same_in_every_order(void **state)
{
	(void)state;
	hist_rec r[NRECS];
	int orders = 0;

	chat_records(r);
	every_order(r, NRECS, NRECS, &orders);
	assert_int_equal(orders, 40320);
}

static void
test_a_directive_counts_with_a_majority(void **state)
{
	(void)state;
	mod_state m = {0};
	mod_directive d;
	char by[NICK_MAX + 1];
	hist_rec r[NRECS];

	chat_records(r);
	/* alice alone is one voter of three: nothing yet. */
	assert_int_equal(mod_apply(&m, &r[0], &d, by), 0);
	assert_false(mod_silenced(&m, B));
	assert_false(mod_tipped(&m, &r[0], NULL, NULL));
	/* bob's endorsement makes two of three: it counts, tipped there. */
	assert_int_equal(mod_apply(&m, &r[1], &d, by), MOD_SILENCE);
	assert_string_equal(by, "alice");
	assert_true(mod_silenced(&m, B));
	assert_true(mod_tipped(&m, &r[1], &d, by));
	assert_false(mod_tipped(&m, &r[0], NULL, NULL));
	/* A repeat changes nothing. */
	assert_int_equal(mod_apply(&m, &r[1], NULL, NULL), 0);
	/* bob's own directives: a stranger's word, or voters he chose. */
	for (int i = 4; i < NRECS; i++)
		assert_int_equal(mod_apply(&m, &r[i], NULL, NULL), 0);
	assert_false(mod_silenced(&m, C) || mod_silenced(&m, A));
	/* Not a moderation record at all. */
	hist_rec chat = {.sender = A, .seq = 9, .hlc = 300, .kind = HIST_CHAT, .text = "hi",
			 .len = 2};
	assert_int_equal(mod_apply(&m, &chat, NULL, NULL), -1);
	mod_free(&m);
}

/* An endorsement that comes before its directive waits for it. */
static void
test_an_early_endorsement_waits_for_its_directive(void **state)
{
	(void)state;
	mod_state m = {0};
	hist_rec r[NRECS];

	chat_records(r);
	assert_int_equal(mod_apply(&m, &r[1], NULL, NULL), 0);
	assert_false(mod_silenced(&m, B));
	assert_int_equal(mod_apply(&m, &r[0], NULL, NULL), MOD_SILENCE);
	assert_true(mod_silenced(&m, B));
	mod_free(&m);
}

/* A lone node may moderate its IRC users only with a second voter. */
static void
test_guest_targets_need_two_voters(void **state)
{
	(void)state;
	mod_state m = {0};
	static const uint64_t a_only[] = {A}, ab[] = {A, B};
	uint64_t g = guest_id("yuki");
	hist_rec alone = directive(0, A, 1, 100, MOD_SILENCE, g, "yuki", a_only, 1);
	hist_rec two = directive(1, A, 2, 200, MOD_SILENCE, g, "yuki", ab, 2);
	hist_rec yes = endorse(2, B, 210, A, 2);

	assert_int_equal(mod_apply(&m, &alone, NULL, NULL), 0);
	assert_false(mod_silenced(&m, g));
	assert_int_equal(mod_apply(&m, &two, NULL, NULL), 0);
	assert_int_equal(mod_apply(&m, &yes, NULL, NULL), MOD_SILENCE);
	assert_true(mod_silenced(&m, g));
	mod_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texts_round_trip),
		cmocka_unit_test(test_malformed_texts_are_refused),
		cmocka_unit_test(test_a_directive_counts_with_a_majority),
		cmocka_unit_test(test_an_early_endorsement_waits_for_its_directive),
		cmocka_unit_test(test_guest_targets_need_two_voters),
		cmocka_unit_test(test_fold_is_the_same_in_every_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
