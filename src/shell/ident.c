/* ident — see ident.h. */
#include "ident.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit_code.h"

/* mkdir -p with mode 0700 for the directories it creates. */
static int
make_dirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static int
default_dir(char *buf, size_t cap, const char *nick)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg && *xdg)
		n = snprintf(buf, cap, "%s/chorus/%s", xdg, nick);
	else if (home && *home)
		n = snprintf(buf, cap, "%s/.local/share/chorus/%s", home, nick);
	else
		return -1;
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Close the store after a failure; returns code. */
static int
ident_fail(ident *out, int code)
{
	store_close(out->store);
	out->store = NULL;
	return code;
}

int
ident_open(ident *out, const char *dir, const char *nick, failure *f)
{
	char err[4096 + 512];
	int rc;

	out->store = NULL;
	if (dir)
		snprintf(out->dir, sizeof out->dir, "%s", dir);
	else if (default_dir(out->dir, sizeof out->dir, nick) != 0) {
		return failure_set(f, CHORUS_EXIT_USAGE,
				   "no data directory: set --data, XDG_DATA_HOME or HOME");
	}
	if ((rc = store_exists(out->dir, err, sizeof err)) == 0)
		return 0;
	if (rc < 0 || (out->store = store_open(out->dir, err, sizeof err)) == NULL)
		return failure_set(f, CHORUS_EXIT_IO, "%s", err);
	if (store_get_identity(out->store, &out->who) != 1) {
		failure_set(f, CHORUS_EXIT_IO, "%s", store_error(out->store));
		return ident_fail(out, f->code);
	}
	if (strcasecmp(out->who.nick, nick) != 0) {
		failure_set(f, CHORUS_EXIT_USAGE, "data directory %s belongs to \"%s\", not \"%s\"",
			    out->dir, out->who.nick, nick);
		return ident_fail(out, f->code);
	}
	return 0;
}

int
ident_create(ident *out, const char *nick, failure *f)
{
	char err[4096 + 512];

	if (make_dirs(out->dir) != 0)
		return failure_io(f, "create data directory", out->dir);
	crypto_sign_keypair(out->who.pk, out->who.sk);
	out->who.id = sign_id(out->who.pk);
	snprintf(out->who.nick, sizeof out->who.nick, "%s", nick);
	if ((out->store = store_create(out->dir, &out->who, err, sizeof err)) == NULL)
		return failure_set(f, CHORUS_EXIT_IO, "%s", err);
	return 0;
}
