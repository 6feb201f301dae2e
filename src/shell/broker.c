/* broker — see broker.h: the AMQP session; broker_stream.c carries the streams. */
#include "broker_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "be.h"
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

const char *
broker_lib_error(void)
{
	return amqp_lib_load();
}

bool
broker_url_ok(const char *url)
{
	struct amqp_connection_info ci;

	if (amqp_lib_load() != NULL)
		return false;
	char *u = xstrdup(url);
	bool ok = strncmp(url, "amqp://", 7) == 0 && amqp->parse_url(u, &ci) == AMQP_STATUS_OK;

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
		snprintf(buf, cap, "%s", amqp->error_string2(r.library_error));
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

/* Declare our exchanges and queue, bind it, consume it, ask for confirms. */
static const char *
set_up(const broker *b, amqp_connection_state_t a, char *buf, size_t cap)
{
	amqp_bytes_t q = amqp->cstring_bytes(b->queue);
	const char *why;

	amqp->channel_open(a, 1);
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->exchange_declare(a, 1, amqp->cstring_bytes(b->ex_all), amqp->cstring_bytes("fanout"),
			      0, 0, 0, 0, (*amqp->empty_table));
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->exchange_declare(a, 1, amqp->cstring_bytes(b->ex_to), amqp->cstring_bytes("direct"),
			      0, 0, 0, 0, (*amqp->empty_table));
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->queue_declare(a, 1, q, 0, 0, 1, 1, (*amqp->empty_table));
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->queue_bind(a, 1, q, amqp->cstring_bytes(b->ex_all), (*amqp->empty_bytes), (*amqp->empty_table));
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->queue_bind(a, 1, q, amqp->cstring_bytes(b->ex_to), amqp->cstring_bytes(b->id),
			(*amqp->empty_table));
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->confirm_select(a, 1);
	if ((why = reply_error(amqp->get_rpc_reply(a), buf, cap)))
		return why;
	amqp->basic_consume(a, 1, q, (*amqp->empty_bytes), 1, 1, 1, (*amqp->empty_table));
	return reply_error(amqp->get_rpc_reply(a), buf, cap);
}

/*
 * Connect to urls[cur] and set up: the connection, or NULL and why in buf.
 * Runs on the thread pool (each call waits up to BROKER_WAIT_S for the
 * broker), and reads only what does not change while it runs.
 */
static amqp_connection_state_t
connect_broker(const broker *b, char *buf, size_t cap)
{
	struct amqp_connection_info ci;
	struct timeval tv = {BROKER_WAIT_S, 0};
	char *u = xstrdup(b->urls[b->cur]);
	amqp_connection_state_t a = amqp->new_connection();
	const char *why = NULL;
	int rc;

	amqp->set_handshake_timeout(a, &tv);
	amqp->set_rpc_timeout(a, &tv);
	amqp_socket_t *s = amqp->tcp_socket_new(a);
	if (amqp->parse_url(u, &ci) != AMQP_STATUS_OK) {
		snprintf(buf, cap, "bad broker URL");
		why = buf;
	} else if (s == NULL) {
		snprintf(buf, cap, "out of memory");
		why = buf;
	} else if ((rc = amqp->socket_open_noblock(s, ci.host, ci.port, &tv)) != AMQP_STATUS_OK) {
		snprintf(buf, cap, "%s:%d: %s", ci.host, ci.port, amqp->error_string2(rc));
		why = buf;
	} else {
		const char *vhost = ci.vhost && *ci.vhost ? ci.vhost : "/"; /* "amqp://h/" too */
		why = reply_error(amqp->login(a, vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
					     ci.user, ci.password),
				  buf, cap);
		if (why == NULL)
			why = set_up(b, a, buf, cap);
	}
	free(u);
	if (why) {
		amqp->destroy_connection(a);
		return NULL;
	}
	return a;
}

static void on_retry(uv_timer_t *t);
static void release(broker *b);

static void
on_connect_work(uv_work_t *w)
{
	broker *b = w->data;

	b->made = connect_broker(b, b->why, sizeof b->why);
}

/* Say that the broker cannot be reached, once an outage. */
static void
say_down(broker *b, const char *why)
{
	if (!b->said_down && !b->freed && b->cb.down)
		b->cb.down(b->cb.ctx, why);
	b->said_down = true;
}

/* Try again later, the next node of the cluster first. */
static void
retry_later(broker *b)
{
	b->cur = (b->cur + 1) % b->nurls;
	uv_timer_start(&b->retry, on_retry, b->backoff, 0);
	b->backoff = backoff_next(b->backoff, BROKER_RETRY_MAX);
}

static void
on_connect_done(uv_work_t *w, int status)
{
	broker *b = w->data;

	b->connecting = false;
	if (b->freed) {
		if (status == 0 && b->made)
			amqp->destroy_connection(b->made);
		release(b);
		return;
	}
	if (b->made == NULL) {
		say_down(b, b->why);
		retry_later(b);
		return;
	}
	b->amqp = b->made;
	b->lost = false;
	b->backoff = BROKER_RETRY_MIN;
	b->said_down = false;
	broker_pub_start(b);
	uv_poll_init(b->loop, &b->poll, amqp->get_sockfd(b->amqp));
	b->poll.data = b;
	uv_poll_start(&b->poll, UV_READABLE, on_readable);
	b->polling = true;
	if (b->cb.up)
		b->cb.up(b->cb.ctx);
	if (b->rolling)
		broker_roll_call(b);
}

static void
start_connect(broker *b)
{
	b->connecting = true;
	b->made = NULL;
	b->work.data = b;
	uv_queue_work(b->loop, &b->work, on_connect_work, on_connect_done);
}

static void
on_retry(uv_timer_t *t)
{
	start_connect(t->data);
}

/* The socket is watched no more: now the connection can go. */
static void
on_poll_closed(uv_handle_t *h)
{
	broker *b = h->data;

	amqp->destroy_connection(b->amqp);
	b->amqp = NULL;
	b->polling = false;
	if (b->freed)
		release(b);
	else
		retry_later(b);
}

/* The connection is lost: every stream fails, and we try again later. */
void
broker_lost(broker *b, const char *why)
{
	if (b->amqp == NULL || b->lost)
		return;
	b->lost = true;
	broker_streams_fail(b);
	broker_pub_drop(b);
	say_down(b, why);
	uv_close((uv_handle_t *)&b->poll, on_poll_closed);
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
	if (roll_answers(b->joined, b->started, b->id, p->timestamp, from)) {
		uint8_t top[8];
		be_put64(top, b->cb.top ? b->cb.top(b->cb.ctx) : 0);
		broker_publish(b, b->ex_to, from, "here", NULL, top, sizeof top, NULL);
	} else if (roll_calls_again(b->joined, b->started, b->id, p->timestamp, from))
		b->call_again = true; /* once for all the calls read together */
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
		uint64_t top = m->body.len == 8 ? be_get64(m->body.bytes) : 0;
		if (b->cb.here)
			b->cb.here(b->cb.ctx, host, top);
	} else {
		broker_stream_message(b, type, m);
	}
}

/* A frame that is not a delivery: a confirm, a message come back, or the end. */
static void
on_other_frame(broker *b)
{
	amqp_frame_t f;
	amqp_message_t m;

	if (amqp->simple_wait_frame(b->amqp, &f) != AMQP_STATUS_OK) {
		broker_lost(b, "the connection to the broker broke");
		return;
	}
	if (f.frame_type != AMQP_FRAME_METHOD)
		return;
	switch (f.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		const amqp_basic_ack_t *a = f.payload.method.decoded;
		broker_confirmed(b, a->delivery_tag, a->multiple, true);
		break;
	}
	case AMQP_BASIC_NACK_METHOD: {
		const amqp_basic_nack_t *a = f.payload.method.decoded;
		broker_confirmed(b, a->delivery_tag, a->multiple, false);
		break;
	}
	case AMQP_BASIC_RETURN_METHOD: {
		const amqp_basic_return_t *r = f.payload.method.decoded;
		char to[BROKER_ID_LEN + 1];
		broker_prop(r->routing_key, to, sizeof to); /* before the body reuses the pool */
		if (amqp->read_message(b->amqp, f.channel, &m, 0).reply_type != AMQP_RESPONSE_NORMAL) {
			broker_lost(b, "the connection to the broker broke");
			return;
		}
		amqp->destroy_message(&m);
		broker_stream_returned(b, to);
		break;
	}
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
		amqp->maybe_release_buffers(b->amqp);
		amqp_rpc_reply_t r = amqp->consume_message(b->amqp, &env, &none, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			on_message(b, &env.message);
			amqp->destroy_envelope(&env);
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
	if (b->call_again && b->amqp && !b->lost) {
		b->call_again = false;
		broker_roll_call(b);
	}
}

/* --- the roll call ---------------------------------------------------------------- */

void
broker_roll_call(broker *b)
{
	b->rolling = true;
	broker_publish(b, b->ex_all, "", "roll", NULL, NULL, 0, NULL);
}

static void
on_again(uv_timer_t *t)
{
	broker_roll_call(t->data);
}

void
broker_joined(broker *b)
{
	if (b->joined)
		return;
	b->joined = true;
	uv_timer_start(&b->again, on_again, ROLL_AGAIN_MS, ROLL_AGAIN_MS);
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
	   uint64_t started, const broker_callbacks *cb)
{
	broker *b = xcalloc(1, sizeof *b);
	uint8_t raw[BROKER_ID_LEN / 2];
	char tag[17];

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
	uv_timer_init(loop, &b->again);
	b->again.data = b;
	broker_streams_init(b);
	start_connect(b);
	return b;
}

/* One of the handles (or the work) is done with b: the last frees it. */
static void
release(broker *b)
{
	if (--b->handles > 0)
		return;
	broker_pub_drop(b);
	for (int i = 0; i < b->nurls; i++)
		free(b->urls[i]);
	free(b->urls);
	free(b);
}

static void
on_freed(uv_handle_t *h)
{
	release(h->data);
}

void
broker_free(broker *b)
{
	if (b == NULL)
		return;
	b->freed = true;
	broker_streams_fail(b);
	b->handles = 3 + b->polling + b->connecting;
	if (b->connecting)
		uv_cancel((uv_req_t *)&b->work); /* else on_connect_done releases when it ends */
	broker_streams_close(b, on_freed);
	uv_close((uv_handle_t *)&b->retry, on_freed);
	uv_close((uv_handle_t *)&b->again, on_freed);
	if (b->polling && !b->lost) {
		amqp->connection_close(b->amqp, AMQP_REPLY_SUCCESS);
		uv_close((uv_handle_t *)&b->poll, on_poll_closed);
	}
	/* (lost: the poll handle is closing already, and on_poll_closed frees) */
}
