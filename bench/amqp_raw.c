/* amqp_raw: a raw librabbitmq fanout benchmark, the reference for broker
 * mode (issue 13).
 *
 * N consumer connections each declare an exclusive, auto-delete queue bound
 * to one fanout exchange and consume it (no-ack).  P publishers, one thread
 * and one connection each, publish M messages of S bytes as fast as the
 * broker takes them, with publisher confirms: at most W confirms
 * outstanding per publisher, read as basic.ack / basic.nack method frames
 * (rabbitmq-c 0.11 has no confirm-wait helper).  N*P*M deliveries are
 * expected.  A small window is faster here: with 1,000 outstanding the
 * broker's flow control throttles the publishers (29k deliveries/s against
 * 60-75k at 10-20; see bench/RESULTS.md).  Every payload starts with its publish time (CLOCK_MONOTONIC,
 * ns), so a consumer measures publish->deliver latency.
 *
 * Prints one line of key=value fields: deliveries/s from the first publish
 * to the last delivery, and p50/p99/max latency.  Exit 0 when every
 * delivery and every confirm arrived (no nacks), 1 otherwise.
 *
 * rabbitmq-c's rule: one connection per thread, blocking calls.
 *
 * usage: amqp_raw [-n consumers 5] [-p publishers 5] [-m messages 20000]
 *                 [-s bytes 200] [-w window 20] [-t timeout_s 120]
 *                 [-u amqp://guest:guest@127.0.0.1:5672/]
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int n_cons = 5, n_pubs = 5, window = 20, timeout_s = 120;
static long n_msgs = 20000, size = 200;
static char *url = "amqp://guest:guest@127.0.0.1:5672/";
static struct amqp_connection_info info;
static char exchange[64];
static pthread_barrier_t start_line;

typedef struct {
	pthread_t thread;
	int id;
	/* consumer */
	uint64_t *lat;   /* ns, one per delivery */
	long got;
	uint64_t last_ns;
	/* publisher */
	uint64_t first_ns;
	long acked, nacked;
} worker;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("amqp_raw: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void check_reply(amqp_rpc_reply_t r, const char *what)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return;
	case AMQP_RESPONSE_NONE:
		die("%s: missing RPC reply", what);
		break;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		die("%s: %s", what, amqp_error_string2(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *m = r.reply.decoded;
			die("%s: connection closed by broker: %u %.*s", what, m->reply_code,
			    (int)m->reply_text.len, (char *)m->reply_text.bytes);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *m = r.reply.decoded;
			die("%s: channel closed by broker: %u %.*s", what, m->reply_code,
			    (int)m->reply_text.len, (char *)m->reply_text.bytes);
		}
		die("%s: broker error, method 0x%08x", what, r.reply.id);
		break;
	}
	die("%s: unknown reply type %d", what, (int)r.reply_type);
}

/* A logged-in connection with channel 1 open. */
static amqp_connection_state_t connect_broker(void)
{
	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *s = amqp_tcp_socket_new(c);
	if (!s)
		die("cannot create a TCP socket");
	int rc = amqp_socket_open(s, info.host, info.port);
	if (rc != AMQP_STATUS_OK)
		die("connect %s:%d: %s", info.host, info.port, amqp_error_string2(rc));
	check_reply(amqp_login(c, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
	                       info.user, info.password), "login");
	amqp_channel_open(c, 1);
	check_reply(amqp_get_rpc_reply(c), "channel.open");
	return c;
}

static void disconnect(amqp_connection_state_t c)
{
	amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
}

static void *consumer(void *arg)
{
	worker *w = arg;
	amqp_connection_state_t c = connect_broker();
	amqp_queue_declare_ok_t *q = amqp_queue_declare(c, 1, amqp_empty_bytes, 0, 0, 1, 1,
	                                                amqp_empty_table);
	check_reply(amqp_get_rpc_reply(c), "queue.declare");
	amqp_bytes_t queue = amqp_bytes_malloc_dup(q->queue);
	amqp_queue_bind(c, 1, queue, amqp_cstring_bytes(exchange), amqp_empty_bytes,
	                amqp_empty_table);
	check_reply(amqp_get_rpc_reply(c), "queue.bind");
	amqp_basic_consume(c, 1, queue, amqp_empty_bytes, 0, 1, 1, amqp_empty_table);
	check_reply(amqp_get_rpc_reply(c), "basic.consume");
	pthread_barrier_wait(&start_line);

	long want = (long)n_pubs * n_msgs;
	uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000u;
	while (w->got < want && now_ns() < deadline) {
		amqp_envelope_t env;
		struct timeval tv = {1, 0};
		amqp_maybe_release_buffers(c);
		amqp_rpc_reply_t r = amqp_consume_message(c, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_TIMEOUT)
			continue;
		check_reply(r, "consume");
		uint64_t t = now_ns(), sent;
		if (env.message.body.len >= sizeof sent) {
			memcpy(&sent, env.message.body.bytes, sizeof sent);
			w->lat[w->got] = t - sent;
		}
		w->got++;
		w->last_ns = t;
		amqp_destroy_envelope(&env);
	}
	amqp_bytes_free(queue);
	disconnect(c);
	return NULL;
}

/* Which of a publisher's tags (1..M, in publish order) the broker has
 * settled: acks may be single or "multiple" (all up to a tag), and are not
 * promised to come in order. */
typedef struct {
	unsigned char *done;  /* done[tag], tags 1..n_msgs */
	uint64_t base;        /* every tag <= base is settled */
	uint64_t settled;     /* how many are */
} confirms;

static long settle(confirms *k, uint64_t tag, int multiple)
{
	long n = 0;
	if (tag > (uint64_t)n_msgs)
		die("confirm for unknown delivery tag %" PRIu64, tag);
	for (uint64_t t = multiple ? k->base + 1 : tag; t <= tag; t++)
		if (!k->done[t]) {
			k->done[t] = 1;
			n++;
		}
	while (k->base < (uint64_t)n_msgs && k->done[k->base + 1])
		k->base++;
	k->settled += (uint64_t)n;
	return n;
}

/* Read one frame and account for the confirms in it. */
static void read_confirm(amqp_connection_state_t c, worker *w, confirms *k)
{
	amqp_frame_t f;
	int rc = amqp_simple_wait_frame(c, &f);
	if (rc != AMQP_STATUS_OK)
		die("publisher %d: waiting for confirms: %s", w->id, amqp_error_string2(rc));
	if (f.frame_type != AMQP_FRAME_METHOD)
		return;
	switch (f.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		amqp_basic_ack_t *a = f.payload.method.decoded;
		w->acked += settle(k, a->delivery_tag, a->multiple);
		break;
	}
	case AMQP_BASIC_NACK_METHOD: {
		amqp_basic_nack_t *n = f.payload.method.decoded;
		w->nacked += settle(k, n->delivery_tag, n->multiple);
		break;
	}
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		die("publisher %d: the broker closed the %s", w->id,
		    f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ? "channel" : "connection");
		break;
	default:
		break;
	}
}

static void *publisher(void *arg)
{
	worker *w = arg;
	amqp_connection_state_t c = connect_broker();
	amqp_confirm_select(c, 1);
	check_reply(amqp_get_rpc_reply(c), "confirm.select");
	char *body = calloc(1, (size_t)size);
	if (!body)
		die("out of memory");
	memset(body + sizeof(uint64_t), 'x', (size_t)size - sizeof(uint64_t));
	amqp_bytes_t payload = {(size_t)size, body};
	amqp_bytes_t ex = amqp_cstring_bytes(exchange);
	pthread_barrier_wait(&start_line);

	/* Delivery tags count this channel's publishes from 1. */
	confirms k = {calloc((size_t)n_msgs + 1, 1), 0, 0};
	if (!k.done)
		die("out of memory");
	uint64_t published = 0;
	w->first_ns = now_ns();
	for (long i = 0; i < n_msgs; i++) {
		while (published - k.settled >= (uint64_t)window)
			read_confirm(c, w, &k);
		uint64_t t = now_ns();
		memcpy(body, &t, sizeof t);
		int rc = amqp_basic_publish(c, 1, ex, amqp_empty_bytes, 0, 0, NULL, payload);
		if (rc != AMQP_STATUS_OK)
			die("publisher %d: publish: %s", w->id, amqp_error_string2(rc));
		published++;
		amqp_maybe_release_buffers(c);
	}
	while (k.settled < published)
		read_confirm(c, w, &k);
	free(k.done);
	free(body);
	disconnect(c);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static long number(const char *s, long min, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min)
		die("bad %s: %s (at least %ld)", what, s, min);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: amqp_raw [-n consumers] [-p publishers] [-m messages] [-s bytes]\n"
	                "                [-w window] [-t timeout_s] [-u amqp://USER:PASS@HOST:PORT/VHOST]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "n:p:m:s:w:t:u:h")) != -1) {
		switch (opt) {
		case 'n': n_cons = (int)number(optarg, 1, "consumers"); break;
		case 'p': n_pubs = (int)number(optarg, 1, "publishers"); break;
		case 'm': n_msgs = number(optarg, 1, "messages"); break;
		case 's': size = number(optarg, (long)sizeof(uint64_t), "size"); break;
		case 'w': window = (int)number(optarg, 1, "window"); break;
		case 't': timeout_s = (int)number(optarg, 1, "timeout"); break;
		case 'u': url = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	char *url_copy = strdup(url);
	amqp_default_connection_info(&info);
	if (!url_copy || amqp_parse_url(url_copy, &info) != AMQP_STATUS_OK)
		die("bad URL: %s", url);
	/* amqp_parse_url reads "amqp://host/" as the vhost "" (the URI spec);
	 * like pika, take an empty vhost as the default one. */
	if (!*info.vhost)
		info.vhost = "/";

	snprintf(exchange, sizeof exchange, "amqp_raw.%ld", (long)getpid());
	amqp_connection_state_t setup = connect_broker();
	amqp_exchange_declare(setup, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("fanout"),
	                      0, 0, 0, 0, amqp_empty_table);
	check_reply(amqp_get_rpc_reply(setup), "exchange.declare");

	worker *cons = calloc((size_t)n_cons, sizeof *cons);
	worker *pubs = calloc((size_t)n_pubs, sizeof *pubs);
	if (!cons || !pubs)
		die("out of memory");
	pthread_barrier_init(&start_line, NULL, (unsigned)(n_cons + n_pubs));
	long want = (long)n_pubs * n_msgs;
	for (int i = 0; i < n_cons; i++) {
		cons[i].id = i;
		cons[i].lat = malloc((size_t)want * sizeof(uint64_t));
		if (!cons[i].lat)
			die("out of memory");
		if (pthread_create(&cons[i].thread, NULL, consumer, &cons[i]))
			die("pthread_create failed");
	}
	for (int i = 0; i < n_pubs; i++) {
		pubs[i].id = i;
		if (pthread_create(&pubs[i].thread, NULL, publisher, &pubs[i]))
			die("pthread_create failed");
	}
	for (int i = 0; i < n_pubs; i++)
		pthread_join(pubs[i].thread, NULL);
	for (int i = 0; i < n_cons; i++)
		pthread_join(cons[i].thread, NULL);

	amqp_exchange_delete(setup, 1, amqp_cstring_bytes(exchange), 0);
	check_reply(amqp_get_rpc_reply(setup), "exchange.delete");
	disconnect(setup);

	uint64_t first = UINT64_MAX, last = 0;
	long acked = 0, nacked = 0, got = 0;
	for (int i = 0; i < n_pubs; i++) {
		if (pubs[i].first_ns < first)
			first = pubs[i].first_ns;
		acked += pubs[i].acked;
		nacked += pubs[i].nacked;
	}
	size_t nlat = 0;
	uint64_t *lat = malloc((size_t)(n_cons * want) * sizeof(uint64_t));
	if (!lat)
		die("out of memory");
	for (int i = 0; i < n_cons; i++) {
		got += cons[i].got;
		if (cons[i].last_ns > last)
			last = cons[i].last_ns;
		memcpy(lat + nlat, cons[i].lat, (size_t)cons[i].got * sizeof(uint64_t));
		nlat += (size_t)cons[i].got;
		free(cons[i].lat);
	}
	qsort(lat, nlat, sizeof *lat, cmp_u64);
	double secs = last > first ? (double)(last - first) / 1e9 : 0;
	double p50 = nlat ? (double)lat[nlat / 2] / 1e6 : 0;
	double p99 = nlat ? (double)lat[(size_t)((double)nlat * 0.99)] / 1e6 : 0;
	double max = nlat ? (double)lat[nlat - 1] / 1e6 : 0;
	long expect = (long)n_cons * want;
	printf("amqp_raw consumers=%d publishers=%d messages=%ld size=%ld window=%d "
	       "deliveries=%ld/%ld confirms=%ld/%ld nacks=%ld seconds=%.3f deliveries_per_s=%.0f "
	       "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	       n_cons, n_pubs, n_msgs, size, window, got, expect, acked + nacked, want, nacked,
	       secs, secs > 0 ? (double)got / secs : 0, p50, p99, max);
	free(lat);
	free(cons);
	free(pubs);
	free(url_copy);
	pthread_barrier_destroy(&start_line);
	return got == expect && acked == want && nacked == 0 ? 0 : 1;
}
