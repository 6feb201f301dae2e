/*
 * The node tests' fixture (tests/unit/test_node_*.c): two or three nodes
 * whose io callbacks record what they print and send, with the test
 * carrying each frame across like a network would, and the keys of
 * alice, bob and carol.  See node_fixture.h.
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

uint8_t keys[3][SIGN_PK + SIGN_SK];
uint64_t A_ID, B_ID, C_ID;

/* The program's start for the next node started, when before node_new (0: none). */
uint64_t next_started_ms;
uint64_t next_last_inc;
unsigned next_relay_from;
bool next_seeds_are_peers;

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
void
call_frame(fake *f, uint64_t now, uint32_t link, const uint8_t *body, size_t len)
{
	node_frame(f->n, now, link, body, len);
	node_flush(f->n, now);
}

void
call_tick(fake *f, uint64_t now)
{
	node_tick(f->n, now);
	node_flush(f->n, now);
}

void
call_input(fake *f, uint64_t now, const char *line, size_t len)
{
	node_input(f->n, now, line, len);
	node_flush(f->n, now);
}

void
call_link_up(fake *f, uint64_t now, uint32_t link, bool outgoing, const char *host)
{
	node_link_up(f->n, now, link, outgoing, host, NULL);
	node_flush(f->n, now);
}

void
call_link_down(fake *f, uint64_t now, uint32_t link, const char *why)
{
	node_link_down(f->n, now, link, why);
	node_flush(f->n, now);
}

node_io
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
void
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
			   .wall_ms = (uint64_t)((int64_t)now + skew), .started_ms = next_started_ms,
			   .seeds_are_peers = next_seeds_are_peers, .last_inc = next_last_inc,
			   .relay_from = next_relay_from};

	next_started_ms = 0;
	next_last_inc = 0;
	next_seeds_are_peers = false;
	memset(f, 0, sizeof *f);
	f->exit_code = -1;
	f->host = host;
	f->n = node_new(&cfg, &io, now);
	node_flush(f->n, now);
}

void
start(fake *f, uint64_t id, uint64_t now, const char *nick, const char *host,
      const char *seed)
{
	start_skewed(f, id, now, nick, host, seed, 0);
}

void
stop(fake *f)
{
	for (int i = 0; i < f->nout; i++)
		free(f->out[i].buf);
	node_free(f->n);
	memstore_free(&f->store);
}

/* The end of a test of three nodes. */
void
stop3(fake *a, fake *b, fake *c)
{
	stop(a);
	stop(b);
	stop(c);
}

/* Forget what f sent so far (a link that lost it, or frames not wanted). */
void
drop_sent(fake *f)
{
	for (int i = 0; i < f->nout; i++)
		free(f->out[i].buf);
	f->nout = 0;
}

/* Carry what `from` sent on link fl, in order, to `to` on link tl. */
int
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
void
link_up(fake *a, uint32_t al, fake *b, uint32_t bl, uint64_t now)
{
	call_link_up(b, now, bl, false, a->host);
	call_link_up(a, now, al, true, b->host);
}

/* Pump both ways until nothing moves. */
void
settle(fake *a, uint32_t al, fake *b, uint32_t bl, uint64_t now)
{
	while (pump(a, al, b, bl, now) + pump(b, bl, a, al, now) > 0)
		;
}

int
find_line(const fake *f, const char *line)
{
	for (int i = 0; i < f->nlines; i++)
		if (strcmp(f->lines[i], line) == 0)
			return i;
	return -1;
}

int
count_line(const fake *f, const char *line)
{
	int k = 0;

	for (int i = 0; i < f->nlines; i++)
		k += strcmp(f->lines[i], line) == 0;
	return k;
}

const char *
last_line(const fake *f)
{
	return f->nlines ? f->lines[f->nlines - 1] : "";
}

void
input(fake *f, uint64_t now, const char *line)
{
	call_input(f, now, line, strlen(line));
}

/* Ticks every 50 ms from `from` to `to`. */
void
ticks(fake *f, uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 50)
		call_tick(f, t);
}

/*
 * alice (first), then bob joining through alice: bob's link 1 is alice's
 * link 101.  Returns with both announced and linked.
 */
void
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
void
settled_pair(fake *a, fake *b)
{
	pair(a, b);
	ticks(a, 2050, 2100);
	ticks(b, 2050, 2100);
	settle(a, 101, b, 1, 2100);
}

/* carol starts at 3000 and joins through bob: carol 1 = bob 102, settled. */
void
carol_joins_bob(fake *c, fake *b)
{
	start(c, C_ID, 3000, "carol", "10.0.0.3", "10.0.0.2:7420");
	link_up(c, 1, b, 102, 3001);
	settle(b, 102, c, 1, 3002);
}

/*
 * Three nodes: carol joins through bob, learns alice from him and dials
 * her.  Links: bob 1 = alice 101; carol 1 = bob 102; carol 2 = alice 103.
 */
void
trio(fake *a, fake *b, fake *c)
{
	pair(a, b);
	carol_joins_bob(c, b);
	assert_false(node_announced(c->n)); /* alice is still pending */
	ticks(c, 3050, 3050);
	assert_string_equal(c->dialled[c->ndialled - 1], "10.0.0.1:7420");
	link_up(c, 2, a, 103, 3060);
	settle(a, 103, c, 2, 3061);
	assert_true(node_announced(c->n));
}

/* Carry frames among alice (b:1/101, c:2/103), bob and carol until quiet. */
void
settle3(fake *a, fake *b, fake *c, uint64_t now)
{
	for (int moved = 1; moved;)
		moved = pump(a, 101, b, 1, now) + pump(b, 1, a, 101, now) +
			pump(b, 102, c, 1, now) + pump(c, 1, b, 102, now) +
			pump(a, 103, c, 2, now) + pump(c, 2, a, 103, now);
}

/* Hand a frame to f on link l as if its peer had sent it. */
void
inject(fake *f, uint32_t l, uint64_t now, const wire_msg *m)
{
	inject_msg(f->n, now, l, m);
	node_flush(f->n, now);
}

void
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

/* Carry frames among alice, bob and carol until quiet, with ticks. */
void
mesh3(fake *a, fake *b, fake *c, uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 50) {
		ticks(a, t, t);
		ticks(b, t, t);
		ticks(c, t, t);
		settle3(a, b, c, t);
	}
}

/* Key pairs from fixed seeds, their ids in the order the tests assume. */
void
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
