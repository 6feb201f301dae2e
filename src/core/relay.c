/* relay — see relay.h. */
#include "relay.h"

#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "crypto.h"
#include "xalloc.h"

/* Domain separation: these keys and tags are for nothing else. */
static const char PAIR_DOMAIN[] = "chorus report pair v1";
static const char TAG_DOMAIN[] = "chorus report tag v1";

bool
relay_pair_key(uint8_t key[RELAY_KEY], const uint8_t our_pk[SIGN_PK],
		const uint8_t our_sk[SIGN_SK], const uint8_t their_pk[SIGN_PK])
{
	uint8_t xsk[CRYPTO_KEY], xpk[CRYPTO_KEY], shared[CRYPTO_KEY];
	bool ok = crypto_ed25519_pk_to_x25519(xpk, their_pk) == 0;

	crypto_ed25519_sk_to_x25519(xsk, our_sk);
	ok = ok && crypto_x25519(shared, xsk, xpk) == 0;
	if (ok) {
		/* Both public keys, in one order, so that both ends hash the same. */
		bool ours_first = memcmp(our_pk, their_pk, SIGN_PK) < 0;
		crypto_hasher h;
		crypto_hasher_init(&h, PAIR_DOMAIN, sizeof PAIR_DOMAIN - 1, RELAY_KEY);
		crypto_hasher_update(&h, shared, sizeof shared);
		crypto_hasher_update(&h, ours_first ? our_pk : their_pk, SIGN_PK);
		crypto_hasher_update(&h, ours_first ? their_pk : our_pk, SIGN_PK);
		crypto_hasher_final(&h, key, RELAY_KEY);
	}
	crypto_wipe(xsk, sizeof xsk);
	crypto_wipe(shared, sizeof shared);
	return ok;
}

uint64_t
relay_report_tag(const uint8_t key[RELAY_KEY], uint64_t author, uint64_t inc, uint64_t recipient,
	   uint64_t hlc, uint64_t seq)
{
	uint8_t m[5 * 8], out[8];

	be_put64(m, author);
	be_put64(m + 8, inc);
	be_put64(m + 16, recipient);
	be_put64(m + 24, hlc);
	be_put64(m + 32, seq);
	crypto_hasher h;
	crypto_hasher_init(&h, key, RELAY_KEY, sizeof out);
	crypto_hasher_update(&h, TAG_DOMAIN, sizeof TAG_DOMAIN - 1);
	crypto_hasher_update(&h, m, sizeof m);
	crypto_hasher_final(&h, out, sizeof out);
	return be_get64(out);
}

static int
by_recipient(const void *a, const void *b)
{
	uint64_t x = ((const wire_tag *)a)->to, y = ((const wire_tag *)b)->to;

	return x < y ? -1 : x > y;
}

/* author's report held, or a new empty one (reusing a cleared slot's arrays). */
static report_held *
held_for(relay *r, uint64_t author)
{
	for (int i = 0; i < r->len; i++)
		if (r->v[i].author == author)
			return &r->v[i];
	r->v = xgrow(r->v, r->len, &r->cap, 16, sizeof *r->v);
	report_held *h = &r->v[r->len++];
	h->author = author;
	h->hlc = 0;
	h->seq = 0;
	h->ntags = 0;
	return h;
}

void
relay_take(relay *r, uint64_t author, uint64_t hlc, uint64_t seq, const wire_tag *tags, size_t n)
{
	report_held *h = held_for(r, author);
	bool later = hlc > h->hlc || (hlc == h->hlc && seq > h->seq);

	if (!later && (hlc != h->hlc || seq != h->seq))
		return; /* earlier than the one held */
	if (later || h->ntags == 0) {
		h->hlc = hlc;
		h->seq = seq;
		h->ntags = 0;
	}
	if (n > (size_t)(RELAY_MAX_TAGS - h->ntags))
		n = (size_t)(RELAY_MAX_TAGS - h->ntags);
	if (h->ntags + (int)n > h->cap) {
		h->cap = h->ntags + (int)n;
		h->tags = xrealloc(h->tags, (size_t)h->cap * sizeof *h->tags);
	}
	if (n)
		memcpy(h->tags + h->ntags, tags, n * sizeof *tags);
	h->ntags += (int)n;
	qsort(h->tags, (size_t)h->ntags, sizeof *h->tags, by_recipient);
}

bool
relay_tag(const report_held *h, uint64_t recipient, uint64_t *tag)
{
	int lo = 0, hi = h->ntags;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (h->tags[mid].to < recipient)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == h->ntags || h->tags[lo].to != recipient)
		return false;
	*tag = h->tags[lo].tag;
	return true;
}

void
relay_clear(relay *r)
{
	r->len = 0;
}

void
relay_free(relay *r)
{
	for (int i = 0; i < r->cap; i++)
		free(r->v[i].tags);
	free(r->v);
	*r = (relay){0};
}
