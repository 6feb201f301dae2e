/*
 * libFuzzer target: any bytes a peer can send, fed through the whole core
 * (decoder, every frame handler, the history's ordering and pulls) on two
 * links, one of them a seed link of a node still probing.  The core must
 * never crash, leak or misbehave under the sanitizers, whatever arrives.
 *
 * The peer is a member: mallory, with a key pair of her own, who says
 * HELLO and proves her identity on the link (PROVE over its binding)
 * before the fuzzed frames.  Every CHAT of hers that is her next record is
 * followed by a SIG over her chain through it, so fuzzed records are taken
 * into the history and reach every record parser: directives and
 * endorsements (mod.c), guests' records (guest.c), the nick rule.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include <sodium.h>

#include "inject.h"
#include "memstore.h"
#include "node.h"
#include "sign.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t next_link = 100;

static uint32_t
io_connect(void *ctx, const char *host, uint16_t port)
{
	(void)ctx, (void)host, (void)port;
	return next_link++;
}

static void
io_send(void *ctx, uint32_t link, const uint8_t *f, size_t len)
{
	(void)ctx, (void)link, (void)f, (void)len;
}

static void
io_close(void *ctx, uint32_t link)
{
	(void)ctx, (void)link;
}

static void
io_event(void *ctx, const event *ev)
{
	char line[20000];

	(void)ctx;
	event_format(ev, line, sizeof line);
}

static void
io_log(void *ctx, int level, const char *line)
{
	(void)ctx, (void)level, (void)line;
}

static void
io_exit(void *ctx, int code)
{
	(void)ctx, (void)code;
}

/* The two fixed identities, made once. */
static uint8_t alice_pk[SIGN_PK], alice_sk[SIGN_SK];
static uint8_t mallory_pk[SIGN_PK], mallory_sk[SIGN_SK];
static const uint8_t binding[SIGN_CHAIN] = {1, 2, 3, 4, 5, 6, 7, 8};

/* mallory's chain through the records of hers the node took so far. */
typedef struct peer {
	uint64_t id;
	uint64_t seq;
	uint8_t chain[SIGN_CHAIN];
} peer;

/* HELLO, then PROVE: the link is mallory's, proven. */
static void
greet(node *n, uint64_t now, uint32_t link, const peer *p)
{
	wire_msg m = {.type = WIRE_HELLO};
	uint8_t proof[SIGN_SIG];

	m.u.hello = (wire_member){.id = p->id, .inc = 2000, .nick = wire_cstr("mallory"),
				  .host = wire_cstr("127.0.0.1"), .port = 7002};
	inject_msg(n, now, link, &m);
	sign_proof(proof, binding, mallory_sk);
	m = (wire_msg){.type = WIRE_PROVE};
	m.u.prove.pk = mallory_pk;
	m.u.prove.proof = proof;
	inject_msg(n, now, link, &m);
}

/* After mallory's next record, her signed head over it. */
static void
sign_after(node *n, uint64_t now, uint32_t link, peer *p, const uint8_t *body, size_t len)
{
	static wire_msg m;
	hist_sig s;

	if (wire_decode(body, len, &m) != 0 || m.type != WIRE_CHAT ||
	    m.u.chat.sender != p->id || m.u.chat.seq != p->seq + 1 ||
	    m.u.chat.nick.len > NICK_MAX)
		return;
	hist_rec r = {.sender = p->id, .seq = m.u.chat.seq, .hlc = m.u.chat.hlc,
		      .kind = m.u.chat.kind, .text = m.u.chat.text.ptr,
		      .len = m.u.chat.text.len};
	memcpy(r.nick, m.u.chat.nick.ptr, m.u.chat.nick.len);
	r.nick[m.u.chat.nick.len] = '\0';
	sign_chain(p->chain, &r);
	p->seq = r.seq;
	s = (hist_sig){.sender = p->id, .seq = p->seq};
	memcpy(s.chain, p->chain, SIGN_CHAIN);
	memcpy(s.pk, mallory_pk, SIGN_PK);
	sign_head(&s, mallory_sk);
	inject_sig_msg(&m, &s);
	inject_msg(n, now, link, &m);
}

/* Every frame, then a tick and the end of the batch. */
static void
feed(node *n, uint64_t *now, uint32_t link, peer *p, const uint8_t *data, size_t size)
{
	size_t flen;

	while (wire_frame_split(data, size, &flen) == 1) {
		node_frame(n, *now, link, data + WIRE_HEADER, flen - WIRE_HEADER);
		if (p)
			sign_after(n, *now, link, p, data + WIRE_HEADER, flen - WIRE_HEADER);
		*now += 7;
		node_tick(n, *now);
		node_flush(n, *now);
		data += flen;
		size -= flen;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const seeds[] = {"127.0.0.1:7000"};
	static memstore store;
	static bool keyed;
	node_io io = {
		.ctx = &store, .connect = io_connect, .send = io_send, .close = io_close,
		.event = io_event, .log = io_log, .exit = io_exit,
	};
	memstore_io(&io);
	if (!keyed) {
		uint8_t seed[32] = {42};
		crypto_sign_seed_keypair(alice_pk, alice_sk, seed);
		seed[0] = 7;
		crypto_sign_seed_keypair(mallory_pk, mallory_sk, seed);
		keyed = true;
	}
	node_config member = {.id = sign_id(alice_pk), .sign_pk = alice_pk, .sign_sk = alice_sk,
			      .inc = 1000, .nick = "alice", .host = "",
			      .port = 7001, .heartbeat_ms = 200, .timeout_ms = 1000,
			      .wall_ms = 1000};
	node_config joiner = member;
	peer mallory = {.id = sign_id(mallory_pk)};
	uint64_t now = 1000;

	joiner.id = member.id ^ 1;
	joiner.nick = "bob";
	joiner.seeds = seeds;
	joiner.nseeds = 1;

	node *a = node_new(&member, &io, now);
	node_input(a, now, "mine", 4);
	node_flush(a, now);
	node_link_up(a, now, 1, false, "127.0.0.1", binding);
	greet(a, now, 1, &mallory);
	node_flush(a, now);
	feed(a, &now, 1, &mallory, data, size);
	node_input(a, now, "\\history 5", 10);
	node_input(a, now, "!silence mallory", 16);
	node_flush(a, now);
	node_link_down(a, now, 1, "fuzz");
	node_flush(a, now);
	node_free(a);
	memstore_free(&store);

	node *b = node_new(&joiner, &io, now);
	node_link_up(b, now, 100, true, "127.0.0.1", NULL);
	feed(b, &now, 100, NULL, data, size);
	node_tick(b, now + 5000);
	node_flush(b, now + 5000);
	node_free(b);
	memstore_free(&store);
	return 0;
}
