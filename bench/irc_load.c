/*
 * irc_load: the IRC load generator of the gateway benchmark (issue 7).
 *
 * Opens C clients spread round robin over one or more IRC servers, registers
 * each (PASS if given, NICK loadN, USER), JOINs one channel and waits until
 * every client sees all C members (from NAMES and the JOINs after it; its
 * own JOIN included). Every client, not just one: a linked server that has
 * not yet heard of a remote member does not forward to it. Then every client
 * sends M PRIVMSGs to the channel, as fast as its socket takes them or
 * paced to --rate messages/s in total. A message's text is "L SENDER SEQ
 * SEND_NS", SEND_NS from CLOCK_MONOTONIC just before the write; a receiver
 * on the same machine takes latency = arrival - SEND_NS. The run ends when every client has every
 * other client's M messages (C*(C-1)*M deliveries: echo-message is never
 * asked for, so no one gets their own back) or at --timeout, and prints one
 * line of JSON on stdout; diagnostics go to stderr. Exit 0 when complete.
 *
 * One thread, epoll, non-blocking sockets. Every pass reads first: ngIRCd
 * drops a client whose 32 KiB send queue fills, so a slow reader would
 * measure this program. A client writes at most one buffer (OUT_FILL) per
 * pass, so the loop keeps coming back to read.
 *
 * Reading first is not enough on its own: one process reads C-1 lines for
 * every line it sends, and a server takes input faster than this process
 * can read the fan-out, so without a bound the backlog grows until ngIRCd
 * drops clients (50 clients x 10,000 messages did, on 2 cores). --window W
 * (default 2000) caps the deliveries outstanding (sent x (C-1) - received)
 * at W per client; 0 lifts the cap. It also keeps the full-speed latency a
 * measure of the server, not of a queue the generator built.
 *
 * Latency goes into a histogram of 10 us buckets (60 s, then one overflow
 * bucket); the maximum is kept exactly.
 *
 * usage: irc_load --clients C --messages M --channel '#chorus'
 *                 --servers HOST:PORT[,HOST:PORT...] [--pass SECRET]
 *                 [--rate MSGS_PER_S] [--window W] [--timeout S]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP      (64 * 1024)   /* a client's unparsed input */
#define OUT_CAP     (16 * 1024)   /* a client's unwritten output */
#define OUT_FILL    (8 * 1024)    /* PRIVMSGs are added only up to here: room for PONGs */
#define MSG_MAX     160           /* longest PRIVMSG line we format */
#define READ_BUDGET (256 * 1024)  /* bytes read per client per pass */
#define HIST_NS     10000         /* histogram bucket: 10 us */
#define HIST_N      6000001       /* 60 s of buckets and one for the rest */
#define STALL_NS    (3 * 1000000000LL)  /* after a disconnect: end once this quiet */
#define MAX_DIAG    20            /* server complaints echoed to stderr */

enum cstate { C_CONNECTING, C_REGISTERING, C_JOINING, C_JOINED, C_CLOSED };

struct client {
	int fd, idx;
	enum cstate state;
	bool blocked;                 /* the last write hit EAGAIN: waiting for EPOLLOUT */
	size_t in_len, out_len;
	int sent;                     /* PRIVMSGs written into out */
	long long received;           /* PRIVMSGs from others */
	int members;                  /* how many of member[] are set */
	unsigned char *member;        /* this client's view of the channel, by index */
	int *next_seq;                /* per sender: the sequence number expected next */
	char in[IN_CAP], out[OUT_CAP];
};

static struct {
	int clients, messages, nservers;
	const char *channel, *pass;
	double rate, timeout;
	long long window;             /* deliveries outstanding per client at most (0: no cap) */
	struct addrinfo **servers;

	struct client *c;
	int ep;
	bool loading;                 /* the PRIVMSG phase has begun */
	long long t_load, t_first_send, t_last_recv, t_last_progress;
	int joined, ready;            /* own JOINs seen; clients that see all C members */
	long long sent, deliveries, expected, out_of_order, echoes, quits, max_ns;
	int disconnects, diag;
} run;

static uint32_t hist[HIST_N];

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fprintf(stderr, "irc_load: out of memory\n");
		exit(2);
	}
	return p;
}

static void diag(const struct client *c, const char *what, const char *line)
{
	if (run.diag++ < MAX_DIAG)
		fprintf(stderr, "irc_load: client %d (server %d): %s%s\n", c->idx,
			c->idx % run.nservers, what, line);
}

/* Queue a control line (registration, JOIN, PONG); it goes out with the next write. */
static void queue(struct client *c, const char *line)
{
	size_t n = strlen(line);
	if (c->out_len + n + 2 > OUT_CAP) {
		diag(c, "output full, dropped: ", line);
		return;
	}
	memcpy(c->out + c->out_len, line, n);
	memcpy(c->out + c->out_len + n, "\r\n", 2);
	c->out_len += n + 2;
}

static void close_client(struct client *c, const char *why)
{
	if (c->state == C_CLOSED)
		return;
	diag(c, "connection closed: ", why);
	epoll_ctl(run.ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = C_CLOSED;
	run.disconnects++;
}

static void watch(struct client *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
	epoll_ctl(run.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* The index N of a nick "loadN" (after any @+ prefix, up to ! or space), else -1. */
static int nick_index(const char *s)
{
	while (*s == '@' || *s == '+' || *s == '%' || *s == '~' || *s == '&')
		s++;
	if (strncasecmp(s, "load", 4) != 0 || s[4] < '0' || s[4] > '9')
		return -1;
	char *end;
	long n = strtol(s + 4, &end, 10);
	if ((*end && *end != '!' && *end != ' ' && *end != '@') || n < 0 || n >= run.clients)
		return -1;
	return (int)n;
}

static void see_member(struct client *c, int n)
{
	if (n >= 0 && !c->member[n]) {
		c->member[n] = 1;
		if (++c->members == run.clients)
			run.ready++;
	}
}

static void on_privmsg(struct client *c, const char *text, long long now)
{
	int sender, seq;
	long long ns;
	if (sscanf(text, "L %d %d %lld", &sender, &seq, &ns) != 3 || sender < 0 || sender >= run.clients)
		return;
	if (sender == c->idx) {
		if (run.echoes++ < 3)
			diag(c, "got its own message back: ", text);
		return;
	}
	if (seq != c->next_seq[sender] && run.out_of_order++ < 5) {
		char what[100];
		snprintf(what, sizeof what, "from client %d: seq %d, expected %d", sender, seq, c->next_seq[sender]);
		diag(c, what, "");
	}
	c->next_seq[sender] = seq + 1;
	long long lat = now - ns < 0 ? 0 : now - ns;
	hist[lat / HIST_NS < HIST_N - 1 ? lat / HIST_NS : HIST_N - 1]++;
	if (lat > run.max_ns)
		run.max_ns = lat;
	c->received++;
	run.deliveries++;
	run.t_last_recv = run.t_last_progress = now;
}

/* One line from the server, without its CR LF. */
static void on_line(struct client *c, char *line, long long now)
{
	char *prefix = NULL, *cmd = line;
	if (*line == ':') {
		prefix = line + 1;
		cmd = strchr(line, ' ');
		if (!cmd)
			return;
		*cmd++ = '\0';
	}
	char *params = strchr(cmd, ' ');
	if (params)
		*params++ = '\0';
	else
		params = cmd + strlen(cmd);
	char *trailing = strstr(params, " :");
	trailing = trailing ? trailing + 2 : (*params == ':' ? params + 1 : NULL);

	if (strcmp(cmd, "PRIVMSG") == 0) {
		if (trailing)
			on_privmsg(c, trailing, now);
	} else if (strcmp(cmd, "PING") == 0) {
		char pong[600];
		snprintf(pong, sizeof pong, "PONG %s", params);
		queue(c, pong);
	} else if (strcmp(cmd, "001") == 0 && c->state == C_REGISTERING) {
		char join[300];
		snprintf(join, sizeof join, "JOIN %s", run.channel);
		queue(c, join);
		c->state = C_JOINING;
	} else if (strcmp(cmd, "JOIN") == 0 && prefix) {
		int n = nick_index(prefix);
		if (n == c->idx && c->state == C_JOINING) {
			c->state = C_JOINED;
			run.joined++;
		}
		see_member(c, n);
	} else if (strcmp(cmd, "353") == 0 && trailing) {
		for (char *save, *nick = strtok_r(trailing, " ", &save); nick; nick = strtok_r(NULL, " ", &save))
			see_member(c, nick_index(nick));
	} else if ((strcmp(cmd, "QUIT") == 0 || strcmp(cmd, "PART") == 0 || strcmp(cmd, "KICK") == 0 ||
		    strcmp(cmd, "KILL") == 0) && prefix) {
		/* no one leaves during a run: a server split or dropped someone, and what
		 * was sent meanwhile is lost */
		run.quits++;
		diag(c, cmd, trailing ? trailing - 1 : params);
	} else if (strcmp(cmd, "ERROR") == 0) {
		diag(c, "ERROR ", params);
	} else if ((cmd[0] == '4' || cmd[0] == '5') && strlen(cmd) == 3) {
		diag(c, cmd, trailing ? trailing - 1 : params);
	}
}

static void on_readable(struct client *c)
{
	size_t budget = READ_BUDGET;
	while (c->state != C_CLOSED && budget > 0) {
		ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			close_client(c, n == 0 ? "end of stream" : strerror(errno));
			return;
		}
		long long now = mono_ns();    /* one arrival time for what this read brought */
		budget -= (size_t)n < budget ? (size_t)n : budget;
		c->in_len += (size_t)n;
		char *p = c->in, *end = c->in + c->in_len, *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			*nl = '\0';
			if (nl > p && nl[-1] == '\r')
				nl[-1] = '\0';
			on_line(c, p, now);
			p = nl + 1;
		}
		c->in_len = (size_t)(end - p);
		memmove(c->in, p, c->in_len);
		if (c->in_len == IN_CAP) {
			diag(c, "line longer than the input buffer, dropped", "");
			c->in_len = 0;
		}
	}
}

/* How many PRIVMSGs client i may have sent by now: M, or per --rate the ones due. */
static int due(int i, long long now)
{
	if (!run.loading)
		return 0;
	if (run.window > 0 && run.sent * (run.clients - 1) - run.deliveries >= run.window * run.clients)
		return 0;
	if (run.rate <= 0)
		return run.messages;
	/* message k of client i is number k*C + i of the whole schedule */
	double slots = (double)(now - run.t_load) * run.rate / 1e9 - i;
	long long k = slots < 0 ? 0 : (long long)(slots / run.clients) + 1;
	return k < run.messages ? (int)k : run.messages;
}

/* Top the output up with the PRIVMSGs due and write it once. */
static void flush(struct client *c, long long now)
{
	if (c->state != C_JOINED && c->state != C_REGISTERING && c->state != C_JOINING)
		return;
	while (c->sent < due(c->idx, now) && c->out_len + MSG_MAX <= OUT_FILL) {
		long long ts = mono_ns();
		int n = snprintf(c->out + c->out_len, MSG_MAX, "PRIVMSG %s :L %d %d %lld\r\n",
				 run.channel, c->idx, c->sent, ts);
		c->out_len += (size_t)n;
		c->sent++;
		run.sent++;
		if (!run.t_first_send)
			run.t_first_send = ts;
	}
	if (c->out_len == 0 || c->blocked)
		return;
	ssize_t n = write(c->fd, c->out, c->out_len);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		close_client(c, strerror(errno));
		return;
	}
	if (n > 0) {
		c->out_len -= (size_t)n;
		memmove(c->out, c->out + n, c->out_len);
	}
	if (c->out_len > 0) {
		c->blocked = true;
		watch(c, true);
	}
}

static bool wants_write(const struct client *c, long long now)
{
	return c->state != C_CLOSED && c->state != C_CONNECTING && !c->blocked &&
	       (c->out_len > 0 || c->sent < due(c->idx, now));
}

static void on_connected(struct client *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		close_client(c, strerror(err));
		return;
	}
	char line[300];
	if (run.pass) {
		snprintf(line, sizeof line, "PASS %s", run.pass);
		queue(c, line);
	}
	snprintf(line, sizeof line, "NICK load%d", c->idx);
	queue(c, line);
	snprintf(line, sizeof line, "USER load%d 0 * :irc_load", c->idx);
	queue(c, line);
	c->state = C_REGISTERING;
	watch(c, false);
}

static void start(struct client *c)
{
	struct addrinfo *ai = run.servers[c->idx % run.nservers];
	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (c->fd < 0) {
		perror("irc_load: socket");
		exit(2);
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->state = C_CONNECTING;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	epoll_ctl(run.ep, EPOLL_CTL_ADD, c->fd, &ev);
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		close_client(c, strerror(errno));
}

static double pct_ms(double p)
{
	long long want = (long long)(p * (double)run.deliveries), seen = 0;
	if (want >= run.deliveries)
		want = run.deliveries - 1;
	for (long i = 0; i < HIST_N - 1; i++) {
		seen += hist[i];
		if (seen > want)
			return ((double)i + 0.5) * HIST_NS / 1e6;
	}
	return (double)run.max_ns / 1e6;
}

static void report(void)
{
	double secs = run.deliveries ? (double)(run.t_last_recv - run.t_first_send) / 1e9 : 0;
	printf("{\"clients\": %d, \"messages\": %d, \"servers\": %d, \"rate\": %g, \"window\": %lld, "
	       "\"deliveries\": %lld, \"expected\": %lld, \"complete\": %s, \"seconds\": %.3f, "
	       "\"deliveries_per_s\": %.0f, ",
	       run.clients, run.messages, run.nservers, run.rate, run.window, run.deliveries, run.expected,
	       run.deliveries == run.expected ? "true" : "false", secs,
	       secs > 0 ? (double)run.deliveries / secs : 0.0);
	if (run.deliveries)
		printf("\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, ",
		       pct_ms(0.50), pct_ms(0.99), (double)run.max_ns / 1e6);
	else
		printf("\"p50_ms\": null, \"p99_ms\": null, \"max_ms\": null, ");
	printf("\"joined\": %d, \"ready\": %d, \"out_of_order\": %lld, \"echoes\": %lld, "
	       "\"quits_seen\": %lld, \"disconnects\": %d}\n",
	       run.joined, run.ready, run.out_of_order, run.echoes, run.quits, run.disconnects);
}

static void usage(void)
{
	fprintf(stderr, "usage: irc_load --clients C --messages M --channel CHAN "
		"--servers HOST:PORT[,HOST:PORT...] [--pass SECRET] [--rate MSGS_PER_S] [--window W] "
		"[--timeout S]\n");
	exit(2);
}

static void parse_servers(char *list)
{
	for (char *save, *hp = strtok_r(list, ",", &save); hp; hp = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(hp, ':');
		if (!colon)
			usage();
		*colon = '\0';
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
		int err = getaddrinfo(hp, colon + 1, &hints, &ai);
		if (err) {
			fprintf(stderr, "irc_load: %s:%s: %s\n", hp, colon + 1, gai_strerror(err));
			exit(2);
		}
		run.servers = realloc(run.servers, sizeof *run.servers * (size_t)(run.nservers + 1));
		if (!run.servers)
			exit(2);
		run.servers[run.nservers++] = ai;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clients", required_argument, NULL, 'c' }, { "messages", required_argument, NULL, 'm' },
		{ "channel", required_argument, NULL, 'C' }, { "servers", required_argument, NULL, 's' },
		{ "pass", required_argument, NULL, 'p' },    { "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' }, { "window", required_argument, NULL, 'w' },
		{ 0, 0, 0, 0 },
	};
	run.clients = 50, run.messages = 1000, run.channel = "#chorus", run.timeout = 60, run.window = 2000;
	for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (o) {
		case 'c': run.clients = atoi(optarg); break;
		case 'm': run.messages = atoi(optarg); break;
		case 'C': run.channel = optarg; break;
		case 's': parse_servers(optarg); break;
		case 'p': run.pass = optarg; break;
		case 'r': run.rate = atof(optarg); break;
		case 't': run.timeout = atof(optarg); break;
		case 'w': run.window = atoll(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || run.nservers == 0 || run.clients < 2 || run.messages < 0 || run.timeout <= 0)
		usage();
	run.expected = (long long)run.clients * (run.clients - 1) * run.messages;
	run.c = xcalloc((size_t)run.clients, sizeof *run.c);
	run.ep = epoll_create1(EPOLL_CLOEXEC);
	if (run.ep < 0) {
		perror("irc_load: epoll_create1");
		return 2;
	}
	for (int i = 0; i < run.clients; i++) {
		run.c[i].idx = i;
		run.c[i].next_seq = xcalloc((size_t)run.clients, sizeof(int));
		run.c[i].member = xcalloc((size_t)run.clients, 1);
		start(&run.c[i]);
	}

	long long deadline = mono_ns() + (long long)(run.timeout * 1e9);
	struct epoll_event evs[256];
	for (unsigned pass = 0;;) {
		long long now = mono_ns();
		if (now >= deadline || run.deliveries == run.expected)
			break;
		if (run.disconnects && (!run.loading || now - run.t_last_progress > STALL_NS))
			break;                /* the expected total is out of reach */
		bool ready = false;
		for (int i = 0; i < run.clients && !ready; i++)
			ready = wants_write(&run.c[i], now);
		int timeout = ready ? 0 : run.loading && run.rate > 0 ? 1 : 50;
		int n = epoll_wait(run.ep, evs, 256, timeout);
		if (n < 0 && errno != EINTR) {
			perror("irc_load: epoll_wait");
			return 2;
		}
		for (int i = 0; i < n; i++) {         /* reads first */
			struct client *c = evs[i].data.ptr;
			if (c->state != C_CONNECTING && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				on_readable(c);
		}
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			if (c->state == C_CONNECTING)
				on_connected(c);
			else if (c->blocked && (evs[i].events & EPOLLOUT)) {
				c->blocked = false;
				watch(c, false);
			}
		}
		now = mono_ns();
		if (!run.loading && run.joined == run.clients && run.ready == run.clients) {
			run.loading = true;
			run.t_load = run.t_last_progress = now;
		}
		pass++;                       /* who writes first turns: the window is shared */
		for (int j = 0; j < run.clients; j++) {
			struct client *c = &run.c[(pass + (unsigned)j) % (unsigned)run.clients];
			if (wants_write(c, now))
				flush(c, now);
		}
	}
	if (!run.loading)
		fprintf(stderr, "irc_load: the load never started: %d of %d clients joined, %d saw all members\n",
			run.joined, run.clients, run.ready);
	report();
	return run.deliveries == run.expected ? 0 : 1;
}
