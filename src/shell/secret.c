/* secret — see secret.h. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_code.h"

typedef secret text;

/* Read a whole small file; surrounding whitespace is not part of it. */
static int
read_file(const char *path, text *t)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	t->len = fread(t->s, 1, sizeof t->s, f);
	bool err = ferror(f), over = t->len > SECRET_MAX;
	fclose(f);
	if (err)
		return -1;
	if (over) {
		errno = EFBIG;
		return -1;
	}
	while (t->len && strchr(" \t\r\n", t->s[t->len - 1]))
		t->len--;
	t->s[t->len] = '\0';
	return 1;
}

/* Write the secret to dir/secret, mode 0600, through a temporary file. */
static int
keep(const char *dir, const text *t)
{
	char path[4200], tmp[4200];
	int fd;

	snprintf(path, sizeof path, "%s/secret", dir);
	snprintf(tmp, sizeof tmp, "%s/secret.tmp", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	bool ok = write(fd, t->s, t->len) == (ssize_t)t->len && write(fd, "\n", 1) == 1 &&
		  fsync(fd) == 0;
	if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A new chat: a new random secret, kept later (secret_keep). */
static void
make(text *t)
{
	uint8_t raw[32];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(t->s, sizeof t->s, raw, sizeof raw);
	t->len = strlen(t->s);
	t->made = true;
	sodium_memzero(raw, sizeof raw);
}

/* The secret the store says was kept is not there: damage, not a new chat. */
static int
lost(const char *dir, failure *f)
{
	failure_set(f, CHORUS_EXIT_IO, "%s/secret is missing or empty, yet %s holds this "
		    "node's history: no new chat is made over it", dir, dir);
	snprintf(f->hint, sizeof f->hint, "give the chat's secret with --secret-file or "
		 "CHORUS_SECRET (any member's data directory has it in \"secret\"), or start a "
		 "new chat with another --data directory");
	return f->code;
}

/* The one in the data directory, or a new one. */
static int
find_kept(const char *dir, bool new_chat, bool was_kept, text *t, failure *f)
{
	char kept[4200];
	int rc;

	snprintf(kept, sizeof kept, "%s/secret", dir);
	if ((rc = read_file(kept, t)) < 0)
		return failure_io(f, "read", kept);
	if (rc > 0 && t->len > 0) {
		t->kept = true;
		return 0;
	}
	if (was_kept)
		return lost(dir, f);
	if (!new_chat)
		return failure_set(f, CHORUS_EXIT_AUTH, "authentication failed: no secret "
				   "(give --secret-file or CHORUS_SECRET)");
	make(t);
	return 0;
}

/* Whether dir/secret holds t already. */
static bool
is_kept(const char *dir, const text *t)
{
	char kept[4200];
	static text old;
	bool same;

	snprintf(kept, sizeof kept, "%s/secret", dir);
	same = read_file(kept, &old) > 0 && old.len == t->len && memcmp(old.s, t->s, t->len) == 0;
	sodium_memzero(&old, sizeof old);
	return same;
}

static int
find(const char *dir, const char *file, bool new_chat, bool was_kept, text *t, failure *f)
{
	const char *env = getenv("CHORUS_SECRET");
	int rc;

	if (file) {
		if ((rc = read_file(file, t)) <= 0) {
			if (rc < 0)
				return failure_io(f, "read", file);
			return failure_set(f, CHORUS_EXIT_USAGE, "no secret file %s", file);
		}
	} else if (env && *env) {
		if (strlen(env) > SECRET_MAX)
			return failure_set(f, CHORUS_EXIT_USAGE, "CHORUS_SECRET is over %d bytes",
					   SECRET_MAX);
		t->len = strlen(env);
		memcpy(t->s, env, t->len + 1);
	} else {
		return find_kept(dir, new_chat, was_kept, t, f);
	}
	if (t->len == 0)
		return failure_set(f, CHORUS_EXIT_USAGE, "the secret is empty");
	t->kept = is_kept(dir, t);
	return 0;
}

void
secret_check_of(const char *s, size_t len, uint8_t check[SECRET_CHECK])
{
	crypto_generichash(check, SECRET_CHECK, (const uint8_t *)s, len,
			   (const uint8_t *)"chorus-pass", 11);
}

void
secret_wipe(secret *s)
{
	sodium_memzero(s, sizeof *s);
}

int
secret_find(secret *out, const char *dir, const char *file, bool new_chat, bool was_kept,
	    failure *f)
{
	int rc;

	secret_wipe(out);
	if ((rc = find(dir, file, new_chat, was_kept, out, f)) != 0)
		secret_wipe(out);
	return rc;
}

int
secret_derive(const secret *s, uint8_t psk[SEAL_KEY], uint8_t check[SECRET_CHECK], failure *f)
{
	secret_check_of(s->s, s->len, check);
	if (seal_psk(s->s, s->len, psk) != 0)
		return failure_set(f, CHORUS_EXIT_IO, "out of memory deriving the secret's key");
	return 0;
}

int
secret_keep(secret *s, const char *dir, failure *f)
{
	int rc = 0;

	if (!s->kept && keep(dir, s) != 0)
		rc = failure_io(f, "write the secret to", dir);
	else if (s->made)
		fprintf(stderr,
			"chorus: a new chat; its secret is in %s/secret\n"
			"chorus: others join with --secret-file (a copy of that file) or\n"
			"chorus:   CHORUS_SECRET=%s\n",
			dir, s->s);
	secret_wipe(s);
	return rc;
}
