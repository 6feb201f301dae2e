/*
 * run_broker — a runner and its broker (--broker): the broker's callbacks
 * into the node (a roll call answered: a peer to dial, and an incarnation
 * to be junior to; the way to the others up or down) and its start.
 */
#include "run_int.h"

#include <stdio.h>

static void
broker_open(void *ctx, broker *b)
{
	runner *r = ctx;

	net_broker_open(r->net, b);
}

static void
broker_here(void *ctx, const char *host, uint64_t top)
{
	runner *r = ctx;

	if (r->core == NULL)
		return;
	node_raise_inc(r->core, top);
	node_add_seed(r->core, run_now(r), host, BROKER_PORT);
}

/* What our answers to a roll call carry: the newest incarnation we know. */
static uint64_t
broker_top(void *ctx)
{
	runner *r = ctx;

	return r->core ? node_top_inc(r->core) : 0;
}

/* The way to the others is back: a node still joining waits for them again. */
static void
broker_up(void *ctx)
{
	runner *r = ctx;

	if (r->core)
		node_hold_join(r->core, run_now(r), false);
}

/* No way to the others: a node still joining must not found the chat alone. */
static void
broker_down(void *ctx, const char *why)
{
	runner *r = ctx;
	char text[300];
	event ev = {.kind = EVENT_ERROR, .text = text};

	if (r->core)
		node_hold_join(r->core, run_now(r), true);
	ev.text_len = (size_t)snprintf(text, sizeof text, "broker unreachable: %s", why);
	run_event(r, &ev);
}

void
run_start_broker(runner *r, const uint8_t psk[SEAL_KEY])
{
	broker_callbacks cb = {.ctx = r, .open = broker_open, .here = broker_here,
			       .top = broker_top, .up = broker_up, .down = broker_down};

	if (r->opts->nbroker == 0)
		return;
	r->broker = broker_new(r->loop, r->opts->broker, r->opts->nbroker, psk, r->started_ms, &cb);
	net_use_broker(r->net, r->broker);
}
