/*
 * The test vectors of docs/protocol.md, as its "Test vectors" section has
 * them, compared with the hex kept in tests/unit/vectors_kept.c (which
 * test_vectors_code.c checks the code computes), so that the document
 * cannot drift from the code: it must have every vector kept, the same,
 * and no other.
 *
 * The document is read from docs/protocol.md under the working directory
 * (make runs the tests from the repository's root), or from $CHORUS_DOC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vectors_kept.h"

/* --- reading the document -------------------------------------------------- */

#define MAX_DOC 256

static struct {
	char name[32];
	char hex[2048];
} doc[MAX_DOC];
static int ndoc;

static bool
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return n > 0;
}

/*
 * The vectors of the document: in its "Test vectors" section, inside
 * ``` blocks, lines "NAME = HEX" (then an optional "# comment"), a long
 * HEX going on in indented lines of hex only.  The same rule as the
 * Python reader's (tests/system/test_protocol_vectors.py).
 */
static int
read_doc(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	bool in_section = false, in_block = false;
	int cur = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\n");
		line[n] = '\0';
		if (strncmp(line, "## ", 3) == 0) {
			in_section = strstr(line, "Test vectors") != NULL;
			cur = -1;
			continue;
		}
		if (!in_section)
			continue;
		if (strncmp(line, "```", 3) == 0) {
			in_block = !in_block;
			cur = -1;
			continue;
		}
		if (!in_block)
			continue;
		char *p = line;
		while (*p == ' ')
			p++;
		size_t hl = strcspn(p, " ");
		if (p != line && cur >= 0 && is_hex(p, hl) && p[hl] == '\0') {
			assert_true(strlen(doc[cur].hex) + hl < sizeof doc[cur].hex);
			strncat(doc[cur].hex, p, hl);
			continue;
		}
		cur = -1;
		if (p != line || *p == '#' || *p == '\0')
			continue;
		size_t nl = strcspn(p, " =");
		char *q = p + nl;
		while (*q == ' ')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ')
			q++;
		hl = strcspn(q, " ");
		char *rest = q + hl;
		while (*rest == ' ')
			rest++;
		if (!is_hex(q, hl) || (*rest != '\0' && *rest != '#') || nl >= sizeof doc[0].name)
			continue;
		assert_true(ndoc < MAX_DOC && hl < sizeof doc[0].hex);
		memcpy(doc[ndoc].name, p, nl);
		doc[ndoc].name[nl] = '\0';
		memcpy(doc[ndoc].hex, q, hl);
		doc[ndoc].hex[hl] = '\0';
		cur = ndoc++;
	}
	fclose(f);
	return 0;
}

/* --- the test --------------------------------------------------------------- */

static void
test_document_has_the_vectors(void **state)
{
	(void)state;
	const char *path = getenv("CHORUS_DOC") ? getenv("CHORUS_DOC") : "docs/protocol.md";
	size_t nexp = nexpected;

	if (read_doc(path) != 0)
		fail_msg("cannot read %s (run from the repository's root, or set CHORUS_DOC)", path);
	for (size_t j = 0; j < nexp; j++) {
		int i = 0;
		while (i < ndoc && strcmp(doc[i].name, expected[j].name) != 0)
			i++;
		if (i == ndoc)
			fail_msg("%s has no vector %s", path, expected[j].name);
		if (strcmp(doc[i].hex, expected[j].hex) != 0)
			fail_msg("%s: vector %s is %s, the code's is %s", path, expected[j].name,
				 doc[i].hex, expected[j].hex);
	}
	assert_int_equal(ndoc, nexp); /* and no vector the code does not compute */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_has_the_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
