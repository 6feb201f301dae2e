/*
 * libFuzzer target: any bytes a peer can send, fed through the whole core
 * (decoder, every frame handler, the history's ordering and pulls) on two
 * links, one of them a seed link of a node still probing.  The core must never crash, leak or misbehave
 * under the sanitizers, whatever arrives.
 */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "memstore.h"
#include "node.h"
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

/* Every frame, then a tick and the end of the batch. */
static void
feed(node *n, uint64_t *now, uint32_t link, const uint8_t *data, size_t size)
{
	size_t flen;

	while (wire_frame_split(data, size, &flen) == 1) {
		node_frame(n, *now, link, data + WIRE_HEADER, flen - WIRE_HEADER);
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
	node_io io = {
		.ctx = &store, .connect = io_connect, .send = io_send, .close = io_close,
		.event = io_event, .log = io_log, .exit = io_exit,
	};
	memstore_io(&io);
	static uint8_t pk[SIGN_PK], sk[SIGN_SK];
	if (sign_id(pk) == 1 && pk[0] == 0) { /* once: a fixed key pair */
		uint8_t seed[32] = {42};
		crypto_sign_seed_keypair(pk, sk, seed);
	}
	node_config member = {.id = sign_id(pk), .sign_pk = pk, .sign_sk = sk,
			      .inc = 1000, .nick = "alice", .host = "",
			      .port = 7001, .heartbeat_ms = 200, .timeout_ms = 1000,
			      .wall_ms = 1000};
	node_config joiner = member;
	uint64_t now = 1000;

	joiner.id = member.id ^ 1;
	joiner.nick = "bob";
	joiner.seeds = seeds;
	joiner.nseeds = 1;

	node *a = node_new(&member, &io, now);
	node_input(a, now, "mine", 4);
	node_flush(a, now);
	node_link_up(a, now, 1, false, "127.0.0.1", NULL);
	feed(a, &now, 1, data, size);
	node_input(a, now, "\\history 5", 10);
	node_link_down(a, now, 1, "fuzz");
	node_flush(a, now);
	node_free(a);
	memstore_free(&store);

	node *b = node_new(&joiner, &io, now);
	node_link_up(b, now, 100, true, "127.0.0.1", NULL);
	feed(b, &now, 100, data, size);
	node_tick(b, now + 5000);
	node_flush(b, now + 5000);
	node_free(b);
	memstore_free(&store);
	return 0;
}
