/*
 * roll — the roll call's rules (broker mode, SPEC section 10), one for the
 * shell's broker (broker.c) and the simulator's: who answers a roll call,
 * and when a node calls again.
 *
 * A node calls when it starts and each time its connection to the broker
 * is made again; a member of the chat also calls every ROLL_AGAIN_MS.  A
 * member answers every call; a node still joining answers only a caller
 * that started after it (earlier start, then lower ID, is older), so two
 * nodes that start together find each other and the older founds the
 * chat.  A node still joining that hears a call it does not answer (the
 * caller is older) calls again itself: its own first call may have gone
 * out before the older caller's queue was there (clocks that disagree make
 * "older" differ from "first"), and the older one answers the new call.
 * Calling again is what joins two chats that were founded apart
 * (a roll call the broker lost, a broker that restarted empty): each side
 * learns of the other and links to it, as after a partition.
 */
#ifndef CHORUS_ROLL_H
#define CHORUS_ROLL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ROLL_AGAIN_MS 30000

/* Whether a node (joined, started at mine, ID my_id) answers a call. */
static inline bool
roll_answers(bool joined, uint64_t mine, const char *my_id, uint64_t theirs,
	     const char *their_id)
{
	if (strcmp(my_id, their_id) == 0)
		return false; /* our own call, come back through the fanout */
	return joined || mine < theirs || (mine == theirs && strcmp(my_id, their_id) < 0);
}

/* Whether a node that heard a call calls again (it is joining, does not answer). */
static inline bool
roll_calls_again(bool joined, uint64_t mine, const char *my_id, uint64_t theirs,
		 const char *their_id)
{
	return !joined && strcmp(my_id, their_id) != 0 &&
	       !roll_answers(joined, mine, my_id, theirs, their_id);
}

#endif
