/*
 * ident — the node's data directory and its identity in it.
 *
 * The directory (mode 0700) holds a file "identity" with the node's id and
 * nick.  A node restarted with the same directory is the same member.  The
 * file is written to a temporary name and renamed, so it is never half
 * written.
 */
#ifndef CHORUS_IDENT_H
#define CHORUS_IDENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ident {
	char dir[4096];
	uint64_t id;
} ident;

/*
 * Open or create the identity for nick in dir (NULL: the default).  On
 * failure prints why on stderr and returns the exit code (1 for I/O, 2 when
 * the directory belongs to another nick); 0 on success.
 */
int ident_open(ident *out, const char *dir, const char *nick);

#endif
