/*
 * libFuzzer target: a link's handshake and record decoder must survive any
 * bytes from the peer and fail closed.
 *
 * The input is the peer's byte stream: its first (up to) 40 bytes are taken
 * as the peer's HELLO, the rest as records, each a 2-byte little-endian
 * prefix (top 2 bits: what to do, low 14 bits: length) and that many bytes:
 *
 *   0  the bytes themselves are the record (a length of 0x3ffe or 0x3fff
 *      stands for a record of the largest size, or one byte over, that
 *      starts with the bytes);
 *   1  the honest peer B seals the bytes (its CONFIRM first, if not sent)
 *      and the record is delivered;
 *   2  the same, but the record is altered on the way (a byte at a place
 *      and with a mask taken from the bytes);
 *   3  the same, but the record is lost.
 *
 * The stream goes twice to an end A:
 *   1. A takes the fuzzed HELLO (so A is usually FAILED, or waiting for a
 *      CONFIRM from whoever sent that HELLO; it reaches OPEN only when the
 *      HELLO is B's, whose records ops 1-3 produce);
 *   2. A has completed a handshake with B, so it is OPEN and the records
 *      run through the open path; here every honest record in order must
 *      open intact, and nothing else may.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 256
#define OVERSIZE 0x3ffe /* length fields from here stand for huge records */

static void
check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static bool
zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void
init(seal *s, uint8_t pattern)
{
	static const char secret[] = "fuzz chat secret";
	uint8_t psk[SEAL_KEY], r[SEAL_KEY];

	seal_psk(secret, sizeof secret - 1, psk);
	memset(r, pattern, sizeof r);
	seal_init(s, psk, r);
}

typedef struct run {
	seal a, b;
	bool b_confirmed; /* B's CONFIRM has gone out */
	bool strict;      /* A and B shook hands: results are known */
	bool lost;        /* an honest record was lost or altered */
} run;

/* Open len bytes at A, both buffers of exactly their size for ASan. */
static int
deliver(run *r, const uint8_t *bytes, size_t len, const uint8_t *want, size_t want_len)
{
	uint8_t *rec = malloc(len ? len : 1);
	size_t room = len > SEAL_TAG ? len - SEAL_TAG : 0, n = (size_t)-1;
	uint8_t *plain = malloc(room ? room : 1);
	seal_state before = r->a.state;

	check(rec != NULL && plain != NULL);
	memcpy(rec, bytes, len);
	int rc = seal_open(&r->a, rec, len, plain, &n);
	if (rc == 0) {
		check(before == SEAL_WAIT_CONFIRM || before == SEAL_OPEN);
		check(r->a.state == SEAL_OPEN);
		check(n == (before == SEAL_OPEN ? len - SEAL_TAG : 0));
		if (want != NULL && before == SEAL_OPEN)
			check(n == want_len && memcmp(plain, want, n) == 0);
	} else {
		check(rc == SEAL_EAUTH || rc == SEAL_ESTATE || rc == SEAL_ESIZE);
		check(strcmp(seal_strerror(rc), seal_strerror(0)) != 0);
		check(r->a.state == SEAL_FAILED && n == 0);
		check(zero(r->a.tx, SEAL_KEY) && zero(r->a.rx, SEAL_KEY));
		if (before != SEAL_WAIT_CONFIRM && before != SEAL_OPEN)
			check(rc == SEAL_ESTATE);
		else if (len < SEAL_TAG || len > SEAL_MAX_PLAIN + SEAL_TAG)
			check(rc == SEAL_ESIZE);
	}
	free(rec);
	free(plain);
	return rc;
}

/* B's next record: its CONFIRM if not yet sent, else the bytes sealed. */
static size_t
honest(run *r, const uint8_t *bytes, size_t len, uint8_t **out, bool *is_confirm)
{
	*is_confirm = !r->b_confirmed;
	if (!r->b_confirmed) {
		*out = malloc(SEAL_TAG + 8);
		check(*out != NULL);
		r->b_confirmed = true;
		check(seal_confirm(&r->b, *out) == SEAL_TAG + 8);
		return SEAL_TAG + 8;
	}
	*out = malloc(len + SEAL_TAG);
	check(*out != NULL);
	check(seal_close(&r->b, bytes, len, *out) == len + SEAL_TAG);
	return len + SEAL_TAG;
}

static void
records(run *r, const uint8_t *data, size_t size)
{
	for (int i = 0; i < MAX_RECS && size >= 2; i++) {
		unsigned v = data[0] | (unsigned)data[1] << 8, op = v >> 14, field = v & 0x3fff;
		size_t len = field < size - 2 ? field : size - 2;
		const uint8_t *bytes = data + 2;
		bool was_open = r->a.state == SEAL_OPEN, is_confirm;
		uint8_t *rec;
		size_t rlen;
		int rc;

		data += 2 + len;
		size -= 2 + len;
		switch (op) {
		case 0:
			if (field >= OVERSIZE) {
				size_t big = SEAL_MAX_PLAIN + SEAL_TAG + (field - OVERSIZE);
				uint8_t *huge = calloc(1, big);
				check(huge != NULL);
				memcpy(huge, bytes, len);
				rc = deliver(r, huge, big, NULL, 0);
				free(huge);
			} else {
				rc = deliver(r, bytes, len, NULL, 0);
			}
			if (rc == 0) { /* only B's next record can open */
				r->b_confirmed = true;
				r->b.tx_n++;
			}
			break;
		case 1:
			rlen = honest(r, bytes, len, &rec, &is_confirm);
			rc = deliver(r, rec, rlen, is_confirm ? NULL : bytes, len);
			if (r->strict)
				check((rc == 0) == (was_open && !r->lost));
			free(rec);
			break;
		case 2:
			rlen = honest(r, bytes, len, &rec, &is_confirm);
			size_t pos = len >= 2 ? (bytes[0] | (size_t)bytes[1] << 8) % rlen : 0;
			uint8_t mask = len >= 3 && bytes[2] ? bytes[2] : 1;
			rec[pos] ^= mask;
			check(deliver(r, rec, rlen, NULL, 0) != 0);
			r->lost = true;
			free(rec);
			break;
		default:
			rlen = honest(r, bytes, len, &rec, &is_confirm);
			r->lost = true;
			free(rec);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The handshakes are the same every run: done once, then copied. */
	static run fresh, linked;
	static bool ready;
	uint8_t hello[SEAL_HELLO], confirm[SEAL_TAG + 8];
	size_t hlen = size < SEAL_HELLO ? size : SEAL_HELLO, n;
	run r;

	if (!ready) {
		/* fresh: A waits for a HELLO; B has taken A's and is about to
		 * send its CONFIRM */
		init(&fresh.a, 0x41);
		init(&fresh.b, 0x42);
		seal_hello(&fresh.a, hello);
		check(seal_on_hello(&fresh.b, hello, sizeof hello) == 0);
		/* linked: A and B have shaken hands */
		linked = fresh;
		seal_hello(&linked.b, hello);
		check(seal_on_hello(&linked.a, hello, sizeof hello) == 0);
		check(seal_confirm(&linked.a, confirm) == sizeof confirm);
		check(seal_open(&linked.b, confirm, sizeof confirm, NULL, &n) == 0);
		check(seal_confirm(&linked.b, confirm) == sizeof confirm);
		check(seal_open(&linked.a, confirm, sizeof confirm, NULL, &n) == 0);
		check(linked.a.state == SEAL_OPEN && linked.b.state == SEAL_OPEN);
		linked.b_confirmed = linked.strict = true;
		ready = true;
	}

	/* 1. the fuzzed HELLO, then the records */
	r = fresh;
	uint8_t *h = malloc(hlen ? hlen : 1); /* exactly its size, for ASan */
	check(h != NULL);
	memcpy(h, data, hlen);
	int rc = seal_on_hello(&r.a, h, hlen);
	free(h);
	if (rc == 0) {
		check(hlen == SEAL_HELLO && memcmp(data, "CHORUS-1", 8) == 0);
		check(memcmp(data + 8, r.a.pk, SEAL_KEY) != 0);
		check(r.a.state == SEAL_WAIT_CONFIRM && zero(r.a.sk, SEAL_KEY));
		check(seal_confirm(&r.a, confirm) == sizeof confirm);
	} else {
		check(rc == SEAL_EBADHELLO || rc == SEAL_EREFLECT);
		check(r.a.state == SEAL_FAILED);
	}
	records(&r, data + hlen, size - hlen);
	seal_wipe(&r.a);
	seal_wipe(&r.b);

	/* 2. the same records on an open link */
	r = linked;
	records(&r, data + hlen, size - hlen);
	seal_wipe(&r.a);
	seal_wipe(&r.b);
	return 0;
}
