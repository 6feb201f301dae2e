/*
 * opts — the node's command line (SPEC section 2).
 *
 * opts_parse fills a node_opts from argv.  It prints usage errors itself and
 * returns the exit code to use (2), or 0 to run, or -1 when --help or
 * --version was printed and the program should exit 0.
 */
#ifndef CHORUS_OPTS_H
#define CHORUS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPTS_MAX_JOIN 16
#define OPTS_MAX_BROKERS 8

typedef struct node_opts {
	const char *nick;
	char listen_host[64];
	uint16_t listen_port;
	bool listen_given;     /* --listen was given */
	const char *join[OPTS_MAX_JOIN];
	int njoin;
	const char *data_dir; /* NULL: the default under XDG_DATA_HOME */
	const char *secret_file;
	unsigned heartbeat_ms;
	unsigned timeout_ms;
	unsigned handshake_ms; /* for a peer connection to finish the handshake */
	bool timestamps;
	bool headless;
	bool verbose;
	bool irc;              /* --irc: accept IRC clients at irc_host:irc_port */
	char irc_host[64];
	uint16_t irc_port;
	const char *irc_channel;
	unsigned irc_register_ms; /* for an IRC client to register */
	unsigned irc_ping_ms;     /* a quiet IRC client gets PING, then as long to answer */
	bool seeds_are_peers;  /* the --join list are peers starting too */
	const char *broker[OPTS_MAX_BROKERS]; /* --broker URLs (or CHORUS_BROKER): one RabbitMQ cluster */
	int nbroker;
} node_opts;

int opts_parse(int argc, char **argv, node_opts *o);

/* Split "HOST:PORT" into host (NUL-terminated, hostcap bytes) and port. */
bool opts_split_addr(const char *s, char *host, size_t hostcap, uint16_t *port);

#endif
