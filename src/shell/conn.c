/* conn — see conn.h: what every transport shares (conn_tcp.c is TCP's). */
#include "conn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "xalloc.h"

#define CONN_KEEP_OUT (4 * 1024 * 1024)     /* a larger gather buffer is freed once written */

static const conn_handlers no_handlers; /* a conn the owner never got */

const char *
conn_strerror(int err)
{
	switch (err) {
	case CONN_ETOOLONG: return "line too long";
	case CONN_EQUEUE: return "send queue full";
	default: return uv_strerror(err);
	}
}

conn *
conn_new(uv_loop_t *loop, size_t size, const conn_transport *t, const conn_handlers *h,
	 void *data)
{
	conn *c = xcalloc(1, size);

	c->t = t;
	c->loop = loop;
	c->h = h;
	c->data = data;
	return c;
}

void
conn_disown(conn *c)
{
	c->closing = true; /* no callback: gone is the owner's only after success */
	c->h = &no_handlers;
}

void
conn_gone(conn *c)
{
	if (c->h->gone)
		c->h->gone(c);
	free(c->split);
	free(c->in);
	free(c->out);
	free(c);
}

void
conn_fail(conn *c, int err)
{
	if (c->closing || c->failed)
		return;
	c->failed = true;
	c->t->reading(c, false);
	c->h->fail(c, err);
}

/* --- reading ---------------------------------------------------------------------- */

/*
 * One read buffer for every conn that holds no partial frame, which is
 * nearly every conn nearly always: a read lands there, the framer takes
 * its whole frames, and only a partial frame left over is copied into the
 * conn's own buffer.  So an idle link holds no read buffer at all (a
 * 100-member node has 99 links).  Reads come one at a time from the loop;
 * busy covers a read delivered while another is being taken.
 */
static struct {
	uint8_t *buf;
	bool busy;
} spare;

uint8_t *
conn_room(conn *c, size_t *cap)
{
	size_t room = c->fr && c->fr->room ? c->fr->room(c, c->fs, c->inlen) : CONN_READ_CHUNK;

	c->in_spare = c->inlen == 0 && room <= CONN_READ_CHUNK && !spare.busy;
	if (c->in_spare) {
		if (spare.buf == NULL)
			spare.buf = xmalloc(CONN_READ_CHUNK);
		*cap = room;
		return spare.buf;
	}
	if (c->incap - c->inlen < room) {
		c->incap = c->inlen + room;
		c->in = xrealloc(c->in, c->incap);
	}
	*cap = c->incap - c->inlen;
	return c->in + c->inlen;
}

/* A read into the shared buffer: its whole frames taken, the rest kept. */
static void
took_spare(conn *c, size_t n)
{
	c->in_spare = false;
	spare.busy = true;
	size_t done = c->fr ? c->fr->read(c, c->fs, spare.buf, n) : n;
	spare.busy = false;
	if (c->closing || c->failed || done == n)
		return;
	if (c->incap < n - done) {
		c->incap = n - done;
		c->in = xrealloc(c->in, c->incap);
	}
	memcpy(c->in, spare.buf + done, n - done);
	c->inlen = n - done;
}

void
conn_took(conn *c, size_t n)
{
	if (n == 0 || c->closing) {
		c->in_spare = false;
		return;
	}
	if (c->h->heard)
		c->h->heard(c);
	if (c->in_spare) {
		took_spare(c, n);
		return;
	}
	c->inlen += n;
	size_t done = c->fr ? c->fr->read(c, c->fs, c->in, c->inlen) : c->inlen;
	if (c->closing || c->failed)
		return;
	memmove(c->in, c->in + done, c->inlen - done);
	c->inlen -= done;
	/* A conn's own buffer is for a partial frame only (spare above). */
	if (c->inlen == 0) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

void
conn_reading(conn *c, bool on)
{
	if (on == c->reading || c->closing || c->failed)
		return;
	c->reading = on;
	c->t->reading(c, on);
}

void
conn_frame(conn *c, const conn_framer *f, void *state)
{
	c->fr = f;
	c->fs = state;
}

/* --- writing ---------------------------------------------------------------------- */

void
conn_write(conn *c, const void *data, size_t len)
{
	if (c->up && len > 0)
		c->t->write(c, data, len);
}

void
conn_put(conn *c, const void *data, size_t len)
{
	if (c->closing)
		return;
	if (c->outcap - c->outlen < len) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap - c->outlen < len)
			cap *= 2;
		c->out = xrealloc(c->out, cap);
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
}

void
conn_send(conn *c, const void *frame, size_t len)
{
	if (c->fr && c->fr->encode)
		c->fr->encode(c, c->fs, frame, len);
	else
		conn_put(c, frame, len);
}

void
conn_flush(conn *c)
{
	uint8_t *out = c->out;
	size_t len = c->outlen, cap = c->outcap;

	if (len == 0 || c->flushing)
		return;
	/* Detached while written: what a callback gathers meanwhile goes to a new buffer. */
	c->flushing = true;
	c->out = NULL;
	c->outlen = c->outcap = 0;
	if (c->fr && c->fr->flush)
		c->fr->flush(c, c->fs, out, len);
	else
		conn_write(c, out, len);
	c->flushing = false;
	if (c->out == NULL && cap <= CONN_KEEP_OUT) {
		c->out = out; /* kept for the next pass */
		c->outcap = cap;
	} else {
		free(out);
	}
}

size_t
conn_pending(const conn *c)
{
	return c->outlen + c->t->queued(c);
}

void
conn_cap(conn *c, size_t bytes)
{
	c->cap = bytes;
}

/* --- closing ---------------------------------------------------------------------- */

void
conn_close(conn *c, conn_close_how how)
{
	if (!c->closing) {
		c->now = how == CONN_NOW;
		conn_flush(c);
		c->closing = true;
		c->t->reading(c, false);
	} else if (how == CONN_FLUSH) {
		return; /* closing already, at least as fast */
	}
	c->t->close(c, how);
}

uint64_t
conn_backoff(int tried, int naddrs)
{
	uint64_t delay = CONN_RETRY_MIN;

	/* Once round the addresses at the least delay, then twice as long each round. */
	for (int k = naddrs; k < tried && delay < CONN_RETRY_MAX; k += naddrs)
		delay = backoff_next(delay, CONN_RETRY_MAX);
	return delay;
}

/* --- the rest ------------------------------------------------------------------------- */

void *
conn_data(const conn *c)
{
	return c->data;
}

void
conn_set_data(conn *c, void *data)
{
	c->data = data;
}

const char *
conn_host(const conn *c)
{
	return c->host;
}

bool
conn_unread(const conn *c)
{
	return c->t->unread(c);
}

int
conn_pick_stranger(conn *const *cs, idle *const *lives, int n, int grace, uint64_t now)
{
	int i;

	/* Silent as far as we have read: its bytes may be waiting in the kernel still. */
	while ((i = idle_pick((const idle *const *)lives, n, grace)) >= 0 && !lives[i]->spoke &&
	       conn_unread(cs[i]))
		idle_heard(lives[i], now);
	return i;
}
