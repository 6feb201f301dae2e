/*
 * simnet — see simnet.h.
 *
 * A link has two ends, 0 the dialler and 1 the acceptor, and two queues:
 * q[s] carries items from end s to end 1-s.  An end is NONE until it exists
 * (the acceptor's, until the SYN arrives), OPEN while its node holds it,
 * CLOSED once the node closed it, was told it is down, or vanished.
 *
 * The SYN is special: at its time the acceptor's kernel takes it (even if
 * the node is stalled) and it turns, in place at the head of q[0], into the
 * acceptor's link-up, so that nothing the dialler sends can overtake it.
 */
#include "simnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

typedef enum item_kind { IT_SYN, IT_SYNACK, IT_REFUSED, IT_DATA, IT_FIN, IT_RST } item_kind;

typedef struct item {
	item_kind kind;
	bool accepted; /* IT_SYN: taken by the acceptor's kernel */
	uint64_t at;
	uint8_t *data;
	size_t len;
} item;

typedef struct queue {
	item *v;
	int head;
	int len;
	int cap;
	uint64_t tail_at; /* no item may be due before the one ahead of it */
} queue;

typedef enum end_state { END_NONE, END_OPEN, END_CLOSED } end_state;

typedef struct nlink {
	bool used;
	int host[2];       /* -1: the address named no host */
	uint32_t id[2];
	end_state st[2];
	bool up[2];        /* the node was told the link is up */
	bool reset[2];     /* this end's kernel already answered with a RST */
	queue q[2];
} nlink;

typedef struct host {
	char name[32];
	uint16_t port;
	bool used;
	bool running;
	bool stalled;
	bool power;
	int side;
	uint32_t next_id;
	int *ends;         /* link id k: link ends[k] / 2, end ends[k] % 2 */
	uint32_t nends;    /* room in ends */
} host;

struct simnet {
	rng *rng;
	unsigned max_delay;
	host *hosts;
	int nhosts;        /* room in hosts */
	bool partition;
	nlink *links;
	int nlinks;        /* room in links (it grows) */
	int hw;            /* links[0..hw) may be in use */
	int lowfree;       /* every link below it is in use */
	uint64_t *busy;    /* bit i: links[i] may have items queued (a superset) */
	item popped;       /* the item last handed out (owns its data) */
	uint64_t delivered;
};

/* --- queues ------------------------------------------------------------ */

static void
q_push(queue *q, item it)
{
	if (q->head + q->len == q->cap) {
		if (q->head > 0) {
			memmove(q->v, q->v + q->head, (size_t)q->len * sizeof *q->v);
			q->head = 0;
		} else {
			q->cap = q->cap ? q->cap * 2 : 8;
			q->v = realloc(q->v, (size_t)q->cap * sizeof *q->v);
			if (q->v == NULL)
				abort();
		}
	}
	if (it.at < q->tail_at)
		it.at = q->tail_at;
	q->tail_at = it.at;
	q->v[q->head + q->len++] = it;
}

static item *
q_head(queue *q)
{
	return q->len ? &q->v[q->head] : NULL;
}

static item
q_take(queue *q)
{
	item it = q->v[q->head++];

	if (--q->len == 0)
		q->head = 0;
	return it;
}

static void
q_clear(queue *q)
{
	for (int i = 0; i < q->len; i++)
		free(q->v[q->head + i].data);
	q->head = q->len = 0;
}

static void
q_free(queue *q)
{
	q_clear(q);
	free(q->v);
	*q = (queue){0};
}

/* --- hosts and links ---------------------------------------------------- */

/* Room for at least `want` links: the new ones unused, not busy. */
static void
links_grow(simnet *n, int want)
{
	int cap = n->nlinks;

	while (cap < want)
		cap *= 2;
	if (cap == n->nlinks)
		return;
	n->links = realloc(n->links, (size_t)cap * sizeof *n->links);
	n->busy = realloc(n->busy, (size_t)(cap / 64) * sizeof *n->busy);
	if (n->links == NULL || n->busy == NULL)
		abort();
	memset(n->links + n->nlinks, 0, (size_t)(cap - n->nlinks) * sizeof *n->links);
	memset(n->busy + n->nlinks / 64, 0, (size_t)((cap - n->nlinks) / 64) * sizeof *n->busy);
	n->nlinks = cap;
}

simnet *
simnet_new_hosts(rng *r, unsigned max_delay_ms, int nhosts)
{
	simnet *n = xcalloc(1, sizeof *n);

	n->rng = r;
	n->max_delay = max_delay_ms ? max_delay_ms : 1;
	n->nhosts = nhosts > SIMNET_MAX_HOSTS ? nhosts : SIMNET_MAX_HOSTS;
	n->hosts = xcalloc((size_t)n->nhosts, sizeof *n->hosts);
	n->nlinks = SIMNET_MAX_LINKS; /* a power of two, a multiple of 64 */
	n->links = xcalloc((size_t)n->nlinks, sizeof *n->links);
	n->busy = xcalloc((size_t)n->nlinks / 64, sizeof *n->busy);
	return n;
}

simnet *
simnet_new(rng *r, unsigned max_delay_ms)
{
	return simnet_new_hosts(r, max_delay_ms, SIMNET_MAX_HOSTS);
}

void
simnet_free(simnet *n)
{
	for (int i = 0; i < n->hw; i++) {
		q_free(&n->links[i].q[0]);
		q_free(&n->links[i].q[1]);
	}
	for (int h = 0; h < n->nhosts; h++)
		free(n->hosts[h].ends);
	free(n->popped.data);
	free(n->links);
	free(n->busy);
	free(n->hosts);
	free(n);
}

/* The next link at or after i that may have items queued, or -1. */
static int
next_busy(const simnet *n, int i)
{
	while (i < n->hw) {
		uint64_t w = n->busy[i / 64] >> (i % 64);
		if (w)
			return i + __builtin_ctzll(w);
		i = (i / 64 + 1) * 64;
	}
	return -1;
}

/* Note a new id at host h for end s of links[li] (find_end's index). */
static uint32_t
new_id(simnet *n, int h, int li, int s)
{
	host *x = &n->hosts[h];
	uint32_t id = ++x->next_id;

	if (id >= x->nends) {
		uint32_t cap = x->nends ? x->nends * 2 : 64;
		while (cap <= id)
			cap *= 2;
		x->ends = realloc(x->ends, cap * sizeof *x->ends);
		if (x->ends == NULL)
			abort();
		x->nends = cap;
	}
	x->ends[id] = 2 * li + s;
	return id;
}

void
simnet_add_host(simnet *n, int h, const char *name, uint16_t port)
{
	host *x = &n->hosts[h];

	snprintf(x->name, sizeof x->name, "%s", name);
	x->port = port;
	x->used = true;
	x->power = true;
}

void
simnet_set_running(simnet *n, int h, bool running)
{
	n->hosts[h].running = running;
}

void
simnet_set_stalled(simnet *n, int h, bool stalled)
{
	n->hosts[h].stalled = stalled;
}

void
simnet_set_power(simnet *n, int h, bool on)
{
	n->hosts[h].power = on;
}

static int
lookup(simnet *n, const char *name, uint16_t port)
{
	for (int h = 0; h < n->nhosts; h++)
		if (n->hosts[h].used && n->hosts[h].port == port &&
		    strcmp(n->hosts[h].name, name) == 0)
			return h;
	return -1;
}

static bool
cut(const simnet *n, int a, int b)
{
	return n->partition && a >= 0 && b >= 0 && n->hosts[a].side != n->hosts[b].side;
}

static nlink *
link_new(simnet *n)
{
	for (int i = n->lowfree;; i++) {
		if (i == n->nlinks)
			links_grow(n, i + 1);
		nlink *l = &n->links[i];
		if (l->used)
			continue;
		queue q0 = l->q[0], q1 = l->q[1]; /* keep the queues' storage */
		*l = (nlink){.used = true};
		l->q[0] = q0;
		l->q[1] = q1;
		l->q[0].tail_at = l->q[1].tail_at = 0;
		if (i >= n->hw)
			n->hw = i + 1;
		n->lowfree = i + 1;
		return l;
	}
}

/* A link is over once neither end is open and no SYN can still open one. */
static void
link_reap(simnet *n, nlink *l)
{
	if (l->st[0] == END_OPEN || l->st[1] == END_OPEN)
		return;
	if (l->st[1] == END_NONE && l->q[0].len > 0)
		return;
	q_clear(&l->q[0]);
	q_clear(&l->q[1]);
	l->used = false;
	if (l - n->links < n->lowfree)
		n->lowfree = (int)(l - n->links);
}

static void
push(simnet *n, nlink *l, int s, item_kind kind, uint64_t at, const uint8_t *buf, size_t len)
{
	item it = {.kind = kind, .at = at};

	if (len) {
		it.data = malloc(len);
		if (it.data == NULL)
			abort();
		memcpy(it.data, buf, len);
		it.len = len;
	}
	q_push(&l->q[s], it);
	int i = (int)(l - n->links);
	n->busy[i / 64] |= 1ull << (i % 64);
}

static uint64_t
delay(simnet *n, uint64_t now)
{
	return now + rng_range(n->rng, 1, n->max_delay);
}

/* Find the open end of link `id` at host h; *side receives which end. */
static nlink *
find_end(simnet *n, int h, uint32_t id, int *side)
{
	const host *x = &n->hosts[h];

	if (id == 0 || id > x->next_id)
		return NULL;
	nlink *l = &n->links[x->ends[id] / 2];
	int s = x->ends[id] % 2;
	if (!l->used || l->host[s] != h || l->id[s] != id || l->st[s] != END_OPEN)
		return NULL;
	*side = s;
	return l;
}

/* --- what a node does --------------------------------------------------- */

uint32_t
simnet_connect(simnet *n, int from, const char *name, uint16_t port, uint64_t now)
{
	nlink *l = link_new(n);

	l->host[0] = from;
	l->host[1] = lookup(n, name, port);
	l->id[0] = new_id(n, from, (int)(l - n->links), 0);
	l->st[0] = END_OPEN;
	push(n, l, 0, IT_SYN, delay(n, now), NULL, 0);
	return l->id[0];
}

int
simnet_send(simnet *n, int from, uint32_t id, const uint8_t *buf, size_t len, uint64_t now)
{
	int s;
	nlink *l = find_end(n, from, id, &s);

	if (l == NULL || !l->up[s])
		return -1;
	push(n, l, s, IT_DATA, delay(n, now), buf, len);
	return 0;
}

static void
close_end(simnet *n, nlink *l, int s, item_kind kind, uint64_t now)
{
	l->st[s] = END_CLOSED;
	push(n, l, s, kind, delay(n, now), NULL, 0);
}

int
simnet_close(simnet *n, int from, uint32_t id, uint64_t now)
{
	int s;
	nlink *l = find_end(n, from, id, &s);

	if (l == NULL)
		return -1;
	close_end(n, l, s, IT_FIN, now);
	return 0;
}

/* --- faults ------------------------------------------------------------- */

void
simnet_crash(simnet *n, int h, bool rst, uint64_t now)
{
	for (int i = 0; i < n->hw; i++) {
		nlink *l = &n->links[i];
		for (int s = 0; s < 2 && l->used; s++) {
			if (l->host[s] != h || l->st[s] != END_OPEN)
				continue;
			l->st[s] = END_CLOSED;
			q_clear(&l->q[1 - s]);
			if (rst)
				push(n, l, s, IT_RST, now + rng_range(n->rng, 1, 5), NULL, 0);
			link_reap(n, l);
		}
	}
}

void
simnet_exit(simnet *n, int h, uint64_t now)
{
	for (int i = 0; i < n->hw; i++) {
		nlink *l = &n->links[i];
		for (int s = 0; s < 2 && l->used; s++)
			if (l->host[s] == h && l->st[s] == END_OPEN)
				close_end(n, l, s, IT_FIN, now);
	}
}

bool
simnet_break_random(simnet *n, uint64_t now)
{
	int *cand = xcalloc((size_t)n->hw, sizeof *cand), k = 0;

	for (int i = 0; i < n->hw; i++) {
		nlink *l = &n->links[i];
		if (l->used && l->st[0] == END_OPEN && l->st[1] == END_OPEN && l->up[0] &&
		    l->up[1])
			cand[k++] = i;
	}
	if (k == 0) {
		free(cand);
		return false;
	}
	nlink *l = &n->links[cand[rng_range(n->rng, 0, (uint64_t)k - 1)]];
	free(cand);
	bool discard = rng_chance(n->rng, 50); /* a RST drops what is in flight */
	for (int s = 0; s < 2; s++) {
		if (discard)
			q_clear(&l->q[s]);
		push(n, l, s, IT_RST, delay(n, now), NULL, 0);
		l->reset[s] = true; /* the ends stay open until the RST arrives */
	}
	return true;
}

void
simnet_partition(simnet *n, const int *side, int nhosts)
{
	for (int h = 0; h < nhosts; h++)
		n->hosts[h].side = side[h];
	n->partition = true;
}

void
simnet_heal(simnet *n)
{
	n->partition = false;
}

bool
simnet_partitioned(const simnet *n)
{
	return n->partition;
}

/* --- delivery ------------------------------------------------------------ */

/* Whether the head of q[s] of l could go now, time aside. */
static bool
can_go(const simnet *n, const nlink *l, int s, const item *it)
{
	int to = l->host[1 - s];

	if (cut(n, l->host[s], to))
		return false;
	if (it->kind == IT_SYN && !it->accepted)
		return to < 0 || n->hosts[to].power; /* a dark host: SYN retried */
	if (l->st[1 - s] == END_OPEN && n->hosts[to].stalled)
		return false;
	return true;
}

/* Whether links[i] has nothing queued: then it is no longer busy. */
static bool
idle(simnet *n, const nlink *l, int i)
{
	if (l->q[0].len || l->q[1].len)
		return false;
	n->busy[i / 64] &= ~(1ull << (i % 64));
	return true;
}

uint64_t
simnet_next(simnet *n)
{
	uint64_t best = UINT64_MAX;

	for (int i = next_busy(n, 0); i >= 0; i = next_busy(n, i + 1)) {
		nlink *l = &n->links[i];
		if (idle(n, l, i))
			continue;
		for (int s = 0; s < 2 && l->used; s++) {
			item *it = q_head(&l->q[s]);
			if (it && it->at < best && can_go(n, l, s, it))
				best = it->at;
		}
	}
	return best;
}

/* The SYN reached the acceptor's host: accept, or refuse. */
static void
syn_arrives(simnet *n, nlink *l, item *it, uint64_t now)
{
	int to = l->host[1];

	if (to < 0 || !n->hosts[to].running) {
		free(q_take(&l->q[0]).data);
		l->st[1] = END_CLOSED;
		if (l->st[0] == END_OPEN)
			push(n, l, 1, IT_REFUSED, delay(n, now), NULL, 0);
		link_reap(n, l);
		return;
	}
	it->accepted = true;
	l->id[1] = new_id(n, to, (int)(l - n->links), 1);
	l->st[1] = END_OPEN;
	push(n, l, 1, IT_SYNACK, delay(n, now), NULL, 0);
}

/* Data for an end that is closed: a live kernel answers with a RST. */
static void
stray(simnet *n, nlink *l, int r, uint64_t now)
{
	int h = l->host[r];

	if (h < 0 || !n->hosts[h].power || l->reset[r] || l->st[1 - r] != END_OPEN)
		return;
	l->reset[r] = true;
	push(n, l, r, IT_RST, delay(n, now), NULL, 0);
}

/* Turn the item just taken from q[s] into a delivery; false if none. */
static bool
hand_out(simnet *n, nlink *l, int s, item *it, uint64_t now, simnet_delivery *out)
{
	int r = 1 - s;
	bool open = l->st[r] == END_OPEN;

	*out = (simnet_delivery){.host = l->host[r], .link = l->id[r]};
	switch (it->kind) {
	case IT_SYN:
	case IT_SYNACK:
		if (!open)
			return false;
		l->up[r] = true;
		out->kind = SIMNET_UP;
		out->outgoing = r == 0;
		out->text = n->hosts[l->host[s]].name;
		return true;
	case IT_DATA:
		if (!open) {
			stray(n, l, r, now);
			return false;
		}
		out->kind = SIMNET_FRAME;
		out->data = it->data;
		out->len = it->len;
		return true;
	case IT_REFUSED:
	case IT_FIN:
	case IT_RST:
		if (!open)
			return false;
		l->st[r] = END_CLOSED;
		out->kind = SIMNET_DOWN;
		out->text = it->kind == IT_REFUSED ? "connection refused"
			    : it->kind == IT_FIN   ? "closed by peer"
						   : "connection reset by peer";
		return true;
	}
	return false;
}

bool
simnet_pop(simnet *n, uint64_t now, simnet_delivery *out)
{
	free(n->popped.data);
	n->popped = (item){0};
	for (int i = next_busy(n, 0); i >= 0; i = next_busy(n, i + 1)) {
		nlink *l = &n->links[i];
		if (idle(n, l, i))
			continue;
		for (int s = 0; s < 2 && l->used; s++) {
			item *it;
			while ((it = q_head(&l->q[s])) && it->at <= now && can_go(n, l, s, it)) {
				if (it->kind == IT_SYN && !it->accepted) {
					syn_arrives(n, l, it, now);
					continue;
				}
				n->popped = q_take(&l->q[s]);
				bool got = hand_out(n, l, s, &n->popped, now, out);
				link_reap(n, l);
				if (got) {
					n->delivered++;
					return true;
				}
				free(n->popped.data);
				n->popped = (item){0};
			}
		}
	}
	return false;
}

uint64_t
simnet_delivered(const simnet *n)
{
	return n->delivered;
}
