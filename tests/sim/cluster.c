/*
 * cluster — see cluster.h.  This file hosts the nodes: their life cycle,
 * the virtual clock that feeds them ticks and the network's deliveries,
 * the network callbacks, and what each node can know of the others.  What
 * the nodes report is taken in by observe.c; what is typed into them, by
 * input.c.
 */
#include "cluster_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnode.h"
#include "check.h"
#include "simbroker.h"
#include "wire.h"
#include "xalloc.h"

static const char *const names[SIM_MAX_NODES] = {"alice", "carol", "dave", "erin", "frank"};

/* --- reporting ------------------------------------------------------------ */

static void
vtrace(cluster *c, const char *fmt, va_list ap)
{
	printf("%9.3f ", (double)(c->now - SIM_T0) / 1000);
	vprintf(fmt, ap);
	putchar('\n');
}

void
cluster_trace(cluster *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	va_start(ap, fmt);
	vtrace(c, fmt, ap);
	va_end(ap);
}

void
cluster_fail(cluster *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	cluster_trace(c, "VIOLATION: %s", c->why);
}

/* --- the io callbacks ------------------------------------------------------ */

static uint32_t
io_connect(void *ctx, const char *host, uint16_t port)
{
	simnode *sn = ctx;
	cluster *c = sn->c;

	if (c->broker)
		return bnode_connect(sn, host, port);
	uint32_t id = simnet_connect(c->net, sn->idx, host, port, c->now);

	cluster_trace(c, "n%d connect %s:%u (link %u)", sn->idx, host, port, id);
	return id;
}

static void
trace_frame(cluster *c, const char *what, int who, uint32_t link, const uint8_t *body,
	    size_t len)
{
	static wire_msg m;
	char detail[96] = "";

	if (!c->verbose)
		return;
	if (wire_decode(body, len, &m) < 0) {
		cluster_trace(c, "n%d %s link %u: undecodable frame", who, what, link);
		return;
	}
	if (m.type == WIRE_HELLO)
		snprintf(detail, sizeof detail, " %.*s id=%016llx inc=%llu",
			 (int)m.u.hello.nick.len, m.u.hello.nick.ptr,
			 (unsigned long long)m.u.hello.id, (unsigned long long)m.u.hello.inc);
	else if (m.type == WIRE_MEMBERS)
		snprintf(detail, sizeof detail, " (%zu entries)", m.u.members.count);
	else if (m.type == WIRE_CHAT)
		snprintf(detail, sizeof detail, " seq=%llu %.*s",
			 (unsigned long long)m.u.chat.seq, (int)m.u.chat.text.len,
			 m.u.chat.text.ptr);
	cluster_trace(c, "n%d %s link %u: %s%s", who, what, link, wire_type_name(m.type),
		      detail);
}

static void
io_send(void *ctx, uint32_t link, const uint8_t *frame, size_t len)
{
	simnode *sn = ctx;
	cluster *c = sn->c;
	size_t flen = 0;

	if (wire_frame_split(frame, len, &flen) != 1 || flen != len) {
		cluster_fail(c, "n%d sent a malformed frame on link %u", sn->idx, link);
		return;
	}
	trace_frame(c, "sends on", sn->idx, link, frame + WIRE_HEADER, len - WIRE_HEADER);
	if (c->broker) {
		bnode_send(sn, link, frame, len);
		return;
	}
	if (simnet_send(c->net, sn->idx, link, frame, len, c->now) < 0)
		cluster_fail(c, "n%d sent on link %u, which is not up", sn->idx, link);
}

static void
io_close(void *ctx, uint32_t link)
{
	simnode *sn = ctx;
	cluster *c = sn->c;

	if (c->broker) {
		bnode_close(sn, link);
		return;
	}
	cluster_trace(c, "n%d closes link %u", sn->idx, link);
	if (simnet_close(c->net, sn->idx, link, c->now) < 0)
		cluster_fail(c, "n%d closed link %u, which it does not hold", sn->idx, link);
}

/* FNV-1a over len bytes, on from h. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

void
cluster_hash(uint64_t *h, int idx, const void *p, size_t len)
{
	*h = fnv1a(fnv1a(*h, &idx, sizeof idx), p, len);
}


void
cluster_after_call(simnode *sn)
{
	cluster *c = sn->c;

	if (!sn->exiting && sn->core)
		node_flush(sn->core, c->now);
	if (!sn->exiting) {
		if (c->broker)
			bnode_after(sn);
		return;
	}
	sn->exiting = false;
	sn->state = SN_EXITED;
	sn->stalled = false;
	if (c->broker)
		bnode_gone(sn, true); /* its connection closes: its queue goes */
	simnet_exit(c->net, sn->idx, c->now);
	simnet_set_running(c->net, sn->idx, false);
	simnet_set_stalled(c->net, sn->idx, false);
	node_free(sn->core);
	sn->core = NULL;
}

/* --- life cycle ------------------------------------------------------------ */

struct sim_id_ent {
	uint64_t id;
	int idx;
};

static int
by_id_cmp(const void *a, const void *b)
{
	const struct sim_id_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void
cluster_init(cluster *c, uint64_t seed, int n, bool verbose)
{
	*c = (cluster){.seed = seed, .now = SIM_T0, .verbose = verbose, .n = n,
		       .heartbeat_ms = 200, .timeout_ms = 1000, .insider = -1,
		       .events_hash = 0xcbf29ce484222325ull, .frames_hash = 0xcbf29ce484222325ull};
	c->large = n > SIM_MAX_NODES;
	c->nodes = xcalloc((size_t)n, sizeof *c->nodes);
	c->part = xcalloc((size_t)n, sizeof *c->part);
	for (int k = 0; k < 2; k++)
		c->ids[k] = xcalloc((size_t)(n > 16 ? n : 16), sizeof *c->ids[k]);
	rng_seed(&c->rng, seed);
	c->net = simnet_new_hosts(&c->rng, (unsigned)rng_range(&c->rng, 2, 20), n);
	for (int i = 0; i < n; i++) {
		simnode *sn = &c->nodes[i];
		sn->c = c;
		sn->idx = i;
		sn->last_shown = xcalloc((size_t)n, sizeof *sn->last_shown);
		sn->known = xcalloc((size_t)n, sizeof *sn->known);
		do {
			uint8_t key_seed[32];
			for (int k = 0; k < 4; k++) {
				uint64_t r = rng_next(&c->rng);
				memcpy(key_seed + 8 * k, &r, 8);
			}
			crypto_sign_seed_keypair(sn->pk, sn->sk, key_seed);
			sn->id = sign_id(sn->pk);
		} while (cluster_by_id(c, sn->id) != sn);
		if (c->large) {
			snprintf(sn->nick, sizeof sn->nick, "n%d", i);
			snprintf(sn->host, sizeof sn->host, "10.0.%u.%u",
				 (unsigned)(i + 1) / 256 % 256, (unsigned)(i + 1) % 256);
		} else {
			snprintf(sn->nick, sizeof sn->nick, "%s", names[i]);
			snprintf(sn->host, sizeof sn->host, "10.0.0.%d", (i + 1) % 100);
		}
		sn->port = (uint16_t)(7420 + rng_range(&c->rng, 0, 1));
		sn->advertise = rng_chance(&c->rng, 50);
		sn->skew = (int64_t)rng_range(&c->rng, 0, 600) - 300;
		simnet_add_host(c->net, i, sn->host, sn->port);
	}
	/*
	 * Now and then clocks hours apart, within the bound (time zones):
	 * each node's clock up to 11 h ahead of the true time.
	 */
	if (rng_chance(&c->rng, 15))
		for (int i = 0; i < n; i++)
			if (rng_chance(&c->rng, 50))
				c->nodes[i].skew += (int64_t)rng_range(&c->rng, 0, 11 * 3600000);
	if (c->large) {
		c->by_id = xcalloc((size_t)n, sizeof *c->by_id);
		for (int i = 0; i < n; i++)
			c->by_id[i] = (struct sim_id_ent){c->nodes[i].id, i};
		qsort(c->by_id, (size_t)n, sizeof *c->by_id, by_id_cmp);
		c->check_every = 500;
	}
}

void
cluster_use_broker(cluster *c, const broker_opts *o)
{
	if (!o->on)
		return;
	c->broker = true;
	c->bopts = *o;
	c->broker_net = simbroker_new(&c->rng, (unsigned)rng_range(&c->rng, 2, 20));
	/* Clocks seconds apart: who started first and who looks older differ. */
	if (o->skew)
		for (int i = 0; i < c->n; i++)
			c->nodes[i].skew += (int64_t)rng_range(&c->rng, 0, 6000) - 3000;
}

void
cluster_free(cluster *c)
{
	for (int i = 0; i < c->n; i++) {
		node_free(c->nodes[i].core);
		memstore_free(&c->nodes[i].store);
		bnode_free(&c->nodes[i]);
		free(c->nodes[i].last_shown);
		free(c->nodes[i].known);
	}
	simnet_free(c->net);
	simbroker_free(c->broker_net);
	free(c->nodes);
	free(c->part);
	free(c->by_id);
	free(c->ids[0]);
	free(c->ids[1]);
	c->nodes = NULL;
}

simnode *
cluster_by_id(cluster *c, uint64_t id)
{
	if (c->by_id) {
		struct sim_id_ent key = {.id = id}, *e;
		e = bsearch(&key, c->by_id, (size_t)c->n, sizeof *e, by_id_cmp);
		return e ? &c->nodes[e->idx] : NULL;
	}
	for (int i = 0; i < c->n; i++)
		if (c->nodes[i].id == id)
			return &c->nodes[i];
	return NULL;
}

bool
cluster_alive(const cluster *c, int i)
{
	const simnode *sn = &c->nodes[i];

	return sn->state == SN_RUNNING && !node_done(sn->core);
}

bool
cluster_all_announced(const cluster *c)
{
	for (int i = 0; i < c->n; i++) {
		if (c->nodes[i].state == SN_IDLE)
			return false;
		if (cluster_alive(c, i) && !node_announced(c->nodes[i].core))
			return false;
	}
	return true;
}

void
cluster_start(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];
	char addr[SIM_MAX_NODES][32];
	const char *seeds[SIM_MAX_NODES];
	node_io io = {.ctx = sn, .connect = io_connect, .send = io_send, .close = io_close};

	memstore_io(&io); /* the simnode starts with its store */
	observe_io(&io);
	for (int k = 0; k < sn->nseeds; k++) {
		const simnode *s = &c->nodes[sn->seeds[k]];
		snprintf(addr[k], sizeof addr[k], "%s:%u", s->host, s->port);
		seeds[k] = addr[k];
	}
	node_config cfg = {.id = sn->id, .sign_pk = sn->pk, .sign_sk = sn->sk, .inc = c->now, .nick = sn->nick,
			   .host = sn->advertise ? sn->host : "", .port = sn->port,
			   .seeds = seeds, .nseeds = sn->nseeds,
			   .heartbeat_ms = c->heartbeat_ms, .timeout_ms = c->timeout_ms,
			   .wall_ms = (uint64_t)((int64_t)c->now + sn->skew),
			   .mark_hlc = sn->store.mark_hlc, .mark_sender = sn->store.mark_sender,
			   .last_inc = sn->store.inc, .relay_from = c->relay_from,
			   .peers = sn->store.peers, .npeers = sn->nseeds ? 0 : sn->store.npeers};
	if (c->broker) {
		/*
		 * As run.c starts a node on a broker: reached at "~ID" alone, no
		 * --join, no members remembered, the seeds found by roll call;
		 * its incarnation and roll-call time are its own wall clock.
		 */
		bnode_start(sn);
		cfg.host = bnode_host(sn);
		cfg.port = BNODE_PORT;
		cfg.nseeds = cfg.npeers = 0;
		cfg.seeds_are_peers = true;
		cfg.inc = cfg.started_ms = cfg.wall_ms;
	}
	sn->life++;
	sn->nevents = 0;
	sn->leader[0] = '\0';
	memset(sn->got, 0, sizeof sn->got);
	memset(sn->last_shown, 0, (size_t)c->n * sizeof *sn->last_shown);
	sn->shown_hlc = sn->store.mark_hlc;
	sn->shown_sender = sn->store.mark_sender;
	memset(sn->known, 0, (size_t)c->n * sizeof *sn->known);
	memset(sn->peers, 0, sizeof sn->peers);
	sn->state = SN_RUNNING;
	sn->stalled = sn->powered_off = sn->leaving = false;
	sn->guest[0] = '\0';
	sn->started_at = c->now;
	simnet_set_power(c->net, i, true);
	simnet_set_running(c->net, i, true);
	simnet_set_stalled(c->net, i, false);
	if (c->broker) {
		cluster_trace(c, "n%d starts: %s id=%016llx life %d, on the broker as %s", i,
			      sn->nick, (unsigned long long)sn->id, sn->life, cfg.host);
		sn->core = node_create(&cfg, &io);
		node_hold_join(sn->core, c->now, true); /* until the broker is up */
		node_start(sn->core, c->now);
	} else {
		cluster_trace(c, "n%d starts: %s id=%016llx life %d, %d seed(s)%s%s", i, sn->nick,
			      (unsigned long long)sn->id, sn->life, sn->nseeds,
			      sn->nseeds ? " first " : "", sn->nseeds ? addr[0] : "");
		sn->core = node_new(&cfg, &io, c->now);
	}
	sn->next_tick = c->now + node_tick_ms(sn->core);
	cluster_after_call(sn);
}

void
cluster_crash(cluster *c, int i, bool rst)
{
	simnode *sn = &c->nodes[i];

	cluster_trace(c, "n%d CRASHES (%s)", i, rst ? "process killed" : "power off");
	node_free(sn->core);
	sn->core = NULL;
	sn->state = SN_CRASHED;
	sn->stalled = false;
	sn->powered_off = !rst;
	simnet_crash(c->net, i, rst, c->now);
	if (c->broker)
		bnode_gone(sn, rst);
	simnet_set_running(c->net, i, false);
	simnet_set_stalled(c->net, i, false);
	if (!rst)
		simnet_set_power(c->net, i, false);
	c->faults = true;
}

void
cluster_stall(cluster *c, int i, bool stalled)
{
	simnode *sn = &c->nodes[i];

	cluster_trace(c, "n%d %s", i, stalled ? "STALLS" : "resumes");
	sn->stalled = stalled;
	simnet_set_stalled(c->net, i, stalled);
	if (c->broker)
		simbroker_set_stalled(c->broker_net, i, stalled);
	if (!stalled)
		sn->next_tick = c->now; /* overdue timers fire first */
	else
		c->faults = true;
}

/* --- what each node can know --------------------------------------------------- */

static void
learn(simnode *sn, uint64_t id, uint64_t inc, bool tomb)
{
	simnode *o = cluster_by_id(sn->c, id);
	knowledge *k;

	if (o == NULL || o == sn)
		return;
	k = &sn->known[o->idx];
	if (!k->any || inc > k->inc)
		*k = (knowledge){.any = true, .tomb = tomb, .inc = inc};
	else if (inc == k->inc && tomb)
		k->tomb = true;
}

/* Note what a frame delivered to sn on `link` tells it about others. */
static void
learn_frame(simnode *sn, uint32_t link, const uint8_t *body, size_t len)
{
	static wire_msg m;
	int slot = (int)(link % SIM_PEER_SLOTS);

	if (wire_decode(body, len, &m) < 0)
		return;
	if (m.type == WIRE_HELLO) {
		simnode *o = cluster_by_id(sn->c, m.u.hello.id);
		sn->peers[slot].link = link;
		sn->peers[slot].peer = o ? o->idx : -1;
		learn(sn, m.u.hello.id, m.u.hello.inc, false);
	} else if (m.type == WIRE_MEMBERS) {
		for (size_t i = 0; i < m.u.members.count; i++)
			learn(sn, m.u.members.entry[i].id, m.u.members.entry[i].inc,
			      m.u.members.entry[i].status != WIRE_ACTIVE);
	} else if (m.type == WIRE_LEAVE && sn->peers[slot].link == link &&
		   sn->peers[slot].peer >= 0) {
		learn(sn, sn->c->nodes[sn->peers[slot].peer].id, m.u.leave.inc, true);
	}
}

bool
cluster_acquainted(const cluster *c, int a, int b)
{
	const knowledge *ab = &c->nodes[a].known[b], *ba = &c->nodes[b].known[a];

	if (c->broker)
		return true; /* the roll call introduces every node on the broker to all */
	return (ab->any && !ab->tomb) || (ba->any && !ba->tomb);
}

/* --- the clock -------------------------------------------------------------- */

static void
deliver(cluster *c, const simnet_delivery *d)
{
	simnode *sn = &c->nodes[d->host];
	size_t flen = 0;

	if (!cluster_alive(c, d->host)) {
		cluster_fail(c, "sim: delivery to n%d, which is not running", d->host);
		return;
	}
	switch (d->kind) {
	case SIMNET_UP:
		cluster_trace(c, "n%d link %u up (%s %s)", d->host, d->link,
			      d->outgoing ? "to" : "from", d->text);
		node_link_up(sn->core, c->now, d->link, d->outgoing, d->text, NULL);
		break;
	case SIMNET_DOWN:
		cluster_trace(c, "n%d link %u down: %s", d->host, d->link, d->text);
		node_link_down(sn->core, c->now, d->link, d->text);
		break;
	case SIMNET_FRAME:
		if (wire_frame_split(d->data, d->len, &flen) != 1 || flen != d->len) {
			cluster_fail(c, "sim: a frame was cut in transit");
			return;
		}
		cluster_frame_in(sn, d->link, d->data, d->len);
		break;
	}
	cluster_after_call(sn);
}

void
cluster_frame_in(simnode *sn, uint32_t link, const uint8_t *frame, size_t len)
{
	cluster *c = sn->c;
	size_t flen = 0;

	if (wire_frame_split(frame, len, &flen) != 1 || flen != len) {
		cluster_fail(c, "sim: a frame was cut in transit");
		return;
	}
	trace_frame(c, "gets on", sn->idx, link, frame + WIRE_HEADER, len - WIRE_HEADER);
	learn_frame(sn, link, frame + WIRE_HEADER, len - WIRE_HEADER);
	cluster_hash(&c->frames_hash, sn->idx, frame, len);
	node_frame(sn->core, c->now, link, frame + WIRE_HEADER, len - WIRE_HEADER);
}

/* Everything due at c->now: timers first (as in libuv), then the network. */
static void
step(cluster *c)
{
	simnet_delivery d;

	for (int i = 0; i < c->n && !c->failed; i++) {
		simnode *sn = &c->nodes[i];
		if (!cluster_alive(c, i) || sn->stalled || sn->next_tick > c->now)
			continue;
		node_tick(sn->core, c->now);
		if (sn->core)
			sn->next_tick = c->now + node_tick_ms(sn->core) + rng_range(&c->rng, 0, 2);
		cluster_after_call(sn);
	}
	for (int i = 0; i < c->n && !c->failed; i++) {
		simnode *sn = &c->nodes[i];
		uint64_t wake = sn->core ? node_wake_at(sn->core) : 0;
		if (cluster_alive(c, i) && !sn->stalled && wake && wake <= c->now)
			cluster_after_call(sn); /* its flush: what the shell's wake timer does */
	}
	while (!c->failed && simnet_pop(c->net, c->now, &d))
		deliver(c, &d);
	if (c->broker) {
		sb_delivery bd;
		bnode_tick(c);
		while (!c->failed && simbroker_pop(c->broker_net, c->now, &bd))
			bnode_deliver(c, &bd);
		bnode_flush(c);
		/* A message lost, doubled, held or overtaken is a fault, as a link break is. */
		const sb_stats *bs = simbroker_stats(c->broker_net);
		if (bs->dropped + bs->duplicated + bs->delayed + bs->reordered)
			c->faults = true;
	}
	/*
	 * Every core's invariants, the costly ones too (node_check.c); in the
	 * large mode once every check_every ms, or they would cost n² a step.
	 */
	if (!c->large || c->now >= c->next_check) {
		c->next_check = c->now + c->check_every;
		for (int i = 0; i < c->n && !c->failed; i++)
			if (c->nodes[i].core)
				node_assert_state(c->nodes[i].core, true);
		if (!c->failed)
			check_step(c);
	}
	c->steps++;
}

static uint64_t
next_due(cluster *c)
{
	uint64_t next = simnet_next(c->net);

	if (c->broker) {
		uint64_t b = simbroker_next(c->broker_net), t = bnode_next(c);
		next = b < next ? b : next;
		next = t < next ? t : next;
	}

	for (int i = 0; i < c->n; i++) {
		simnode *sn = &c->nodes[i];
		if (!cluster_alive(c, i) || sn->stalled)
			continue;
		uint64_t wake = sn->core ? node_wake_at(sn->core) : 0;
		if (sn->next_tick < next)
			next = sn->next_tick;
		if (wake && wake < next)
			next = wake;
	}
	return next;
}

void
cluster_run_until(cluster *c, uint64_t t)
{
	while (!c->failed) {
		uint64_t next = next_due(c);
		if (next >= t)
			break;
		if (next > c->now)
			c->now = next;
		step(c);
	}
	if (t > c->now)
		c->now = t;
}
