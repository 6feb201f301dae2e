/*
 * net_int — the links' private state, shared by net.c (connections,
 * listening, dialling, closing, shutdown) and net_seal.c (the handshake
 * and sealed records on a connection).  Nothing else includes it.
 */
#ifndef CHORUS_NET_INT_H
#define CHORUS_NET_INT_H

#include "idle.h"
#include "net.h"

#define READ_CHUNK (64 * 1024)
#define UNIT_HEADER 4                      /* the length before a HELLO or a record */
#define NET_MAX_QUEUED (8 * 1024 * 1024)   /* unwritten bytes before a peer is dropped */
#define NET_HANDSHAKE_UNIT 64              /* the largest unit before the handshake is done */
#define NET_ACCEPTS_PER_PASS 64            /* connections accepted in one pass of the loop */

typedef struct conn {
	uv_tcp_t tcp;           /* first: the handle's data points back here */
	net *net;
	uint32_t id;
	bool outgoing;
	bool up;                /* the TCP connection is established */
	bool open;              /* the handshake is done: the node knows it */
	bool closing;           /* net_close or an error: no more callbacks */
	bool resolving;         /* a name lookup is in flight */
	bool unfinished;        /* accepted, in the handshake: counts in nunfinished */
	char host[64];
	uint16_t port;
	uint8_t *in;            /* bytes received, not yet a whole frame */
	size_t inlen;
	size_t incap;
	uint8_t *out;           /* frames sent since the last net_flush */
	size_t outlen;
	size_t outcap;
	seal sl;
	idle life;              /* the handshake's deadline */
	struct conn *next;
} conn;

struct net {
	uv_loop_t *loop;
	net_callbacks cb;
	uv_tcp_t listener;
	bool listening;
	int accepted;           /* connections accepted in this pass of the loop */
	bool accept_waiting;    /* one more is waiting: libuv holds it until we take it */
	uint8_t psk[SEAL_KEY];
	uint8_t *plain;         /* an opened record, SEAL_MAX_PLAIN bytes */
	int nconns;             /* every connection, closing ones too */
	int nunfinished;        /* accepted and in the handshake, not closing */
	conn *conns;            /* newest first */
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
void net_conn_fail(conn *c, const char *why);
/* The handshake is done: c leaves the unfinished budget for the links'. */
bool net_conn_finished(conn *c);

/* net_seal.c */
void net_seal_start(conn *c);
void net_seal_read(conn *c);
void net_seal_flush(conn *c);

#endif
