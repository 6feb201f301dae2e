/*
 * cmd — what a line typed by the user means (SPEC section 3).
 *
 * A line is either a chat message, a command (`\word`), a leader directive
 * (`!word NICK`) or a request to leave.  Parsing is pure and allocation-free:
 * the argument points into the line.
 */
#ifndef CHORUS_CMD_H
#define CHORUS_CMD_H

#include <stdbool.h>
#include <stddef.h>

typedef enum cmd_kind {
	CMD_NONE,     /* an empty line: nothing to do */
	CMD_MESSAGE,  /* chat text: arg is the whole line */
	CMD_QUIT,     /* bye, exit, \quit */
	CMD_LIST_USERS,
	CMD_CURRENT_LEADER,
	CMD_IS_LEADER,
	CMD_STATE,
	CMD_CHECKSUM,
	CMD_HISTORY,  /* arg: the optional count */
	CMD_HELP,
	CMD_SILENCE,  /* arg: the nick */
	CMD_UNSILENCE,
	CMD_REMOVE,
	CMD_READMIT,  /* arg: the nick */
	CMD_UNKNOWN,  /* arg: the unknown word */
} cmd_kind;

typedef struct cmd {
	cmd_kind kind;
	const char *arg;
	size_t arg_len;
} cmd;

/* Parse one line (without its newline). */
cmd cmd_parse(const char *line, size_t len);

/* The help text: NULL-terminated array of lines. */
extern const char *const cmd_help[];

#endif
