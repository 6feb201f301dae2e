/*
 * net_int — the links' private state, shared by net.c (links,
 * listening, dialling, closing, shutdown) and net_seal.c (the handshake
 * and sealed records: the links' framer).  Nothing else includes it.
 */
#ifndef CHORUS_NET_INT_H
#define CHORUS_NET_INT_H

#include "conn.h"
#include "idle.h"
#include "net.h"

#define UNIT_HEADER 4                      /* the length before a HELLO or a record */
#define NET_MAX_QUEUED (8 * 1024 * 1024)   /* unwritten bytes before a peer is dropped */
#define NET_HANDSHAKE_UNIT 64              /* the largest unit before the handshake is done */

/* A link: one connection (conn.h) and its handshake, framed by net_seal. */
typedef struct net_peer {
	conn *c;
	net *net;
	uint32_t id;
	bool outgoing;
	bool up;                /* the TCP connection is established */
	bool open;              /* the handshake is done: the node knows it */
	bool closing;           /* net_close or an error: no more callbacks */
	bool unfinished;        /* accepted, in the handshake: counts in nunfinished */
	char host[64];
	seal sl;
	idle life;              /* the handshake's deadline */
	bool dirty;             /* frames sent since the last net_flush: on net->dirty */
	bool shaking;           /* up, in the handshake, not closing: counts in nshaking */
	struct net_peer *next;
	struct net_peer *next_dirty;
} net_peer;

struct net {
	uv_loop_t *loop;
	net_callbacks cb;
	conn_listener *listener;
	broker *broker;         /* --broker: the streams it carries are links too, or NULL */
	uint8_t psk[SEAL_KEY];
	uint8_t *plain;         /* an opened record, SEAL_MAX_PLAIN bytes */
	int npeers;             /* every link, closing ones too */
	int nunfinished;        /* accepted and in the handshake, not closing */
	int nshaking;           /* up and in the handshake, either way: net_sweep's work */
	net_peer *peers;            /* newest first */
	net_peer *dirty;        /* the peers with frames to flush */
	idle_limits lim;        /* the handshake's deadline; links have no PING */
	unsigned evicted;       /* unfinished handshakes dropped for newer ones, not logged yet */
	char evicted_host[64];  /* the last of them */
	uint64_t evict_logged;  /* when that was last logged */
	uint32_t next_id;
	uv_timer_t grace;
	void (*done)(void *);
	void *done_ctx;
	int open_handles;       /* during shutdown: handles not yet closed */
};

/* net.c */
void net_logf(net *t, const char *fmt, const char *a, const char *b);
void net_peer_fail(net_peer *p, const char *why);
/* p's handshake is over (done, or the link is going): no deadline to watch. */
void net_peer_shaken(net_peer *p);
/* The handshake is done: p leaves the unfinished budget for the links'. */
bool net_peer_finished(net_peer *p);

/* net_seal.c: the framer of a link's bytes (conn.h). */
extern const conn_framer net_seal_framer;
/* Connected: the HELLO goes out. */
void net_seal_start(net_peer *p);

#endif
