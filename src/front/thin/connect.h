/*
 * connect — the `chorus connect` subcommand: the thin client (thin.h).
 */
#ifndef CHORUS_CONNECT_H
#define CHORUS_CONNECT_H

/* argv[0] is "connect".  Returns the process exit code. */
int connect_main(int argc, char **argv);

#endif
