/*
 * idle — the deadlines of a connection that must earn its place: when the
 * shell should ask it for a sign of life, and when it should close it.
 * Pure bookkeeping; the clock is passed in.
 *
 * A new connection has setup_ms to get set up (a link's handshake, an IRC
 * client's registration), counted from when it came.  Nothing it sends
 * meanwhile extends that: a peer that drips a byte now and then holds its
 * place no longer than one that sends nothing.  Once set up, a connection
 * quiet for ping_ms is asked for a sign of life (PING), and one that then
 * says nothing for another ping_ms is gone.  The answer time runs from the
 * asking, so a check that comes late (the node was stopped) asks before
 * it closes anything.  With ping_ms 0 a set-up connection is never asked
 * and never expires (a node's links have the core's heartbeats).
 *
 *   SETUP --idle_ready--> UP --quiet ping_ms--> PINGED --ping_ms more--> SILENT
 *     |                    ^                      |
 *     | setup_ms passed    +------idle_heard------+
 *     v
 *    LATE
 *
 * While the shell does not read a connection (the node is busy), the time
 * must not count against it: idle_pause restarts its clock.
 *
 * When a budget of connections not set up yet is full, one of them makes
 * room for a newcomer, and idle_pick says which: the first there is of
 *   1. one that has said nothing while `grace` newer connections came
 *      after it (an honest client speaks first thing: a joiner's HELLO, an
 *      IRC client's PASS, NICK and USER come with its connection);
 *   2. one that has not proved it knows the chat's secret (idle_proved:
 *      an IRC client's right PASS);
 *   3. any;
 * the oldest first within each.  A flood of silent sockets then never
 * pushes out a connection that has started, however long its round
 * trips, nor a flood of any kind one that gave the secret; a flood that
 * speaks makes every other newcomer a race against a budget's worth of
 * newer connections, as plain oldest-first would.
 */
#ifndef CHORUS_IDLE_H
#define CHORUS_IDLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct idle_limits {
	unsigned setup_ms;      /* to get set up, from the connection's start */
	unsigned ping_ms;       /* set up: quiet this long is asked, then has as long to answer; 0: never */
} idle_limits;

typedef struct idle {
	uint64_t since;         /* the start (SETUP), or when last heard (UP) */
	uint64_t asked;         /* when it was asked (PINGED) */
	bool ready;             /* set up */
	bool spoke;             /* something arrived (before it was set up, too) */
	bool proved;            /* it proved it knows the chat's secret */
	bool pinged;            /* asked, and not heard since */
} idle;

typedef enum idle_verdict {
	IDLE_OK,
	IDLE_PING,              /* ask for a sign of life now */
	IDLE_LATE,              /* not set up within setup_ms: close it */
	IDLE_SILENT,            /* asked, and no answer within ping_ms: close it */
} idle_verdict;

/* A connection starts (its setup deadline runs from now). */
void idle_start(idle *s, uint64_t now);
/* It proved it knows the chat's secret, not set up yet: it makes room last. */
void idle_proved(idle *s);
/* It is set up: from now on, only quiet time counts. */
void idle_ready(idle *s, uint64_t now);
/* Something arrived from it. */
void idle_heard(idle *s, uint64_t now);
/* It is not being read: the time until now does not count against it. */
void idle_pause(idle *s, uint64_t now);
/*
 * What to do with it now.  IDLE_PING comes once per quiet spell (the
 * call records it); IDLE_LATE and IDLE_SILENT keep coming until the
 * connection is closed.
 */
idle_verdict idle_check(idle *s, const idle_limits *l, uint64_t now);

/*
 * v: the n connections of a budget, none set up yet, newest first.  The
 * index of the one to make room for a newcomer (-1 when n is 0).
 */
int idle_pick(const idle *const *v, int n, int grace);

#endif
