/*
 * node_int — the node core's private state, shared by node.c (life cycle,
 * timers, membership transitions), node_link.c (links, dialling, sending),
 * node_recv.c (frame handlers) and node_cmd.c (user input and the message
 * path).  Nothing outside src/core/node*.c includes it.
 */
#ifndef CHORUS_NODE_INT_H
#define CHORUS_NODE_INT_H

#include "member.h"
#include "node.h"
#include "wire.h"

#define NODE_MAX_SEEDS 16
#define NODE_MAX_QUEUED 1000
#define NODE_MAX_SENT 1000
#define NODE_BACKOFF_MIN 100
#define NODE_BACKOFF_MAX 2000

typedef enum node_phase { PHASE_PROBE, PHASE_JOINING, PHASE_MEMBER, PHASE_DONE } node_phase;

typedef struct link {
	uint32_t id;
	uint64_t peer;     /* member id once its HELLO arrived, else 0 */
	uint64_t target;   /* the member an outgoing link was opened for */
	int seed;          /* index of the seed it was opened for, or -1 */
	bool up;
	bool outgoing;
	bool greeted;      /* our HELLO went out on it */
	uint64_t inc;      /* the peer's incarnation when its HELLO bound it */
	uint64_t since;    /* when it was dialled or accepted */
	char host[WIRE_MAX_HOST + 1];
} link;

typedef struct seed {
	char host[WIRE_MAX_HOST + 1];
	uint16_t port;
	uint32_t link;     /* the connect in flight or up, or 0 */
	uint64_t next_try;
	uint64_t backoff;
} seed;

typedef struct queued {
	char *text;
	size_t len;
} queued;

/*
 * A chat message kept for later: one that arrived before this node
 * announced itself (shown right after), or one of our own (handed to a
 * member whose link comes up later, see node_catch_up).
 */
typedef struct held {
	uint64_t sender;
	uint64_t seq;
	uint64_t time;
	char *text;
	size_t len;
} held;

struct node {
	node_config cfg;   /* strings point into the copies below */
	char nick[NICK_MAX + 1];
	char host[WIRE_MAX_HOST + 1];
	node_io io;
	node_phase phase;
	member_table members;
	link *links;
	int nlinks;
	int caplinks;
	seed seeds[NODE_MAX_SEEDS];
	int nseeds;
	uint64_t join_deadline;
	uint64_t next_heartbeat;
	uint64_t last_tick;
	uint64_t leader;   /* the leader last announced, 0 before announce */
	queued queue[NODE_MAX_QUEUED];
	int nqueue;

	/* Message path (direct broadcast; the replicated history replaces it). */
	held inbox[NODE_MAX_QUEUED]; /* messages held until the announce */
	int ninbox;
	held sent[NODE_MAX_SENT]; /* our latest messages, a ring, for catch-up */
	int sent_start;
	int nsent;
	uint64_t seq;       /* last sequence number this node sent */
	uint64_t delivered; /* messages shown */
	uint64_t digest;    /* running digest of the messages shown */

	wire_buf out;       /* scratch for encoding */
	wire_msg *msg;      /* the frame being handled (large) */
	wire_msg *gossip;   /* scratch for an outgoing member list (large) */
};

/* node.c */
void node_log(node *n, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void node_emit(node *n, event_kind kind, const char *nick, const char *text);
void node_finish(node *n, int code);
void node_greet(node *n, link *l);
void node_gossip(node *n, member *m, uint64_t now);
void node_set_alive(node *n, member *m, uint64_t now);
void node_depart(node *n, member *m, bool print);
void node_settle(node *n, uint64_t now);
void node_resolve_nicks(node *n);
void node_nick_taken(node *n);
void node_end_probe(node *n, const wire_msg *members, uint64_t now);

/* node_link.c */
link *node_link(node *n, uint32_t id);
link *node_link_add(node *n, uint32_t id, uint64_t now);
void node_link_gone(node *n, link *l, uint64_t now, const char *why);
void node_send(node *n, uint32_t link, const wire_msg *m);
void node_send_to(node *n, const member *m, const wire_msg *msg);
bool node_linked(node *n, const member *m);
void node_broadcast(node *n, const wire_msg *msg);
void node_close_link(node *n, link *l);
void node_close_member(node *n, member *m);
void node_close_stale(node *n, const member *m);
void node_dial_seeds(node *n, uint64_t now);
void node_dial_members(node *n, uint64_t now);
void node_expire_links(node *n, uint64_t now);

/* node_recv.c */
void node_dispatch(node *n, uint64_t now, link *l, const wire_msg *m);

/* node_cmd.c */
void node_deliver(node *n, const member *from, uint64_t seq, uint64_t time,
		  const char *text, size_t len);
void node_submit(node *n, uint64_t now, const char *text, size_t len);
void node_flush_queue(node *n, uint64_t now);
void node_catch_up(node *n, member *m);
void node_flush_held(node *n);
void node_emit_users(node *n);

#endif
