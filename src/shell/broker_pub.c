/*
 * broker_pub — what we publish, under publisher confirms (broker.h).
 *
 * Each message published takes the channel's next delivery tag and is
 * owed, counted against its stream, until the broker acks it; a nack
 * (the broker lost it) fails that stream, as a reset would.  At most a
 * window of bytes is unconfirmed at once, and the socket's send buffer is
 * made larger than the window, so a publish never blocks the loop on a
 * broker that hangs: what does not fit waits here, in order, and its
 * stream counts it as queued (so a member whose stream stops moving is
 * dropped at the conn's cap, as on TCP).
 */
#include "broker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xalloc.h"

#define PUB_WINDOW (192 * 1024) /* unconfirmed bytes at most... */
#define PUB_SNDBUF (1 << 20)    /* ...under a send buffer asked this big */
#define PUB_FRAMING 160         /* a message's AMQP frames beyond its body */

struct broker_msg {
	uint64_t tag;           /* its delivery tag, once published */
	broker_stream *s;       /* whose it is: NULL for none, or gone */
	size_t cost;            /* bytes, framing included */
	char exchange[40];
	char to[BROKER_ID_LEN + 1];
	char type[8];
	char corr[2 * BROKER_ID_LEN];
	broker_msg *next;
	size_t len;
	uint8_t body[];         /* kept only while it waits */
};

/* --- the two queues: waiting, then sent (in tag order) ---------------------------------- */

static void
push(broker_queue *q, broker_msg *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
}

static broker_msg *
pop(broker_queue *q)
{
	broker_msg *m = q->head;

	if (m && (q->head = m->next) == NULL)
		q->tail = NULL;
	return m;
}

static void
clear(broker_queue *q)
{
	broker_msg *m;

	while ((m = pop(q)))
		free(m);
}

/* --- publishing --------------------------------------------------------------------------- */

static int
send_now(broker *b, broker_msg *m, const void *body)
{
	amqp_basic_properties_t p = {
		._flags = AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_REPLY_TO_FLAG |
			  AMQP_BASIC_TIMESTAMP_FLAG | (m->corr[0] ? AMQP_BASIC_CORRELATION_ID_FLAG : 0),
		.type = amqp->cstring_bytes(m->type),
		.reply_to = amqp->cstring_bytes(b->id),
		.timestamp = b->started,
		.correlation_id = m->corr[0] ? amqp->cstring_bytes(m->corr) : (*amqp->empty_bytes),
	};
	amqp_bytes_t bytes = {m->len, (void *)body};
	int rc = amqp->basic_publish(b->amqp, 1, amqp->cstring_bytes(m->exchange),
				    amqp->cstring_bytes(m->to), 1, 0, &p, bytes);

	if (rc != AMQP_STATUS_OK) {
		free(m);
		broker_lost(b, amqp->error_string2(rc));
		return -1;
	}
	m->tag = ++b->pub.tag;
	b->pub.inflight += m->cost;
	push(&b->pub.sent, m);
	return 0;
}

/* Publish what waits, while the window has room (one at least, however big). */
static void
drain(broker *b)
{
	broker_msg *m;

	while ((m = b->pub.waiting.head) && b->amqp && !b->lost &&
	       (b->pub.inflight == 0 || b->pub.inflight + m->cost <= PUB_WINDOW)) {
		pop(&b->pub.waiting);
		if (send_now(b, m, m->body) != 0)
			return;
	}
}

int
broker_publish(broker *b, const char *exchange, const char *to, const char *type,
	       const char *corr, const void *body, size_t len, broker_stream *s)
{
	bool wait = b->pub.waiting.head ||
		    (b->pub.inflight && b->pub.inflight + len + PUB_FRAMING > PUB_WINDOW);
	broker_msg *m;

	if (b->amqp == NULL || b->lost)
		return -1;
	m = xmalloc(sizeof *m + (wait ? len : 0));
	m->s = s;
	m->cost = len + PUB_FRAMING;
	m->len = len;
	snprintf(m->exchange, sizeof m->exchange, "%s", exchange);
	snprintf(m->to, sizeof m->to, "%s", to);
	snprintf(m->type, sizeof m->type, "%s", type);
	snprintf(m->corr, sizeof m->corr, "%s", corr ? corr : "");
	if (s)
		broker_stream_owe(s, (long)m->cost);
	if (!wait)
		return send_now(b, m, body);
	if (len)
		memcpy(m->body, body, len);
	push(&b->pub.waiting, m);
	return 0;
}

/* --- confirms ----------------------------------------------------------------------------- */

/* The broker has m (acked) or lost it (nacked). */
static void
settle(broker *b, broker_msg *m, bool acked)
{
	b->pub.inflight -= m->cost;
	if (m->s) {
		broker_stream_owe(m->s, -(long)m->cost);
		if (!acked)
			broker_stream_lost(m->s);
	}
	free(m);
}

void
broker_confirmed(broker *b, uint64_t tag, bool multiple, bool acked)
{
	broker_msg **p = &b->pub.sent.head, *prev = NULL;

	while (*p && (*p)->tag <= tag) {
		broker_msg *m = *p;
		if (!multiple && m->tag != tag) {
			prev = m;
			p = &m->next;
			continue;
		}
		*p = m->next;
		if (b->pub.sent.tail == m)
			b->pub.sent.tail = prev;
		settle(b, m, acked);
		if (!multiple)
			break;
	}
	drain(b);
}

/* --- life --------------------------------------------------------------------------------- */

void
broker_pub_start(broker *b)
{
	int fd = amqp->get_sockfd(b->amqp), size = PUB_SNDBUF;

	/* The kernel may grant less than asked; what it grants still holds the window. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	b->pub.tag = 0;
}

void
broker_pub_forget(broker *b, const broker_stream *s)
{
	broker_msg *m;

	for (m = b->pub.waiting.head; m; m = m->next)
		if (m->s == s)
			m->s = NULL;
	for (m = b->pub.sent.head; m; m = m->next)
		if (m->s == s)
			m->s = NULL;
}

void
broker_pub_drop(broker *b)
{
	clear(&b->pub.waiting);
	clear(&b->pub.sent);
	b->pub.inflight = 0;
}
