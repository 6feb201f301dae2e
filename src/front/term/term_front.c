/* term_front — see term_front.h. */
#include "term_front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "term.h"
#include "xalloc.h"

typedef struct term_state {
	uv_loop_t *loop;
	node *core;
	bool timestamps;
	char *lines;  /* the lines gathered in this pass, each NUL-ended */
	size_t len;
	size_t cap;
} term_state;

static void
typed(void *ctx, const char *line, size_t len)
{
	term_state *t = ctx;

	uv_update_time(t->loop);
	node_input(t->core, uv_now(t->loop), line, len);
}

static void
ended(void *ctx)
{
	term_state *t = ctx;

	node_leave(t->core, uv_now(t->loop));
}

/* A time (in seconds since 1970) as local time, in strftime's fmt. */
static void
clock_text(char *buf, size_t cap, const char *fmt, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, cap, fmt, &tm);
}

static void
gather(void *self, const event *ev)
{
	term_state *t = self;
	char line[EVENT_LINE_MAX + 16], stamp[16]; /* (16: the --timestamps prefix) */
	size_t off = 0;
	event e = *ev;

	if (t->timestamps) {
		clock_text(line, sizeof line, "%H:%M:%S ", time(NULL));
		off = strlen(line);
	}
	if (ev->kind == EVENT_LATE) {
		clock_text(stamp, sizeof stamp, "%H:%M:%S", (time_t)(ev->time / 1000));
		e.stamp = stamp;
	}
	size_t len = off + event_format(&e, line + off, sizeof line - off) + 1;
	if (t->cap - t->len < len) {
		t->cap = (t->len + len) * 2;
		t->lines = xrealloc(t->lines, t->cap);
	}
	memcpy(t->lines + t->len, line, len);
	t->len += len;
}

static void
print_all(void *self)
{
	term_state *t = self;

	for (size_t off = 0; off < t->len; off += strlen(t->lines + off) + 1)
		term_print(t->lines + off);
	t->len = 0;
}

static void
hold(void *self, bool busy)
{
	(void)self;
	term_hold(busy);
}

static void
stop(void *self)
{
	(void)self;
	term_stop();
}

static void
free_front(void *self)
{
	term_state *t = self;

	free(t->lines);
	free(t);
}

static const front_ops term_ops = {
	.event = gather, .flush = print_all, .hold = hold, .stop = stop, .free = free_front,
};

int
term_front(void *arg, const front_env *env, front *out)
{
	term_state *t = xcalloc(1, sizeof *t);
	term_callbacks cb = {t, typed, ended};

	(void)arg;
	t->loop = env->loop;
	t->core = env->core;
	t->timestamps = env->opts->timestamps;
	*out = (front){&term_ops, t, 3};
	if (term_start(env->loop, &cb, env->opts->headless) != 0) {
		fprintf(stderr, "chorus: cannot read standard input\n");
		free(t);
		return -1;
	}
	return 1;
}
