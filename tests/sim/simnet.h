/*
 * simnet — the simulator's fake network: TCP-like links between simulated
 * hosts, on a virtual clock, with the faults the core must survive.
 *
 * Model (what a shell on a real network would see):
 *  - A host has an address "HOST:PORT".  A connect to it is accepted by the
 *    host's kernel if a node runs there, refused if the host is up with no
 *    node (crashed or exited process), and hangs while the host is powered
 *    off or cut off by a partition (the SYN is retried until it gets
 *    through).
 *  - Each link has two directions; each is a FIFO with a random delay per
 *    item, clamped so that items never overtake each other (TCP order).
 *  - A partition holds every item between the two sides (nothing is lost:
 *    TCP retransmits) until it heals; the core itself closes links that stay
 *    silent too long.
 *  - A stalled node (SIGSTOP) processes nothing: items for it wait, its
 *    kernel still accepts connections.
 *  - close() flushes, then a FIN reaches the far end (a link-down there).
 *    Data reaching an end that is closed is answered with a RST by a host
 *    whose kernel is up (a restarted process, an exited one).
 *  - A crash closes every end of the node; the far ends get a RST after a
 *    short delay (process killed) or nothing at all (host powered off).
 *
 * The network never calls the cores: simnet_pop hands out one delivery at a
 * time and the cluster feeds it to the node.  Link ids are per host and
 * never reused.
 */
#ifndef SIM_SIMNET_H
#define SIM_SIMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define SIMNET_MAX_HOSTS 8
#define SIMNET_MAX_LINKS 1024 /* the room for links at first */

typedef struct simnet simnet;

typedef enum simnet_kind { SIMNET_UP, SIMNET_DOWN, SIMNET_FRAME } simnet_kind;

/* One thing for a node to process; valid until the next simnet_pop. */
typedef struct simnet_delivery {
	int host;             /* the receiving host */
	simnet_kind kind;
	uint32_t link;        /* the link id at that host */
	bool outgoing;        /* SIMNET_UP: this host dialled */
	const char *text;     /* SIMNET_UP: the remote host; SIMNET_DOWN: why */
	const uint8_t *data;  /* SIMNET_FRAME: one whole frame, header included */
	size_t len;
} simnet_delivery;

/*
 * The rng is borrowed for delays.  Hosts are added with simnet_add_host:
 * up to SIMNET_MAX_HOSTS, or nhosts with simnet_new_hosts (the large
 * mode).  Links are as many as are needed (SIMNET_MAX_LINKS at first);
 * a send, a close and each delivery cost what is in flight, not what is
 * linked, so a mesh of hundreds of nodes stays cheap.
 */
simnet *simnet_new(rng *r, unsigned max_delay_ms);
simnet *simnet_new_hosts(rng *r, unsigned max_delay_ms, int nhosts);
void simnet_free(simnet *n);
/* Host index h gets this address.  Hosts start powered on, with no node. */
void simnet_add_host(simnet *n, int h, const char *host, uint16_t port);

/* A node runs on h (accepts connects) or not; a stall; power. */
void simnet_set_running(simnet *n, int h, bool running);
void simnet_set_stalled(simnet *n, int h, bool stalled);
void simnet_set_power(simnet *n, int h, bool on);

/* --- what a node does (the io callbacks) ------------------------------ */

/* Start a connect; returns the new link id at host `from`. */
uint32_t simnet_connect(simnet *n, int from, const char *host, uint16_t port, uint64_t now);
/* Queue a frame; -1 when the link is unknown, closed or not up yet. */
int simnet_send(simnet *n, int from, uint32_t link, const uint8_t *buf, size_t len,
	     uint64_t now);
/* Close an end (FIN after what is queued); -1 when the link is unknown. */
int simnet_close(simnet *n, int from, uint32_t link, uint64_t now);

/* --- faults ------------------------------------------------------------ */

/* Every end at h vanishes; with rst the far ends get a RST. */
void simnet_crash(simnet *n, int h, bool rst, uint64_t now);
/* The node on h exited: every end is closed with a FIN. */
void simnet_exit(simnet *n, int h, uint64_t now);
/* Break one random link that is up at both ends; false when there is none. */
bool simnet_break_random(simnet *n, uint64_t now);
/* Start a partition: hosts with side[h] != side[k] cannot talk. */
void simnet_partition(simnet *n, const int *side, int nhosts);
void simnet_heal(simnet *n);
bool simnet_partitioned(const simnet *n);

/* --- the clock ---------------------------------------------------------- */

/* The earliest time something can be delivered, or UINT64_MAX. */
uint64_t simnet_next(simnet *n);
/* Take one delivery due at `now`; false when nothing more is due. */
bool simnet_pop(simnet *n, uint64_t now, simnet_delivery *out);

/* Items handed out since simnet_new (for statistics). */
uint64_t simnet_delivered(const simnet *n);

#endif
