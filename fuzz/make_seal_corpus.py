#!/usr/bin/python3
"""Write the seed corpus of fuzz/fuzz_seal.c (fuzz/corpus/seal): a HELLO,
then records, each a 2-byte little-endian prefix (top 2 bits: op, low 14:
length) and its bytes; ops: 0 raw record, 1 B seals it, 2 B seals it and it
is altered, 3 B seals it and it is lost.  The public keys are those of the
target's ends (random bytes all 0x41 for A, 0x42 for B), computed here with
a plain X25519 (RFC 7748).  Run after changing the target's format:
    /usr/bin/python3 fuzz/make_seal_corpus.py
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
P = 2**255 - 19


def x25519(k, u):
    k = bytearray(k)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    k = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb, da, cb = a * a, b * b, d * a, c * b
        e = aa - bb
        x3, z3 = (da + cb) ** 2 % P, x1 * (da - cb) ** 2 % P
        x2, z2 = aa * bb % P, e * (aa + 121665 * e) % P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def pk(pattern):
    return x25519(bytes([pattern]) * 32, (9).to_bytes(32, "little"))


def hello(key):
    return b"CHORUS-1" + key


def rec(op, body):
    return struct.pack("<H", op << 14 | len(body)) + body


A, B = pk(0x41), pk(0x42)
seeds = {
    # B's own HELLO: A reaches OPEN in both passes; B's CONFIRM, records, an
    # empty one, then one altered
    "honest": hello(B) + rec(1, b"") + rec(1, b"hello") + rec(1, b"") + rec(1, b"x" * 40)
    + rec(2, b"\x03\x00\x80 altered"),
    # some stranger's HELLO, then honest records, one lost, and last a raw
    # one of the largest size (length 0x3ffe, which takes the rest)
    "stranger": hello(bytes(range(1, 33))) + rec(1, b"abc") + rec(1, b"def")
    + rec(3, b"lost") + rec(1, b"after the gap") + struct.pack("<H", 0x3FFE) + bytes(range(16)),
    # our own HELLO sent back, then a raw record of a CONFIRM's size
    "reflected": hello(A) + rec(0, bytes(24)) + rec(1, b"hi"),
    # a HELLO with the wrong magic, a tiny record, and last one byte over
    # the largest size (length 0x3fff)
    "badmagic": b"CHORUS-2" + B + rec(0, b"\x01") + rec(1, b"ok") + struct.pack("<H", 0x3FFF),
}
d = HERE / "corpus" / "seal"
d.mkdir(parents=True, exist_ok=True)
for name, data in seeds.items():
    (d / name).write_bytes(data)
