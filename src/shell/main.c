/*
 * main — the chorus program: picks the subcommand (and a node's front ends)
 * and hands over.
 */
#include <stdio.h>
#include <sodium.h>
#include <string.h>

#include "chatterbox.h"
#include "connect.h"
#include "exit_code.h"
#include "gate.h"
#include "opts.h"
#include "run.h"
#include "term_front.h"

/* A node's front ends: the IRC gateway (with --irc) and the terminal. */
static const front_plug node_fronts[] = {{gate_front, NULL}, {term_front, NULL}};

int
main(int argc, char **argv)
{
	node_opts o;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "chatterbox") == 0 || strcmp(argv[1], "connect") == 0)) {
		if (sodium_init() < 0) {
			fputs("chorus: cannot initialise libsodium\n", stderr);
			return CHORUS_EXIT_IO;
		}
		return argv[1][1] == 'h' ? chatter_main(argc - 1, argv + 1)
					 : connect_main(argc - 1, argv + 1);
	}
	rc = opts_parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (sodium_init() < 0) {
		fputs("chorus: cannot initialise libsodium\n", stderr);
		return CHORUS_EXIT_IO;
	}
	return run_node(&o, node_fronts, (int)(sizeof node_fronts / sizeof node_fronts[0]));
}
