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

static int
io_error(const char *what, const char *path)
{
	fprintf(stderr, "chorus: cannot %s %s: %s\n", what, path, strerror(errno));
	return CHORUS_EXIT_IO;
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
lost(const char *dir)
{
	fprintf(stderr,
		"chorus: %s/secret is missing or empty, yet %s holds this node's history: "
		"no new chat is made over it\n"
		"chorus: give the chat's secret with --secret-file or CHORUS_SECRET (any "
		"member's data directory has it in \"secret\"), or start a new chat with "
		"another --data directory\n",
		dir, dir);
	return CHORUS_EXIT_IO;
}

/* The one in the data directory, or a new one. */
static int
find_kept(const char *dir, bool new_chat, bool was_kept, text *t)
{
	char kept[4200];
	int rc;

	snprintf(kept, sizeof kept, "%s/secret", dir);
	if ((rc = read_file(kept, t)) < 0)
		return io_error("read", kept);
	if (rc > 0 && t->len > 0) {
		t->kept = true;
		return 0;
	}
	if (was_kept)
		return lost(dir);
	if (!new_chat) {
		fprintf(stderr, "chorus: authentication failed: no secret "
				"(give --secret-file or CHORUS_SECRET)\n");
		return CHORUS_EXIT_AUTH;
	}
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
find(const char *dir, const char *file, bool new_chat, bool was_kept, text *t)
{
	const char *env = getenv("CHORUS_SECRET");
	int rc;

	if (file) {
		if ((rc = read_file(file, t)) <= 0) {
			if (rc < 0)
				return io_error("read", file);
			fprintf(stderr, "chorus: no secret file %s\n", file);
			return CHORUS_EXIT_USAGE;
		}
	} else if (env && *env) {
		if (strlen(env) > SECRET_MAX) {
			fprintf(stderr, "chorus: CHORUS_SECRET is over %d bytes\n", SECRET_MAX);
			return CHORUS_EXIT_USAGE;
		}
		t->len = strlen(env);
		memcpy(t->s, env, t->len + 1);
	} else {
		return find_kept(dir, new_chat, was_kept, t);
	}
	if (t->len == 0) {
		fprintf(stderr, "chorus: the secret is empty\n");
		return CHORUS_EXIT_USAGE;
	}
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
secret_find(secret *out, const char *dir, const char *file, bool new_chat, bool was_kept)
{
	int rc;

	secret_wipe(out);
	if ((rc = find(dir, file, new_chat, was_kept, out)) != 0)
		secret_wipe(out);
	return rc;
}

int
secret_derive(const secret *s, uint8_t psk[SEAL_KEY], uint8_t check[SECRET_CHECK])
{
	secret_check_of(s->s, s->len, check);
	if (seal_psk(s->s, s->len, psk) != 0) {
		fprintf(stderr, "chorus: out of memory deriving the secret's key\n");
		return 1;
	}
	return 0;
}

int
secret_keep(secret *s, const char *dir)
{
	int rc = 0;

	if (!s->kept && keep(dir, s) != 0)
		rc = io_error("write the secret to", dir);
	else if (s->made)
		fprintf(stderr,
			"chorus: a new chat; its secret is in %s/secret\n"
			"chorus: others join with --secret-file (a copy of that file) or\n"
			"chorus:   CHORUS_SECRET=%s\n",
			dir, s->s);
	secret_wipe(s);
	return rc;
}
