/*
 * The test vectors of docs/protocol.md, computed with the project's own
 * functions (seal, sign, wire, member, hist) and compared with the hex
 * kept in tests/unit/vectors_kept.c (test_vectors_doc.c compares that with
 * the document's).  When the protocol changes on purpose,
 *
 *     build/unit/test_vectors_code --print
 *
 * prints the vectors in the document's format, in its order, for both
 * (vectors_kept.c says how).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "guest.h"
#include "hist.h"
#include "inject.h"
#include "member.h"
#include "seal.h"
#include "sign.h"
#include "vectors_kept.h"
#include "wire.h"

/* --- what the code computes ---------------------------------------------- */

#define MAX_VECS 128

static struct {
	char name[32];
	char *hex;
} got[MAX_VECS];
static int ngot;

static void
put(const char *name, const void *bytes, size_t len)
{
	assert_true(ngot < MAX_VECS);
	assert_true(strlen(name) < sizeof got[0].name);
	snprintf(got[ngot].name, sizeof got[ngot].name, "%s", name);
	got[ngot].hex = malloc(2 * len + 1);
	sodium_bin2hex(got[ngot].hex, 2 * len + 1, bytes, len);
	ngot++;
}

static void
put_u64(const char *name, uint64_t v)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	put(name, b, sizeof b);
}

static void
put_str(const char *name, const char *s)
{
	put(name, s, strlen(s));
}

static void
put_frame(const char *name, const wire_msg *m, wire_buf *all)
{
	wire_buf b = {0};

	wire_encode(&b, m);
	put(name, b.data, b.len);
	if (all) {
		size_t at = all->len;
		/* a frame appended as it is, for the record that carries it */
		all->data = realloc(all->data, all->len + b.len);
		memcpy(all->data + at, b.data, b.len);
		all->len += b.len;
		all->cap = all->len;
	}
	wire_buf_free(&b);
}

static void
pattern(uint8_t *p, size_t len, uint8_t first)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(first + i);
}

/* The member digest's mixing function, as docs/protocol.md gives it. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * One of the document's identities, "id.<who>": its seed (the bytes from
 * first on), its public key, with hash the key's hash (of which the id is
 * the first 8 bytes), and its id, put in that order; returns the id.
 */
static uint64_t
identity(char who, uint8_t first, bool hash, uint8_t *pk, uint8_t *sk)
{
	uint8_t seed[32], h[32];
	char name[16];

	pattern(seed, sizeof seed, first);
	crypto_sign_seed_keypair(pk, sk, seed);
	snprintf(name, sizeof name, "id.%c.seed", who);
	put(name, seed, sizeof seed);
	snprintf(name, sizeof name, "id.%c.pk", who);
	put(name, pk, SIGN_PK);
	if (hash) {
		crypto_generichash(h, sizeof h, pk, SIGN_PK, NULL, 0);
		snprintf(name, sizeof name, "id.%c.hash", who);
		put(name, h, sizeof h);
	}
	uint64_t id = sign_id(pk);
	snprintf(name, sizeof name, "id.%c", who);
	put_u64(name, id);
	return id;
}

/* The scenario of docs/protocol.md's "Test vectors". */
#define A_INC 1718000000000ull  /* alice's incarnation: her start, ms since 1970 */
#define B_INC 1718000100000ull
#define C_INC 1717990000000ull
#define MS(ms, counter) ((uint64_t)(ms) << HLC_SHIFT | (counter))

static void
compute(void)
{
	uint8_t psk[SEAL_KEY], ra[SEAL_KEY], rb[SEAL_KEY];
	uint8_t apk[SIGN_PK], ask[SIGN_SK], bpk[SIGN_PK], bsk[SIGN_SK], cpk[SIGN_PK], csk[SIGN_SK];
	static uint8_t unit[4 + SEAL_MAX_PLAIN + SEAL_TAG];
	static const char secret[] = "correct horse battery staple";
	seal a, b;

	/* The chat's key. */
	put_str("psk.secret", secret);
	put_str("psk.salt", "chorus secret v1");
	assert_int_equal(seal_psk(secret, strlen(secret), psk), 0);
	put("psk", psk, sizeof psk);

	/* Identities. */
	uint64_t A = identity('a', 0x40, true, apk, ask);
	uint64_t B = identity('b', 0x60, false, bpk, bsk);
	uint64_t C = identity('c', 0x80, false, cpk, csk);

	/* The handshake: A (alice) and B (bob), each with its fixed "random". */
	pattern(ra, sizeof ra, 0x20);
	pattern(rb, sizeof rb, 0x00);
	seal_init(&a, psk, ra);
	seal_init(&b, psk, rb);
	put("hs.a.esk", ra, sizeof ra);
	put("hs.b.esk", rb, sizeof rb);
	put("hs.a.epk", a.pk, SEAL_KEY);
	put("hs.b.epk", b.pk, SEAL_KEY);
	unit[0] = unit[1] = unit[2] = 0;
	unit[3] = SEAL_HELLO;
	seal_hello(&a, unit + 4);
	put("hs.a.hello", unit, 4 + SEAL_HELLO);
	assert_int_equal(seal_on_hello(&b, unit + 4, SEAL_HELLO), 0);
	seal_hello(&b, unit + 4);
	put("hs.b.hello", unit, 4 + SEAL_HELLO);
	assert_int_equal(seal_on_hello(&a, unit + 4, SEAL_HELLO), 0);
	uint8_t shared[32], shared2[32];
	assert_int_equal(crypto_scalarmult(shared, ra, b.pk), 0);
	assert_int_equal(crypto_scalarmult(shared2, rb, a.pk), 0);
	assert_memory_equal(shared, shared2, sizeof shared);
	put("hs.shared", shared, sizeof shared);
	bool a_low = memcmp(a.pk, b.pk, SEAL_KEY) < 0;
	assert_true(a_low); /* the document says so: alice sends with the first half */
	uint8_t k[64];
	memcpy(k, a.tx, 32);
	memcpy(k + 32, a.rx, 32);
	put("hs.k", k, sizeof k);
	assert_memory_equal(a.tx, b.rx, SEAL_KEY);
	assert_memory_equal(a.rx, b.tx, SEAL_KEY);
	assert_memory_equal(a.binding, b.binding, SEAL_KEY);
	put("hs.binding", a.binding, SEAL_KEY);

	/* The CONFIRMs, each as its unit. */
	size_t len = seal_confirm(&a, unit + 4);
	assert_int_equal(len, SEAL_TAG + 8);
	unit[3] = (uint8_t)len;
	put("hs.a.confirm", unit, 4 + len);
	size_t plen;
	assert_int_equal(seal_open(&b, unit + 4, len, NULL, &plen), 0);
	len = seal_confirm(&b, unit + 4);
	unit[3] = (uint8_t)len;
	put("hs.b.confirm", unit, 4 + len);
	assert_int_equal(seal_open(&a, unit + 4, len, NULL, &plen), 0);
	assert_int_equal(a.state, SEAL_OPEN);

	/* Alice's greeting: HELLO, PROVE, MEMBERS, in her first record (n = 1). */
	wire_buf greeting = {0};
	wire_msg *m = calloc(1, sizeof *m);
	m->type = WIRE_HELLO;
	m->u.hello = (wire_member){.id = A, .inc = A_INC, .status = WIRE_ACTIVE,
				   .nick = wire_cstr("alice"), .host = wire_cstr(""), .port = 4000};
	put_frame("frame.hello", m, &greeting);
	uint8_t proof_msg[29 + 32], proof[SIGN_SIG];
	memcpy(proof_msg, "chorus link proof, version 1", 29); /* the NUL too */
	memcpy(proof_msg + 29, a.binding, 32);
	put("prove.message", proof_msg, sizeof proof_msg);
	sign_proof(proof, a.binding, ask);
	assert_true(sign_proof_check(proof, b.binding, apk, A));
	assert_int_equal(crypto_sign_verify_detached(proof, proof_msg, sizeof proof_msg, apk), 0);
	put("prove.sig", proof, sizeof proof);
	*m = (wire_msg){.type = WIRE_PROVE};
	m->u.prove.pk = apk;
	m->u.prove.proof = proof;
	put_frame("frame.prove", m, &greeting);
	*m = (wire_msg){.type = WIRE_MEMBERS};
	m->u.members.count = 2;
	m->u.members.entry[0] = (wire_member){.id = A, .inc = A_INC, .status = WIRE_ACTIVE,
					      .nick = wire_cstr("alice"), .host = wire_cstr(""),
					      .port = 4000};
	m->u.members.entry[1] = (wire_member){.id = C, .inc = C_INC, .status = WIRE_LEFT,
					      .nick = wire_cstr("carol"),
					      .host = wire_cstr("198.51.100.7"), .port = 4002};
	put_frame("frame.members", m, &greeting);
	put("rec.1.plain", greeting.data, greeting.len);
	uint8_t nonce[12] = {0};
	nonce[4] = 1;
	put("rec.1.nonce", nonce, sizeof nonce);
	assert_true(a.tx_n == 1);
	len = seal_close(&a, greeting.data, greeting.len, unit + 4);
	assert_int_equal(len, greeting.len + SEAL_TAG);
	unit[0] = (uint8_t)(len >> 24);
	unit[1] = (uint8_t)(len >> 16);
	unit[2] = (uint8_t)(len >> 8);
	unit[3] = (uint8_t)len;
	put("rec.1", unit, 4 + len);
	uint8_t *opened = malloc(len);
	assert_int_equal(seal_open(&b, unit + 4, len, opened, &plen), 0);
	assert_int_equal(plen, greeting.len);
	assert_memory_equal(opened, greeting.data, plen);
	free(opened);
	wire_buf_free(&greeting);

	/* Alice's records: a chain, and the head that signs it. */
	char join_text[40], directive[64];
	snprintf(join_text, sizeof join_text, "- %016llx", (unsigned long long)A_INC);
	snprintf(directive, sizeof directive, "silence %016llx bob", (unsigned long long)B);
	const struct {
		uint64_t hlc;
		uint8_t kind;
		const char *nick, *text;
	} recs[4] = {
		{MS(1718000050000ull, 0), HIST_CHAT, "alice", "hello, world"},
		{MS(1718000050000ull, 1), HIST_GUEST_JOIN, "dave", join_text},
		{MS(1718000050007ull, 0), HIST_GUEST_CHAT, "dave", "- hi from irc"},
		{MS(1718000061234ull, 0), HIST_DIRECTIVE, "alice", directive},
	};
	uint8_t chain[SIGN_CHAIN] = {0};
	hist hs;
	hist_init(&hs);
	for (int i = 0; i < 4; i++) {
		hist_rec r = {.sender = A, .seq = (uint64_t)i + 1, .hlc = recs[i].hlc,
			      .kind = recs[i].kind, .text = recs[i].text,
			      .len = strlen(recs[i].text)};
		char name[32];
		snprintf(r.nick, sizeof r.nick, "%s", recs[i].nick);
		/* what the chain hashes, as the document spells it out */
		uint8_t in[32 + 30 + NICK_MAX + 64], *p = in;
		memcpy(p, chain, 32);
		p += 32;
		for (int s = 0; s < 3; s++) {
			uint64_t v = s == 0 ? r.sender : s == 1 ? r.seq : r.hlc;
			for (int j = 7; j >= 0; j--, v >>= 8)
				p[j] = (uint8_t)v;
			p += 8;
		}
		*p++ = (uint8_t)strlen(r.nick);
		*p++ = 0, *p++ = 0, *p++ = 0, *p++ = (uint8_t)r.len;
		*p++ = r.kind;
		memcpy(p, r.nick, strlen(r.nick));
		p += strlen(r.nick);
		memcpy(p, r.text, r.len);
		p += r.len;
		snprintf(name, sizeof name, "chain.%d.input", i + 1);
		put(name, in, (size_t)(p - in));
		uint8_t want[32];
		crypto_generichash(want, sizeof want, in, (size_t)(p - in), NULL, 0);
		sign_chain(chain, &r);
		assert_memory_equal(chain, want, sizeof want);
		snprintf(name, sizeof name, "chain.%d", i + 1);
		put(name, chain, sizeof chain);
		if (i == 0) {
			*m = (wire_msg){.type = WIRE_CHAT};
			m->u.chat.sender = r.sender;
			m->u.chat.seq = r.seq;
			m->u.chat.hlc = r.hlc;
			m->u.chat.kind = r.kind;
			m->u.chat.nick = wire_cstr(r.nick);
			m->u.chat.text = (wire_str){r.text, r.len};
			put_frame("frame.chat", m, NULL);
		}
		/* the history digest: this record's hash alone, then the sum */
		hist one;
		hist_init(&one);
		hist_author_get(&one, A, NULL)->seq = r.seq - 1;
		assert_int_equal(hist_take(&one, &r), HIST_NEW);
		uint8_t lanes[16];
		memcpy(lanes, one.digest, sizeof lanes);
		snprintf(name, sizeof name, "digest.%d.hash", i + 1);
		put(name, lanes, sizeof lanes);
		hist_free(&one);
		assert_int_equal(hist_take(&hs, &r), HIST_NEW);
	}
	/* \checksum's digest: the two sums, each as 16 hex digits */
	char hex[33], sums[16];
	hist_digest_hex(&hs, hex);
	for (int j = 0; j < 8; j++) {
		sums[j] = (char)(hs.digest[0] >> (56 - 8 * j));
		sums[8 + j] = (char)(hs.digest[1] >> (56 - 8 * j));
	}
	put("digest.checksum", sums, sizeof sums);
	assert_string_equal(got[ngot - 1].hex, hex);
	hist_free(&hs);

	hist_sig sig = {.sender = A, .seq = 4};
	memcpy(sig.chain, chain, sizeof chain);
	memcpy(sig.pk, apk, sizeof apk);
	uint8_t head_msg[31 + 16 + 32];
	memcpy(head_msg, "chorus signed chain, version 1", 31); /* the NUL too */
	for (int j = 0; j < 8; j++) {
		head_msg[31 + j] = (uint8_t)(A >> (56 - 8 * j));
		head_msg[39 + j] = (uint8_t)(4ull >> (56 - 8 * j));
	}
	memcpy(head_msg + 47, chain, 32);
	put("head.message", head_msg, sizeof head_msg);
	sign_head(&sig, ask);
	assert_true(sign_check(&sig));
	assert_int_equal(crypto_sign_verify_detached(sig.sig, head_msg, sizeof head_msg, apk), 0);
	put("head.sig", sig.sig, sizeof sig.sig);
	inject_sig_msg(m, &sig);
	put_frame("frame.sig", m, NULL);

	/* The member digest of alice's table once bob is in. */
	member_table t = {0};
	member *e;
	member_state to;
	member_add_self(&t, A, A_INC, "alice", "", 4000);
	wire_member wb = {.id = B, .inc = B_INC, .status = WIRE_ACTIVE, .nick = wire_cstr("bob"),
			  .host = wire_cstr("192.0.2.2"), .port = 4001};
	wire_member wc = {.id = C, .inc = C_INC, .status = WIRE_LEFT, .nick = wire_cstr("carol"),
			  .host = wire_cstr("198.51.100.7"), .port = 4002};
	assert_int_equal(member_merge(&t, &wb, &e, &to), MEMBER_ADDED);
	assert_int_equal(member_merge(&t, &wc, &e, &to), MEMBER_ADDED);
	/* each entry's term, spelt out as the document gives it, then the sum */
	const uint64_t ids[3] = {A, B, C}, incs[3] = {A_INC, B_INC, C_INC};
	const uint8_t status[3] = {WIRE_ACTIVE, WIRE_ACTIVE, WIRE_LEFT};
	uint64_t sum = 0;
	for (int i = 0; i < 3; i++) {
		char name[32];
		uint64_t term = mix(ids[i] ^ mix(incs[i] ^ mix((uint64_t)status[i] + 1)));
		snprintf(name, sizeof name, "members.%c.term", 'a' + i);
		put_u64(name, term);
		sum += term;
	}
	uint64_t digest = member_digest(&t);
	assert_true(digest == sum);
	put_u64("members.digest", digest);
	member_table_free(&t);

	/* The other frames. */
	*m = (wire_msg){.type = WIRE_HEARTBEAT};
	m->u.heartbeat.digest = digest;
	m->u.heartbeat.hlc = MS(1718000062000ull, 0);
	m->u.heartbeat.seq = 4;
	m->u.heartbeat.count = 3;
	m->u.heartbeat.have[0] = (wire_have){.id = A, .seq = 4, .live = 1};
	m->u.heartbeat.have[1] = (wire_have){.id = C, .seq = 2, .live = 0};
	m->u.heartbeat.have[2] = (wire_have){.id = B, .seq = 0, .live = 1};
	put_frame("frame.heartbeat", m, NULL);
	*m = (wire_msg){.type = WIRE_LEAVE};
	m->u.leave.inc = A_INC;
	put_frame("frame.leave", m, NULL);
	*m = (wire_msg){.type = WIRE_REJECT};
	m->u.reject.reason = WIRE_NICK_TAKEN;
	m->u.reject.nick = wire_cstr("bob");
	put_frame("frame.reject", m, NULL);
	*m = (wire_msg){.type = WIRE_STATUS};
	m->u.status.hlc = MS(1718000061234ull, 0);
	m->u.status.seq = 4;
	put_frame("frame.status", m, NULL);
	*m = (wire_msg){.type = WIRE_PULL};
	m->u.pull.sender = A;
	m->u.pull.from = 2;
	m->u.pull.to = 4;
	put_frame("frame.pull", m, NULL);
	free(m);

	/* The id moderation knows a guest by. */
	put_u64("guest.dave.id", guest_id("dave"));
	put_u64("guest.Dave.id", guest_id("Dave"));
	seal_wipe(&a);
	seal_wipe(&b);
}

/* --- the test --------------------------------------------------------------- */

static void
test_code_computes_the_vectors(void **state)
{
	(void)state;
	size_t nexp = nexpected;

	for (int i = 0; i < ngot; i++) {
		size_t j = 0;
		while (j < nexp && strcmp(expected[j].name, got[i].name) != 0)
			j++;
		if (j == nexp)
			fail_msg("vector %s is computed but not kept here", got[i].name);
		if (strcmp(expected[j].hex, got[i].hex) != 0)
			fail_msg("vector %s: the code computes %s, kept here is %s", got[i].name,
				 got[i].hex, expected[j].hex);
	}
	assert_int_equal(nexp, ngot);
}

/* The vectors in the document's format, 32 bytes a line. */
static void
print_vectors(void)
{
	for (int i = 0; i < ngot; i++) {
		const char *h = got[i].hex;
		size_t len = strlen(h);
		printf("%-16s = %.64s\n", got[i].name, h);
		for (size_t o = 64; o < len; o += 64)
			printf("%-16s   %.64s\n", "", h + o);
	}
}

static int
setup(void **state)
{
	(void)state;
	compute();
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_computes_the_vectors),
	};
	if (sodium_init() < 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "--print") == 0) {
		compute();
		print_vectors();
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, NULL);
}
