/*
 * Unit tests of the thin client's logic: registration, the screen it
 * makes of IRC, resending what the history has not echoed, skipping
 * replayed lines, and how it ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exit_code.h"
#include "thin.h"

#define MAX_LINES 64

typedef struct fake {
	char sent[MAX_LINES][512];
	int nsent;
	char shown[MAX_LINES][512];
	int nshown;
	int retries;
	int code; /* -1 while running */
} fake;

static void
f_send(void *ctx, const char *line, size_t len)
{
	fake *f = ctx;

	if (f->nsent < MAX_LINES)
		snprintf(f->sent[f->nsent++], 512, "%.*s", (int)len, line);
}

static void
f_print(void *ctx, const char *line)
{
	fake *f = ctx;

	if (f->nshown < MAX_LINES)
		snprintf(f->shown[f->nshown++], 512, "%s", line);
}

static void
f_note(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static void
f_retry(void *ctx, const char *why)
{
	(void)why;
	((fake *)ctx)->retries++;
}

static void
f_exit(void *ctx, int code)
{
	((fake *)ctx)->code = code;
}

static thin *
start(fake *f)
{
	thin_io io = {f, f_send, f_print, f_note, f_retry, f_exit};

	memset(f, 0, sizeof *f);
	f->code = -1;
	return thin_new("tina", NULL, "s", &io);
}

static void
hear(thin *t, const char *line)
{
	thin_line(t, line, strlen(line));
}

static void
type(thin *t, const char *line)
{
	thin_input(t, line, strlen(line));
}

static bool
sent(const fake *f, const char *line)
{
	for (int i = 0; i < f->nsent; i++)
		if (strcmp(f->sent[i], line) == 0)
			return true;
	return false;
}

static int
count_sent(const fake *f, const char *prefix)
{
	int k = 0;

	for (int i = 0; i < f->nsent; i++)
		k += strncmp(f->sent[i], prefix, strlen(prefix)) == 0;
	return k;
}

static const char *
last_shown(const fake *f)
{
	return f->nshown ? f->shown[f->nshown - 1] : "";
}

/* Connected, registered and joined. */
static void
join(thin *t)
{
	thin_connected(t);
	hear(t, ":n.chorus 001 tina :Welcome");
	hear(t, ":tina!tina@chorus JOIN #chorus");
	hear(t, ":n.chorus 366 tina #chorus :End of /NAMES list.");
}

static void
test_registers_joins_and_shows_the_chat(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	join(t);
	assert_true(sent(&f, "CAP REQ :server-time echo-message message-tags"));
	assert_true(sent(&f, "NICK tina"));
	assert_true(sent(&f, "JOIN #chorus"));
	assert_string_equal(f.shown[0], "[JOIN] tina joined the chat");
	assert_true(sent(&f, "PRIVMSG #chorus :\\list_users"));
	hear(t, ":n.chorus NOTICE tina :[USERS] alpha (leader), tina");
	assert_string_equal(last_shown(&f), "[USERS] alpha (leader), tina");
	hear(t, ":bob!bob@chorus JOIN #chorus");
	assert_string_equal(last_shown(&f), "[JOIN] bob joined the chat");
	hear(t, "@time=x;msgid=01-02 :bob!bob@chorus PRIVMSG #chorus :hi \x1b[2J");
	assert_string_equal(last_shown(&f), "[bob] hi \\e[2J");
	hear(t, ":n.chorus NOTICE #chorus :[LOST] bob is unreachable");
	assert_string_equal(last_shown(&f), "[LOST] bob is unreachable");
	hear(t, ":bob!bob@chorus NOTICE #chorus :[JOIN] fake event from a user");
	assert_string_equal(last_shown(&f), "[LOST] bob is unreachable");
	hear(t, ":bob!bob@chorus QUIT :left the chat");
	assert_string_equal(last_shown(&f), "[LEAVE] bob left the chat");
	thin_free(t);
}

static void
test_lines_are_resent_until_echoed(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	type(t, "early"); /* before any node: kept */
	assert_int_equal(count_sent(&f, "@+chorus.dev/id="), 0);
	join(t);
	assert_true(sent(&f, "@+chorus.dev/id=s.1 PRIVMSG #chorus :early"));
	type(t, "second");
	assert_true(sent(&f, "@+chorus.dev/id=s.2 PRIVMSG #chorus :second"));
	hear(t, "@msgid=05-01 :tina!tina@chorus PRIVMSG #chorus :early");
	assert_string_equal(last_shown(&f), "[tina] early");
	assert_int_equal(thin_pending(t), 1);

	/* The node dies; on the next one, only "second" goes again, same tag. */
	thin_disconnected(t);
	f.nsent = 0;
	join(t);
	assert_int_equal(count_sent(&f, "@+chorus.dev/id="), 1);
	assert_true(sent(&f, "@+chorus.dev/id=s.2 PRIVMSG #chorus :second"));
	/* The replay repeats what was seen: skipped; then the new. */
	int before = f.nshown;
	hear(t, "@msgid=05-01 :tina!tina@chorus PRIVMSG #chorus :early");
	assert_int_equal(f.nshown, before);
	hear(t, "@msgid=06-01 :tina!tina@chorus PRIVMSG #chorus :second");
	assert_string_equal(last_shown(&f), "[tina] second");
	assert_int_equal(thin_pending(t), 0);
	thin_free(t);
}

static void
test_quit_waits_for_lines_typed_last(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	join(t);
	type(t, "last words");
	thin_quit(t);
	assert_int_equal(f.code, -1);
	hear(t, "@msgid=07-01 :tina!tina@chorus PRIVMSG #chorus :last words");
	assert_int_equal(f.code, CHORUS_EXIT_LEFT);
	assert_string_equal(last_shown(&f), "[LEAVE] tina left the chat");
	assert_true(sent(&f, "QUIT :bye"));
	thin_free(t);

	t = start(&f);
	join(t);
	type(t, "never confirmed");
	thin_quit(t);
	thin_quit(t); /* the second time: at once */
	assert_int_equal(f.code, CHORUS_EXIT_LEFT);
	thin_free(t);
}

static void
test_refusals(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	thin_connected(t);
	hear(t, ":n.chorus 433 * tina :Nickname is already in use");
	assert_int_equal(f.code, CHORUS_EXIT_NICK_TAKEN);
	thin_free(t);

	t = start(&f);
	thin_connected(t);
	hear(t, ":n.chorus 464 * :Password incorrect");
	assert_int_equal(f.code, CHORUS_EXIT_AUTH);
	thin_free(t);

	t = start(&f);
	thin_connected(t);
	hear(t, ":n.chorus 432 * tina :Erroneous nickname");
	assert_int_equal(f.code, CHORUS_EXIT_USAGE);
	thin_free(t);

	t = start(&f);
	thin_connected(t);
	hear(t, ":n.chorus 465 tina :You are banned from this server");
	assert_string_equal(last_shown(&f), "[REMOVED] removed by the leader");
	assert_int_equal(f.code, CHORUS_EXIT_REMOVED);
	thin_free(t);

	/* Back after a failover, the nick may still be held: wait, not exit. */
	t = start(&f);
	join(t);
	thin_disconnected(t);
	thin_connected(t);
	hear(t, ":n.chorus 433 * tina :Nickname is already in use");
	assert_int_equal(f.code, -1);
	assert_int_equal(f.retries, 1);
	thin_free(t);

	t = start(&f);
	join(t);
	type(t, "muted");
	hear(t, ":n.chorus 404 tina #chorus :Cannot send to channel (you are silenced)");
	assert_string_equal(last_shown(&f), "[ERROR] you are silenced");
	assert_int_equal(thin_pending(t), 0);
	hear(t, ":alpha!alpha@chorus KICK #chorus tina :removed by alpha");
	assert_string_equal(last_shown(&f), "[REMOVED] removed by alpha");
	assert_int_equal(f.code, CHORUS_EXIT_REMOVED);
	thin_free(t);
}

static void
test_renamed_after_a_clash(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	join(t);
	hear(t, ":tina!tina@chorus NICK :Guest12345");
	assert_string_equal(last_shown(&f),
			    "[INFO] your nick was taken by another user; you are now Guest12345");
	type(t, "still me");
	hear(t, "@msgid=09-01 :Guest12345!Guest12345@chorus PRIVMSG #chorus :still me");
	assert_int_equal(thin_pending(t), 0);
	thin_free(t);
}

/* What came from the network is escaped once: by event_format, or for a nick by thin. */
static void
test_escapes_once(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	join(t);
	hear(t, ":ev\x1bil!x@chorus JOIN #chorus");
	assert_string_equal(last_shown(&f), "[JOIN] ev\\eil joined the chat");
	hear(t, ":ev\x1bil!x@chorus QUIT :bye");
	assert_string_equal(last_shown(&f), "[LEAVE] ev\\eil left the chat");
	type(t, "tab\there");
	/* the gateway echoes it escaped, as a node shows it */
	hear(t, "@msgid=0a-01 :tina!tina@chorus PRIVMSG #chorus :tab\\there");
	assert_string_equal(last_shown(&f), "[tina] tab\\there");
	assert_int_equal(thin_pending(t), 0);
	hear(t, ":n.chorus NOTICE #chorus :[MOD] \x1b[2J");
	assert_string_equal(last_shown(&f), "[MOD] \\e[2J");
	hear(t, ":ev\x1bil!x@chorus KICK #chorus tina :removed");
	assert_string_equal(last_shown(&f), "[REMOVED] removed by ev\\eil");
	thin_free(t);
}

static void
test_answers_ping(void **state)
{
	fake f;
	thin *t = start(&f);

	(void)state;
	join(t);
	hear(t, "PING :n.chorus");
	assert_true(sent(&f, "PONG :n.chorus"));
	hear(t, ":n.chorus PING :abc def");
	assert_true(sent(&f, "PONG :abc def"));
	assert_int_equal(f.nshown, 1); /* only the JOIN: nothing of it on the screen */
	thin_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_joins_and_shows_the_chat),
		cmocka_unit_test(test_answers_ping),
		cmocka_unit_test(test_lines_are_resent_until_echoed),
		cmocka_unit_test(test_quit_waits_for_lines_typed_last),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_renamed_after_a_clash),
		cmocka_unit_test(test_escapes_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
