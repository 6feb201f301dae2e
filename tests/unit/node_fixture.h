/*
 * The node tests' fixture (node_fixture.c), shared by tests/unit/test_node_*.c:
 * two or three nodes driven by hand through the core's API, whose io
 * callbacks record what they print and send, with the test carrying each
 * frame across like a network would.  Each node's records are kept in the
 * simulator's memory store (tests/sim/memstore.c); peers are played by hand
 * with tests/sim/inject.c.
 */
#ifndef NODE_FIXTURE_H
#define NODE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inject.h"
#include "memstore.h"
#include "node.h"
#include "wire.h"

/*
 * alice, bob and carol: ids come from their keys (sign_id), found by
 * make_keys() (each test's main calls it first) from fixed seeds so that
 * alice's id < bob's < carol's.
 */
extern uint8_t keys[3][SIGN_PK + SIGN_SK];
extern uint64_t A_ID, B_ID, C_ID;
void make_keys(void);

#define MAX_LINES 128
#define MAX_FRAMES 256

typedef struct frame {
	uint32_t link;
	uint8_t *buf;
	size_t len;
} frame;

/* One node and everything its io callbacks were asked to do. */
typedef struct fake {
	memstore store;   /* first: the memstore_io callbacks find it at ctx */
	node *n;
	const char *host;
	char lines[MAX_LINES][256];
	int nlines;
	frame out[MAX_FRAMES];
	int nout;
	char dialled[16][80]; /* "host:port" of each connect, in order */
	int ndialled;
	uint32_t next_link;
	uint32_t closed[32];
	int nclosed;
	int exit_code;
	char last_log[512];
	char guest_notice[80]; /* the last io.guest call: "what nick arg" */
} fake;

/* The core's entry points, each followed by the end of the batch. */
void call_frame(fake *f, uint64_t now, uint32_t link, const uint8_t *body, size_t len);
void call_tick(fake *f, uint64_t now);
void call_input(fake *f, uint64_t now, const char *line, size_t len);
void call_link_up(fake *f, uint64_t now, uint32_t link, bool outgoing, const char *host);
void call_link_down(fake *f, uint64_t now, uint32_t link, const char *why);
void input(fake *f, uint64_t now, const char *line);
void ticks(fake *f, uint64_t from, uint64_t to);
void inject(fake *f, uint32_t l, uint64_t now, const wire_msg *m);

/* Starting and stopping nodes. */
node_io io_of(fake *f);
extern uint64_t next_started_ms;
extern bool next_seeds_are_peers; /* for the next start only */
extern uint64_t next_last_inc;     /* for the next start only: the store's last incarnation */
extern unsigned next_relay_from;   /* for every start: node_config's (0: the default) */
void start_skewed(fake *f, uint64_t id, uint64_t now, const char *nick, const char *host,
		  const char *seed, int64_t skew);
void start(fake *f, uint64_t id, uint64_t now, const char *nick, const char *host,
	   const char *seed);
void stop(fake *f);
void stop3(fake *a, fake *b, fake *c);

/* Carrying frames. */
void drop_sent(fake *f);
int pump(fake *from, uint32_t fl, fake *to, uint32_t tl, uint64_t now);
void link_up(fake *a, uint32_t al, fake *b, uint32_t bl, uint64_t now);
void settle(fake *a, uint32_t al, fake *b, uint32_t bl, uint64_t now);
void settle3(fake *a, fake *b, fake *c, uint64_t now);
void mesh3(fake *a, fake *b, fake *c, uint64_t from, uint64_t to);

/* What a node showed. */
int find_line(const fake *f, const char *line);
int count_line(const fake *f, const char *line);
const char *last_line(const fake *f);

/* Chats: alice and bob (pair, settled_pair); alice, bob and carol (trio). */
void pair(fake *a, fake *b);
void settled_pair(fake *a, fake *b);
void carol_joins_bob(fake *c, fake *b);
void trio(fake *a, fake *b, fake *c);

/* A CHAT record of sender's, stamped ms. */
void set_chat(wire_msg *m, uint64_t sender, uint64_t seq, uint64_t ms, const char *nick,
	      const char *text);

#endif
