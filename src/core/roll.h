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
 * chat.  Calling again is what joins two chats that were founded apart
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

#endif
