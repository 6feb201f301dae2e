/* Unit tests of the frame codec: round trips, limits, hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static void
roundtrip(const wire_msg *in, wire_msg *out, wire_buf *b)
{
	size_t flen = 0;

	wire_buf_reset(b);
	wire_encode(b, in);
	assert_int_equal(wire_frame_split(b->data, b->len, &flen), 1);
	assert_int_equal(flen, b->len);
	assert_int_equal(wire_decode(b->data + WIRE_HEADER, flen - WIRE_HEADER, out), 0);
	assert_int_equal(out->type, in->type);
}

static void
test_hello_roundtrip(void **state)
{
	(void)state;
	wire_buf b = {0};
	wire_msg in = {.type = WIRE_HELLO}, out;

	in.u.hello = (wire_member){.id = 0x0102030405060708ULL, .inc = 99,
				   .nick = wire_cstr("alice"), .host = wire_cstr("10.0.0.1"),
				   .port = 7420};
	roundtrip(&in, &out, &b);
	assert_true(out.u.hello.id == in.u.hello.id);
	assert_true(out.u.hello.inc == 99);
	assert_int_equal(out.u.hello.port, 7420);
	assert_memory_equal(out.u.hello.nick.ptr, "alice", 5);
	assert_int_equal(out.u.hello.nick.len, 5);
	assert_memory_equal(out.u.hello.host.ptr, "10.0.0.1", 8);
	wire_buf_free(&b);
}

static void
test_members_roundtrip(void **state)
{
	(void)state;
	wire_buf b = {0};
	static wire_msg in, out;

	in.type = WIRE_MEMBERS;
	in.u.members.count = 3;
	for (int i = 0; i < 3; i++)
		in.u.members.entry[i] = (wire_member){.id = (uint64_t)i + 1, .inc = 10 * (uint64_t)i,
						      .status = (uint8_t)i, .nick = wire_cstr("n"),
						      .host = wire_cstr(""), .port = (uint16_t)i};
	roundtrip(&in, &out, &b);
	assert_int_equal(out.u.members.count, 3);
	assert_true(out.u.members.entry[2].inc == 20);
	assert_int_equal(out.u.members.entry[2].status, WIRE_REJECTED);
	assert_int_equal(out.u.members.entry[1].host.len, 0);
	wire_buf_free(&b);
}

static void
test_chat_roundtrip(void **state)
{
	(void)state;
	wire_buf b = {0};
	wire_msg in = {.type = WIRE_CHAT}, out;

	in.u.chat.sender = 7;
	in.u.chat.seq = 1ULL << 40;
	in.u.chat.hlc = 123456789;
	in.u.chat.nick = wire_cstr("alice");
	in.u.chat.text = wire_cstr("hello, world");
	roundtrip(&in, &out, &b);
	assert_true(out.u.chat.seq == 1ULL << 40);
	assert_int_equal(out.u.chat.text.len, 12);
	assert_memory_equal(out.u.chat.text.ptr, "hello, world", 12);
	wire_buf_free(&b);
}

static void
test_history_frames_roundtrip(void **state)
{
	(void)state;
	wire_buf b = {0};
	static wire_msg in, out;

	in.type = WIRE_HEARTBEAT;
	in.u.heartbeat.digest = 99;
	in.u.heartbeat.hlc = 1ULL << 50;
	in.u.heartbeat.seq = 12;
	in.u.heartbeat.count = 2;
	in.u.heartbeat.have[0] = (wire_have){.id = 7, .seq = 12, .live = 1};
	in.u.heartbeat.have[1] = (wire_have){.id = UINT64_MAX, .seq = 3, .live = 0};
	roundtrip(&in, &out, &b);
	assert_true(out.u.heartbeat.hlc == 1ULL << 50 && out.u.heartbeat.seq == 12);
	assert_int_equal(out.u.heartbeat.count, 2);
	assert_true(out.u.heartbeat.have[1].id == UINT64_MAX);
	assert_int_equal(out.u.heartbeat.have[1].live, 0);
	wire_buf_reset(&b);
	in = (wire_msg){.type = WIRE_STATUS, .u.status = {.hlc = 5, .seq = 6}};
	roundtrip(&in, &out, &b);
	assert_true(out.u.status.hlc == 5 && out.u.status.seq == 6);
	wire_buf_reset(&b);
	in = (wire_msg){.type = WIRE_PULL, .u.pull = {.sender = 7, .from = 8, .to = 9}};
	roundtrip(&in, &out, &b);
	assert_true(out.u.pull.sender == 7 && out.u.pull.from == 8 && out.u.pull.to == 9);
	wire_buf_free(&b);
}

static void
test_report_and_relay_roundtrip(void **state)
{
	(void)state;
	wire_buf b = {0};
	static wire_msg in, out;

	in.type = WIRE_REPORT;
	in.u.report.hlc = 1ULL << 50;
	in.u.report.seq = 3;
	in.u.report.count = 2;
	in.u.report.tag[0] = (wire_tag){.to = 7, .tag = UINT64_MAX};
	in.u.report.tag[1] = (wire_tag){.to = 9, .tag = 1};
	roundtrip(&in, &out, &b);
	assert_true(out.u.report.hlc == 1ULL << 50 && out.u.report.seq == 3);
	assert_int_equal(out.u.report.count, 2);
	assert_true(out.u.report.tag[0].tag == UINT64_MAX && out.u.report.tag[1].to == 9);
	wire_buf_reset(&b);
	in = (wire_msg){.type = WIRE_RELAY};
	in.u.relay.count = WIRE_MAX_TAGS;
	for (int i = 0; i < WIRE_MAX_TAGS; i++)
		in.u.relay.entry[i] = (wire_relayed){.author = (uint64_t)i + 1, .hlc = 5, .seq = 6,
						     .tag = (uint64_t)i * 3};
	roundtrip(&in, &out, &b);
	assert_int_equal(out.u.relay.count, WIRE_MAX_TAGS);
	assert_true(out.u.relay.entry[WIRE_MAX_TAGS - 1].author == WIRE_MAX_TAGS &&
		    out.u.relay.entry[WIRE_MAX_TAGS - 1].tag == (WIRE_MAX_TAGS - 1) * 3);
	wire_buf_free(&b);
}

static void
test_tags_over_cap(void **state)
{
	(void)state;
	static wire_msg m;
	uint8_t report[2 + 16 + 2] = {WIRE_VERSION, WIRE_REPORT};
	uint8_t relay[2 + 2] = {WIRE_VERSION, WIRE_RELAY};

	report[18] = relay[2] = (WIRE_MAX_TAGS + 1) >> 8;
	report[19] = relay[3] = (WIRE_MAX_TAGS + 1) & 0xff;
	assert_int_equal(wire_decode(report, sizeof report, &m), WIRE_ELIMIT);
	assert_int_equal(wire_decode(relay, sizeof relay, &m), WIRE_ELIMIT);
}

static void
test_vector_over_cap(void **state)
{
	(void)state;
	static wire_msg m;
	uint8_t body[2 + 24 + 2] = {WIRE_VERSION, WIRE_HEARTBEAT};

	body[26] = (WIRE_MAX_VECTOR + 1) >> 8;
	body[27] = (WIRE_MAX_VECTOR + 1) & 0xff;
	assert_int_equal(wire_decode(body, sizeof body, &m), WIRE_ELIMIT);
}

static void
test_split_needs_more_and_rejects_huge(void **state)
{
	(void)state;
	size_t flen = 0;
	const uint8_t partial[] = {0, 0, 0, 10, 1, 3};
	const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 1};
	const uint8_t zero[] = {0, 0, 0, 0};

	assert_int_equal(wire_frame_split(partial, 3, &flen), 0);
	assert_int_equal(wire_frame_split(partial, sizeof partial, &flen), 0);
	assert_int_equal(wire_frame_split(huge, sizeof huge, &flen), WIRE_ETOOBIG);
	assert_int_equal(wire_frame_split(zero, sizeof zero, &flen), WIRE_ETOOBIG);
}

static void
test_decode_errors(void **state)
{
	(void)state;
	wire_msg m;
	const uint8_t badver[] = {9, WIRE_HEARTBEAT, 0, 0, 0, 0, 0, 0, 0, 0};
	const uint8_t badtype[] = {WIRE_VERSION, 77};
	const uint8_t trunc[] = {WIRE_VERSION, WIRE_HEARTBEAT, 0, 0, 0};
	const uint8_t trailing[] = {WIRE_VERSION, WIRE_LEAVE, 0, 0, 0, 0, 0, 0, 0, 1, 5};
	/* chat: sender, seq, hlc, kind, nick (empty), then a text that claims
	 * 60000 bytes: above the 4 KiB cap */
	const uint8_t longtext[] = {WIRE_VERSION, WIRE_CHAT, 0, 0, 0, 0, 0, 0, 0, 1,
				    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0,
				    0, 0, 0xea, 0x60};
	/* the same, with a text that claims 5 bytes but carries 2 */
	const uint8_t shorttext[] = {WIRE_VERSION, WIRE_CHAT, 0, 0, 0, 0, 0, 0, 0, 1,
				     0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0,
				     0, 0, 0, 5, 'h', 'i'};

	assert_int_equal(wire_decode(badver, sizeof badver, &m), WIRE_EVERSION);
	assert_int_equal(wire_decode(badtype, sizeof badtype, &m), WIRE_ETYPE);
	assert_int_equal(wire_decode(trunc, sizeof trunc, &m), WIRE_ETRUNC);
	assert_int_equal(wire_decode(trailing, sizeof trailing, &m), WIRE_ETRAILING);
	assert_int_equal(wire_decode(longtext, sizeof longtext, &m), WIRE_ELIMIT);
	assert_int_equal(wire_decode(shorttext, sizeof shorttext, &m), WIRE_ETRUNC);
	assert_int_equal(wire_decode(badver, 0, &m), WIRE_ETRUNC);
}

static void
test_members_count_over_cap(void **state)
{
	(void)state;
	wire_msg m;
	const uint8_t body[] = {WIRE_VERSION, WIRE_MEMBERS, 0xff, 0xff};

	assert_int_equal(wire_decode(body, sizeof body, &m), WIRE_ELIMIT);
}

static void
test_every_truncation_fails_cleanly(void **state)
{
	(void)state;
	wire_buf b = {0};
	wire_msg in = {.type = WIRE_HELLO}, out;

	in.u.hello = (wire_member){.id = 1, .inc = 2, .nick = wire_cstr("bob"),
				   .host = wire_cstr("h"), .port = 1};
	wire_encode(&b, &in);
	for (size_t n = 0; n < b.len - WIRE_HEADER; n++)
		assert_true(wire_decode(b.data + WIRE_HEADER, n, &out) < 0);
	wire_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_members_roundtrip),
		cmocka_unit_test(test_chat_roundtrip),
		cmocka_unit_test(test_history_frames_roundtrip),
		cmocka_unit_test(test_vector_over_cap),
		cmocka_unit_test(test_report_and_relay_roundtrip),
		cmocka_unit_test(test_tags_over_cap),
		cmocka_unit_test(test_split_needs_more_and_rejects_huge),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_members_count_over_cap),
		cmocka_unit_test(test_every_truncation_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
