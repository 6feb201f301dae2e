/* failure — see failure.h. */
#include "failure.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "exit_code.h"

int
failure_set(failure *f, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->why, sizeof f->why, fmt, ap);
	va_end(ap);
	f->hint[0] = '\0';
	f->code = code;
	return code;
}

int
failure_io(failure *f, const char *what, const char *path)
{
	return failure_set(f, CHORUS_EXIT_IO, "cannot %s %s: %s", what, path, strerror(errno));
}

void
failure_print(const failure *f, FILE *out)
{
	fprintf(out, "chorus: %s\n", f->why);
	if (f->hint[0])
		fprintf(out, "chorus: %s\n", f->hint);
}
