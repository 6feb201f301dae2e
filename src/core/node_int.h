/*
 * node_int — the node core's private state and the calls between its
 * parts: node.c (every entry point of node.h, delegating; the life
 * cycle, timers, the end of a batch), node_phase.c (the node's phases),
 * node_member.c (the members' state machine, failure detection, the nick
 * rule), node_link.c (links, dialling, sending), node_recv.c (frame
 * handlers), node_cmd.c (user commands), node_hist.c (the history:
 * records in, signatures, reports, the outbox), node_clock.c (clocks),
 * node_show.c (what is shown, and when), node_line.c (which records are
 * lines), node_sync.c (anti-entropy), node_mod.c (directives),
 * node_guest.c (guests), node_beat.c (who gets a heartbeat when) and
 * node_check.c (the invariants).  The parts
 * with a sub-struct of their own (links, outbox, moderation, guests) are
 * its only readers and writers; the others go through their functions.
 * Nothing outside src/core/node*.c includes it.
 */
#ifndef CHORUS_NODE_INT_H
#define CHORUS_NODE_INT_H

#include "exit_code.h"
#include "guest.h"
#include "member.h"
#include "mod.h"
#include "node.h"
#include "relay.h"
#include "wire.h"

#define NODE_MAX_SEEDS 16
#define NODE_MAX_QUEUED 1000
#define NODE_WINDOW 1000      /* own records in flight before input pauses */
#define NODE_MAX_SERVE 8      /* pulls a peer may have queued here */
#define NODE_SERVE_BATCH 256  /* records read from the store at a time */
#define NODE_MAX_PENDING (256 * 1024) /* bytes queued on a link before serving waits */
#define NODE_SYNC_KEEP 4096   /* records kept unshown while catching up */
#define NODE_SHOW_HISTORY 20  /* caught-up records shown as [HISTORY] */
#define NODE_MAX_AUTHORS 4096 /* authors tracked; records of more are dropped */
#define NODE_MAX_UNSIGNED 8192 /* records of one author held for a signature */
#define NODE_SIGN_EVERY 256    /* our records under one signature, at most */
#define NODE_MAX_ENDORSE 16    /* endorsements waiting for the end of a batch */
#define NODE_CLOCK_BOUND_MS (12ull * 3600 * 1000) /* how far clocks may disagree */
#define NODE_BEAT_SENIORS 3    /* the most senior members, heartbeat at full rate */
#define NODE_BEAT_FAN 8        /* other members heartbeat a period (node_beat.c) */
#define NODE_BEAT_GRACE 2      /* timeouts a former senior still beats everyone */
#define NODE_RELAY_FROM (NODE_BEAT_FAN + 1) /* other members from which reports go via seniors */
#define NODE_REPORT_MS 20      /* our REPORTs, at most one in this (node_report.c) */
#define NODE_RELAY_MS 10       /* REPORTs held this long, then passed on */
#define NODE_BACKOFF_MIN 100
#define NODE_BACKOFF_MAX 2000

/*
 * The node's own state machine.  node_enter() (node_phase.c) is the only
 * writer of n->phase; it checks the edge and carries out what goes with
 * it.  The guards are judged where their facts are kept.
 *
 *   node_new -- seeds --> PROBE -- the first member list (node_end_probe):
 *      |                    |      our incarnation above all it lists
 *      | no seeds, or       v
 *      | seeds are peers -> JOINING -- every member linked and its clock
 *                           |          reported, or timeout-ms (join_complete)
 *                           v          : [JOIN] self, [USERS], [LEADER]
 *                       ANNOUNCED
 *                 (a) /           \ (b)
 *                    v             v
 *                 READY         CAUGHT_UP
 *                 (b) \           / (a)
 *                      v         v
 *                        MEMBER
 *
 *   (a) every member reported and agrees on the members, or timeout-ms
 *       (node_hist.c check_ready): the lines queued go out
 *   (b) caught up, or 2 x timeout-ms (node_show.c sync_done): the stable
 *       backlog shown as [HISTORY]; records shown as they become stable
 *   any phase --> DONE (node_finish: left, nick taken, removed, clock off):
 *       io.exit; every entry point is a no-op from then on.
 *
 * (a) nearly always comes first; (b) first needs a stall (the process
 * stopped) right after the announce, so that the first flush in the chat,
 * which starts (a)'s timeout, comes after (b)'s deadline.
 *
 * ANNOUNCED to MEMBER are "in the chat" (node_in_chat): events about
 * members are shown.  READY and MEMBER may send (node_may_send): nothing
 * is queued there.  CAUGHT_UP and MEMBER show records as they become
 * stable (node_caught_up).
 *
 * Leaving is a region of its own beside the phase: n->leaving is set by
 * the first node_leave() that finds lines still queued (never in PROBE),
 * after our guests' parts were written; the node goes on through its
 * phases until the queue is out or leave_deadline passes, then DONE.
 */
typedef enum node_phase {
	PHASE_PROBE,
	PHASE_JOINING,
	PHASE_ANNOUNCED,
	PHASE_READY,
	PHASE_CAUGHT_UP,
	PHASE_MEMBER,
	PHASE_DONE,
} node_phase;

/* What makes a member change state: the events of member.h's diagram. */
typedef enum member_why {
	MEMBER_HEARD,      /* a frame from it on a bound link */
	MEMBER_SILENT,     /* timeout-ms without a frame (node_tick) */
	MEMBER_UNLINKED,   /* its last link here broke */
	MEMBER_SAID_LEAVE, /* its LEAVE */
	MEMBER_GOSSIP,     /* the merge rule: a tombstone, or a restart */
	MEMBER_NICK_RULE,  /* it lost a nick claim (member_nick_loser) */
	MEMBER_REMOVED,    /* a directive removing it counts here */
} member_why;

/* A range of one author's records a peer asked us for. */
typedef struct serve_range {
	uint64_t sender;
	uint64_t next;
	uint64_t to;    /* ends on a signed head */
	hist_sig sig;   /* the head that covers next, once looked up */
} serve_range;

typedef struct peer_link {
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
	serve_range serve[NODE_MAX_SERVE]; /* pulls to answer, oldest first */
	int nserve;
	uint8_t binding[SIGN_CHAIN]; /* the session's name, signed in PROVE */
	wire_have *told;   /* our vector as last sent on it, by author index (owned) */
	int ntold;
	bool proven;       /* the peer proved it holds its id's key ... */
	uint8_t pk[SIGN_PK]; /* ... this one, of this id */
	uint64_t proven_id;
	/* A HELLO waits for the PROVE of the id it names before it counts. */
	bool hello_held;
	wire_member held;  /* its strings point at held_nick and held_host */
	char held_nick[WIRE_MAX_NICK + 1];
	char held_host[WIRE_MAX_HOST + 1];
} peer_link;

typedef struct node_seed {
	char host[WIRE_MAX_HOST + 1];
	uint16_t port;
	uint32_t link;     /* the connect in flight or up, or 0 */
	uint64_t next_try;
	uint64_t backoff;
	bool reached;      /* seeds_are_peers: a link to it was bound */
} node_seed;

typedef struct queued_line {
	char *text;
	size_t len;
	int kind;          /* enum hist_kind */
	char nick[NICK_MAX + 1]; /* a guest's, or "" for ours */
} queued_line;

/* The links and the seeds: node_link.c's alone; others go through it. */
typedef struct node_links {
	peer_link *v;
	int len;
	int cap;
	node_seed seeds[NODE_MAX_SEEDS];
	int nseeds;
} node_links;

/* Lines typed before we may send, in order (node_hist.c's alone). */
typedef struct node_outbox {
	queued_line v[NODE_MAX_QUEUED];
	int len;
} node_outbox;

/*
 * The history: the records held and their authors (hist.h), our keys and
 * signatures, our reports.  The history's three files share it -- what
 * is taken in (node_hist.c), shown (node_show.c) and synced (node_sync.c)
 * are views of one set of records; the others go through node_hist_*.
 */
typedef struct node_history {
	hist hist;
	uint8_t pk[SIGN_PK];  /* our signing key pair */
	uint8_t sk[SIGN_SK];
	uint64_t signed_seq;  /* our last record covered by a signature sent */
	uint64_t ready_deadline; /* check_ready gives up waiting then */
	bool ack_due;         /* records came in since our last report */
} node_history;

/* What is shown, and when (node_show.c's alone). */
typedef struct node_display {
	uint64_t sync_deadline; /* catching up gives up then */
	uint64_t sync_hlc;  /* the latest stamp taken in while catching up */
	bool vector_due;    /* a member departed: tell everyone what we hold */
	uint64_t own_shown; /* our latest record shown */
	uint64_t own_restored; /* our latest record when this life began */
} node_display;

/* The clocks (node_clock.c's alone). */
typedef struct node_clocks {
	uint64_t hlc;       /* hybrid logical clock: the latest stamp seen */
	uint64_t start;     /* now at node_new, for the wall clock */
	uint64_t since_hlc; /* records stamped past it were said since we started */
	bool since_fixed;   /* ... as the first report told us */
} node_clocks;

/* Moderation (node_mod.c's alone). */
typedef struct node_moderation {
	mod_state state;      /* what the directives held add up to */
	struct { uint64_t author, seq; } endorse[NODE_MAX_ENDORSE]; /* ours, to write */
	int nendorse;
	char removed_by[NICK_MAX + 1]; /* a directive removing us counts: end at the flush */
} node_moderation;

/* Guests (node_guest.c's alone). */
typedef struct node_guests {
	guest_table held;   /* every guest record taken */
	guest_table shown;  /* every guest record shown */
	char (*attached)[NICK_MAX + 1]; /* the guests attached here */
	int nattached;
	int capattached;
	guest_seen *seen;   /* tags of guest lines shown */
} node_guests;

/* Who gets a heartbeat this period (node_beat.c's alone). */
typedef struct node_beats {
	uint64_t period;      /* periods so far */
	int spread;           /* a non-senior pair beats every spread periods */
	uint64_t seniors[NODE_BEAT_SENIORS]; /* the most senior live members, in order */
	int nseniors;
	bool self_senior;     /* this node is one of them */
	uint64_t senior_until; /* ... or was, and beats everyone every period until then */
} node_beats;

/* Clock reports through the seniors (node_report.c's alone). */
typedef struct node_reports {
	relay relay;       /* REPORTs to pass on */
	uint64_t relay_at; /* ... then (0: none held) */
	uint64_t sent_at;  /* our last REPORT */
	unsigned turn;     /* the senior it goes to: turn % nseniors */
	wire_msg *msg;     /* scratch for an outgoing REPORT or RELAY (large) */
} node_reports;

/*
 * A peer's version vector as its heartbeats told it (each tells what
 * changed since its last on that link), for settling a departed member and
 * for pulling what a pull given up still lacks.
 */
typedef struct peer_vec {
	uint64_t id;
	uint64_t at;      /* when the last part came */
	int count;
	int cap;
	wire_have *have;  /* owned */
} peer_vec;

/* The peers' version vectors, and ours (node_sync.c's alone). */
typedef struct node_vectors {
	peer_vec *v;
	int len;
	wire_have *ours;  /* our vector now, by author index (owned) */
	int nours;
	int capours;
} node_vectors;

struct node {
	node_config cfg;   /* strings point into the copies below */
	char nick[NICK_MAX + 1];
	char host[WIRE_MAX_HOST + 1];
	node_io io;
	node_phase phase;  /* only node_enter() writes it */
	int exit_code;     /* for io.exit, once DONE */
	member_table members;
	unsigned nicks_gen;  /* members.gen + 1 when nick claims were last resolved */
	uint64_t digest;     /* member_digest of the table ... */
	unsigned digest_gen; /* ... when it was members.gen (+ 1; 0: never) */
	node_links links;  /* node_link.c */
	uint64_t join_deadline;
	bool join_held;          /* node_hold_join: no way to the others yet */
	bool started;            /* node_start has run */
	bool inc_told;           /* a HELLO went out: our incarnation is known */
	uint64_t next_heartbeat;
	uint64_t last_tick;
	uint64_t tick_late;  /* how late this tick came (node.c's tick): more silence allowed */
	uint64_t leader;   /* the leader last announced, 0 before announce */
	bool leaving;      /* asked to leave (guests parted); waits for the queue */
	uint64_t leave_deadline;

	node_outbox outbox;   /* node_hist.c */
	node_history history; /* node_hist.c, node_show.c, node_sync.c */
	node_display show;    /* node_show.c */
	node_vectors vecs;    /* node_sync.c */
	node_beats beats;     /* node_beat.c */
	node_reports reports; /* node_report.c */
	node_clocks clocks;   /* node_clock.c */
	node_moderation mod;  /* node_mod.c */

	node_guests guests; /* node_guest.c */

	struct {
		node_answer_fn *answer; /* while node_ask runs: where events go, else NULL */
		void *arg;
	} ask; /* node_cmd.c */

	wire_buf out;       /* scratch for encoding */
	wire_msg *msg;      /* the frame being handled (large) */
	wire_msg *gossip;   /* scratch for an outgoing member list (large) */
	wire_msg *hb;       /* scratch for an outgoing heartbeat (large) */
};

/* node.c */
void node_log(node *n, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void node_emit(node *n, event_kind kind, const char *nick, const char *text);
/* The member digest of our table (kept while the table does not change). */
uint64_t node_digest(node *n);
/* Our heartbeat to one link, or to every member (link 0). */
void node_send_heartbeat(node *n, uint64_t now, uint32_t to);

/* Our table to link, in as many MEMBERS as it takes (node_member.c). */
void node_send_members(node *n, uint32_t link);

/* node_phase.c */
/* Our incarnation is now inc (before any link is told it): kept for the next life. */
void node_set_inc(node *n, uint64_t inc);
/* Every way the node ends: DONE, and io.exit(code). */
void node_finish(node *n, int code);
void node_greet(node *n, peer_link *l);
/* After any change: the nick rule, a join finished, a new leader. */
void node_settle(node *n, uint64_t now);
void node_end_probe(node *n, const wire_msg *members, uint64_t now);

/* Whether we are in the chat: announced, and not done. */
static inline bool
node_in_chat(const node *n)
{
	return n->phase >= PHASE_ANNOUNCED && n->phase <= PHASE_MEMBER;
}

/* Whether our records may go out (every member answered, or timeout). */
static inline bool
node_may_send(const node *n)
{
	return n->phase == PHASE_READY || n->phase == PHASE_MEMBER;
}

/* Whether we caught up: records are shown as they become stable. */
static inline bool
node_caught_up(const node *n)
{
	return n->phase == PHASE_CAUGHT_UP || n->phase == PHASE_MEMBER;
}

/*
 * node_check.c: the invariants, at the end of every entry point that
 * changes the node; the deep ones only where CHORUS_CHECK_DEEP is defined
 * (the sanitizer build; the simulator asks for them itself).
 */
void node_check_state(const node *n, bool deep);
#ifdef CHORUS_CHECK_DEEP
#define assert_node_state(n) node_check_state((n), true)
#else
#define assert_node_state(n) node_check_state((n), false)
#endif

/* The one way the node's phase changes; now is for the deadlines it sets. */
void node_enter(node *n, node_phase to, uint64_t now);

/* node_member.c: the members' state machine (member.h draws it). */
/* The one way a member's state changes (m is never self). */
void node_member_set(node *n, member *m, member_state to, member_why why);
/* A frame came from m: it is heard now, and ALIVE if it was not. */
void node_member_heard(node *n, member *m, uint64_t now);
void node_member_recall(node *n, const node_config *cfg, uint64_t now);
void node_member_detect(node *n, uint64_t now);
void node_gossip(node *n, member *m, uint64_t now);
void node_resolve_nicks(node *n);
void node_nick_taken(node *n);

/* node_link.c */
/* The --join addresses of cfg, parsed; whether there are any. */
void node_link_seeds(node *n, const node_config *cfg);
bool node_link_has_seeds(const node *n);
/* A seed has a dial in flight (or up, not bound yet): seeds_are_peers' joiners wait. */
bool node_link_seeds_dialling(const node *n);
/* One more seed (not there yet, and room for it): true when added. */
bool node_link_add_seed(node *n, const char *host, uint16_t port);
void node_link_free(node *n);
peer_link *node_link(node *n, uint32_t id);
/* The i-th link, or NULL past the last (links move as others close). */
peer_link *node_link_at(node *n, int i);
/* The link to use for member id: the first one up and bound to it, or NULL. */
peer_link *node_link_to(node *n, uint64_t id);
peer_link *node_link_add(node *n, uint32_t id, uint64_t now);
/* A link came up (node_link_up): found or added, and marked up. */
peer_link *node_link_opened(node *n, uint64_t now, uint32_t id, bool outgoing,
		       const char *remote_host, const uint8_t *binding);
/* m's proven HELLO came on l: bind the link to it. */
void node_link_bind(node *n, peer_link *l, member *m, uint64_t inc);
void node_link_greet_all(node *n);
/* The links' invariants (node_check.c): links up to id, dialled for id. */
int node_link_up_to(const node *n, uint64_t id);
bool node_link_dialled(const node *n, uint64_t id);
void node_link_check(const node *n, bool deep);
void node_link_gone(node *n, peer_link *l, uint64_t now, const char *why);
void node_send(node *n, uint32_t link, const wire_msg *m);
void node_send_to(node *n, const member *m, const wire_msg *msg);
void node_broadcast(node *n, const wire_msg *msg);
void node_close_link(node *n, peer_link *l);
void node_close_member(node *n, member *m);
void node_close_stale(node *n, const member *m);
void node_dial_seeds(node *n, uint64_t now);
void node_dial_members(node *n, uint64_t now);
void node_expire_links(node *n, uint64_t now);

/* node_recv.c */
void node_dispatch(node *n, uint64_t now, peer_link *l, const wire_msg *m);

/* node_cmd.c */
void node_emit_users(node *n);
void node_cmd_each_user(const node *n, node_user_fn *fn, void *arg);
/* A line typed (node_input's work). */
void node_cmd_input(node *n, uint64_t now, const char *line, size_t len);
/* A command typed by someone else (node_ask's work). */
void node_cmd_ask(node *n, uint64_t now, const char *line, size_t len, node_answer_fn *answer,
		  void *arg);
/* Every event of the core goes out here: to whoever asked (node_ask), else io.event. */
void node_event(node *n, const event *ev);

/* node_hist.c */
/* Our key pair, copied from the config (the secret wiped by node_hist_free). */
void node_hist_keys(node *n, const uint8_t *pk, const uint8_t *sk);
const uint8_t *node_hist_pk(const node *n);
uint64_t node_hist_count(const node *n);
void node_hist_digest(const node *n, char *buf);
/* What we hold of author id, or NULL. */
const hist_author *node_hist_author(node *n, uint64_t id);
/* The author that bound nick first in history order (hist_nick_first), or NULL. */
const hist_author *node_hist_nick_first(const node *n, const char *nick);
/* Link id is gone: records waiting on it for a signature are dropped. */
void node_hist_drop_unsigned(node *n, uint32_t id);
/* The history's invariants (node_check.c, deep). */
void node_hist_assert(const node *n);
void node_hist_restore(node *n, uint64_t now);
void node_hist_free(node *n);
void node_submit(node *n, uint64_t now, const char *text, size_t len);
void node_submit_kind(node *n, uint64_t now, int kind, const char *text, size_t len);
/* A record of ours under another nick (a guest's, node_guest.c). */
void node_submit_stamped(node *n, uint64_t now, uint64_t hlc, const char *text, size_t len);
void node_submit_as(node *n, uint64_t now, int kind, const char *nick, const char *text,
		    size_t len);
void node_hist_bound(node *n, member *m);
/* The guard of (a) of node_phase: ANNOUNCED or CAUGHT_UP may move on. */
void node_hist_check_ready(node *n, uint64_t now);
/* Lines typed that wait until we may send (the outbox). */
int node_hist_queued(const node *n);
bool node_hist_busy(const node *n);
/* (a) of node_phase: the lines queued before go out, in order. */
void node_hist_release(node *n, uint64_t now);
uint64_t node_wall(const node *n, uint64_t now);
/* node_clock.c */
bool node_clock_near(const node *n, uint64_t now, uint64_t hlc);
void node_see_clock(node *n, uint64_t now, uint64_t hlc);
void node_clock_report(node *n, uint64_t now, member *m, uint64_t hlc);
bool node_clock_refused(node *n);
/* The node's start (node_new's now), for the wall clock. */
void node_clock_start(node *n, uint64_t now);
uint64_t node_clock_started(const node *n);
/* The latest stamp seen or made. */
uint64_t node_clock_latest(const node *n);
/* A stamp for a record of ours: after every stamp seen, and now. */
uint64_t node_clock_stamp(node *n, uint64_t now);
/* The clock moved on to the wall clock (a heartbeat's); returned. */
uint64_t node_clock_on(node *n, uint64_t now);
/* "Since we started": fixed at node_new, moved on by the first report. */
void node_clock_fix_since(node *n, uint64_t now);
uint64_t node_clock_since(const node *n);
void node_hist_on_status(node *n, uint64_t now, peer_link *l, const wire_msg *msg);
void node_hist_on_chat(node *n, uint64_t now, peer_link *l, const wire_msg *msg);
void node_hist_on_sig(node *n, uint64_t now, peer_link *l, const wire_msg *msg);
bool node_hist_on_prove(node *n, peer_link *l, const wire_msg *msg, uint64_t id);
void node_hist_prove(node *n, peer_link *l);
void node_sign_own(node *n);
bool node_hist_report(node *n, uint64_t now, member *m, uint64_t hlc, uint64_t seq);

/* node_guest.c */
void node_guest_free(node *n);
int node_guest_may_join(node *n, const char *nick);
void node_guest_part_all(node *n, uint64_t now);
void node_guest_restore(node *n, const hist_rec *r, bool shown);
void node_guest_restored(node *n, uint64_t now);
void node_guest_history(node *n, const hist_rec *r);
void node_guest_taken(node *n, uint64_t now, const hist_rec *r);
void node_guest_show(node *n, const hist_rec *r, event_kind kind, bool print);
void node_guest_hosts(node *n, uint64_t now);
bool node_guest_refuses(node *n, peer_link *l, uint64_t id, const char *nick);
/* node_guest_join, _say and _part's work (node.c checks after them). */
int node_guest_do_join(node *n, uint64_t now, const char *nick, uint64_t *since);
int node_guest_do_say(node *n, uint64_t now, const char *nick, const char *tag, size_t tag_len,
		      const char *line, size_t len);
void node_guest_do_part(node *n, uint64_t now, const char *nick, const char *why);
void node_each_guest(const node *n, node_user_fn *fn, void *arg);
const char *node_guest_named(node *n, const char *nick);
void node_guest_removed(node *n, const char *nick, const char *by);
/* The session of nick that host opened, of every guest record taken, or NULL. */
const guest *node_guest_hosted(node *n, uint64_t host, const char *nick);
/* The guests' invariants (node_check.c). */
void node_guest_assert(const node *n, bool deep);

/* node_mod.c */
void node_mod_removed(node *n, const char *by);
bool node_mod_silenced(const node *n, uint64_t id);
/* Whether id is silenced at a record's place in history (mod_silenced_at). */
bool node_mod_silenced_at(const node *n, uint64_t id, const hist_rec *r);
bool node_mod_bound(node *n, const hist_rec *r);
void node_mod_taken(node *n, const hist_rec *r);
void node_mod_flush(node *n, uint64_t now);
void node_mod_show(node *n, const hist_rec *r, bool late);
bool node_mod_refuses(node *n, peer_link *l, uint64_t id, const char *nick);
void node_mod_command(node *n, uint64_t now, int op, const char *arg, size_t len);
void node_mod_issue(node *n, uint64_t now, int op, const char *arg, size_t len);
/* A record of an earlier life, read at node_new: folded in if a directive. */
void node_mod_restore(node *n, const hist_rec *r);
void node_mod_free(node *n);
/* The removal of id (a member's, or guest_id of a guest's nick) that counts, or NULL. */
const mod_target *node_mod_removal(const node *n, uint64_t id);
const mod_target *node_mod_removal_of_nick(const node *n, const char *nick);
int node_mod_silenced_count(const node *n);
/* The moderation's invariants (node_check.c). */
void node_mod_assert(const node *n);

#ifdef CHORUS_INSIDER
/* tests/insider: a test build's forgeries; true when line was one. */
bool insider_input(node *n, uint64_t now, const char *line, size_t len);
#endif

/* node_line.c: whether r is a line, and if not, why. */
typedef struct node_why {
	char text[128]; /* why a record is not shown */
	bool silenced;  /* because its author was silenced there: not news */
} node_why;
bool node_line_judge(node *n, const hist_rec *r, node_line *out, node_why *why);

/* node_show.c */
void node_show(node *n, const hist_rec *r, event_kind kind);
bool node_since_start(const node *n, const hist_rec *r);
void node_show_last(const node *n, uint64_t *hlc, uint64_t *sender);
uint64_t node_show_since(const node *n);
/* At node_new, the store's records read: where our own records stand. */
void node_show_restore(node *n);
/* A record taken (new here): catching up, it is progress and may be waited for. */
void node_show_taken(node *n, uint64_t now, const hist_rec *r);
/* Our latest record shown. */
uint64_t node_show_own(const node *n);
/* Whether a departed member makes our vector due; cleared by asking. */
bool node_show_vector_due(node *n);
void node_show_stable(node *n, uint64_t now);
/* (b) of node_phase: the backlog up to the frontier shown as [HISTORY]. */
void node_show_backlog(node *n, uint64_t now);
void node_hist_history(node *n, int count);

/* node_beat.c */
/* Once a period, before its heartbeats: who is senior, the spread. */
void node_beat_plan(node *n, uint64_t now);
/* Whether m gets a heartbeat this period (its turn, or a round since its last). */
bool node_beat_due(const node *n, const member *m, uint64_t now);
/* How long m may be silent before it is lost. */
uint64_t node_beat_limit(const node *n, const member *m);

/* node_sync.c */
/* A heartbeat's clock report; our vector as it is now, for node_sync_vector. */
void node_sync_heartbeat(node *n, uint64_t now, wire_msg *hb);
/* The next part of our vector for l: what l's peer was not told (more: a next part). */
void node_sync_vector(node *n, peer_link *l, wire_msg *hb);
void node_sync_on_heartbeat(node *n, uint64_t now, peer_link *l, const wire_msg *msg);
void node_sync_on_pull(node *n, peer_link *l, const wire_msg *msg);
void node_sync_pull(node *n, uint64_t now, peer_link *l, hist_author *a, uint64_t to);
void node_sync_progress(node *n, uint64_t now, hist_author *a);
peer_vec *node_peer_vec(node *n, uint64_t id);
void node_sync_serve(node *n);
void node_send_sig(node *n, uint32_t to, const hist_sig *sig);
void node_sync_tick(node *n, uint64_t now);

/* node_report.c */
/* Our report, when records came in since the last one (and it is time). */
void node_report_due(node *n, uint64_t now);
/* The key we share with m, whose identity key is pk, unless we have it. */
void node_report_pair(node *n, member *m, const uint8_t pk[SIGN_PK]);
void node_report_on_report(node *n, uint64_t now, peer_link *l, const wire_msg *msg);
void node_report_on_relay(node *n, uint64_t now, peer_link *l, const wire_msg *msg);
/* Pass on the REPORTs held, when it is time. */
void node_relay_flush(node *n, uint64_t now);
/* When node_report_due or node_relay_flush next has work (0: never). */
uint64_t node_report_wake_at(const node *n);
void node_report_free(node *n);
void node_sync_free(node *n);

#endif
