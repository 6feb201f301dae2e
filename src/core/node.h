/*
 * node — the protocol core of one Chorus node.
 *
 * The core is pure: it never reads a clock, a socket or a file.  The shell
 * (or the simulator) feeds it events — a link came up or went down, a frame
 * arrived, time passed, the user typed a line — each with the current time
 * in milliseconds, and the core answers through the callbacks in node_io:
 * open or close a link, send a frame, report an event to the user, log,
 * exit.  Callbacks must not call back into the core.
 *
 * Life of a node:
 *
 *   PROBE   (only with seeds) connect to the --join addresses; the first
 *           member list received fixes this node's incarnation above every
 *           member it lists, so that a newcomer is always the junior.
 *   JOINING link to every member learned; announce once all are linked or
 *           after timeout-ms: print [JOIN] self, [USERS], [LEADER].
 *   MEMBER  heartbeats, failure detection, gossip, chat: first waiting for
 *           every member's answer before our lines go out, and catching up
 *           before records are shown as they come (node_int.h draws it).
 *   DONE    left, rejected or removed; every entry point is a no-op.
 *
 * Link ids are chosen by the shell and are never 0.
 */
#ifndef CHORUS_NODE_H
#define CHORUS_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "hist.h"
#include "sign.h"
#include "wire.h"

typedef struct node node;

/* A member met in an earlier life, and where it was reached. */
typedef struct node_peer {
	uint64_t id;
	char nick[NICK_MAX + 1];
	char host[WIRE_MAX_HOST + 1];
	uint16_t port;
} node_peer;

typedef struct node_config {
	uint64_t id;            /* this node's identity: sign_id(sign_pk) */
	const uint8_t *sign_pk; /* its Ed25519 key pair (copied) */
	const uint8_t *sign_sk;
	uint64_t inc;           /* incarnation: wall time in ms at start */
	const char *nick;
	const char *host;       /* advertised listen host; "" = as seen by peers */
	uint16_t port;          /* listen port */
	const char *const *seeds; /* "HOST:PORT" to join through */
	int nseeds;
	/*
	 * The seeds are peers, not ways in (a cluster whose nodes all start
	 * at once, chatterbox): start as if first, and keep dialling each
	 * seed, in every phase, until a link to it is bound.  More may come
	 * later (node_add_seed: the members a roll call found).
	 */
	bool seeds_are_peers;
	/*
	 * Without seeds: members remembered from an earlier life (store_peer).
	 * The node starts as if first, dials them, and merges with those that
	 * answer.
	 */
	const node_peer *peers;
	int npeers;
	unsigned heartbeat_ms;
	unsigned timeout_ms;
	uint64_t wall_ms;       /* the wall clock (ms since 1970) at node_new */
	/*
	 * The wall clock when the user started the program, before its store
	 * and key were opened (0: wall_ms).  What is said after it is news
	 * here, shown live; what was said before it is the backlog.
	 */
	uint64_t started_ms;
	uint64_t mark_hlc;      /* the key of the last record shown in an ... */
	uint64_t mark_sender;   /* ... earlier life (store_mark), else 0 */
	/*
	 * The incarnation an earlier life last told (store_inc), else 0: this
	 * life's is above it even when inc (the wall clock) is not -- a life
	 * that took an incarnation past the members' must not come back
	 * below it, or the others would take it for its own past.
	 */
	uint64_t last_inc;
	/*
	 * Clock reports go through the seniors once the chat has this many
	 * other live members (node_report.c); 0: NODE_RELAY_FROM.  Tests set 1.
	 */
	unsigned relay_from;
} node_config;

enum node_log { NODE_LOG_ALWAYS, NODE_LOG_VERBOSE };

typedef struct node_io {
	void *ctx;
	/* Open a link; the shell answers later with node_link_up or _down. */
	uint32_t (*connect)(void *ctx, const char *host, uint16_t port);
	/* Queue a whole frame on a link that is up; the bytes are copied. */
	void (*send)(void *ctx, uint32_t link, const uint8_t *frame, size_t len);
	/*
	 * Flush what is queued, then close.  No node_link_down follows.  May
	 * come for a connect still in flight (one that got no answer within
	 * timeout-ms): cancel it; no node_link_up follows either.
	 */
	void (*close)(void *ctx, uint32_t link);
	void (*event)(void *ctx, const event *ev);
	void (*log)(void *ctx, int level, const char *line);
	/*
	 * A guest attached here (node_guest_join) changes: NODE_GUEST_RENAMED
	 * (nick is now arg: it lost the nick to another session) or
	 * NODE_GUEST_KICKED (removed by the leader arg; it is detached).  May be NULL.
	 */
	void (*guest)(void *ctx, int what, const char *nick, const char *arg);
	/* The node is done: flush the links and exit with this code. */
	void (*exit)(void *ctx, int code);
	/* Bytes queued on a link and not yet written. */
	size_t (*pending)(void *ctx, uint32_t link);

	/*
	 * The store.  store_put and store_mark are part of the current batch:
	 * the shell makes the batch durable before any frame or event that
	 * followed them leaves the process (group commit), and exits when it
	 * cannot.  The readers see the batch's records too.
	 */
	void (*store_put)(void *ctx, const hist_rec *r);
	/* A member became reachable: remember it for the next life. */
	void (*store_peer)(void *ctx, const node_peer *p);
	/* A signature that covers records just stored (same batch). */
	void (*store_sig)(void *ctx, const hist_sig *s);
	/* The first signature of sender at or after seq: 1 and *out, or 0. */
	int (*store_sig_at)(void *ctx, uint64_t sender, uint64_t seq, hist_sig *out);
	/* The key of the last record shown, for the next life. */
	void (*store_mark)(void *ctx, uint64_t hlc, uint64_t sender);
	/* Our incarnation, before any link is told it: for the next life's last_inc. */
	void (*store_inc)(void *ctx, uint64_t inc);
	/* Up to max records of one sender from sequence from on, in order. */
	int (*store_range)(void *ctx, uint64_t sender, uint64_t from, int max,
			   hist_visit *fn, void *arg);
	/* The last n records in history order, oldest first. */
	int (*store_recent)(void *ctx, int n, hist_visit *fn, void *arg);
	/* Every record in history order (by node_new, and node_scan). */
	int (*store_scan)(void *ctx, hist_visit *fn, void *arg);
	/*
	 * Lines typed that cannot be sent yet (SPEC 5.10): kept in the store
	 * (part of the current batch), in order, until the records they become
	 * are stored, when the store forgets them all (same batch).  r's
	 * sender, seq and stamp are 0: it is not a record yet; r->nick is ""
	 * for our own lines, else a guest's.  store_pending_scan visits those
	 * kept in an earlier life, once, by node_new.  All three may be NULL.
	 */
	void (*store_pending)(void *ctx, const hist_rec *r);
	void (*store_pending_clear)(void *ctx);
	int (*store_pending_scan)(void *ctx, hist_visit *fn, void *arg);
} node_io;

/*
 * node_create makes a node that does nothing yet (the config's strings are
 * copied), so that a caller can wire it to what it drives before the first
 * event comes out; node_start then begins it: it reads the store, and may
 * already print and dial.  node_new is both at once.
 */
node *node_create(const node_config *cfg, const node_io *io);
void node_start(node *n, uint64_t now);
node *node_new(const node_config *cfg, const node_io *io, uint64_t now);
void node_free(node *n);

void node_tick(node *n, uint64_t now);
/*
 * An outgoing connect succeeded, or an incoming link was accepted.
 * binding: 32 bytes that name this session at both ends (seal.h), which
 * each end signs to prove its identity; NULL when links are not sealed
 * (the simulator).
 */
void node_link_up(node *n, uint64_t now, uint32_t link, bool outgoing,
		  const char *remote_host, const uint8_t *binding);
/* A link closed or a connect failed; why is for the log. */
void node_link_down(node *n, uint64_t now, uint32_t link, const char *why);
/* One frame body (after the length prefix) arrived on a link. */
void node_frame(node *n, uint64_t now, uint32_t link, const uint8_t *body,
		size_t len);
/* A line the node's own user typed (no newline); its answers go to io.event. */
void node_input(node *n, uint64_t now, const char *line, size_t len);
/*
 * A command typed by a user of a front end (an IRC client's \list_users),
 * answered to whoever asked: every event it causes, all of them before
 * node_ask returns, goes to answer(arg, ev) instead of io.event, so the
 * node's own user and the front end's other users never see it.  ev and
 * its strings are valid for the call only; answer must not call back into
 * the core.  A chat line or \quit is not a command, and is ignored here:
 * a guest's lines go through node_guest_say.
 */
typedef void node_answer_fn(void *arg, const event *ev);
void node_ask(node *n, uint64_t now, const char *line, size_t len, node_answer_fn *answer,
	      void *arg);
/*
 * A peer found after the start (a broker's roll call answered): dialled
 * like the seeds, if seeds_are_peers and there is room (NODE_MAX_SEEDS);
 * else ignored.
 */
void node_add_seed(node *n, uint64_t now, const char *host, uint16_t port);
/*
 * Whether the way to the others is down (a broker not connected): while
 * held, a node that is still joining waits, however long, and never founds
 * the chat alone; released, it waits its join timeout again from now.
 * May be called before node_start.  Members are not affected.
 */
void node_hold_join(node *n, uint64_t now, bool held);
/*
 * A peer that answered a roll call knows incarnations up to above: a
 * joiner that has told no one its own yet takes one past it, so that it is
 * junior to every member however its clock is set (SPEC 10: the first
 * node leads) -- what the first member list does for a joiner on the
 * mesh.  Later, or for a member, nothing changes.
 */
void node_raise_inc(node *n, uint64_t above);
/* Leave gracefully (end of input, a signal). */
void node_leave(node *n, uint64_t now);
/*
 * The end of a batch of events (one turn of the shell's loop): send the
 * coalesced acknowledgements, show what became stable, serve pulls.
 */
void node_flush(node *n, uint64_t now);
/*
 * When the core next wants a node_flush though nothing happens (reports
 * held to be passed on); 0 when it does not.  The shell wakes its loop
 * then; node_tick comes too late for it.
 */
uint64_t node_wake_at(const node *n);

/* --- guests: users attached through a front end (guest.h) --------------- */

enum node_guest_result {
	NODE_GUEST_OK,
	NODE_GUEST_NOT_READY, /* the node is not in the chat (yet), or no such guest here */
	NODE_GUEST_BAD_NICK,
	NODE_GUEST_IN_USE,    /* a member, a guest here, or one on a reachable node */
	NODE_GUEST_REMOVED,   /* the leader removed this nick */
	NODE_GUEST_SILENCED,
	NODE_GUEST_TOO_LONG,
	NODE_GUEST_BAD_TEXT,  /* not valid UTF-8 */
};
enum node_guest_notice { NODE_GUEST_RENAMED = 1, NODE_GUEST_KICKED };

/*
 * Attach a guest under nick: a session here (taking over one on a node
 * that is unreachable, as the same user).  NODE_GUEST_OK or why not.
 * *since: the stamp after which the user missed what was said (its last
 * session ended or was cut off then), or 0 for a user new here.
 */
int node_guest_join(node *n, uint64_t now, const char *nick, uint64_t *since);
/* Whether node_guest_join would accept nick now (NODE_GUEST_OK or why not). */
int node_guest_check(node *n, const char *nick);
/* A line from the guest; tag (may be empty) names it for deduplication. */
int node_guest_say(node *n, uint64_t now, const char *nick, const char *tag, size_t tag_len,
		   const char *line, size_t len);
/* Detach the guest: its session ends, why says how. */
void node_guest_part(node *n, uint64_t now, const char *nick, const char *why);

/*
 * The chat's users as shown here: members in seniority order, then guests
 * in the order they joined (history order: the same on every node).
 */
typedef void node_user_fn(void *arg, const char *nick, bool leader, bool silenced,
			  bool is_guest);
void node_each_user(const node *n, node_user_fn *fn, void *arg);

/* --- queries, for the shell and the simulator -------------------------- */

bool node_done(const node *n);
bool node_announced(const node *n);
uint64_t node_leader(const node *n);
/* The highest incarnation this node knows of, its own included (for node_raise_inc). */
uint64_t node_top_inc(const node *n);
/* Ids of the live members in seniority order; returns how many (<= cap). */
int node_members(const node *n, uint64_t *ids, int cap);
/* Whether this node's table holds a live member with this nick (folded). */
bool node_has_nick(const node *n, const char *nick);
/* Records held (the agreed history as far as this node has it). */
uint64_t node_history_count(const node *n);
/* The history digest, 32 hex digits (buf: at least 33 bytes). */
void node_history_digest(const node *n, char *buf);
/* A chat line as shown: its nick, its text, a guest line's client tag. */
typedef struct node_line {
	const char *nick;
	const char *text;
	size_t len;
	const char *tag; /* a guest line's, or NULL */
	size_t tag_len;
} node_line;
/*
 * Whether record r is a chat line this node shows, and as what: the rule
 * of the live display (node_line.c), for \history-like uses such as the
 * IRC replay.  Strings point into r.
 */
bool node_line_of(node *n, const hist_rec *r, node_line *out);
/*
 * The stored history, for a front end (the IRC replay, the chatterbox's
 * sum), read through the core: the last count records, oldest first, or
 * every record, in history order; fn returns false to stop.  A front end
 * never reads the store itself.  Returns what the store's reader returned.
 */
int node_recent(node *n, int count, hist_visit *fn, void *arg);
int node_scan(node *n, hist_visit *fn, void *arg);
/* The history key of the last record this node showed (or passed over). */
void node_shown_key(const node *n, uint64_t *hlc, uint64_t *sender);
/* Records stamped at or before this are the backlog of this life. */
uint64_t node_backlog_until(const node *n);
/* Whether the directives held here silence member id. */
bool node_is_silenced(const node *n, uint64_t id);
/* Too much of our own is in flight: stop reading input for now. */
bool node_busy(const node *n);
/* The delay until the next tick the core wants. */
unsigned node_tick_ms(const node *n);

/*
 * Check the core's invariants with assert() (node_check.c lists them);
 * deep adds the costly ones (the history's heap, pairs of members and
 * links).  The core checks after each entry point; the simulator calls it
 * after every step.
 */
void node_assert_state(const node *n, bool deep);

#endif
