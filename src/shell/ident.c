/* ident — see ident.h. */
#include "ident.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int
fail(const char *what, const char *path)
{
	fprintf(stderr, "chorus: cannot %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

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

static int
read_identity(const char *path, uint64_t *id, char *nick, size_t nickcap)
{
	FILE *f = fopen(path, "r");
	char fmt[64];
	int got;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	snprintf(fmt, sizeof fmt, "id=%%" SCNx64 " nick=%%%zus", nickcap - 1);
	got = fscanf(f, fmt, id, nick);
	fclose(f);
	if (got != 2) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

static int
write_identity(const char *dir, const char *path, uint64_t id, const char *nick)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s/identity.tmp", dir);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "id=%016" PRIx64 "\nnick=%s\n", id, nick);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
ident_open(ident *out, const char *dir, const char *nick)
{
	char path[4200], stored[64];
	int rc;

	if (dir)
		snprintf(out->dir, sizeof out->dir, "%s", dir);
	else if (default_dir(out->dir, sizeof out->dir, nick) != 0) {
		fprintf(stderr, "chorus: no data directory: set --data, XDG_DATA_HOME or HOME\n");
		return 2;
	}
	if (make_dirs(out->dir) != 0)
		return fail("create data directory", out->dir);
	snprintf(path, sizeof path, "%s/identity", out->dir);
	rc = read_identity(path, &out->id, stored, sizeof stored);
	if (rc < 0)
		return fail("read", path);
	if (rc > 0) {
		if (strcasecmp(stored, nick) != 0) {
			fprintf(stderr, "chorus: data directory %s belongs to \"%s\", not \"%s\"\n",
				out->dir, stored, nick);
			return 2;
		}
		return 0;
	}
	do {
		if (getrandom(&out->id, sizeof out->id, 0) != sizeof out->id)
			return fail("draw a random identity for", out->dir);
	} while (out->id == 0);
	if (write_identity(out->dir, path, out->id, nick) != 0)
		return fail("write", path);
	return 0;
}
