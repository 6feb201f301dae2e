/*
 * broker_stream — the streams a broker carries (broker.h), as a conn
 * transport (conn_int.h): what is written is published to the peer's
 * queue (broker_pub.c: what is not confirmed yet is the stream's queue),
 * what arrives is handed to the conn's framer, or held while the conn is
 * not reading.  Whatever must not run inside a caller
 * (a dialled stream coming up, held bytes, freeing a closed stream) waits
 * for the kick timer, as libuv's own callbacks would.
 */
#include "broker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct broker_stream {
	conn c;                 /* first: a conn is a broker_stream */
	broker *b;
	char peer[BROKER_ID_LEN + 1];
	char corr[2 * BROKER_ID_LEN];  /* "ID.N": the dialler's ID, its stream number */
	bool dialled;           /* up is still to be said (the kick) */
	bool peer_gone;         /* closed there, or it is gone: nothing to tell it */
	bool dead;              /* closed here: on b->dead */
	size_t owed;            /* published, not confirmed yet (or waiting for room) */
	uint8_t *held;          /* arrived while not reading */
	size_t heldlen, heldcap;
	broker_stream *next;
};

#define STREAM(c) ((broker_stream *)(c))

static void on_kick(uv_timer_t *t);

static void
kick(broker *b)
{
	uv_timer_start(&b->kick, on_kick, 0, 0);
}

static broker_stream *
find(broker *b, const amqp_basic_properties_t *p)
{
	char corr[2 * BROKER_ID_LEN];

	if (!(p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG))
		return NULL;
	broker_prop(p->correlation_id, corr, sizeof corr);
	for (broker_stream *s = b->streams; s; s = s->next)
		if (strcmp(s->corr, corr) == 0)
			return s;
	return NULL;
}

/* --- the transport ------------------------------------------------------------------ */

static void
st_reading(conn *c, bool on)
{
	if (on && STREAM(c)->heldlen)
		kick(STREAM(c)->b);
}

static void
st_write(conn *c, const void *data, size_t len)
{
	broker_stream *s = STREAM(c);

	if (s->dead || s->peer_gone)
		return;
	if (c->cap && s->owed + len > c->cap) {
		conn_fail(c, CONN_EQUEUE);
		return;
	}
	broker_publish(s->b, s->b->ex_to, s->peer, "data", s->corr, data, len, s);
}

static size_t
st_queued(const conn *c)
{
	return STREAM(c)->owed;
}

void
broker_stream_owe(broker_stream *s, long delta)
{
	s->owed = (size_t)((long)s->owed + delta);
}

void
broker_stream_lost(broker_stream *s)
{
	if (!s->dead)
		conn_fail(&s->c, UV_ECONNRESET);
}

static void
unlink_stream(broker_stream *s)
{
	for (broker_stream **p = &s->b->streams; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

static void
st_close(conn *c, conn_close_how how)
{
	broker_stream *s = STREAM(c);

	(void)how; /* written at once: nothing waits */
	if (s->dead)
		return;
	if (!s->peer_gone)
		broker_publish(s->b, s->b->ex_to, s->peer, "close", s->corr, NULL, 0, NULL);
	s->dead = true;
	unlink_stream(s);
	s->next = s->b->dead;
	s->b->dead = s;
	kick(s->b);
}

static bool
st_unread(const conn *c)
{
	return STREAM(c)->heldlen > 0;
}

static const conn_transport stream_transport = {
	.reading = st_reading, .write = st_write, .queued = st_queued, .close = st_close,
	.unread = st_unread,
};

/* --- bytes in ----------------------------------------------------------------------- */

static bool
can_take(const broker_stream *s)
{
	return !s->dead && s->c.reading && !s->c.failed && !s->c.closing;
}

/* Hand bytes to the framer, or hold them while the conn does not read. */
static void
deliver(broker_stream *s, const uint8_t *data, size_t len)
{
	while (len > 0 && can_take(s)) {
		size_t cap, k;
		uint8_t *room = conn_room(&s->c, &cap);
		k = cap < len ? cap : len;
		memcpy(room, data, k);
		data += k;
		len -= k;
		conn_took(&s->c, k);
	}
	if (len == 0 || s->dead)
		return;
	if (s->heldcap - s->heldlen < len) {
		s->heldcap = (s->heldlen + len) * 2;
		s->held = xrealloc(s->held, s->heldcap);
	}
	memcpy(s->held + s->heldlen, data, len);
	s->heldlen += len;
}

static broker_stream *
stream_new(broker *b, const char *peer, const conn_handlers *h, void *data)
{
	conn *c = conn_new(b->loop, sizeof(broker_stream), &stream_transport, h, data);
	broker_stream *s = STREAM(c);

	s->b = b;
	snprintf(s->peer, sizeof s->peer, "%s", peer);
	snprintf(c->host, sizeof c->host, "~%s", peer);
	s->next = b->streams;
	b->streams = s;
	return s;
}

/* Answer a message for a stream that is not (or no longer) ours with its close. */
static void
refuse(broker *b, const amqp_basic_properties_t *p)
{
	char peer[BROKER_ID_LEN + 1], corr[2 * BROKER_ID_LEN];

	if (!(p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG))
		return;
	broker_prop(p->reply_to, peer, sizeof peer);
	broker_prop(p->correlation_id, corr, sizeof corr);
	broker_publish(b, b->ex_to, peer, "close", corr, NULL, 0, NULL);
}

void
broker_stream_message(broker *b, const char *type, const amqp_message_t *m)
{
	const amqp_basic_properties_t *p = &m->properties;
	broker_stream *s = find(b, p);

	if (strcmp(type, "open") == 0 && s == NULL && (p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG)) {
		broker_prop(p->reply_to, b->offer.peer, sizeof b->offer.peer);
		broker_prop(p->correlation_id, b->offer.corr, sizeof b->offer.corr);
		b->offered = true;
		if (b->cb.open)
			b->cb.open(b->cb.ctx, b);
		b->offered = false;
	} else if (strcmp(type, "data") == 0 && s) {
		deliver(s, m->body.bytes, m->body.len);
	} else if (strcmp(type, "close") == 0 && s) {
		s->peer_gone = true;
		conn_fail(&s->c, UV_EOF);
	} else if (strcmp(type, "data") == 0) {
		refuse(b, p); /* a stream we do not have: say so, as a reset would */
	}
}

void
broker_stream_returned(broker *b, const char *peer)
{
	for (broker_stream *s = b->streams; s; s = s->next)
		if (strcmp(s->peer, peer) == 0) {
			s->peer_gone = true;
			conn_fail(&s->c, UV_ECONNREFUSED);
		}
}

/* --- opening ------------------------------------------------------------------------ */

conn *
broker_dial(broker *b, const char *host, const conn_handlers *h, void *data)
{
	broker_stream *s;

	if (!broker_is_host(host) || strlen(host + 1) != BROKER_ID_LEN || b->amqp == NULL ||
	    b->lost)
		return NULL;
	s = stream_new(b, host + 1, h, data);
	snprintf(s->corr, sizeof s->corr, "%s.%u", b->id, ++b->next_stream);
	if (broker_publish(b, b->ex_to, s->peer, "open", s->corr, NULL, 0, NULL) != 0) {
		unlink_stream(s);
		free(s);
		return NULL;
	}
	s->dialled = true;
	kick(b);
	return &s->c;
}

conn *
broker_take(broker *b, const conn_handlers *h, void *data)
{
	broker_stream *s;

	if (!b->offered)
		return NULL;
	b->offered = false;
	s = stream_new(b, b->offer.peer, h, data);
	snprintf(s->corr, sizeof s->corr, "%s", b->offer.corr);
	s->c.up = true;
	return &s->c;
}

/* --- the kick ----------------------------------------------------------------------- */

static void
free_dead(broker *b)
{
	while (b->dead) {
		broker_stream *s = b->dead;
		b->dead = s->next;
		broker_pub_forget(b, s);
		free(s->held);
		conn_gone(&s->c); /* frees s */
	}
}

/* Deferred work: dialled streams come up, held bytes are read, closed ones freed. */
static void
on_kick(uv_timer_t *t)
{
	broker *b = t->data;
	int n = 0;

	for (broker_stream *s = b->streams; s; s = s->next)
		n++;
	broker_stream **v = xmalloc((size_t)(n ? n : 1) * sizeof *v);
	n = 0;
	for (broker_stream *s = b->streams; s; s = s->next)
		v[n++] = s;
	for (int i = 0; i < n; i++) {
		broker_stream *s = v[i];
		if (!s->dead && s->dialled && !s->c.failed && !s->c.closing) {
			s->dialled = false;
			s->c.up = true;
			conn_reading(&s->c, true);
			s->c.h->up(&s->c);
		}
		if (s->heldlen && can_take(s)) {
			uint8_t *held = s->held;
			size_t len = s->heldlen;
			s->held = NULL;
			s->heldlen = s->heldcap = 0;
			deliver(s, held, len);
			free(held);
		}
	}
	free(v);
	free_dead(b);
}

void
broker_streams_init(broker *b)
{
	uv_timer_init(b->loop, &b->kick);
	b->kick.data = b;
}

void
broker_streams_fail(broker *b)
{
	for (broker_stream *s = b->streams; s; s = s->next) {
		s->peer_gone = true;
		conn_fail(&s->c, UV_ECONNRESET);
	}
}

void
broker_streams_close(broker *b, uv_close_cb done)
{
	free_dead(b);
	uv_close((uv_handle_t *)&b->kick, done);
}
