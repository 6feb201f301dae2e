/*
 * term_front — the terminal as a front end of the runner (front.h): lines
 * typed go to the core (node_input), the end of input makes the node leave,
 * and the core's events become the SPEC's lines (with --timestamps, each
 * prefixed by the local time), gathered during a loop pass and printed
 * only after the pass's batch is on disk.
 */
#ifndef CHORUS_TERM_FRONT_H
#define CHORUS_TERM_FRONT_H

#include "front.h"

/* The maker (arg unused): always made; reads stdin unless --headless. */
int term_front(void *arg, const front_env *env, front *out);

#endif
