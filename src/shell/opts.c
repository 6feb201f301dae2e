/* opts — see opts.h. */
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "exit_code.h"
#include "nick.h"

static const char usage_text[] =
	"usage: chorus [OPTIONS] NICK\n"
	"       chorus chatterbox [OPTIONS]\n"
	"       chorus connect NICK HOST:PORT[,HOST:PORT...]\n"
	"\n"
	"Run a Chorus node: a full peer of a decentralized group chat.\n"
	"\n"
	"  -l, --listen HOST:PORT   accept peers here (default 0.0.0.0:7420; port 0 = any free port)\n"
	"  -j, --join HOST:PORT     join the chat through any current member (repeatable);\n"
	"                           without it, a node that ran before dials the members it met\n"
	"  -d, --data DIR           identity, history and settings of this node\n"
	"                           (default $XDG_DATA_HOME/chorus/NICK, else ~/.local/share/chorus/NICK)\n"
	"      --secret-file FILE   the chat's shared secret (also: env CHORUS_SECRET)\n"
	"      --broker URL         reach the chat through a RabbitMQ broker, found by roll call:\n"
	"                           amqp://[USER:PASS@]HOST[:PORT][/VHOST] (repeatable: the nodes\n"
	"                           of one RabbitMQ cluster; also env CHORUS_BROKER); needs the secret\n"
	"      --heartbeat-ms N     heartbeat period (default 200)\n"
	"      --timeout-ms N       silence after which a peer counts as failed (default 1000)\n"
	"      --handshake-ms N     time a peer connection has to prove the secret (default 10000)\n"
	"      --timestamps         prefix every printed line with the local time HH:MM:SS\n"
	"      --headless           do not read standard input: run until SIGINT/SIGTERM\n"
	"      --irc HOST:PORT      accept IRC clients here (PASS is the secret unless on loopback)\n"
	"      --irc-channel NAME   the chat's channel for IRC clients (default #chorus)\n"
	"      --irc-register-ms N  time an IRC client has to register (default 30000)\n"
	"      --irc-ping-ms N      a quiet IRC client gets PING after N ms, and is dropped\n"
	"                           if it says nothing for N ms more (default 120000)\n"
	"  -v, --verbose            protocol log on stderr\n"
	"  -h, --help               this text\n"
	"  -V, --version            the version\n"
	"\n"
	"Type \\help in a running node for its commands.\n";

static int
usage_error(const char *fmt, const char *arg)
{
	fputs("chorus: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'chorus --help'.\n", stderr);
	return CHORUS_EXIT_USAGE;
}

bool
opts_split_addr(const char *s, char *host, size_t hostcap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char *end;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= hostcap)
		return false;
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (uint16_t)p;
	return true;
}

static bool
channel_ok(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '#' || n < 2 || n > 51)
		return false;
	return s[1 + strspn(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789-_")] == '\0';
}

static bool
parse_ms(const char *s, unsigned *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 10 || v > 600000)
		return false;
	*out = (unsigned)v;
	return true;
}

enum { OPT_SECRET = 256, OPT_HB, OPT_TIMEOUT, OPT_TS, OPT_HEADLESS, OPT_IRC, OPT_CHANNEL,
       OPT_HANDSHAKE, OPT_IRC_REGISTER, OPT_IRC_PING, OPT_BROKER };

static const struct option long_opts[] = {
	{"listen", required_argument, NULL, 'l'},
	{"join", required_argument, NULL, 'j'},
	{"data", required_argument, NULL, 'd'},
	{"secret-file", required_argument, NULL, OPT_SECRET},
	{"heartbeat-ms", required_argument, NULL, OPT_HB},
	{"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
	{"handshake-ms", required_argument, NULL, OPT_HANDSHAKE},
	{"timestamps", no_argument, NULL, OPT_TS},
	{"headless", no_argument, NULL, OPT_HEADLESS},
	{"irc", required_argument, NULL, OPT_IRC},
	{"irc-channel", required_argument, NULL, OPT_CHANNEL},
	{"irc-register-ms", required_argument, NULL, OPT_IRC_REGISTER},
	{"irc-ping-ms", required_argument, NULL, OPT_IRC_PING},
	{"broker", required_argument, NULL, OPT_BROKER},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{0},
};

static int
parse_one(int c, node_opts *o)
{
	switch (c) {
	case 'l':
		if (!opts_split_addr(optarg, o->listen_host, sizeof o->listen_host,
				     &o->listen_port))
			return usage_error("--listen wants HOST:PORT, not '%s'", optarg);
		o->listen_given = true;
		return 0;
	case 'j': {
		char host[64];
		uint16_t port;
		if (!opts_split_addr(optarg, host, sizeof host, &port) || port == 0)
			return usage_error("--join wants HOST:PORT, not '%s'", optarg);
		if (o->njoin == OPTS_MAX_JOIN)
			return usage_error("%s", "too many --join addresses");
		o->join[o->njoin++] = optarg;
		return 0;
	}
	case 'd': o->data_dir = optarg; return 0;
	case OPT_SECRET: o->secret_file = optarg; return 0;
	case OPT_HB:
		if (!parse_ms(optarg, &o->heartbeat_ms))
			return usage_error("--heartbeat-ms wants 10..600000, not '%s'", optarg);
		return 0;
	case OPT_TIMEOUT:
		if (!parse_ms(optarg, &o->timeout_ms))
			return usage_error("--timeout-ms wants 10..600000, not '%s'", optarg);
		return 0;
	case OPT_HANDSHAKE:
		if (!parse_ms(optarg, &o->handshake_ms))
			return usage_error("--handshake-ms wants 10..600000, not '%s'", optarg);
		return 0;
	case OPT_TS: o->timestamps = true; return 0;
	case OPT_HEADLESS: o->headless = true; return 0;
	case OPT_IRC:
		if (!opts_split_addr(optarg, o->irc_host, sizeof o->irc_host, &o->irc_port))
			return usage_error("--irc wants HOST:PORT, not '%s'", optarg);
		o->irc = true;
		return 0;
	case OPT_CHANNEL:
		if (!channel_ok(optarg))
			return usage_error("--irc-channel wants '#' and 1-50 letters, digits, "
					   "'-' or '_', not '%s'", optarg);
		o->irc_channel = optarg;
		return 0;
	case OPT_IRC_REGISTER:
		if (!parse_ms(optarg, &o->irc_register_ms))
			return usage_error("--irc-register-ms wants 10..600000, not '%s'", optarg);
		return 0;
	case OPT_IRC_PING:
		if (!parse_ms(optarg, &o->irc_ping_ms))
			return usage_error("--irc-ping-ms wants 10..600000, not '%s'", optarg);
		return 0;
	case OPT_BROKER:
		if (broker_lib_error())
			return usage_error("--broker: %s", broker_lib_error());
		if (!broker_url_ok(optarg))
			return usage_error("--broker wants amqp://[USER:PASS@]HOST[:PORT][/VHOST], "
					   "not '%s'", optarg);
		if (o->nbroker == OPTS_MAX_BROKERS)
			return usage_error("%s", "too many --broker URLs");
		o->broker[o->nbroker++] = optarg;
		return 0;
	case 'v': o->verbose = true; return 0;
	case 'h': fputs(usage_text, stdout); return -1;
	case 'V': printf("chorus %s\n", CHORUS_VERSION); return -1;
	default: return usage_error("%s", "invalid option");
	}
}

/* --broker (or CHORUS_BROKER): the chat is found by roll call, not --join. */
static int
broker_opts(node_opts *o)
{
	const char *env = getenv("CHORUS_BROKER");

	if (o->nbroker == 0 && env && *env) {
		if (broker_lib_error())
			return usage_error("CHORUS_BROKER: %s", broker_lib_error());
		if (!broker_url_ok(env))
			return usage_error("CHORUS_BROKER wants amqp://[USER:PASS@]HOST[:PORT][/VHOST], "
					   "not '%s'", env);
		o->broker[o->nbroker++] = env;
	}
	if (o->nbroker == 0)
		return 0;
	if (o->njoin)
		return usage_error("%s", "--broker and --join do not go together: a node on a "
				   "broker finds the chat by roll call");
	if (!o->listen_given) { /* peers come through the broker: no port of ours is needed */
		snprintf(o->listen_host, sizeof o->listen_host, "127.0.0.1");
		o->listen_port = 0;
	}
	o->seeds_are_peers = true;
	return 0;
}

int
opts_parse(int argc, char **argv, node_opts *o)
{
	int c, rc;

	*o = (node_opts){.listen_host = "0.0.0.0", .listen_port = 7420,
			 .heartbeat_ms = 200, .timeout_ms = 1000, .handshake_ms = 10000,
			 .irc_channel = "#chorus", .irc_register_ms = 30000, .irc_ping_ms = 120000};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+l:j:d:vhV", long_opts, NULL)) != -1)
		if ((rc = parse_one(c, o)) != 0)
			return rc;
	if (optind != argc - 1)
		return usage_error("%s", optind == argc ? "a NICK is required"
							: "exactly one NICK is expected");
	o->nick = argv[optind];
	const char *why = nick_check(o->nick, strlen(o->nick));
	if (why)
		return usage_error("invalid nick: %s", why);
	if (o->timeout_ms <= o->heartbeat_ms)
		return usage_error("%s", "--timeout-ms must be longer than --heartbeat-ms");
	return broker_opts(o);
}
