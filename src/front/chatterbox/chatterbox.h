/*
 * chatterbox — `chorus chatterbox` (SPEC section 6): a node that, instead
 * of a keyboard, has a number generator.  It joins the peers of the peers
 * file, sends numbers as fast as the chat takes them for --send-for
 * seconds, only synchronises for --wait-for seconds, and before that ends
 * prints (COUNT, SUM) over the agreed history and leaves.
 */
#ifndef CHORUS_CHATTERBOX_H
#define CHORUS_CHATTERBOX_H

/* `chorus chatterbox [OPTIONS]`: the process exit code. */
int chatter_main(int argc, char **argv);

#endif
