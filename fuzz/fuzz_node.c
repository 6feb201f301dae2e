/*
 * libFuzzer target: any bytes a peer can send, fed through the whole core
 * (decoder and every frame handler) on two links, one of them a seed link
 * of a node still probing.  The core must never crash, leak or misbehave
 * under the sanitizers, whatever arrives.
 */
#include <stddef.h>
#include <stdint.h>

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

static void
feed(node *n, uint64_t *now, uint32_t link, const uint8_t *data, size_t size)
{
	size_t flen;

	while (wire_frame_split(data, size, &flen) == 1) {
		node_frame(n, *now, link, data + WIRE_HEADER, flen - WIRE_HEADER);
		*now += 7;
		node_tick(n, *now);
		data += flen;
		size -= flen;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const seeds[] = {"127.0.0.1:7000"};
	node_io io = {NULL, io_connect, io_send, io_close, io_event, io_log, io_exit};
	node_config member = {.id = 42, .inc = 1000, .nick = "alice", .host = "",
			      .port = 7001, .heartbeat_ms = 200, .timeout_ms = 1000};
	node_config joiner = member;
	uint64_t now = 1000;

	joiner.id = 43;
	joiner.nick = "bob";
	joiner.seeds = seeds;
	joiner.nseeds = 1;

	node *a = node_new(&member, &io, now);
	node_link_up(a, now, 1, false, "127.0.0.1");
	feed(a, &now, 1, data, size);
	node_input(a, now, "\\list_users", 11);
	node_link_down(a, now, 1, "fuzz");
	node_free(a);

	node *b = node_new(&joiner, &io, now);
	node_link_up(b, now, 100, true, "127.0.0.1");
	feed(b, &now, 100, data, size);
	node_tick(b, now + 5000);
	node_free(b);
	return 0;
}
