/*
 * Unit tests of the node core, driven by hand through its API: two or
 * three nodes whose io callbacks record what they print and send, with the
 * test carrying each frame across like a network would.  Covers the
 * joining sequence, failure and failover, nick claims, commands, the
 * message path, and the fixes the simulator asked for.
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

#include "inject.h"
#include "node.h"
#include "memstore.h"
#include "wire.h"

/*
 * The core's own way to write a record under a given nick (node_int.h;
 * its guests' records use it): called here as a modified binary would.
 */
void node_submit_as(node *n, uint64_t now, int kind, const char *nick, const char *text,
		    size_t len);

/*
 * alice, bob and carol: ids come from their keys (sign_id), found in
 * main() from fixed seeds so that alice's id < bob's < carol's.
 */
static uint8_t keys[3][SIGN_PK + SIGN_SK];
static uint64_t A_ID, B_ID, C_ID;

#define MAX_LINES 128
#define MAX_FRAMES 256

typedef struct frame {
	uint32_t link;
	uint8_t *buf;
	size_t len;
} frame;

/* One node and everything its io callbacks were asked to do. */
typedef struct fake {
	memstore store;   /* first: the memstore_io callbacks find it at ctx */
	node *n;
	const char *host;
	char lines[MAX_LINES][256];
	int nlines;
	frame out[MAX_FRAMES];
	int nout;
	char dialled[16][80]; /* "host:port" of each connect, in order */
	int ndialled;
	uint32_t next_link;
	uint32_t closed[32];
	int nclosed;
	int exit_code;
	char last_log[512];
	char guest_notice[80]; /* the last io.guest call: "what nick arg" */
} fake;

static uint32_t
io_connect(void *ctx, const char *host, uint16_t port)
{
	fake *f = ctx;

	snprintf(f->dialled[f->ndialled++ % 16], 80, "%s:%u", host, port);
	return ++f->next_link;
}

static void
io_send(void *ctx, uint32_t link, const uint8_t *buf, size_t len)
{
	fake *f = ctx;
	frame *fr = &f->out[f->nout++];

	assert_true(f->nout <= MAX_FRAMES);
	fr->link = link;
	fr->buf = malloc(len);
	memcpy(fr->buf, buf, len);
	fr->len = len;
}

static void
io_close(void *ctx, uint32_t link)
{
	fake *f = ctx;

	f->closed[f->nclosed++ % 32] = link;
}

static void
io_event(void *ctx, const event *ev)
{
	fake *f = ctx;

	assert_true(f->nlines < MAX_LINES);
	event_format(ev, f->lines[f->nlines++], sizeof f->lines[0]);
}

static void
io_log(void *ctx, int level, const char *line)
{
	fake *f = ctx;

	if (level == NODE_LOG_ALWAYS)
		snprintf(f->last_log, sizeof f->last_log, "%s", line);
}

static void
io_guest(void *ctx, int what, const char *nick, const char *arg)
{
	fake *f = ctx;

	snprintf(f->guest_notice, sizeof f->guest_notice, "%d %s %s", what, nick, arg);
}

static void
io_exit(void *ctx, int code)
{
	fake *f = ctx;

	f->exit_code = code;
}

/*
 * The core's entry points, each followed by the end of the batch, as the
 * shell does once per loop pass.
 */
static void
call_frame(fake *f, uint64_t now, uint32_t link, const uint8_t *body, size_t len)
{
	node_frame(f->n, now, link, body, len);
	node_flush(f->n, now);
}

static void
call_tick(fake *f, uint64_t now)
{
	node_tick(f->n, now);
	node_flush(f->n, now);
}

static void
call_input(fake *f, uint64_t now, const char *line, size_t len)
{
	node_input(f->n, now, line, len);
	node_flush(f->n, now);
}

static void
call_link_up(fake *f, uint64_t now, uint32_t link, bool outgoing, const char *host)
{
	node_link_up(f->n, now, link, outgoing, host, NULL);
	node_flush(f->n, now);
}

static void
call_link_down(fake *f, uint64_t now, uint32_t link, const char *why)
{
	node_link_down(f->n, now, link, why);
	node_flush(f->n, now);
}

static node_io
io_of(fake *f)
{
	node_io io = {
		.ctx = f, .connect = io_connect, .send = io_send, .close = io_close,
		.event = io_event, .log = io_log, .exit = io_exit, .guest = io_guest,
	};

	memstore_io(&io); /* the fake starts with its store */
	return io;
}

/*
 * Start a node on fake f; seed is "HOST:PORT" or NULL; its wall clock is
 * skew ms ahead of the others' (behind when negative).
 */
/* The program's start for the next node started, when before node_new (0: none). */
static uint64_t next_started_ms;

static void
start_skewed(fake *f, uint64_t id, uint64_t now, const char *nick, const char *host,
	     const char *seed, int64_t skew)
{
	node_io io = io_of(f);
	const char *seeds[1] = {seed};
	int who = id == A_ID ? 0 : id == B_ID ? 1 : 2;
	node_config cfg = {.id = id, .sign_pk = keys[who], .sign_sk = keys[who] + SIGN_PK,
			   .inc = now, .nick = nick, .host = host, .port = 7420,
			   .seeds = seeds, .nseeds = seed ? 1 : 0,
			   .heartbeat_ms = 200, .timeout_ms = 1000,
			   .wall_ms = (uint64_t)((int64_t)now + skew), .started_ms = next_started_ms};

	next_started_ms = 0;
	memset(f, 0, sizeof *f);
	f->exit_code = -1;
	f->host = host;
	f->n = node_new(&cfg, &io, now);
	node_flush(f->n, now);
}

static void
start(fake *f, uint64_t id, uint64_t now, const char *nick, const char *host,
      const char *seed)
{
	start_skewed(f, id, now, nick, host, seed, 0);
}

static void
stop(fake *f)
{
	for (int i = 0; i < f->nout; i++)
		free(f->out[i].buf);
	node_free(f->n);
	memstore_free(&f->store);
}

/* The end of a test of three nodes. */
static void
stop3(fake *a, fake *b, fake *c)
{
	stop(a);
	stop(b);
	stop(c);
}

/* Forget what f sent so far (a link that lost it, or frames not wanted). */
static void
drop_sent(fake *f)
{
	for (int i = 0; i < f->nout; i++)
		free(f->out[i].buf);
	f->nout = 0;
}

/* Carry what `from` sent on link fl, in order, to `to` on link tl. */
static int
pump(fake *from, uint32_t fl, fake *to, uint32_t tl, uint64_t now)
{
	int moved = 0, keep = 0;
	frame mine[MAX_FRAMES];
	int nmine = 0;

	for (int i = 0; i < from->nout; i++) {
		if (from->out[i].link == fl)
			mine[nmine++] = from->out[i];
		else
			from->out[keep++] = from->out[i];
	}
	from->nout = keep;
	for (int i = 0; i < nmine; i++) {
		call_frame(to, now, tl, mine[i].buf + WIRE_HEADER, mine[i].len - WIRE_HEADER);
		free(mine[i].buf);
		moved++;
	}
	return moved;
}

/* A connect from a (its link al) accepted by b (its link bl). */
static void
link_up(fake *a, uint32_t al, fake *b, uint32_t bl, uint64_t now)
{
	call_link_up(b, now, bl, false, a->host);
	call_link_up(a, now, al, true, b->host);
}

/* Pump both ways until nothing moves. */
static void
settle(fake *a, uint32_t al, fake *b, uint32_t bl, uint64_t now)
{
	while (pump(a, al, b, bl, now) + pump(b, bl, a, al, now) > 0)
		;
}

static int
find_line(const fake *f, const char *line)
{
	for (int i = 0; i < f->nlines; i++)
		if (strcmp(f->lines[i], line) == 0)
			return i;
	return -1;
}

static int
count_line(const fake *f, const char *line)
{
	int k = 0;

	for (int i = 0; i < f->nlines; i++)
		k += strcmp(f->lines[i], line) == 0;
	return k;
}

static const char *
last_line(const fake *f)
{
	return f->nlines ? f->lines[f->nlines - 1] : "";
}

static void
input(fake *f, uint64_t now, const char *line)
{
	call_input(f, now, line, strlen(line));
}

/* Ticks every 50 ms from `from` to `to`. */
static void
ticks(fake *f, uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 50)
		call_tick(f, t);
}


/*
 * alice (first), then bob joining through alice: bob's link 1 is alice's
 * link 101.  Returns with both announced and linked.
 */
static void
pair(fake *a, fake *b)
{
	start(a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	assert_int_equal(b->ndialled, 1);
	assert_string_equal(b->dialled[0], "10.0.0.1:7420");
	link_up(b, 1, a, 101, 2005);
	settle(a, 101, b, 1, 2010);
}

/* alice and bob, settled by 2100. */
static void
settled_pair(fake *a, fake *b)
{
	pair(a, b);
	ticks(a, 2050, 2100);
	ticks(b, 2050, 2100);
	settle(a, 101, b, 1, 2100);
}

static void
test_first_node_announces_itself(void **state)
{
	(void)state;
	fake a;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	assert_int_equal(a.nlines, 3);
	assert_string_equal(a.lines[0], "[JOIN] alice joined the chat");
	assert_string_equal(a.lines[1], "[USERS] alice (leader)");
	assert_string_equal(a.lines[2], "[LEADER] alice is the leader");
	assert_true(node_announced(a.n));
	assert_true(node_leader(a.n) == A_ID);
	assert_int_equal(a.ndialled, 0);
	stop(&a);
}

static void
test_join_through_a_member(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t ids[4];

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	assert_int_equal(b.nlines, 0); /* probing: nothing shown yet */
	assert_false(node_announced(b.n));
	link_up(&b, 1, &a, 101, 2005);
	assert_true(pump(&a, 101, &b, 1, 2006) == 3); /* HELLO, PROVE, MEMBERS */
	/* bob greets alice, and waits for her clock before he is in. */
	assert_int_equal(b.nlines, 0);
	pump(&b, 1, &a, 101, 2007);
	assert_string_equal(last_line(&a), "[JOIN] bob joined the chat");
	pump(&a, 101, &b, 1, 2008);
	/* bob is in: its own lines, in the SPEC's order. */
	assert_int_equal(b.nlines, 3);
	assert_string_equal(b.lines[0], "[JOIN] bob joined the chat");
	assert_string_equal(b.lines[1], "[USERS] alice (leader), bob");
	assert_string_equal(b.lines[2], "[LEADER] alice is the leader");
	for (fake *f = &a; f; f = f == &a ? &b : NULL) {
		assert_int_equal(node_members(f->n, ids, 4), 2);
		assert_true(ids[0] == A_ID && ids[1] == B_ID);
		assert_true(node_leader(f->n) == A_ID);
	}
	stop(&a);
	stop(&b);
}

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
test_chat_is_shown_everywhere_once(void **state)
{
	(void)state;
	static fake a, b;
	char da[33], db[33];

	pair(&a, &b);
	drop_sent(&a);
	drop_sent(&b);
	input(&b, 2100, "hi there");
	/* Not shown before alice's clock has passed it. */
	assert_int_equal(count_line(&b, "[bob] hi there"), 0);
	assert_int_equal(b.nout, 2); /* the record, and bob's signature over it */
	frame copy = b.out[0];
	uint8_t *dup = malloc(copy.len);
	memcpy(dup, copy.buf, copy.len);
	pump(&b, 1, &a, 101, 2101);
	/* Alice holds everything bob sent before this record: she shows it. */
	assert_string_equal(last_line(&a), "[bob] hi there");
	/* A second copy is a duplicate. */
	call_frame(&a, 2102, 101, dup + WIRE_HEADER, copy.len - WIRE_HEADER);
	free(dup);
	assert_int_equal(count_line(&a, "[bob] hi there"), 1);
	/* Her acknowledgement makes it stable at bob. */
	pump(&a, 101, &b, 1, 2103);
	assert_int_equal(count_line(&b, "[bob] hi there"), 1);
	assert_true(node_history_count(a.n) == 1 && node_history_count(b.n) == 1);
	node_history_digest(a.n, da);
	node_history_digest(b.n, db);
	assert_string_equal(da, db);
	/* Text that is not UTF-8 is refused, and nothing is sent. */
	int sent = b.nout;
	input(&b, 2150, "caf\xe9");
	assert_string_equal(last_line(&b), "[ERROR] message is not valid UTF-8");
	assert_int_equal(b.nout, sent);
	/* An escape sequence from the network is shown defused. */
	input(&a, 2200, "\x1b]0;pwned\x07");
	pump(&a, 101, &b, 1, 2201);
	assert_string_equal(last_line(&b), "[alice] \\e]0;pwned\\x07");
	stop(&a);
	stop(&b);
}

static void
test_link_break_loses_member_and_moves_leadership(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t ids[4];

	pair(&a, &b);
	call_link_down(&b, 2500, 1, "connection reset by peer");
	assert_string_equal(b.lines[b.nlines - 2], "[LOST] alice is unreachable");
	assert_string_equal(b.lines[b.nlines - 1], "[LEADER] bob is the leader");
	assert_int_equal(node_members(b.n, ids, 4), 1);
	assert_true(node_leader(b.n) == B_ID);
	int lines = a.nlines;
	call_link_down(&a, 2500, 101, "connection reset by peer");
	assert_int_equal(a.nlines, lines + 1); /* alice stays leader: no [LEADER] */
	assert_string_equal(last_line(&a), "[LOST] bob is unreachable");
	/* alice has the lower id: she dials bob again, and he is back. */
	drop_sent(&a);
	ticks(&a, 2550, 2800);
	assert_string_equal(a.dialled[a.ndialled - 1], "10.0.0.2:7420");
	uint32_t al = a.next_link;
	link_up(&a, al, &b, 2, 2810);
	settle(&a, al, &b, 2, 2811);
	assert_string_equal(last_line(&a), "[BACK] bob is reachable again");
	assert_string_equal(b.lines[b.nlines - 2], "[BACK] alice is reachable again");
	assert_string_equal(b.lines[b.nlines - 1], "[LEADER] alice is the leader");
	stop(&a);
	stop(&b);
}

static void
test_silence_loses_member_after_timeout(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	/* alice goes quiet (hung): bob hears nothing from her. */
	ticks(&b, 2050, 2950);
	assert_int_equal(find_line(&b, "[LOST] alice is unreachable"), -1);
	ticks(&b, 3000, 3100);
	assert_true(find_line(&b, "[LOST] alice is unreachable") > 0);
	assert_string_equal(last_line(&b), "[LEADER] bob is the leader");
	/* After three timeouts of silence, the link itself is closed. */
	ticks(&b, 3150, 5100);
	assert_true(b.nclosed >= 1 && b.closed[0] == 1);
	stop(&a);
	stop(&b);
}

static void
test_stall_does_not_blame_the_peers(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	/* bob's process was stopped for 5 s: on waking, it gives alice a chance. */
	call_tick(&b, 7000);
	assert_int_equal(find_line(&b, "[LOST] alice is unreachable"), -1);
	stop(&a);
	stop(&b);
}

static void
test_taken_nick_exits_3(void **state)
{
	(void)state;
	static fake a, c;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&c, C_ID, 3000, "ALICE", "10.0.0.3", "10.0.0.1:7420");
	link_up(&c, 1, &a, 101, 3005);
	pump(&a, 101, &c, 1, 3006);
	/* The newcomer sees the clash in alice's list and loses it. */
	assert_int_equal(c.exit_code, 3);
	assert_string_equal(c.last_log, "nick \"ALICE\" is taken");
	assert_int_equal(find_line(&c, "[JOIN] ALICE joined the chat"), -1);
	assert_true(node_done(c.n));
	/* Its hello reached alice anyway: she refuses it, and shows no join. */
	int lines = a.nlines;
	pump(&c, 1, &a, 101, 3007);
	assert_int_equal(a.nlines, lines);
	assert_true(a.nclosed == 1 && a.closed[0] == 101);
	assert_int_equal(a.nout, 1); /* the REJECT, flushed before the close */
	wire_msg m;
	assert_int_equal(wire_decode(a.out[0].buf + WIRE_HEADER, a.out[0].len - WIRE_HEADER, &m), 0);
	assert_int_equal(m.type, WIRE_REJECT);
	assert_int_equal(a.exit_code, -1);
	stop(&a);
	stop(&c);
}

static void
test_reject_frame_exits_3(void **state)
{
	(void)state;
	static fake a, b;
	wire_buf w = {0};
	wire_msg r = {.type = WIRE_REJECT};

	pair(&a, &b);
	r.u.reject.reason = WIRE_NICK_TAKEN;
	r.u.reject.nick = wire_cstr("bob");
	wire_encode(&w, &r);
	call_frame(&b, 2100, 1, w.data + WIRE_HEADER, w.len - WIRE_HEADER);
	assert_int_equal(b.exit_code, 3);
	/* Once done, every entry point is a no-op. */
	int lines = b.nlines;
	input(&b, 2200, "\\is_leader");
	call_tick(&b, 2300);
	assert_int_equal(b.nlines, lines);
	wire_buf_free(&w);
	stop(&a);
	stop(&b);
}

static void
test_leave_is_announced(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	input(&b, 2100, "bye");
	assert_int_equal(b.exit_code, 0);
	assert_string_equal(last_line(&b), "[LEAVE] bob left the chat");
	pump(&b, 1, &a, 101, 2101);
	assert_string_equal(last_line(&a), "[LEAVE] bob left the chat");
	call_link_down(&a, 2102, 101, "closed by peer");
	assert_string_equal(last_line(&a), "[LEAVE] bob left the chat"); /* no [LOST] */
	stop(&a);
	stop(&b);
}

static void
test_last_line_before_leaving_is_signed_and_arrives(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	/* The line and the end of input in one loop pass: no flush between. */
	node_input(b.n, 2100, "last words", 10);
	node_leave(b.n, 2100);
	assert_int_equal(b.exit_code, 0);
	pump(&b, 1, &a, 101, 2101);
	call_link_down(&a, 2102, 101, "closed by peer");
	ticks(&a, 2150, 3500); /* bob is settled as gone: his line is stable */
	assert_int_equal(count_line(&a, "[bob] last words"), 1);
	stop(&a);
	stop(&b);
}

/*
 * Three nodes: carol joins through bob, learns alice from him and dials
 * her.  Links: bob 1 = alice 101; carol 1 = bob 102; carol 2 = alice 103.
 */
static void
trio(fake *a, fake *b, fake *c)
{
	pair(a, b);
	start(c, C_ID, 3000, "carol", "10.0.0.3", "10.0.0.2:7420");
	link_up(c, 1, b, 102, 3001);
	settle(b, 102, c, 1, 3002);
	assert_false(node_announced(c->n)); /* alice is still pending */
	ticks(c, 3050, 3050);
	assert_string_equal(c->dialled[c->ndialled - 1], "10.0.0.1:7420");
	link_up(c, 2, a, 103, 3060);
	settle(a, 103, c, 2, 3061);
	assert_true(node_announced(c->n));
}

static void
test_three_nodes_and_leader_crash(void **state)
{
	(void)state;
	static fake a, b, c;
	uint64_t ids[4];

	trio(&a, &b, &c);
	assert_string_equal(c.lines[0], "[JOIN] carol joined the chat");
	assert_string_equal(c.lines[1], "[USERS] alice (leader), bob, carol");
	assert_string_equal(c.lines[2], "[LEADER] alice is the leader");
	assert_true(find_line(&a, "[JOIN] carol joined the chat") >= 0);
	assert_true(find_line(&b, "[JOIN] carol joined the chat") >= 0);
	/* alice crashes: both links break, both survivors pick bob. */
	call_link_down(&b, 4000, 1, "connection reset by peer");
	call_link_down(&c, 4000, 2, "connection reset by peer");
	for (fake *f = &b; f; f = f == &b ? &c : NULL) {
		assert_string_equal(f->lines[f->nlines - 2], "[LOST] alice is unreachable");
		assert_string_equal(last_line(f), "[LEADER] bob is the leader");
		assert_int_equal(node_members(f->n, ids, 4), 2);
		assert_true(ids[0] == B_ID && ids[1] == C_ID);
	}
	input(&b, 4001, "\\is_leader");
	assert_string_equal(last_line(&b), "[IS_LEADER] yes");
	stop3(&a, &b, &c);
}

/* Carry frames among alice (b:1/101, c:2/103), bob and carol until quiet. */
static void
settle3(fake *a, fake *b, fake *c, uint64_t now)
{
	for (int moved = 1; moved;)
		moved = pump(a, 101, b, 1, now) + pump(b, 1, a, 101, now) +
			pump(b, 102, c, 1, now) + pump(c, 1, b, 102, now) +
			pump(a, 103, c, 2, now) + pump(c, 2, a, 103, now);
}

static void
test_messages_wait_for_the_announce(void **state)
{
	(void)state;
	static fake a, b, c;

	pair(&a, &b);
	start(&c, C_ID, 3000, "carol", "10.0.0.3", "10.0.0.2:7420");
	link_up(&c, 1, &b, 102, 3001);
	settle(&b, 102, &c, 1, 3002);
	/* bob talks while carol still waits for alice: she holds it. */
	input(&b, 3010, "early");
	pump(&b, 102, &c, 1, 3011);
	assert_int_equal(c.nlines, 0);
	ticks(&c, 3050, 3050);
	link_up(&c, 2, &a, 103, 3060);
	settle3(&a, &b, &c, 3061);
	/*
	 * The announce first, then what carol caught up on: said since she
	 * started, so as a line of the chat, not as history.
	 */
	assert_string_equal(c.lines[0], "[JOIN] carol joined the chat");
	assert_string_equal(c.lines[2], "[LEADER] alice is the leader");
	assert_string_equal(c.lines[3], "[bob] early");
	assert_int_equal(count_line(&a, "[bob] early"), 1);
	assert_int_equal(count_line(&b, "[bob] early"), 1);
	stop3(&a, &b, &c);
}

static void
test_lost_frames_are_pulled_from_any_member(void **state)
{
	(void)state;
	static fake a, b, c;

	pair(&a, &b);
	start(&c, C_ID, 3000, "carol", "10.0.0.3", "10.0.0.2:7420");
	link_up(&c, 1, &b, 102, 3001);
	settle(&b, 102, &c, 1, 3002);
	/* alice speaks; the frame is lost on the way to bob. */
	input(&a, 3010, "while you joined");
	drop_sent(&a);
	ticks(&c, 3050, 3050);
	link_up(&c, 2, &a, 103, 3060);
	settle3(&a, &b, &c, 3061);
	/* Not shown anywhere yet: bob's clock has not passed it. */
	assert_int_equal(count_line(&a, "[alice] while you joined"), 0);
	/*
	 * The heartbeats carry clocks and version vectors: bob sees alice
	 * holds a record he lacks and pulls it; then all can show it.
	 */
	for (uint64_t t = 3100; t <= 3300; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		ticks(&c, t, t);
		settle3(&a, &b, &c, t);
	}
	assert_int_equal(count_line(&a, "[alice] while you joined"), 1);
	assert_int_equal(count_line(&b, "[alice] while you joined"), 1);
	assert_int_equal(count_line(&c, "[alice] while you joined"), 1);
	/* Once everyone is linked, a line is shown everywhere in its turn. */
	input(&a, 3400, "after");
	settle3(&a, &b, &c, 3401);
	for (fake *f = &a; f; f = f == &a ? &b : f == &b ? &c : NULL) {
		assert_int_equal(count_line(f, "[alice] after"), 1);
		assert_true(node_history_count(f->n) == 2);
	}
	stop3(&a, &b, &c);
}

/*
 * carol's program starts at 2950 but her node only at 3000 (opening the
 * store and deriving the key take time): alice's line of 2980 was said
 * after carol started, so carol shows it live; the one of 2900 is backlog.
 */
static void
test_a_line_said_while_the_program_started_is_news(void **state)
{
	(void)state;
	static fake a, b, c;

	pair(&a, &b);
	input(&a, 2900, "before carol");
	input(&a, 2980, "while carol started");
	settle(&a, 101, &b, 1, 2981);
	next_started_ms = 2950;
	start(&c, C_ID, 3000, "carol", "10.0.0.3", "10.0.0.2:7420");
	link_up(&c, 1, &b, 102, 3001);
	settle(&b, 102, &c, 1, 3002);
	ticks(&c, 3050, 3050);
	link_up(&c, 2, &a, 103, 3060);
	settle3(&a, &b, &c, 3061);
	for (uint64_t t = 3100; t <= 3500; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		ticks(&c, t, t);
		settle3(&a, &b, &c, t);
	}
	assert_int_equal(count_line(&c, "[HISTORY] [alice] before carol"), 1);
	assert_int_equal(count_line(&c, "[alice] while carol started"), 1);
	assert_int_equal(count_line(&c, "[HISTORY] [alice] while carol started"), 0);
	stop3(&a, &b, &c);
}

static void
test_newcomer_gets_the_history(void **state)
{
	(void)state;
	static fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	input(&a, 1500, "before bob");
	assert_string_equal(last_line(&a), "[alice] before bob");
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	settle(&a, 101, &b, 1, 2010);
	assert_int_equal(count_line(&b, "[HISTORY] [alice] before bob"), 1);
	assert_int_equal(count_line(&b, "[alice] before bob"), 0);
	input(&b, 2100, "\\history");
	assert_string_equal(last_line(&b), "[HISTORY] [alice] before bob");
	/* \history N: the last N, oldest first. */
	for (int i = 0; i < 30; i++) {
		char line[16];
		snprintf(line, sizeof line, "line %d", i);
		input(&a, 2200 + (uint64_t)i, line);
		settle(&a, 101, &b, 1, 2200 + (uint64_t)i);
	}
	int mark = b.nlines;
	input(&b, 2300, "\\history 3");
	assert_int_equal(b.nlines, mark + 3);
	assert_string_equal(b.lines[mark], "[HISTORY] [alice] line 27");
	assert_string_equal(b.lines[mark + 2], "[HISTORY] [alice] line 29");
	input(&b, 2301, "\\history 0");
	assert_string_equal(last_line(&b), "[ERROR] usage: \\history [N], N from 1 to 100000");
	input(&b, 2302, "\\history many");
	assert_string_equal(last_line(&b), "[ERROR] usage: \\history [N], N from 1 to 100000");
	stop(&a);
	stop(&b);
}

static void
test_restart_from_the_store_repeats_nothing(void **state)
{
	(void)state;
	static fake a;
	char before[33], after[33];

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	input(&a, 1100, "one");
	input(&a, 1200, "two");
	node_history_digest(a.n, before);
	/* The process dies; its store survives, and a new one starts on it. */
	node_free(a.n);
	a.nlines = 0;
	node_config cfg = {.id = A_ID, .sign_pk = keys[0], .sign_sk = keys[0] + SIGN_PK,
			   .inc = 5000, .nick = "alice", .host = "10.0.0.1",
			   .port = 7420, .heartbeat_ms = 200, .timeout_ms = 1000, .wall_ms = 5000,
			   .mark_hlc = a.store.mark_hlc, .mark_sender = a.store.mark_sender};
	node_io io = io_of(&a);
	a.n = node_new(&cfg, &io, 5000);
	node_flush(a.n, 5000);
	assert_int_equal(count_line(&a, "[alice] one") + count_line(&a, "[HISTORY] [alice] one"), 0);
	assert_true(node_history_count(a.n) == 2);
	node_history_digest(a.n, after);
	assert_string_equal(before, after);
	/* Its sequence numbers and clock go on from where they were. */
	input(&a, 5100, "three");
	assert_string_equal(last_line(&a), "[alice] three");
	assert_true(a.store.len == 3 && a.store.v[2].r.seq == 3);
	assert_true(a.store.v[2].r.hlc > a.store.v[1].r.hlc);
	stop(&a);
}

/* Hand a frame to f on link l as if its peer had sent it. */
static void
inject(fake *f, uint32_t l, uint64_t now, const wire_msg *m)
{
	inject_msg(f->n, now, l, m);
	node_flush(f->n, now);
}

static void
set_chat(wire_msg *m, uint64_t sender, uint64_t seq, uint64_t ms, const char *nick,
	 const char *text)
{
	m->type = WIRE_CHAT;
	m->u.chat.sender = sender;
	m->u.chat.seq = seq;
	m->u.chat.hlc = ms << HLC_SHIFT;
	m->u.chat.kind = HIST_CHAT;
	m->u.chat.nick = wire_cstr(nick);
	m->u.chat.text = wire_cstr(text);
}

/* The stamp of the last CHAT f sent, in ms (and forget everything f sent). */
static uint64_t
last_chat_ms(fake *f)
{
	static wire_msg m;
	uint64_t ms = 0;

	for (int i = 0; i < f->nout; i++)
		if (wire_decode(f->out[i].buf + WIRE_HEADER, f->out[i].len - WIRE_HEADER, &m) == 0 &&
		    m.type == WIRE_CHAT)
			ms = hlc_ms(m.u.chat.hlc);
	drop_sent(f);
	return ms;
}

/* The PULLs f sent on link l (and forget everything f sent). */
static int
pulls_sent(fake *f, uint32_t l)
{
	static wire_msg m;
	int k = 0;

	for (int i = 0; i < f->nout; i++)
		if (f->out[i].link == l &&
		    wire_decode(f->out[i].buf + WIRE_HEADER, f->out[i].len - WIRE_HEADER, &m) == 0)
			k += m.type == WIRE_PULL;
	drop_sent(f);
	return k;
}

static void
test_peer_claiming_records_it_never_sends_stalls_nobody(void **state)
{
	(void)state;
	static fake a, b;
	static wire_msg hb;
	wire_msg chat = {.type = WIRE_CHAT};

	pair(&a, &b);
	drop_sent(&a);
	/* Bob's heartbeat claims 50 records of an author nobody has. */
	hb.type = WIRE_HEARTBEAT;
	hb.u.heartbeat.hlc = 2100ull << HLC_SHIFT;
	hb.u.heartbeat.count = 1;
	hb.u.heartbeat.have[0] = (wire_have){.id = 0x99, .seq = 50, .live = 0};
	inject(&a, 101, 2100, &hb);
	assert_int_equal(pulls_sent(&a, 101), 1);
	/* A record far past what alice holds of its author: a gap, dropped. */
	set_chat(&chat, 0x77, 40, 2101, "ghost", "boo");
	inject(&a, 101, 2101, &chat);
	assert_int_equal(pulls_sent(&a, 101), 1);
	assert_true(node_history_count(a.n) == 0);
	/* Nothing comes; after timeout-ms alice says so and asks elsewhere. */
	ticks(&a, 2150, 3200);
	assert_non_null(strstr(a.last_log, "asking elsewhere"));
	/* Bob's own lines are not held up by any of it. */
	input(&b, 3300, "still here");
	pump(&b, 1, &a, 101, 3301);
	assert_int_equal(count_line(&a, "[bob] still here"), 1);
	/* A replay of an old record is a duplicate: nothing shown, nothing stored. */
	set_chat(&chat, B_ID, 1, 3300, "bob", "still here");
	inject(&a, 101, 3302, &chat);
	assert_int_equal(count_line(&a, "[bob] still here"), 1);
	assert_true(node_history_count(a.n) == 1);
	/* A stamp a week ahead of alice's clock does not drag it along. */
	chat.u.chat.seq = 2;
	chat.u.chat.hlc = (3400ull + 7 * 24 * 3600 * 1000) << HLC_SHIFT;
	inject(&a, 101, 3400, &chat);
	drop_sent(&a);
	input(&a, 3410, "my clock is mine");
	assert_true(last_chat_ms(&a) < 3400 + 1000);
	stop(&a);
	stop(&b);
}

#define HOUR (3600ll * 1000)

/*
 * A joiner whose clock is 25 hours ahead learns it at join and stops with
 * code 6; alice carries on.  One 11 hours ahead (within the bound) joins
 * and chats, and both show the same lines in one order.  (The fake clocks
 * start near 0, so a clock behind cannot be tried here: the simulator's
 * and the system tests' clocks are real dates.)
 */
static void
test_a_joiner_whose_clock_is_far_off_is_told_and_stops(void **state)
{
	(void)state;
	static fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start_skewed(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420", 25 * HOUR);
	link_up(&b, 1, &a, 101, 2005);
	settle(&a, 101, &b, 1, 2010);
	ticks(&b, 2050, 2400);
	settle(&a, 101, &b, 1, 2400);
	assert_int_equal(b.exit_code, 6);
	assert_non_null(strstr(b.last_log, "clock is off by +25h00m from alice's"));
	assert_int_equal(find_line(&b, "[JOIN] bob joined the chat"), -1);
	stop(&b);

	start_skewed(&b, B_ID, 3000, "bob", "10.0.0.2", "10.0.0.1:7420", 11 * HOUR);
	link_up(&b, 1, &a, 102, 3005);
	settle(&a, 102, &b, 1, 3010);
	for (uint64_t t = 3050; t <= 3600; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		settle(&a, 102, &b, 1, t);
	}
	assert_int_equal(b.exit_code, -1);
	input(&b, 3610, "from the past");
	input(&a, 3620, "from now");
	for (uint64_t t = 3650; t <= 5000; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		settle(&a, 102, &b, 1, t);
	}
	for (fake *f = &a; f; f = f == &a ? &b : NULL) {
		assert_int_equal(count_line(f, "[bob] from the past"), 1);
		assert_int_equal(count_line(f, "[alice] from now"), 1);
	}
	/* One order on both. */
	assert_true((find_line(&a, "[bob] from the past") < find_line(&a, "[alice] from now")) ==
		    (find_line(&b, "[bob] from the past") < find_line(&b, "[alice] from now")));
	stop(&a);
	stop(&b);
}

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

/* Carry frames among alice, bob and carol until quiet, with ticks. */
static void
mesh3(fake *a, fake *b, fake *c, uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 50) {
		ticks(a, t, t);
		ticks(b, t, t);
		ticks(c, t, t);
		settle3(a, b, c, t);
	}
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
 * bob's record reaches alice, but his link to her breaks before the
 * signature that covers it: alice drops what waits on that link at once
 * and pulls it again from carol, instead of holding it for timeout-ms.
 */
static void
test_records_whose_signature_was_on_a_broken_link_are_pulled_again(void **state)
{
	(void)state;
	static fake a, b, c;
	int keep = 0, chats = 0;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	input(&b, 3310, "half sent");
	for (int i = 0; i < b.nout; i++) {
		static wire_msg m;
		frame *f = &b.out[i];
		if (f->link != 1) {
			b.out[keep++] = *f;
			continue;
		}
		if (wire_decode(f->buf + WIRE_HEADER, f->len - WIRE_HEADER, &m) == 0 &&
		    m.type == WIRE_CHAT) {
			call_frame(&a, 3311, 101, f->buf + WIRE_HEADER, f->len - WIRE_HEADER);
			chats++;
		}
		free(f->buf);
	}
	b.nout = keep;
	assert_int_equal(chats, 1);
	pump(&b, 102, &c, 1, 3311);
	call_link_down(&a, 3320, 101, "connection reset");
	call_link_down(&b, 3320, 1, "connection reset");
	drop_sent(&b);
	assert_true(node_history_count(a.n) == 0);
	for (uint64_t t = 3350; t <= 3600; t += 50) {
		ticks(&a, t, t);
		ticks(&c, t, t);
		settle(&a, 103, &c, 2, t);
	}
	assert_true(node_history_count(a.n) == 1); /* long before 3310 + timeout */
	stop3(&a, &b, &c);
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

static void
test_restarted_member_old_link_is_dropped(void **state)
{
	(void)state;
	static fake a, b, b2;

	pair(&a, &b);
	input(&b, 2100, "one");
	input(&b, 2101, "two");
	/* bob crashes and restarts before alice saw his last frames. */
	start(&b2, B_ID, 5000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b2, 1, &a, 104, 5005);
	settle(&a, 104, &b2, 1, 5006);
	input(&b2, 5010, "new one");
	/* Now the old process's frames arrive on its old link. */
	pump(&b, 1, &a, 101, 5011);
	assert_int_equal(count_line(&a, "[bob] one"), 0);
	assert_true(a.nclosed >= 1 && a.closed[a.nclosed - 1] == 101);
	pump(&b2, 1, &a, 104, 5012);
	assert_int_equal(count_line(&a, "[bob] new one"), 1);
	stop3(&a, &b, &b2);
}

static void
test_silent_seed_is_dialled_again(void **state)
{
	(void)state;
	static fake b;

	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	call_link_up(&b, 2005, 1, true, "10.0.0.1");
	/* The seed accepted, then never said a word. */
	ticks(&b, 2050, 3100);
	assert_true(b.nclosed == 1 && b.closed[0] == 1);
	ticks(&b, 3150, 3400);
	assert_int_equal(b.ndialled, 2);
	assert_false(node_announced(b.n));
	stop(&b);
}

static void
test_seed_that_hangs_after_its_hello_is_dialled_again(void **state)
{
	(void)state;
	static fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	/*
	 * Only alice's HELLO gets through; her proof and member list never
	 * do, so the HELLO counts for nothing: the link is never bound.
	 */
	assert_int_equal(a.nout, 3);
	call_frame(&b, 2006, 1, a.out[0].buf + WIRE_HEADER, a.out[0].len - WIRE_HEADER);
	drop_sent(&a);
	assert_false(node_announced(b.n));
	/* The link that led nowhere is closed; the probe starts over. */
	ticks(&b, 2050, 5200);
	assert_true(b.nclosed >= 1 && b.closed[0] == 1);
	ticks(&b, 5250, 5500);
	assert_true(b.ndialled >= 2);
	assert_string_equal(b.dialled[1], "10.0.0.1:7420");
	stop(&a);
	stop(&b);
}

static void
test_higher_id_dials_a_member_that_lost_its_hello(void **state)
{
	(void)state;
	static fake a, b;

	/* bob (the higher id) joins; the link breaks before alice hears him. */
	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	pump(&a, 101, &b, 1, 2006);
	/* alice's clock reaches bob (as if her heartbeat crossed his HELLO). */
	static wire_msg hb = {.type = WIRE_HEARTBEAT};
	hb.u.heartbeat.hlc = 2006ull << HLC_SHIFT;
	inject(&b, 1, 2006, &hb);
	assert_true(node_announced(b.n));
	drop_sent(&b);
	call_link_down(&b, 2007, 1, "connection reset by peer");
	call_link_down(&a, 2007, 101, "connection reset by peer");
	/* alice does not know bob; bob must dial her once she stays silent. */
	int dials = b.ndialled;
	ticks(&b, 2050, 2950);
	assert_int_equal(b.ndialled, dials);
	ticks(&b, 3000, 3200);
	assert_int_equal(b.ndialled, dials + 1);
	assert_string_equal(b.dialled[b.ndialled - 1], "10.0.0.1:7420");
	stop(&a);
	stop(&b);
}

/* Key pairs from fixed seeds, their ids in the order the tests assume. */
static void
make_keys(void)
{
	uint64_t *ids[3] = {&A_ID, &B_ID, &C_ID};
	uint8_t seed[32] = {0};

	for (int k = 0; k < 3;) {
		uint8_t *pk = keys[k], *sk = keys[k] + SIGN_PK;
		seed[0]++;
		crypto_sign_seed_keypair(pk, sk, seed);
		uint64_t id = sign_id(pk);
		if (k == 0 || id > *ids[k - 1])
			*ids[k++] = id;
	}
}

/* --- guests (the IRC gateway's users) ------------------------------------------ */

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
		cmocka_unit_test(test_first_node_announces_itself),
		cmocka_unit_test(test_join_through_a_member),
		cmocka_unit_test(test_commands_answer),
		cmocka_unit_test(test_answers_go_to_whoever_asked),
		cmocka_unit_test(test_chat_is_shown_everywhere_once),
		cmocka_unit_test(test_link_break_loses_member_and_moves_leadership),
		cmocka_unit_test(test_silence_loses_member_after_timeout),
		cmocka_unit_test(test_stall_does_not_blame_the_peers),
		cmocka_unit_test(test_taken_nick_exits_3),
		cmocka_unit_test(test_reject_frame_exits_3),
		cmocka_unit_test(test_leave_is_announced),
		cmocka_unit_test(test_last_line_before_leaving_is_signed_and_arrives),
		cmocka_unit_test(test_three_nodes_and_leader_crash),
		cmocka_unit_test(test_messages_wait_for_the_announce),
		cmocka_unit_test(test_lost_frames_are_pulled_from_any_member),
		cmocka_unit_test(test_a_line_said_while_the_program_started_is_news),
		cmocka_unit_test(test_newcomer_gets_the_history),
		cmocka_unit_test(test_restart_from_the_store_repeats_nothing),
		cmocka_unit_test(test_the_leader_can_silence_a_user_just_attached),
		cmocka_unit_test(test_two_guests_claiming_one_nick_end_with_one_renamed),
		cmocka_unit_test(test_a_guest_of_a_lost_node_is_taken_over),
		cmocka_unit_test(test_a_node_cannot_take_an_online_guests_nick),
		cmocka_unit_test(test_peer_claiming_records_it_never_sends_stalls_nobody),
		cmocka_unit_test(test_forged_records_are_refused),
		cmocka_unit_test(test_records_whose_signature_was_on_a_broken_link_are_pulled_again),
		cmocka_unit_test(test_directives_are_records_enforced_everywhere),
		cmocka_unit_test(test_a_record_under_another_nick_is_refused),
		cmocka_unit_test(test_a_guest_line_from_a_node_that_does_not_host_the_guest_is_refused),
		cmocka_unit_test(test_a_hello_counts_only_once_its_id_is_proven),
		cmocka_unit_test(test_a_joiner_whose_clock_is_far_off_is_told_and_stops),
		cmocka_unit_test(test_a_first_record_cannot_claim_a_silent_member),
		cmocka_unit_test(test_restarted_member_old_link_is_dropped),
		cmocka_unit_test(test_silent_seed_is_dialled_again),
		cmocka_unit_test(test_seed_that_hangs_after_its_hello_is_dialled_again),
		cmocka_unit_test(test_higher_id_dials_a_member_that_lost_its_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
