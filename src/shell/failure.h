/*
 * failure — why a step of the shell failed, for its caller to say: a line
 * of text, maybe a hint on a second line, and the process exit code it
 * calls for.  The modules that open the node's data (ident, secret) fill
 * one in and return its code; the runner prints it, once, the way it
 * prints every other reason to stop ("chorus: WHY").
 */
#ifndef CHORUS_FAILURE_H
#define CHORUS_FAILURE_H

#include <stdio.h>

typedef struct failure {
	int code;        /* an exit code (exit_code.h), never 0 once set */
	char why[4608];  /* room for a path, and more */
	char hint[512];  /* "" or what to do about it */
} failure;

/* Fill in f (why in printf's format, no hint) and return code. */
int failure_set(failure *f, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "cannot WHAT PATH: strerror(errno)", exit code CHORUS_EXIT_IO. */
int failure_io(failure *f, const char *what, const char *path);
/* Print f on out: "chorus: WHY", and "chorus: HINT" when there is one. */
void failure_print(const failure *f, FILE *out);

#endif
