/* chatterbox — see chatterbox.h. */
#define _XOPEN_SOURCE 700
#include "chatterbox.h"

#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "chatter.h"
#include "exit_code.h"
#include "node.h"
#include "opts.h"
#include "run.h"

#define MAX_PEERS OPTS_MAX_JOIN
#define SEND_PER_TURN 2000 /* lines handed to the node in one loop pass, at most */

enum phase { CONNECTING, SENDING, WAITING, DONE };

typedef struct chatter_run {
	uint64_t rng;           /* the generator's state */
	unsigned send_ms, wait_ms, tick_ms, connect_ms;
	int npeers;             /* the others in the peers file */
	enum phase phase;
	uint64_t started;       /* loop time of the first turn */
	uint64_t phase_end;
	uint64_t next_send;     /* with --tick-duration */
	uint64_t sent;
	bool verbose;
	node *core;             /* the node it drives (set by its maker) */
} chatter_run;

static const char usage_text[] =
	"usage: chorus chatterbox [-h HOST] [-p PORT] [--peer-config-file FILE]\n"
	"                         [--send-for SECONDS] [--wait-for SECONDS]\n"
	"                         [--with-seed N] [--tick-duration MS]\n"
	"                         [--connect-timeout SECONDS] [-v]\n"
	"\n"
	"Every node of the peers file (a JSON array of \"host:port:0\" strings or\n"
	"{\"host\": ..., \"port\": ...} objects, this node included) sends random\n"
	"numbers in (0, 1] for --send-for seconds (default 3), then only syncs for\n"
	"--wait-for seconds (default 1), then prints (COUNT, SUM) and exits 0.\n"
	"Defaults: -h 127.0.0.1 -p 3000 --peer-config-file peers.json\n"
	"--connect-timeout 10; the seed is random unless --with-seed N.\n"
	"The chat secret is CHORUS_SECRET when set (else a fixed one: the run is\n"
	"then not closed to others).\n";

/* --- the peers file --------------------------------------------------- */

typedef struct peer {
	char host[64];
	unsigned port;
} peer;

static bool
peer_of(json_t *e, peer *p)
{
	if (json_is_string(e)) {
		/* "host:port" or the original's "host:port:0" */
		char buf[128], *port, *tail;
		snprintf(buf, sizeof buf, "%s", json_string_value(e));
		if ((port = strchr(buf, ':')) == NULL)
			return false;
		*port++ = '\0';
		if ((tail = strchr(port, ':')) != NULL)
			*tail = '\0';
		snprintf(p->host, sizeof p->host, "%.63s", buf);
		p->port = (unsigned)strtoul(port, NULL, 10);
	} else if (json_is_object(e)) {
		json_t *h = json_object_get(e, "host"), *pt = json_object_get(e, "port");
		if (!json_is_string(h) || !json_is_integer(pt))
			return false;
		snprintf(p->host, sizeof p->host, "%.63s", json_string_value(h));
		p->port = (unsigned)json_integer_value(pt);
	} else {
		return false;
	}
	return p->host[0] && p->port > 0 && p->port < 65536;
}

static int
read_peers(const char *file, peer *out, int cap)
{
	json_error_t err;
	json_t *root = json_load_file(file, 0, &err);
	int n = 0;

	if (root == NULL) {
		fprintf(stderr, "chorus: cannot read %s: %s (line %d)\n", file, err.text, err.line);
		return -1;
	}
	if (!json_is_array(root) || json_array_size(root) > (size_t)cap) {
		fprintf(stderr, "chorus: %s: want a JSON array of at most %d peers\n", file, cap);
		json_decref(root);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(root); i++)
		if (!peer_of(json_array_get(root, i), &out[n++])) {
			fprintf(stderr, "chorus: %s: entry %zu is not \"host:port\" or "
					"{\"host\", \"port\"}\n", file, i + 1);
			json_decref(root);
			return -1;
		}
	json_decref(root);
	return n;
}

/* --- the command line ---------------------------------------------------- */

static bool
seconds(const char *s, unsigned *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 86400)
		return false;
	*ms = (unsigned)(v * 1000);
	return true;
}

typedef struct args {
	const char *host;
	unsigned port;
	const char *peers;
	bool seeded;
	uint64_t seed;
} args;

enum { O_PEERS = 256, O_SEND, O_WAIT, O_SEED, O_TICK, O_CONNECT, O_HELP, O_VERSION };

static const struct option long_opts[] = {
	{"peer-config-file", required_argument, NULL, O_PEERS},
	{"send-for", required_argument, NULL, O_SEND},
	{"wait-for", required_argument, NULL, O_WAIT},
	{"with-seed", required_argument, NULL, O_SEED},
	{"tick-duration", required_argument, NULL, O_TICK},
	{"connect-timeout", required_argument, NULL, O_CONNECT},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, O_HELP},
	{"version", no_argument, NULL, O_VERSION},
	{0},
};

/* 0: run; -1: printed help or version; else the exit code (2). */
static int
parse(int argc, char **argv, args *a, chatter_run *c)
{
	int opt;
	bool ok = true;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h:p:v", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'h': a->host = optarg; break;
		case 'p': a->port = (unsigned)strtoul(optarg, NULL, 10); ok &= a->port > 0 && a->port < 65536; break;
		case O_PEERS: a->peers = optarg; break;
		case O_SEND: ok &= seconds(optarg, &c->send_ms); break;
		case O_WAIT: ok &= seconds(optarg, &c->wait_ms); break;
		case O_CONNECT: ok &= seconds(optarg, &c->connect_ms); break;
		case O_TICK: c->tick_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_SEED: a->seed = strtoull(optarg, NULL, 10); a->seeded = true; break;
		case 'v': c->verbose = true; break;
		case O_HELP: fputs(usage_text, stdout); return -1;
		case O_VERSION: printf("chorus %s\n", CHORUS_VERSION); return -1;
		default: fputs(usage_text, stderr); return CHORUS_EXIT_USAGE;
		}
		if (!ok) {
			fprintf(stderr, "chorus: bad value for an option: '%s'\n", optarg);
			return CHORUS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "chorus: chatterbox takes no arguments: '%s'\n", argv[optind]);
		return CHORUS_EXIT_USAGE;
	}
	return 0;
}

/* --- the run ------------------------------------------------------------- */

static bool
count_one(void *arg, const hist_rec *r)
{
	uint64_t units;

	if (r->kind == HIST_CHAT && chatter_parse(r->text, r->len, &units))
		chatter_add(arg, units);
	return true;
}

static void
finish(chatter_run *c)
{
	chatter_sum sum = {0};
	char line[128];

	node_scan(c->core, count_one, &sum);
	chatter_result(&sum, line, sizeof line);
	puts(line);
	fflush(stdout);
	if (c->verbose)
		fprintf(stderr, "chorus: sent %llu\n", (unsigned long long)c->sent);
	c->phase = DONE;
}

static void
send_some(chatter_run *c, node *core, uint64_t now)
{
	char text[16];

	for (int k = 0; k < SEND_PER_TURN && !node_busy(core); k++) {
		if (c->tick_ms) {
			if (now < c->next_send)
				return;
			c->next_send += c->tick_ms;
		}
		size_t len = chatter_format(chatter_next(&c->rng), text);
		node_input(core, now, text, len);
		c->sent++;
	}
}

static bool
first_one(void *arg, const hist_rec *r)
{
	*(uint64_t *)arg = hlc_ms(r->hlc);
	return false;
}

static uint64_t
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The send phase, which began with the earliest number anyone sent: a node
 * that starts late joins it in progress, so that all stop together.
 */
static uint64_t
send_end(chatter_run *c, uint64_t now)
{
	uint64_t first = 0, wall = wall_now();

	node_scan(c->core, first_one, &first); /* stops at the first */
	if (first == 0 || first > wall)
		return now + c->send_ms;
	return wall - first >= c->send_ms ? now : now + c->send_ms - (wall - first);
}

/*
 * One turn of the loop (after the batch was committed): start sending,
 * send what the node takes, print the result when it is time.  True when
 * the run is over and the node should leave.
 */
static bool
turn(void *self, uint64_t now)
{
	chatter_run *c = self;
	node *core = c->core;
	uint64_t ids[MAX_PEERS + 1];

	if (c->started == 0)
		c->started = now;
	switch (c->phase) {
	case CONNECTING:
		/*
		 * Everyone is there, or someone already sends, or we waited
		 * long enough for the rest.
		 */
		if (node_members(core, ids, MAX_PEERS + 1) < c->npeers + 1 &&
		    node_history_count(core) == 0 && now < c->started + c->connect_ms)
			return false;
		c->phase = SENDING;
		c->phase_end = send_end(c, now);
		c->next_send = now;
		/* fall through */
	case SENDING:
		if (now < c->phase_end) {
			send_some(c, core, now);
			return false;
		}
		c->phase = WAITING;
		/* Print while there is still some of the wait left. */
		c->phase_end = now + c->wait_ms - (c->wait_ms / 4 < 250 ? c->wait_ms / 4 : 250);
		return false;
	case WAITING:
		if (now < c->phase_end)
			return false;
		finish(c);
		return true;
	case DONE:
		return false;
	}
	return false;
}

static const front_ops chatter_ops = {.turn = turn};

/* The chatterbox as the node's one front end: it prints only its result. */
static int
chatter_front(void *arg, const front_env *env, front *out)
{
	chatter_run *c = arg;

	c->core = env->core;
	*out = (front){&chatter_ops, c, 0};
	return 1;
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
chatter_main(int argc, char **argv)
{
	static chatter_run c = {.send_ms = 3000, .wait_ms = 1000, .connect_ms = 10000};
	static char joins[MAX_PEERS][80];
	args a = {.host = "127.0.0.1", .port = 3000, .peers = "peers.json"};
	peer peers[MAX_PEERS + 1];
	node_opts o = {.heartbeat_ms = 200, .timeout_ms = 1000, .headless = true,
		       .seeds_are_peers = true};
	front_plug plug = {chatter_front, &c};
	char nick[16], dir[] = "/tmp/chorus-chatterbox-XXXXXX";
	int rc = parse(argc, argv, &a, &c), n, self = -1;

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((n = read_peers(a.peers, peers, MAX_PEERS + 1)) < 0)
		return CHORUS_EXIT_USAGE;
	for (int i = 0; i < n; i++) {
		if (self < 0 && peers[i].port == a.port && strcmp(peers[i].host, a.host) == 0) {
			self = i;
			continue;
		}
		snprintf(joins[o.njoin], sizeof joins[0], "%.63s:%u", peers[i].host, peers[i].port);
		o.join[o.njoin] = joins[o.njoin];
		o.njoin++;
	}
	if (self < 0) {
		fprintf(stderr, "chorus: %s:%u is not in %s\n", a.host, a.port, a.peers);
		return CHORUS_EXIT_USAGE;
	}
	c.npeers = o.njoin;
	if (!a.seeded && getrandom(&a.seed, sizeof a.seed, 0) != sizeof a.seed)
		a.seed = (uint64_t)getpid();
	/* Each node its own stream of the run's seed. */
	c.rng = a.seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(self + 1));
	snprintf(nick, sizeof nick, "n%d", self);
	snprintf(o.listen_host, sizeof o.listen_host, "%s", a.host);
	o.listen_port = (uint16_t)a.port;
	o.nick = nick;
	o.verbose = c.verbose;
	if (mkdtemp(dir) == NULL) {
		perror("chorus: mkdtemp");
		return CHORUS_EXIT_IO;
	}
	o.data_dir = dir;
	setenv("CHORUS_SECRET", getenv("CHORUS_SECRET") ? getenv("CHORUS_SECRET")
							  : "chorus chatterbox", 1);
	rc = run_node(&o, &plug, 1);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return rc;
}
