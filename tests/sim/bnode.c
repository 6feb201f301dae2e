/*
 * bnode — see bnode.h.  The state of one node's broker shell lives in a
 * struct bnode hung off its simnode; streams sit in fixed slots, each with
 * a serial, so that a core call made while walking them (a link down may
 * dial again at once) never leaves a pointer dangling.
 */
#include "bnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "cluster_int.h"
#include "roll.h"

#define MAX_STREAMS 64
#define RETRY_MIN 100  /* ms before connecting again, doubled ... */
#define RETRY_MAX 2000 /* ... up to this (broker.c) */
#define HANDSHAKE_MS 10000 /* an accepted stream's handshake, at most (--handshake-ms) */

typedef enum hs_state { HS_HELLO, HS_CONFIRM, HS_OPEN } hs_state;

typedef struct stream {
	bool used;
	bool ghost;     /* a dial that went nowhere (no connection): nothing follows */
	bool outgoing;
	bool up;        /* the core was told */
	uint64_t serial;
	uint32_t link;  /* the core's id: a dial's at once, an accepted one's once up */
	hs_state hs;
	char peer[SIMBROKER_ID_LEN + 1];
	char corr[2 * SIMBROKER_ID_LEN + 12];
	uint64_t tx, rx; /* the framer's counters, each way */
	uint64_t born;
} stream;

typedef enum conn_state { BC_CONNECTING, BC_UP } conn_state;

struct bnode {
	char id[SIMBROKER_ID_LEN + 1];
	char host[SIMBROKER_ID_LEN + 2]; /* "~ID" */
	uint64_t started;   /* the wall clock at the start: orders roll calls */
	bool joined;
	bool call_again;    /* a call heard asks us to call again (roll.h) */
	uint64_t roll_at;   /* a member calls again then; 0: not joined */
	conn_state conn;
	bool said_down;
	uint64_t backoff;
	uint32_t next_stream;
	uint32_t next_link;
	uint64_t next_serial;
	stream s[MAX_STREAMS];
};

/* --- publishing --------------------------------------------------------------------- */

static void
publish(simnode *sn, sb_type type, const char *to, const char *corr, uint64_t seq,
	const uint8_t *body, size_t len)
{
	struct bnode *bn = sn->bn;
	sb_msg m = {.type = type, .seq = seq, .timestamp = bn->started, .body = (uint8_t *)body,
		    .len = len};

	if (bn->conn != BC_UP)
		return; /* broker_publish: -1, nothing sent */
	snprintf(m.from, sizeof m.from, "%s", bn->id);
	snprintf(m.to, sizeof m.to, "%s", to);
	snprintf(m.corr, sizeof m.corr, "%s", corr);
	simbroker_publish(sn->c->broker_net, sn->idx, &m, sn->c->now);
}

static void
roll_call(simnode *sn)
{
	cluster_trace(sn->c, "n%d calls the roll", sn->idx);
	publish(sn, SB_ROLL, "", "", 0, NULL, 0);
}

/* A data message of stream s: kind 'H' (hello), 'C' (confirm) or 'F' (a frame). */
static void
send_data(simnode *sn, stream *s, char kind, const uint8_t *frame, size_t len)
{
	static uint8_t buf[SIMBROKER_BODY];

	buf[0] = (uint8_t)kind;
	if (len)
		memcpy(buf + 1, frame, len);
	publish(sn, SB_DATA, s->peer, s->corr, s->tx++, buf, len + 1);
}

/* --- streams ------------------------------------------------------------------------ */

static stream *
stream_new(simnode *sn)
{
	struct bnode *bn = sn->bn;

	for (int i = 0; i < MAX_STREAMS; i++)
		if (!bn->s[i].used) {
			bn->s[i] = (stream){.used = true, .serial = ++bn->next_serial,
					    .born = sn->c->now};
			return &bn->s[i];
		}
	cluster_fail(sn->c, "sim: n%d holds more than %d streams", sn->idx, MAX_STREAMS);
	return NULL;
}

static stream *
by_corr(simnode *sn, const char *corr)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (sn->bn->s[i].used && !sn->bn->s[i].ghost && strcmp(sn->bn->s[i].corr, corr) == 0)
			return &sn->bn->s[i];
	return NULL;
}

/* The stream the core knows as link, or NULL. */
static stream *
by_link(simnode *sn, uint32_t link)
{
	for (int i = 0; i < MAX_STREAMS; i++) {
		stream *s = &sn->bn->s[i];
		if (s->used && (s->outgoing || s->up) && s->link == link)
			return s;
	}
	return NULL;
}

/*
 * Stream s fails here: the peer is told (close) unless it is gone, and the
 * core, if it knows the link, sees it down.  The slot is free before the
 * core is called.
 */
static void
fail(simnode *sn, stream *s, const char *why, bool tell_peer)
{
	bool report = s->outgoing || s->up;
	uint32_t link = s->link;

	cluster_trace(sn->c, "n%d stream %s to %s fails: %s%s", sn->idx, s->corr, s->peer, why,
		      tell_peer ? " (close sent)" : "");
	if (tell_peer)
		publish(sn, SB_CLOSE, s->peer, s->corr, 0, NULL, 0);
	s->used = false;
	if (report && sn->core) {
		cluster_trace(sn->c, "n%d link %u down: %s", sn->idx, link, why);
		node_link_down(sn->core, sn->c->now, link, why);
		cluster_after_call(sn);
	}
}

/*
 * Every stream to peer (every stream, peer NULL) fails, the peer not told
 * (a return means its queue is gone, and so is it).  Those opened
 * meanwhile by the core's answers are not among them.
 */
static void
fail_all(simnode *sn, const char *peer, const char *why)
{
	uint64_t serials[MAX_STREAMS];

	for (int i = 0; i < MAX_STREAMS; i++) {
		stream *s = &sn->bn->s[i];
		serials[i] = s->used && !s->ghost && (peer == NULL || strcmp(s->peer, peer) == 0)
				     ? s->serial
				     : 0;
	}
	for (int i = 0; i < MAX_STREAMS && sn->core; i++) {
		stream *s = &sn->bn->s[i];
		if (serials[i] && s->used && s->serial == serials[i])
			fail(sn, s, why, false);
	}
}

/* --- the io callbacks --------------------------------------------------------------- */

static bool
broker_address(const char *host)
{
	return host[0] == '~' && strlen(host + 1) == SIMBROKER_ID_LEN;
}

uint32_t
bnode_connect(simnode *sn, const char *host, uint16_t port)
{
	struct bnode *bn = sn->bn;
	stream *s = stream_new(sn);

	(void)port;
	if (s == NULL)
		return ++bn->next_link;
	s->link = ++bn->next_link;
	if (!broker_address(host) || bn->conn != BC_UP) {
		s->ghost = true; /* net_connect: "as if it had never been" */
		cluster_trace(sn->c, "n%d connect %s (link %u): no broker, nothing follows",
			      sn->idx, host, s->link);
		return s->link;
	}
	s->outgoing = true;
	snprintf(s->peer, sizeof s->peer, "%s", host + 1);
	snprintf(s->corr, sizeof s->corr, "%s.%u", bn->id, ++bn->next_stream);
	cluster_trace(sn->c, "n%d connect %s (link %u, stream %s)", sn->idx, host, s->link, s->corr);
	publish(sn, SB_OPEN, s->peer, s->corr, 0, NULL, 0);
	send_data(sn, s, 'H', NULL, 0);
	return s->link;
}

void
bnode_send(simnode *sn, uint32_t link, const uint8_t *frame, size_t len)
{
	stream *s = by_link(sn, link);

	if (s == NULL || !s->up) {
		cluster_fail(sn->c, "n%d sent on link %u, which is not up", sn->idx, link);
		return;
	}
	send_data(sn, s, 'F', frame, len);
}

void
bnode_close(simnode *sn, uint32_t link)
{
	struct bnode *bn = sn->bn;

	for (int i = 0; i < MAX_STREAMS; i++) {
		stream *s = &bn->s[i];
		if (s->used && s->ghost && s->link == link) {
			s->used = false;
			return;
		}
	}
	stream *s = by_link(sn, link);
	if (s == NULL) {
		cluster_fail(sn->c, "n%d closed link %u, which it does not hold", sn->idx, link);
		return;
	}
	cluster_trace(sn->c, "n%d closes link %u (stream %s)", sn->idx, link, s->corr);
	publish(sn, SB_CLOSE, s->peer, s->corr, 0, NULL, 0);
	s->used = false;
}

void
bnode_after(simnode *sn)
{
	struct bnode *bn = sn->bn;

	if (bn && sn->core && !bn->joined && node_announced(sn->core)) {
		bn->joined = true; /* broker_joined: answer every call, and call again */
		bn->roll_at = sn->c->now + ROLL_AGAIN_MS;
	}
}

/* --- life --------------------------------------------------------------------------- */

void
bnode_start(simnode *sn)
{
	cluster *c = sn->c;
	struct bnode *bn = sn->bn;
	uint64_t r = rng_next(&c->rng);

	if (bn == NULL)
		bn = sn->bn = calloc(1, sizeof *bn);
	if (bn == NULL)
		abort();
	uint32_t next_link = bn->next_link; /* link ids are never reused on a host */
	*bn = (struct bnode){.next_link = next_link, .backoff = RETRY_MIN, .conn = BC_CONNECTING};
	snprintf(bn->id, sizeof bn->id, "%016llx", (unsigned long long)r);
	snprintf(bn->host, sizeof bn->host, "~%s", bn->id);
	bn->started = (uint64_t)((int64_t)c->now + sn->skew);
	simbroker_set_stalled(c->broker_net, sn->idx, false);
	simbroker_connect(c->broker_net, sn->idx, bn->id, c->now);
}

const char *
bnode_host(const simnode *sn)
{
	return sn->bn->host;
}

void
bnode_gone(simnode *sn, bool rst)
{
	if (sn->bn == NULL)
		return;
	simbroker_gone(sn->c->broker_net, sn->idx, rst, sn->c->now);
	for (int i = 0; i < MAX_STREAMS; i++)
		sn->bn->s[i].used = false;
	sn->bn->roll_at = 0;
	sn->bn->conn = BC_CONNECTING;
}

void
bnode_free(simnode *sn)
{
	free(sn->bn);
	sn->bn = NULL;
}

/* --- what comes in ------------------------------------------------------------------ */

/* The way to the others is down: hold the join, once an outage; try again later. */
static void
conn_lost(simnode *sn, const char *why)
{
	cluster *c = sn->c;
	struct bnode *bn = sn->bn;

	bn->conn = BC_CONNECTING;
	if (!bn->said_down) {
		cluster_trace(c, "n%d [ERROR] broker unreachable: %s", sn->idx, why);
		node_hold_join(sn->core, c->now, true);
		cluster_after_call(sn);
	}
	bn->said_down = true;
	if (sn->core == NULL)
		return;
	simbroker_connect(c->broker_net, sn->idx, bn->id, c->now + bn->backoff);
	bn->backoff = bn->backoff * 2 > RETRY_MAX ? RETRY_MAX : bn->backoff * 2;
}

static void
conn_up(simnode *sn)
{
	cluster *c = sn->c;
	struct bnode *bn = sn->bn;

	cluster_trace(c, "n%d broker connection up (queue %s)", sn->idx, bn->id);
	bn->conn = BC_UP;
	bn->backoff = RETRY_MIN;
	bn->said_down = false;
	node_hold_join(sn->core, c->now, false);
	cluster_after_call(sn);
	if (sn->core)
		roll_call(sn);
}

static void
on_roll(simnode *sn, const sb_msg *m)
{
	struct bnode *bn = sn->bn;

	if (roll_answers(bn->joined, bn->started, bn->id, m->timestamp, m->from)) {
		uint8_t top[8];
		be_put64(top, sn->core ? node_top_inc(sn->core) : 0);
		publish(sn, SB_HERE, m->from, "", 0, top, sizeof top);
	} else if (roll_calls_again(bn->joined, bn->started, bn->id, m->timestamp, m->from))
		bn->call_again = true; /* once for all the calls read together (bnode_flush) */
}

static void
on_here(simnode *sn, const sb_msg *m)
{
	char host[SIMBROKER_ID_LEN + 2];

	snprintf(host, sizeof host, "~%s", m->from);
	cluster_trace(sn->c, "n%d hears here from %s", sn->idx, host);
	node_raise_inc(sn->core, m->len == 8 ? be_get64(m->body) : 0);
	node_add_seed(sn->core, sn->c->now, host, BNODE_PORT);
	cluster_after_call(sn);
}

static void
on_open(simnode *sn, const sb_msg *m)
{
	stream *s;

	if (by_corr(sn, m->corr))
		return; /* a duplicate: the stream is there already */
	if ((s = stream_new(sn)) == NULL)
		return;
	snprintf(s->peer, sizeof s->peer, "%s", m->from);
	snprintf(s->corr, sizeof s->corr, "%s", m->corr);
	send_data(sn, s, 'H', NULL, 0);
}

/* One unit of stream s, in order: the handshake's, then the core's frames. */
static void
on_unit(simnode *sn, stream *s, const sb_msg *m)
{
	char kind = m->len ? (char)m->body[0] : '?';

	if (kind == 'H' && s->hs == HS_HELLO) {
		s->hs = HS_CONFIRM;
		send_data(sn, s, 'C', NULL, 0);
	} else if (kind == 'C' && s->hs == HS_CONFIRM) {
		s->hs = HS_OPEN;
		s->up = true;
		if (!s->outgoing)
			s->link = ++sn->bn->next_link;
		cluster_trace(sn->c, "n%d link %u up (%s ~%s, stream %s)", sn->idx, s->link,
			      s->outgoing ? "to" : "from", s->peer, s->corr);
		char host[SIMBROKER_ID_LEN + 2];
		snprintf(host, sizeof host, "~%s", s->peer);
		node_link_up(sn->core, sn->c->now, s->link, s->outgoing, host, NULL);
		cluster_after_call(sn);
	} else if (kind == 'F' && s->hs == HS_OPEN) {
		cluster_frame_in(sn, s->link, m->body + 1, m->len - 1);
		cluster_after_call(sn);
	} else {
		fail(sn, s, "handshake out of order", true);
	}
}

static void
on_data(simnode *sn, const sb_msg *m)
{
	stream *s = by_corr(sn, m->corr);

	if (s == NULL) { /* a stream we do not have: say so, as a reset would */
		cluster_trace(sn->c, "n%d: data for unknown stream %s: close", sn->idx, m->corr);
		publish(sn, SB_CLOSE, m->from, m->corr, 0, NULL, 0);
		return;
	}
	if (m->seq != s->rx) { /* dropped, duplicated, reordered: the decrypt fails */
		fail(sn, s, "decrypt failed", true);
		return;
	}
	s->rx++;
	on_unit(sn, s, m);
}

static void
on_message(simnode *sn, const sb_msg *m)
{
	switch (m->type) {
	case SB_ROLL:
		on_roll(sn, m);
		break;
	case SB_HERE:
		on_here(sn, m);
		break;
	case SB_OPEN:
		on_open(sn, m);
		break;
	case SB_DATA:
		on_data(sn, m);
		break;
	case SB_CLOSE: {
		stream *s = by_corr(sn, m->corr);
		if (s) /* closed there: nothing to tell it */
			fail(sn, s, "closed by peer", false);
		break;
	}
	}
}

void
bnode_deliver(cluster *c, const sb_delivery *d)
{
	simnode *sn = &c->nodes[d->host];

	if (!cluster_alive(c, d->host) || sn->bn == NULL) {
		cluster_fail(c, "sim: broker delivery to n%d, which is not running", d->host);
		return;
	}
	switch (d->kind) {
	case SB_UP:
		conn_up(sn);
		break;
	case SB_FAILED:
		conn_lost(sn, "cannot connect");
		break;
	case SB_DOWN:
		fail_all(sn, NULL, "connection reset by peer");
		if (sn->core)
			conn_lost(sn, "the connection to the broker broke");
		break;
	case SB_MESSAGE:
		on_message(sn, d->msg);
		break;
	case SB_RETURN:
		cluster_trace(c, "n%d: a message to %s came back", sn->idx, d->msg->to);
		fail_all(sn, d->msg->to, "connection refused"); /* the routing key names it */
		break;
	}
}

/* --- the roll-call timer ------------------------------------------------------------ */

uint64_t
bnode_next(cluster *c)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < c->n; i++) {
		simnode *sn = &c->nodes[i];
		if (cluster_alive(c, i) && !sn->stalled && sn->bn && sn->bn->roll_at &&
		    sn->bn->roll_at < next)
			next = sn->bn->roll_at;
	}
	return next;
}

/*
 * Accepted streams whose handshake did not finish in time are closed, as
 * net.c drops such strangers (checked as time passes, not to the ms).
 */
static void
sweep(simnode *sn)
{
	for (int i = 0; i < MAX_STREAMS; i++) {
		stream *s = &sn->bn->s[i];
		if (s->used && !s->ghost && !s->outgoing && !s->up &&
		    sn->c->now >= s->born + HANDSHAKE_MS) {
			cluster_trace(sn->c, "n%d drops stream %s: no handshake", sn->idx, s->corr);
			publish(sn, SB_CLOSE, s->peer, s->corr, 0, NULL, 0);
			s->used = false;
		}
	}
}

void
bnode_flush(cluster *c)
{
	for (int i = 0; i < c->n && !c->failed; i++) {
		simnode *sn = &c->nodes[i];
		if (!cluster_alive(c, i) || sn->bn == NULL || !sn->bn->call_again)
			continue;
		sn->bn->call_again = false;
		roll_call(sn);
	}
}

void
bnode_tick(cluster *c)
{
	for (int i = 0; i < c->n && !c->failed; i++) {
		simnode *sn = &c->nodes[i];
		if (!cluster_alive(c, i) || sn->stalled || sn->bn == NULL)
			continue;
		sweep(sn);
		if (!sn->bn->roll_at || sn->bn->roll_at > c->now)
			continue;
		sn->bn->roll_at = c->now + ROLL_AGAIN_MS;
		roll_call(sn);
	}
}
