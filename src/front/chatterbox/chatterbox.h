/*
 * chatterbox — `chorus chatterbox` (SPEC section 6): a node that, instead
 * of a keyboard, has a number generator.  It joins the peers of the peers
 * file, sends numbers as fast as the chat takes them for --send-for
 * seconds, only synchronises for --wait-for seconds, and before that ends
 * prints (COUNT, SUM) over the agreed history and leaves.
 */
#ifndef CHORUS_CHATTERBOX_H
#define CHORUS_CHATTERBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "store.h"

typedef struct chatter_run chatter_run;

/* `chorus chatterbox [OPTIONS]`: the process exit code. */
int chatter_main(int argc, char **argv);

/*
 * One turn of the loop (after the batch was committed): start sending,
 * send what the node takes, print the result when it is time.  True when
 * the run is over and the node should leave.
 */
bool chatter_turn(chatter_run *c, node *core, store *st, uint64_t now);

#endif
