/*
 * exit_code — the process's exit codes (README, "Exit codes"), named once
 * for the core (node_finish) and the shell (main, options, the data
 * directory, the secret, the runner).
 */
#ifndef CHORUS_EXIT_CODE_H
#define CHORUS_EXIT_CODE_H

enum chorus_exit {
	CHORUS_EXIT_LEFT = 0,       /* left normally (or --help, --version) */
	CHORUS_EXIT_IO = 1,         /* an I/O error; the data directory refused; cannot listen */
	CHORUS_EXIT_USAGE = 2,      /* the command line is wrong */
	CHORUS_EXIT_NICK_TAKEN = 3, /* the nick is a member's or an online IRC user's */
	CHORUS_EXIT_REMOVED = 4,    /* removed by the leader */
	CHORUS_EXIT_AUTH = 5,       /* authentication failed: no secret, or a wrong one */
	CHORUS_EXIT_CLOCK = 6,      /* our clock is off by more than the bound */
};

#endif
