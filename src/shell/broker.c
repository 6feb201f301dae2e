/* broker — see broker.h: the AMQP session; broker_stream.c carries the streams. */
#include "broker_int.h"

#include <amqp_tcp_socket.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roll.h"
#include "xalloc.h"

#define BROKER_WAIT_S 2        /* connect, handshake and each set-up call, at most */
#define BROKER_RETRY_MIN 100   /* ms before connecting again, doubled... */
#define BROKER_RETRY_MAX 2000  /* ...up to this */

static void on_readable(uv_poll_t *p, int status, int events);

bool
broker_is_host(const char *host)
{
	return host[0] == '~';
}

const char *
broker_host(const broker *b)
{
	return b->host;
}

bool
broker_url_ok(const char *url)
{
	struct amqp_connection_info ci;
	char *u = xstrdup(url);
	bool ok = strncmp(url, "amqp://", 7) == 0 && amqp_parse_url(u, &ci) == AMQP_STATUS_OK;

	free(u);
	return ok;
}

/* --- the AMQP connection ------------------------------------------------------------ */

/* What a set-up call's reply says; NULL when it went well. */
static const char *
reply_error(amqp_rpc_reply_t r, char *buf, size_t cap)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return NULL;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(buf, cap, "%s", amqp_error_string2(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *m = r.reply.decoded;
			snprintf(buf, cap, "the broker closed the connection: %.*s",
				 (int)m->reply_text.len, (const char *)m->reply_text.bytes);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *m = r.reply.decoded;
			snprintf(buf, cap, "the broker closed the channel: %.*s",
				 (int)m->reply_text.len, (const char *)m->reply_text.bytes);
		} else {
			snprintf(buf, cap, "the broker refused (method %08x)", r.reply.id);
		}
		break;
	default:
		snprintf(buf, cap, "no reply from the broker");
	}
	return buf;
}

/* Declare our exchanges and queue, bind it, consume it. */
static const char *
set_up(broker *b, char *buf, size_t cap)
{
	amqp_connection_state_t a = b->amqp;
	amqp_bytes_t q = amqp_cstring_bytes(b->queue);
	const char *why;

	amqp_channel_open(a, 1);
	if ((why = reply_error(amqp_get_rpc_reply(a), buf, cap)))
		return why;
	amqp_exchange_declare(a, 1, amqp_cstring_bytes(b->ex_all), amqp_cstring_bytes("fanout"),
			      0, 0, 0, 0, amqp_empty_table);
	if ((why = reply_error(amqp_get_rpc_reply(a), buf, cap)))
		return why;
	amqp_exchange_declare(a, 1, amqp_cstring_bytes(b->ex_to), amqp_cstring_bytes("direct"),
			      0, 0, 0, 0, amqp_empty_table);
	if ((why = reply_error(amqp_get_rpc_reply(a), buf, cap)))
		return why;
	amqp_queue_declare(a, 1, q, 0, 0, 1, 1, amqp_empty_table);
	if ((why = reply_error(amqp_get_rpc_reply(a), buf, cap)))
		return why;
	amqp_queue_bind(a, 1, q, amqp_cstring_bytes(b->ex_all), amqp_empty_bytes, amqp_empty_table);
	if ((why = reply_error(amqp_get_rpc_reply(a), buf, cap)))
		return why;
	amqp_queue_bind(a, 1, q, amqp_cstring_bytes(b->ex_to), amqp_cstring_bytes(b->id),
			amqp_empty_table);
	if ((why = reply_error(amqp_get_rpc_reply(a), buf, cap)))
		return why;
	amqp_basic_consume(a, 1, q, amqp_empty_bytes, 1, 1, 1, amqp_empty_table);
	return reply_error(amqp_get_rpc_reply(a), buf, cap);
}

/* Connect and set up; NULL, or why not (in buf). */
static const char *
connect_broker(broker *b, char *buf, size_t cap)
{
	struct amqp_connection_info ci;
	struct timeval tv = {BROKER_WAIT_S, 0};
	char *u = xstrdup(b->urls[b->cur]);
	const char *why = NULL;
	int rc;

	amqp_default_connection_info(&ci);
	if (amqp_parse_url(u, &ci) != AMQP_STATUS_OK) {
		free(u);
		snprintf(buf, cap, "bad broker URL");
		return buf;
	}
	b->amqp = amqp_new_connection();
	amqp_set_handshake_timeout(b->amqp, &tv);
	amqp_set_rpc_timeout(b->amqp, &tv);
	amqp_socket_t *s = amqp_tcp_socket_new(b->amqp);
	if (s == NULL) {
		snprintf(buf, cap, "out of memory");
		why = buf;
	} else if ((rc = amqp_socket_open_noblock(s, ci.host, ci.port, &tv)) != AMQP_STATUS_OK) {
		snprintf(buf, cap, "%s:%d: %s", ci.host, ci.port, amqp_error_string2(rc));
		why = buf;
	} else {
		const char *vhost = ci.vhost && *ci.vhost ? ci.vhost : "/"; /* "amqp://h/" too */
		why = reply_error(amqp_login(b->amqp, vhost, 0, 131072, 0,
					     AMQP_SASL_METHOD_PLAIN, ci.user, ci.password),
				  buf, cap);
		if (why == NULL)
			why = set_up(b, buf, cap);
	}
	free(u);
	if (why) {
		amqp_destroy_connection(b->amqp);
		b->amqp = NULL;
		return why;
	}
	uv_poll_init(b->loop, &b->poll, amqp_get_sockfd(b->amqp));
	b->poll.data = b;
	uv_poll_start(&b->poll, UV_READABLE, on_readable);
	b->polling = true;
	return NULL;
}

static void on_retry(uv_timer_t *t);

static void on_freed(uv_handle_t *h);

/* The socket is watched no more: now the connection can go. */
static void
on_poll_closed(uv_handle_t *h)
{
	broker *b = h->data;

	amqp_destroy_connection(b->amqp);
	b->amqp = NULL;
	b->polling = false;
	if (b->freed)
		on_freed(h);
	else
		uv_timer_start(&b->retry, on_retry, b->backoff, 0);
}

/* The connection is lost: every stream fails, and we try again later. */
void
broker_lost(broker *b, const char *why)
{
	if (b->amqp == NULL || b->lost)
		return;
	b->lost = true;
	broker_streams_fail(b);
	if (!b->freed && b->cb.down)
		b->cb.down(b->cb.ctx, why);
	uv_close((uv_handle_t *)&b->poll, on_poll_closed);
}

static void
on_retry(uv_timer_t *t)
{
	broker *b = t->data;
	char why[256];

	b->lost = false;
	b->cur = (b->cur + 1) % b->nurls; /* the next node of the cluster first */
	if (connect_broker(b, why, sizeof why) != NULL) {
		b->backoff = b->backoff * 2 > BROKER_RETRY_MAX ? BROKER_RETRY_MAX : b->backoff * 2;
		uv_timer_start(&b->retry, on_retry, b->backoff, 0);
		return;
	}
	b->backoff = BROKER_RETRY_MIN;
	if (b->rolling && !b->joined)
		broker_roll_call(b);
}

int
broker_publish(broker *b, const char *exchange, const char *to, const char *type,
	       const char *corr, const void *body, size_t len)
{
	amqp_basic_properties_t p = {
		._flags = AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_REPLY_TO_FLAG |
			  AMQP_BASIC_TIMESTAMP_FLAG | (corr ? AMQP_BASIC_CORRELATION_ID_FLAG : 0),
		.type = amqp_cstring_bytes(type),
		.reply_to = amqp_cstring_bytes(b->id),
		.timestamp = b->started,
		.correlation_id = corr ? amqp_cstring_bytes(corr) : amqp_empty_bytes,
	};
	amqp_bytes_t m = {len, (void *)body};

	if (b->amqp == NULL || b->lost)
		return -1;
	int rc = amqp_basic_publish(b->amqp, 1, amqp_cstring_bytes(exchange),
				    amqp_cstring_bytes(to), 1, 0, &p, m);
	if (rc != AMQP_STATUS_OK) {
		broker_lost(b, amqp_error_string2(rc));
		return -1;
	}
	return 0;
}

/* --- what comes in ---------------------------------------------------------------- */

/* An AMQP short string property as a C string (cut to cap). */
void
broker_prop(amqp_bytes_t v, char *buf, size_t cap)
{
	size_t n = v.len < cap - 1 ? v.len : cap - 1;

	memcpy(buf, v.bytes, n);
	buf[n] = '\0';
}

static void
on_roll(broker *b, const amqp_basic_properties_t *p)
{
	char from[BROKER_ID_LEN + 1];

	broker_prop(p->reply_to, from, sizeof from);
	if (!roll_answers(b->joined, b->started, b->id, p->timestamp, from))
		return;
	broker_publish(b, b->ex_to, from, "here", NULL, NULL, 0);
}

static void
on_message(broker *b, const amqp_message_t *m)
{
	const amqp_basic_properties_t *p = &m->properties;
	char type[8], host[BROKER_ID_LEN + 2] = "~";

	if (!(p->_flags & AMQP_BASIC_TYPE_FLAG) || !(p->_flags & AMQP_BASIC_REPLY_TO_FLAG))
		return; /* not ours */
	broker_prop(p->type, type, sizeof type);
	if (strcmp(type, "roll") == 0) {
		on_roll(b, p);
	} else if (strcmp(type, "here") == 0) {
		broker_prop(p->reply_to, host + 1, sizeof host - 1);
		if (b->cb.here)
			b->cb.here(b->cb.ctx, host);
	} else {
		broker_stream_message(b, type, m);
	}
}

/* A frame that is not a delivery: a message come back, or the end. */
static void
on_other_frame(broker *b)
{
	amqp_frame_t f;
	amqp_message_t m;

	if (amqp_simple_wait_frame(b->amqp, &f) != AMQP_STATUS_OK) {
		broker_lost(b, "the connection to the broker broke");
		return;
	}
	if (f.frame_type != AMQP_FRAME_METHOD)
		return;
	switch (f.payload.method.id) {
	case AMQP_BASIC_RETURN_METHOD:
		if (amqp_read_message(b->amqp, f.channel, &m, 0).reply_type != AMQP_RESPONSE_NORMAL) {
			broker_lost(b, "the connection to the broker broke");
			return;
		}
		broker_stream_returned(b, &m);
		amqp_destroy_message(&m);
		break;
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		broker_lost(b, "the broker closed the connection");
		break;
	}
}

/* Read every frame there is, the library's buffer included. */
static void
on_readable(uv_poll_t *p, int status, int events)
{
	broker *b = p->data;

	(void)events;
	if (status < 0) {
		broker_lost(b, uv_strerror(status));
		return;
	}
	while (b->amqp && !b->lost) {
		struct timeval none = {0, 0};
		amqp_envelope_t env;
		amqp_maybe_release_buffers(b->amqp);
		amqp_rpc_reply_t r = amqp_consume_message(b->amqp, &env, &none, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			on_message(b, &env.message);
			amqp_destroy_envelope(&env);
		} else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
			   r.library_error == AMQP_STATUS_TIMEOUT) {
			break;
		} else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
			   r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
			on_other_frame(b);
		} else {
			char why[256];
			broker_lost(b, reply_error(r, why, sizeof why));
		}
	}
}

/* --- the roll call ---------------------------------------------------------------- */

void
broker_roll_call(broker *b)
{
	b->rolling = true;
	broker_publish(b, b->ex_all, "", "roll", NULL, NULL, 0);
}

void
broker_joined(broker *b)
{
	b->joined = true;
}

/* --- life ------------------------------------------------------------------------- */

/* The chat's tag: 16 hex digits of a keyed hash of its key. */
static void
chat_tag(const uint8_t key[32], char tag[17])
{
	static const char what[] = "chorus broker exchange";
	uint8_t h[8];

	crypto_generichash(h, sizeof h, (const uint8_t *)what, sizeof what - 1, key, 32);
	sodium_bin2hex(tag, 17, h, sizeof h);
}

broker *
broker_new(uv_loop_t *loop, const char *const *urls, int n, const uint8_t key[32],
	   uint64_t started, const broker_callbacks *cb, char *err, size_t errcap)
{
	broker *b = xcalloc(1, sizeof *b);
	uint8_t raw[BROKER_ID_LEN / 2];
	char tag[17];
	const char *why;

	b->loop = loop;
	b->cb = *cb;
	b->started = started;
	b->urls = xcalloc((size_t)n, sizeof *b->urls);
	for (int i = 0; i < n; i++)
		b->urls[i] = xstrdup(urls[i]);
	b->nurls = n;
	b->backoff = BROKER_RETRY_MIN;
	chat_tag(key, tag);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(b->id, sizeof b->id, raw, sizeof raw);
	snprintf(b->host, sizeof b->host, "~%s", b->id);
	snprintf(b->ex_all, sizeof b->ex_all, "chorus.%s.all", tag);
	snprintf(b->ex_to, sizeof b->ex_to, "chorus.%s.to", tag);
	snprintf(b->queue, sizeof b->queue, "chorus.%s.%s", tag, b->id);
	uv_timer_init(loop, &b->retry);
	b->retry.data = b;
	broker_streams_init(b);
	for (b->cur = 0; b->cur < n; b->cur++)
		if ((why = connect_broker(b, err, errcap)) == NULL)
			return b;
	b->cur = 0;
	broker_free(b);
	return NULL;
}

static void
on_freed(uv_handle_t *h)
{
	broker *b = h->data;

	if (--b->handles == 0) {
		for (int i = 0; i < b->nurls; i++)
			free(b->urls[i]);
		free(b->urls);
		free(b);
	}
}

void
broker_free(broker *b)
{
	if (b == NULL)
		return;
	b->freed = true;
	broker_streams_fail(b);
	b->handles = 2 + b->polling;
	broker_streams_close(b, on_freed);
	uv_close((uv_handle_t *)&b->retry, on_freed);
	if (b->polling && !b->lost) {
		amqp_connection_close(b->amqp, AMQP_REPLY_SUCCESS);
		uv_close((uv_handle_t *)&b->poll, on_poll_closed);
	}
	/* (lost: the poll handle is closing already, and on_poll_closed frees) */
}
