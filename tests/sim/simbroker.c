/*
 * simbroker — see simbroker.h.
 *
 * Everything in flight is one item in one list, due at a time, taken in
 * (time, order of making) so that a seed replays exactly: connection
 * attempts (the node's), messages on their way to the broker (ROUTE, on
 * the publisher's connection), and what the broker hands a node (UP,
 * FAILED, DOWN, a message of its queue, a return).  Each host has two
 * pipes, to the broker and from it; an item is never due before the one
 * made before it on its pipe (TCP order), unless a fault reorders it.
 * A connection lost takes with it everything on its pipes.
 */
#include "simbroker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum it_kind {
	I_ATTEMPT, I_ROUTE, I_CLOSE, I_UP, I_FAILED, I_DOWN, I_MSG, I_RETURN
} it_kind;

typedef struct item {
	it_kind kind;
	int host;        /* ROUTE: the publisher; ATTEMPT: who connects; else the receiver */
	uint64_t at;
	uint64_t order;
	sb_msg m;        /* ROUTE, MSG, RETURN (owns m.body); ATTEMPT, CLOSE: m.from is the ID */
} item;

typedef struct bhost {
	bool conn;           /* a connection (and its queue) at the broker */
	bool gone;           /* no process: nothing is delivered */
	bool stalled, hung;
	char id[SIMBROKER_ID_LEN + 1]; /* the queue's ID while conn */
	uint64_t outage_until; /* connects fail before */
	uint64_t up_tail, down_tail; /* FIFO on each pipe */
} bhost;

#define MAX_ZOMBIES 64

struct simbroker {
	rng *rng;
	unsigned max_delay;
	unsigned drop, dup, delay, reorder; /* per mille */
	uint64_t down_until; /* the broker restarts: connects fail before */
	bhost hosts[SIMBROKER_MAX_HOSTS];
	/* Queues of hosts powered off: they take messages, nobody reads them. */
	char zombies[MAX_ZOMBIES][SIMBROKER_ID_LEN + 1];
	int nzombies;
	item *v;
	int len, cap;
	uint64_t next_order;
	item popped;         /* the item last handed out (owns its body) */
	sb_stats stats;
};

/* --- items ------------------------------------------------------------------------- */

static uint64_t
lag(simbroker *b)
{
	return rng_range(b->rng, 1, b->max_delay);
}

static void
msg_copy(sb_msg *dst, const sb_msg *src)
{
	*dst = *src;
	dst->body = NULL;
	if (src->len) {
		dst->body = malloc(src->len);
		if (dst->body == NULL)
			abort();
		memcpy(dst->body, src->body, src->len);
	}
}

/* Add an item due at `at`, kept behind *tail (TCP order) unless tail is NULL. */
static item *
push(simbroker *b, it_kind kind, int h, uint64_t at, uint64_t *tail)
{
	if (b->len == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->v = realloc(b->v, (size_t)b->cap * sizeof *b->v);
		if (b->v == NULL)
			abort();
	}
	if (tail) {
		if (at < *tail)
			at = *tail;
		*tail = at;
	}
	item *it = &b->v[b->len++];
	*it = (item){.kind = kind, .host = h, .at = at, .order = b->next_order++};
	return it;
}

/* Drop every item for which gone(it, h) holds. */
static void
remove_items(simbroker *b, bool (*gone)(const item *, int), int h)
{
	int k = 0;

	for (int i = 0; i < b->len; i++) {
		if (gone(&b->v[i], h)) {
			free(b->v[i].m.body);
			continue;
		}
		b->v[k++] = b->v[i];
	}
	b->len = k;
}

/*
 * What rides h's connection: its publishes on the way, what is for it --
 * not the news of a connection's end (or an attempt's), which the node
 * must still hear.
 */
static bool
on_conn(const item *it, int h)
{
	return it->host == h && (it->kind == I_ROUTE || it->kind == I_UP || it->kind == I_MSG ||
				 it->kind == I_RETURN);
}

/* What is for h (and its attempts), not what it published. */
static bool
for_host(const item *it, int h)
{
	return it->host == h && it->kind != I_ROUTE && it->kind != I_CLOSE;
}

static bool
any_message(const item *it, int h)
{
	(void)h;
	return it->kind == I_ROUTE || it->kind == I_MSG || it->kind == I_RETURN;
}

/* --- life --------------------------------------------------------------------------- */

simbroker *
simbroker_new(rng *r, unsigned max_delay_ms)
{
	simbroker *b = calloc(1, sizeof *b);

	if (b == NULL)
		abort();
	b->rng = r;
	b->max_delay = max_delay_ms ? max_delay_ms : 1;
	return b;
}

void
simbroker_free(simbroker *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < b->len; i++)
		free(b->v[i].m.body);
	free(b->v);
	free(b->popped.m.body);
	free(b);
}

void
simbroker_chaos(simbroker *b, unsigned drop, unsigned dup, unsigned delay, unsigned reorder)
{
	b->drop = drop;
	b->dup = dup;
	b->delay = delay;
	b->reorder = reorder;
}

const sb_stats *
simbroker_stats(const simbroker *b)
{
	return &b->stats;
}

bool
simbroker_connected(const simbroker *b, int h)
{
	return b->hosts[h].conn;
}

/* --- what a node does --------------------------------------------------------------- */

void
simbroker_connect(simbroker *b, int h, const char *id, uint64_t at)
{
	item *it = push(b, I_ATTEMPT, h, at, NULL);

	snprintf(it->m.from, sizeof it->m.from, "%s", id);
	b->hosts[h].gone = false;
}

void
simbroker_publish(simbroker *b, int h, const sb_msg *m, uint64_t now)
{
	bhost *x = &b->hosts[h];

	if (!x->conn)
		return; /* written to a connection the broker already dropped */
	item *it = push(b, I_ROUTE, h, now + lag(b), &x->up_tail);
	msg_copy(&it->m, m);
}

/* The connection of h ends at the broker; the node hears of it (down) or not. */
static void
end_conn(simbroker *b, int h, uint64_t now, bool tell)
{
	bhost *x = &b->hosts[h];
	bool had = x->conn, told = true;

	for (int i = 0; i < b->len; i++)
		if (b->v[i].host == h && b->v[i].kind == I_UP)
			told = false; /* to the node, it is a connect that failed */
	remove_items(b, on_conn, h);
	x->conn = false;
	x->up_tail = x->down_tail = now;
	if (tell && had)
		push(b, told ? I_DOWN : I_FAILED, h, now + rng_range(b->rng, 1, 5), &x->down_tail);
}

void
simbroker_gone(simbroker *b, int h, bool rst, uint64_t now)
{
	bhost *x = &b->hosts[h];

	/*
	 * What it published is on its way still (ahead of the end, in TCP
	 * order); what is for it is lost.  A connection closed or reset
	 * takes its queue with it once that has reached the broker; a host
	 * powered off leaves it there.
	 */
	remove_items(b, for_host, h);
	if (x->conn && !rst) {
		if (b->nzombies < MAX_ZOMBIES)
			memcpy(b->zombies[b->nzombies++], x->id, sizeof x->id);
		x->conn = false;
	} else if (x->conn) {
		item *it = push(b, I_CLOSE, h, now + lag(b), &x->up_tail);
		memcpy(it->m.from, x->id, sizeof x->id);
	}
	x->gone = true;
	x->stalled = false;
}

void
simbroker_set_stalled(simbroker *b, int h, bool stalled)
{
	b->hosts[h].stalled = stalled;
}

/* --- faults ------------------------------------------------------------------------- */

void
simbroker_restart(simbroker *b, uint64_t now, uint64_t down_ms)
{
	for (int h = 0; h < SIMBROKER_MAX_HOSTS; h++)
		end_conn(b, h, now, true);
	remove_items(b, any_message, 0);
	b->nzombies = 0;
	b->down_until = now + down_ms;
	b->stats.restarts++;
}

bool
simbroker_drop_conn(simbroker *b, int h, uint64_t now, uint64_t outage_ms)
{
	if (!b->hosts[h].conn)
		return false;
	end_conn(b, h, now, true);
	b->hosts[h].outage_until = now + outage_ms;
	b->stats.conn_drops++;
	return true;
}

void
simbroker_hang(simbroker *b, int h, bool hung)
{
	b->hosts[h].hung = hung;
}

void
simbroker_heal(simbroker *b, uint64_t now)
{
	if (b->down_until > now)
		b->down_until = now;
	for (int h = 0; h < SIMBROKER_MAX_HOSTS; h++) {
		b->hosts[h].hung = false;
		if (b->hosts[h].outage_until > now)
			b->hosts[h].outage_until = now;
	}
}

/* --- routing ------------------------------------------------------------------------ */

/* Put a copy of m into h's queue, as the chaos has it. */
static void
enqueue(simbroker *b, int h, const sb_msg *m, uint64_t now)
{
	bhost *x = &b->hosts[h];
	int copies = 1;
	uint64_t at = now + lag(b);

	if (x->gone)
		return; /* taken, never read: the queue goes soon */
	if (b->drop && rng_range(b->rng, 0, 999) < b->drop) {
		b->stats.dropped++;
		return;
	}
	if (b->dup && rng_range(b->rng, 0, 999) < b->dup) {
		b->stats.duplicated++;
		copies = 2;
	}
	for (int k = 0; k < copies; k++) {
		uint64_t *tail = &x->down_tail;
		if (b->reorder && rng_range(b->rng, 0, 999) < b->reorder) {
			b->stats.reordered++;
			tail = NULL; /* may overtake what is ahead of it */
			at = now + 1;
		} else if (b->delay && rng_range(b->rng, 0, 999) < b->delay) {
			b->stats.delayed++;
			at += rng_range(b->rng, 50, 400);
		}
		msg_copy(&push(b, I_MSG, h, at, tail)->m, m);
	}
}

static bool
zombie(const simbroker *b, const char *id)
{
	for (int i = 0; i < b->nzombies; i++)
		if (strcmp(b->zombies[i], id) == 0)
			return true;
	return false;
}

/* A message published by `from` reached the broker. */
static void
route(simbroker *b, int from, const sb_msg *m, uint64_t now)
{
	if (m->to[0] == '\0') { /* the fanout */
		for (int h = 0; h < SIMBROKER_MAX_HOSTS; h++)
			if (b->hosts[h].conn)
				enqueue(b, h, m, now);
		return;
	}
	for (int h = 0; h < SIMBROKER_MAX_HOSTS; h++)
		if (b->hosts[h].conn && strcmp(b->hosts[h].id, m->to) == 0) {
			enqueue(b, h, m, now);
			return;
		}
	if (zombie(b, m->to) || b->hosts[from].gone)
		return;
	/* Mandatory, and no queue: it comes back. */
	b->stats.returns++;
	msg_copy(&push(b, I_RETURN, from, now + lag(b), &b->hosts[from].down_tail)->m, m);
}

/* A connection attempt of h, due now. */
static void
attempt(simbroker *b, int h, const char *id, uint64_t now)
{
	bhost *x = &b->hosts[h];

	if (x->gone)
		return;
	if (x->hung) { /* no answer: the shell's set-up calls time out */
		push(b, I_FAILED, h, now + 2000, NULL);
		return;
	}
	if (now < b->down_until || now < x->outage_until) {
		push(b, I_FAILED, h, now + lag(b), NULL);
		return;
	}
	if (x->conn) /* a life before this one: its end had not reached the broker */
		end_conn(b, h, now, false);
	x->conn = true;
	snprintf(x->id, sizeof x->id, "%s", id);
	x->up_tail = x->down_tail = now;
	push(b, I_UP, h, now + lag(b), &x->down_tail);
}

/* --- the clock ---------------------------------------------------------------------- */

static bool
can_go(const simbroker *b, const item *it)
{
	const bhost *x = &b->hosts[it->host];

	if (it->kind == I_ATTEMPT)
		return true;
	if (it->kind == I_ROUTE || it->kind == I_CLOSE)
		return !x->hung;
	return !x->hung && !x->stalled;
}

/* The index of the item due first that can go, or -1. */
static int
first(const simbroker *b)
{
	int best = -1;

	for (int i = 0; i < b->len; i++) {
		const item *it = &b->v[i];
		if (!can_go(b, it))
			continue;
		if (best < 0 || it->at < b->v[best].at ||
		    (it->at == b->v[best].at && it->order < b->v[best].order))
			best = i;
	}
	return best;
}

uint64_t
simbroker_next(simbroker *b)
{
	int i = first(b);

	return i < 0 ? UINT64_MAX : b->v[i].at;
}

bool
simbroker_pop(simbroker *b, uint64_t now, sb_delivery *out)
{
	int i;

	free(b->popped.m.body);
	b->popped = (item){0};
	while ((i = first(b)) >= 0 && b->v[i].at <= now) {
		item it = b->v[i];
		b->v[i] = b->v[--b->len]; /* order is kept by (at, order), not by place */
		if (it.kind == I_ATTEMPT) {
			attempt(b, it.host, it.m.from, now);
			continue;
		}
		if (it.kind == I_ROUTE) {
			route(b, it.host, &it.m, now);
			free(it.m.body);
			continue;
		}
		if (it.kind == I_CLOSE) {
			if (b->hosts[it.host].conn && strcmp(b->hosts[it.host].id, it.m.from) == 0)
				end_conn(b, it.host, now, false);
			continue;
		}
		if (b->hosts[it.host].gone) {
			free(it.m.body);
			continue;
		}
		b->popped = it;
		*out = (sb_delivery){.host = it.host, .msg = &b->popped.m};
		out->kind = it.kind == I_UP       ? SB_UP
			    : it.kind == I_FAILED ? SB_FAILED
			    : it.kind == I_DOWN   ? SB_DOWN
			    : it.kind == I_MSG    ? SB_MESSAGE
						  : SB_RETURN;
		if (out->kind == SB_MESSAGE)
			b->stats.delivered++;
		return true;
	}
	return false;
}
