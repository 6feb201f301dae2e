/*
 * cluster — N node cores in one process, on one virtual clock, wired to the
 * fake network (simnet.h).
 *
 * The cluster owns the simulated hosts: it starts, crashes, restarts,
 * stalls and resumes the node running on each, feeds the cores their ticks
 * and the network's deliveries, and records what every node reports (its
 * events, its exit code, every chat line it shows) for the invariant checks
 * in check.c.  A violation is recorded with cluster_fail; the first one
 * stops the run.
 *
 * The io callbacks never call back into a core: an exit is only noted, and
 * the node is torn down after the core call that asked for it returns.
 *
 * Its files: cluster.c hosts the nodes (life cycle, clock, network,
 * knowledge), observe.c takes in and judges what they report, input.c
 * types into them (cluster_type and the rest); cluster_int.h is what the
 * three share.
 */
#ifndef SIM_CLUSTER_H
#define SIM_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "simnet.h"
#include "nick.h"
#include "node.h"
#include "rng.h"
#include "memstore.h"

#define SIM_MAX_NODES 5     /* the normal scenario's nodes, at most */
#define SIM_LARGE_MAX 2000  /* the large mode's (sim --size N, large.h) */
#define SIM_MAX_LINES 4096
#define SIM_T0 1000000000ULL /* virtual time of the start: like a wall clock */

typedef enum sn_state {
	SN_IDLE,    /* not started yet */
	SN_RUNNING, /* a core is running (perhaps stalled) */
	SN_CRASHED, /* the process died */
	SN_EXITED,  /* the core asked to exit */
} sn_state;

/*
 * What a node can know of another, judged from the outside: the frames
 * delivered to it that named the other (HELLO, MEMBERS, LEAVE), merged as
 * the membership rule does (the highest incarnation wins; a tombstone ends
 * it).  A node that knows another will link to it, so live nodes joined
 * by such knowledge must end up agreeing; nodes that nobody alive can
 * introduce to each other cannot.
 */
typedef struct knowledge {
	bool any;
	bool tomb;
	uint64_t inc;
} knowledge;

#define SIM_PEER_SLOTS 64

typedef struct simnode {
	memstore store;        /* first: the memstore_io callbacks find it at ctx */
	struct cluster *c;
	int idx;
	uint64_t id;           /* sign_id(pk) */
	uint8_t pk[SIGN_PK];
	uint8_t sk[SIGN_SK];
	char nick[NICK_MAX + 1];
	char host[16];
	uint16_t port;
	bool advertise;        /* config host set, else "" (as seen by peers) */
	int seeds[SIM_MAX_NODES]; /* hosts it joins through */
	int nseeds;
	bool clash;            /* its nick clashes with another node's */

	node *core;
	sn_state state;
	bool stalled;
	bool powered_off;      /* crashed without a RST */
	int life;              /* how many times it was started */
	uint64_t started_at;
	uint64_t next_tick;
	int exits[4];          /* how many exits with code 0..3 */
	bool exiting;          /* the exit callback ran in this core call */
	bool left;             /* we asked it to leave, in some life */
	char guest[NICK_MAX + 1]; /* the nick of the guest attached here, or "" */
	uint32_t hosted;          /* j: this node has attached guest "gj", in any life */
	bool leaving;          /* we asked this life to leave */

	/* What the current life printed. */
	int nevents;
	char leader[NICK_MAX + 1]; /* nick of the last [LEADER] line */
	uint8_t got[SIM_MAX_LINES]; /* how often each typed line was shown */
	int *last_shown;       /* [c->n]: the latest line shown from each sender */
	uint64_t shown_hlc;    /* history key of the last line shown in order */
	uint64_t shown_sender;

	/* What outlives its lives (the store above, too). */
	int64_t skew;          /* its wall clock minus the true time, ms */
	uint8_t shown_ever[SIM_MAX_LINES]; /* each line shown, over all lives */
	int lates;             /* [LATE] lines shown */
	bool silenced_ever;    /* a leader directed its silence */
	knowledge *known;      /* [c->n] */
	struct {
		uint32_t link;
		int peer;
	} peers[SIM_PEER_SLOTS]; /* who said HELLO on a link, for LEAVE */
	struct bnode *bn;      /* broker mode: its broker shell (bnode.h), else NULL */
} simnode;

typedef struct line_rec {
	int from;
	int life;              /* the sender's life when it was typed */
	bool checked;          /* typed in a quiet, fully announced cluster */
	bool refused;          /* its sender was silenced: it went nowhere */
	bool guest;            /* typed by a guest of the node (an IRC user) ... */
	char nick[NICK_MAX + 1]; /* ... under this nick */
	uint64_t typed_at;     /* when it was typed ... */
	uint64_t shown_at;     /* ... and last shown in its place, on any node */
} line_rec;

/* Broker mode (issue 13): which of the broker's faults a run may see. */
typedef struct broker_opts {
	bool on;        /* --broker: the nodes reach each other through simbroker.h */
	bool msg;       /* --broker-msg: messages dropped, duplicated, delayed, reordered */
	bool restart;   /* --broker-restart: the broker restarts empty */
	bool drop_conn; /* --broker-drop-conn: one node's broker connection drops */
	bool skew;      /* --broker-skew: clocks seconds apart (roll calls order by them) */
} broker_opts;

typedef struct cluster {
	rng rng;
	simnet *net;
	bool broker;           /* broker mode: net carries nothing, broker_net all */
	broker_opts bopts;
	struct simbroker *broker_net;
	uint64_t seed;
	uint64_t now;
	bool verbose;
	unsigned heartbeat_ms;
	unsigned timeout_ms;
	unsigned relay_from;   /* node_config's (--relay: 1, reports via seniors at any size) */
	int n;
	simnode *nodes;        /* [n] */
	int nlines;
	line_rec lines[SIM_MAX_LINES];
	bool faults;           /* whether any fault was injected so far */
	int insider;           /* a node that forges (cluster_insider_act), or -1 */
	bool insider_led;      /* some node named the insider its leader */
	int forgeries;         /* what the insider forged */
	/* What happened, hashed (FNV-1a): to compare two builds seed by seed. */
	uint64_t events_hash;  /* every line every node printed, in order */
	uint64_t frames_hash;  /* every frame delivered, in order */
	int renames;           /* guests renamed after a clash */
	int takeovers;         /* guests attached again through another node */
	int parts;             /* at the end: live nodes fall into this many parts */
	int *part;             /* [n]: the part of each live node, else -1 */
	bool failed;
	char why[512];
	uint64_t steps;
	/*
	 * The large mode (n > SIM_MAX_NODES, large.h): the costly checks of a
	 * step (check_step, node_assert_state) run once every check_every ms
	 * rather than at every step; nodes are found by id through by_id.
	 */
	bool large;
	uint64_t check_every;
	uint64_t next_check;
	struct sim_id_ent *by_id; /* [n], sorted by id; NULL in the normal mode */
	uint64_t *ids[2];      /* [max(n, 16)] each: room for member lists (check.c) */
	int lost_live;         /* [LOST] lines naming a node alive as it was printed */
	char first_lost[128];  /* the first of them: who, whom, when */
} cluster;

/*
 * n nodes (up to SIM_MAX_NODES, or SIM_LARGE_MAX in the large mode, which
 * any n > SIM_MAX_NODES means: nicks n0, n1, ... instead of alice, carol...).
 */
void cluster_init(cluster *c, uint64_t seed, int n, bool verbose);
/*
 * Broker mode (o->on), right after cluster_init: the nodes find each other
 * by roll call and link through the fake broker (simbroker.h, bnode.h)
 * instead of dialling over simnet.  Without it nothing changes, not even
 * the rng's draws.
 */
void cluster_use_broker(cluster *c, const broker_opts *o);
void cluster_free(cluster *c);

/* Print a trace line (with -v only), prefixed with the virtual time. */
void cluster_trace(cluster *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Record a violation (the first one wins) and trace it. */
void cluster_fail(cluster *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Start (or restart, with a new incarnation) the node on host i. */
void cluster_start(cluster *c, int i);
/* Kill the node on host i; rst: the far ends see the links break. */
void cluster_crash(cluster *c, int i, bool rst);
void cluster_stall(cluster *c, int i, bool stalled);
/* Type a new, unique chat line at node i; returns its number or -1. */
int cluster_type(cluster *c, int i);
/*
 * The same through a guest of node i, attached first when there is none:
 * usually "g<i>", sometimes "g<j>" of another node (a user who moved on,
 * or two users who picked one nick).  The line's record is node i's, under
 * the guest's nick.  -1 when the node cannot take it (not running,
 * stalled, not in the chat, the nick is in use).
 */
int cluster_guest_type(cluster *c, int i);
/*
 * The insider (c->insider) acts as a modified binary would: a line under
 * another live node's nick, or a directive while it does not lead in its
 * own view.  Neither may take effect anywhere (checked as they are shown).
 */
void cluster_insider_act(cluster *c);
/* Type a command (a directive) at node i. */
void cluster_command(cluster *c, int i, const char *line);
void cluster_leave(cluster *c, int i);

/* Run every tick and delivery due before time t, then set the clock to t. */
void cluster_run_until(cluster *c, uint64_t t);

/* Whether node i runs a core that has not finished. */
bool cluster_alive(const cluster *c, int i);
/* Whether every started node that is alive has announced itself. */
bool cluster_all_announced(const cluster *c);
/* Whether a knows b, or b knows a (both as seen from outside). */
bool cluster_acquainted(const cluster *c, int a, int b);
/* The node with this id, or NULL. */
simnode *cluster_by_id(cluster *c, uint64_t id);

#endif
