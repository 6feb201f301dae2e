"""docs/protocol.md's test vectors, recomputed from the document alone.

A second implementation of the peer protocol in a few lines of Python:
it reads the vectors from the document's "Test vectors" section and
recomputes every one of them from the description in its sections 2 to
10 (the scenario's inputs -- seeds, "random" bytes, incarnations, stamps,
texts -- are those the document gives).  None of chorus's code is used:
BLAKE2b is hashlib's, X25519, Ed25519, ChaCha20-Poly1305 and Argon2id are
PyNaCl's, and where they are installed the reference Argon2 library and
OpenSSL (the cryptography package) give the same bytes.
tests/unit/test_vectors_code.c and test_vectors_doc.c check the same
vectors against the code, so the code and this reading of the document
agree byte for byte.  Needs no
chorus binary.
"""
import hashlib
import pathlib
import re
import struct

import pytest
from nacl.bindings import (crypto_aead_chacha20poly1305_ietf_decrypt,
                           crypto_aead_chacha20poly1305_ietf_encrypt,
                           crypto_scalarmult, crypto_scalarmult_base)
from nacl.pwhash import argon2id
from nacl.signing import SigningKey, VerifyKey

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
M64 = (1 << 64) - 1


def read_vectors(text):
    """NAME = HEX lines (an optional "# comment" after), a long HEX going
    on in indented lines of hex only, inside ``` blocks of the section
    whose heading says "Test vectors"."""
    vecs, cur, in_section, in_block = {}, None, False, False
    for line in text.splitlines():
        if line.startswith("## "):
            in_section, cur = "Test vectors" in line, None
            continue
        if not in_section:
            continue
        if line.startswith("```"):
            in_block, cur = not in_block, None
            continue
        if not in_block:
            continue
        m = re.fullmatch(r"\s+([0-9a-f]+)\s*", line)
        if m and cur:
            vecs[cur] += m.group(1)
            continue
        cur = None
        m = re.fullmatch(r"(\S+)\s*=\s*([0-9a-f]+)\s*(#.*)?", line)
        if m:
            assert m.group(1) not in vecs, f"vector {m.group(1)} given twice"
            cur = m.group(1)
            vecs[cur] = m.group(2)
    return vecs


@pytest.fixture(scope="module")
def doc():
    return {k: bytes.fromhex(v) for k, v in read_vectors(DOC.read_text()).items()}


# --- the document's primitives ------------------------------------------------

def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def string(b):
    return u16(len(b)) + b


def frame(typ, fields):
    body = u8(1) + u8(typ) + fields
    return u32(len(body)) + body


def member(id_, inc, status, nick, host, port):
    return u64(id_) + u64(inc) + u8(status) + string(nick) + string(host) + u16(port)


def blake2b(data, size, key=b""):
    return hashlib.blake2b(data, digest_size=size, key=key).digest()


def ident(pk):
    v = int.from_bytes(blake2b(pk, 32)[:8], "big")
    return v or 1


def nonce(n):
    return b"\0" * 4 + struct.pack("<Q", n)


def seal(key, n, plain):
    c = crypto_aead_chacha20poly1305_ietf_encrypt(plain, None, nonce(n), key)
    return u32(len(c)) + c


def mix(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M64
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M64
    x ^= x >> 31
    return x


def chain_input(prev, sender, seq, hlc, kind, nick, text):
    return (prev + u64(sender) + u64(seq) + u64(hlc) + u8(len(nick)) + u32(len(text)) +
            u8(kind) + nick + text)


def hlc(ms, counter=0):
    return ms << 16 | counter


# --- the scenario ---------------------------------------------------------------

A_INC, B_INC, C_INC = 1718000000000, 1718000100000, 1717990000000
RECORDS = [  # (hlc, kind, nick, text) of alice's records 1..4; texts need ids
    (hlc(1718000050000, 0), 0, b"alice", lambda ids: b"hello, world"),
    (hlc(1718000050000, 1), 3, b"dave", lambda ids: b"- %016x" % A_INC),
    (hlc(1718000050007, 0), 2, b"dave", lambda ids: b"- hi from irc"),
    (hlc(1718000061234, 0), 1, b"alice", lambda ids: b"silence %016x bob" % ids["b"]),
]


def recompute():
    """Every vector, from the document's description and its inputs."""
    v = {}
    secret = b"correct horse battery staple"
    v["psk.secret"] = secret
    v["psk.salt"] = b"chorus secret v1"
    psk = argon2id.kdf(32, secret, b"chorus secret v1", opslimit=2, memlimit=8 * 1024 * 1024)
    v["psk"] = psk

    keys, ids = {}, {}
    for who, first in (("a", 0x40), ("b", 0x60), ("c", 0x80)):
        seed = bytes(range(first, first + 32))
        sk = SigningKey(seed)
        pk = bytes(sk.verify_key)
        keys[who], ids[who] = sk, ident(pk)
        v[f"id.{who}.seed"] = seed
        v[f"id.{who}.pk"] = pk
        if who == "a":
            v["id.a.hash"] = blake2b(pk, 32)
        v[f"id.{who}"] = u64(ids[who])
    A, B, C = ids["a"], ids["b"], ids["c"]
    apk = bytes(keys["a"].verify_key)

    # the handshake
    a_esk, b_esk = bytes(range(0x20, 0x40)), bytes(range(0x00, 0x20))
    a_epk, b_epk = crypto_scalarmult_base(a_esk), crypto_scalarmult_base(b_esk)
    v["hs.a.esk"], v["hs.b.esk"], v["hs.a.epk"], v["hs.b.epk"] = a_esk, b_esk, a_epk, b_epk
    v["hs.a.hello"] = u32(40) + b"CHORUS-1" + a_epk
    v["hs.b.hello"] = u32(40) + b"CHORUS-1" + b_epk
    shared = crypto_scalarmult(a_esk, b_epk)
    assert shared == crypto_scalarmult(b_esk, a_epk)
    v["hs.shared"] = shared
    lo, hi = sorted([a_epk, b_epk])
    assert lo == a_epk, "the document says alice's key is the smaller"
    k = blake2b(shared + lo + hi, 64, key=psk)
    v["hs.k"] = k
    a_tx, b_tx = k[:32], k[32:]
    binding = blake2b(lo + hi, 32)
    v["hs.binding"] = binding
    v["hs.a.confirm"] = seal(a_tx, 0, b"confirm1")
    v["hs.b.confirm"] = seal(b_tx, 0, b"confirm1")

    # alice's greeting, in her first record
    v["frame.hello"] = frame(1, member(A, A_INC, 0, b"alice", b"", 4000))
    proof_msg = b"chorus link proof, version 1\x00" + binding
    v["prove.message"] = proof_msg
    proof = keys["a"].sign(proof_msg).signature
    v["prove.sig"] = proof
    v["frame.prove"] = frame(10, apk + proof)
    v["frame.members"] = frame(2, u16(2) + member(A, A_INC, 0, b"alice", b"", 4000) +
                               member(C, C_INC, 1, b"carol", b"198.51.100.7", 4002))
    plain = v["frame.hello"] + v["frame.prove"] + v["frame.members"]
    v["rec.1.plain"] = plain
    v["rec.1.nonce"] = nonce(1)
    v["rec.1"] = seal(a_tx, 1, plain)

    # the chain, the history digest, the signed head
    chain = bytes(32)
    lanes = [0, 0]
    for seq, (stamp, kind, nick, text_of) in enumerate(RECORDS, 1):
        text = text_of(ids)
        inp = chain_input(chain, A, seq, stamp, kind, nick, text)
        v[f"chain.{seq}.input"] = inp
        chain = blake2b(inp, 32)
        v[f"chain.{seq}"] = chain
        if seq == 1:
            v["frame.chat"] = frame(5, u64(A) + u64(seq) + u64(stamp) + u8(kind) +
                                    string(nick) + string(text))
        h = blake2b(u64(A) + u64(seq) + u64(stamp) + u8(kind) + text, 16)
        v[f"digest.{seq}.hash"] = h
        lanes[0] = (lanes[0] + int.from_bytes(h[:8], "little")) & M64
        lanes[1] = (lanes[1] + int.from_bytes(h[8:], "little")) & M64
    v["digest.checksum"] = bytes.fromhex("%016x%016x" % tuple(lanes))
    head = b"chorus signed chain, version 1\x00" + u64(A) + u64(4) + chain
    assert len(head) == 79
    v["head.message"] = head
    sig = keys["a"].sign(head).signature
    v["head.sig"] = sig
    v["frame.sig"] = frame(9, u64(A) + u64(4) + chain + apk + sig)

    # the member digest and the other frames
    digest = 0
    for who, id_, inc, status in (("a", A, A_INC, 0), ("b", B, B_INC, 0), ("c", C, C_INC, 1)):
        term = mix(id_ ^ mix(inc ^ mix(status + 1)))
        v[f"members.{who}.term"] = u64(term)
        digest = (digest + term) & M64
    v["members.digest"] = u64(digest)
    have = u64(A) + u64(4) + u8(1) + u64(C) + u64(2) + u8(0) + u64(B) + u64(0) + u8(1)
    v["frame.heartbeat"] = frame(3, u64(digest) + u64(hlc(1718000062000)) + u64(4) + u16(3) + have)
    v["frame.leave"] = frame(4, u64(A_INC))
    v["frame.reject"] = frame(6, u8(1) + string(b"bob"))
    v["frame.status"] = frame(7, u64(hlc(1718000061234)) + u64(4))
    v["frame.pull"] = frame(8, u64(A) + u64(2) + u64(4))
    for nick in (b"dave", b"Dave"):
        gid = blake2b(nick.lower() + b"\0", 8, key=b"chorus-guest-id")
        v[f"guest.{nick.decode()}.id"] = gid
    return v, keys, (a_tx, b_tx)


def test_the_document_has_every_vector_and_only_those(doc):
    v, _, _ = recompute()
    assert sorted(doc) == sorted(v)


def test_every_vector_recomputes_from_the_description(doc):
    v, _, _ = recompute()
    wrong = [name for name in v if doc.get(name) != v[name]]
    assert not wrong, "recomputed differently: " + ", ".join(wrong)


def test_the_vectors_check_out_as_a_receiver_would(doc):
    """Bob's side: alice's CONFIRM and first record open with his receiving
    key, her PROVE and SIG verify with her key, and her key is her id's."""
    _, keys, (a_tx, _) = recompute()
    confirm = doc["hs.a.confirm"]
    assert struct.unpack(">I", confirm[:4])[0] == len(confirm) - 4 == 24
    assert crypto_aead_chacha20poly1305_ietf_decrypt(confirm[4:], None, nonce(0), a_tx) == b"confirm1"
    rec = doc["rec.1"]
    plain = crypto_aead_chacha20poly1305_ietf_decrypt(rec[4:], None, nonce(1), a_tx)
    frames = []
    while plain:
        n = struct.unpack(">I", plain[:4])[0]
        assert 1 <= n <= 65536
        frames.append(plain[4:4 + n])
        plain = plain[4 + n:]
    assert [f[:2] for f in frames] == [b"\x01\x01", b"\x01\x0a", b"\x01\x02"]  # HELLO PROVE MEMBERS
    pk, proof = frames[1][2:34], frames[1][34:]
    VerifyKey(pk).verify(doc["prove.message"], proof)
    assert doc["prove.message"][29:] == doc["hs.binding"]
    assert u64(ident(pk)) == frames[0][2:10] == doc["id.a"]
    sig = doc["frame.sig"][4:]
    VerifyKey(sig[50:82]).verify(doc["head.message"], sig[82:])
    assert sig[18:50] == doc["chain.4"]


def test_the_primitives_agree_with_other_implementations(doc):
    """The same bytes from implementations that share nothing with
    libsodium (PyNaCl's base): the reference Argon2 library and OpenSSL
    (through the cryptography package).  Skipped where they are missing."""
    import ctypes
    import ctypes.util
    crypto = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.x25519")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    name = ctypes.util.find_library("argon2")
    if name is None:
        pytest.skip("no libargon2")
    lib = ctypes.CDLL(name)
    word, size, ptr = ctypes.c_uint32, ctypes.c_size_t, ctypes.c_char_p
    lib.argon2id_hash_raw.argtypes = [word, word, word, ptr, size, ptr, size, ctypes.c_void_p, size]
    out = ctypes.create_string_buffer(32)
    secret, salt = doc["psk.secret"], doc["psk.salt"]
    # argon2id_hash_raw(t_cost, m_cost in KiB, parallelism, pwd, pwdlen, salt, saltlen, hash, hashlen)
    assert lib.argon2id_hash_raw(2, 8192, 1, secret, len(secret), salt, len(salt), out, 32) == 0
    assert out.raw == doc["psk"]

    raw = (Encoding.Raw, PublicFormat.Raw)
    a = crypto.X25519PrivateKey.from_private_bytes(doc["hs.a.esk"])
    b = crypto.X25519PrivateKey.from_private_bytes(doc["hs.b.esk"])
    assert a.public_key().public_bytes(*raw) == doc["hs.a.epk"]
    assert b.public_key().public_bytes(*raw) == doc["hs.b.epk"]
    assert a.exchange(b.public_key()) == doc["hs.shared"]
    tx = doc["hs.k"][:32]
    assert ChaCha20Poly1305(tx).encrypt(nonce(0), b"confirm1", None) == doc["hs.a.confirm"][4:]
    assert ChaCha20Poly1305(tx).encrypt(nonce(1), doc["rec.1.plain"], None) == doc["rec.1"][4:]
    alice = Ed25519PrivateKey.from_private_bytes(doc["id.a.seed"])
    assert alice.public_key().public_bytes(*raw) == doc["id.a.pk"]
    assert alice.sign(doc["head.message"]) == doc["head.sig"]
    assert alice.sign(doc["prove.message"]) == doc["prove.sig"]
