#!/usr/bin/python3
"""Write the fuzzers' seed corpora: well-formed frame sequences that reach
every handler of the core (fuzz/corpus/node) and every message type of the
codec (fuzz/corpus/wire).  Run it after a change to the wire format:
    /usr/bin/python3 fuzz/make_corpus.py
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
T = dict(HELLO=1, MEMBERS=2, HEARTBEAT=3, LEAVE=4, CHAT=5, REJECT=6, STATUS=7, PULL=8,
         SIG=9, PROVE=10, REPORT=11, RELAY=12)


def s(text):
    b = text.encode()
    return struct.pack(">H", len(b)) + b


def frame(kind, fields):
    body = bytes([1, T[kind]]) + fields
    return struct.pack(">I", len(body)) + body


def member(id_, inc, nick, status=0, host="", port=7420):
    return struct.pack(">QQB", id_, inc, status) + s(nick) + s(host) + struct.pack(">H", port)


def hello(id_, inc, nick):
    return frame("HELLO", member(id_, inc, nick))


def members(*entries):
    return frame("MEMBERS", struct.pack(">H", len(entries)) + b"".join(entries))


def heartbeat(hlc, seq, have, digest=0):
    body = struct.pack(">QQQH", digest, hlc, seq, len(have))
    body += b"".join(struct.pack(">QQB", i, q, live) for i, q, live in have)
    return frame("HEARTBEAT", body)


def chat(sender, seq, hlc, nick, text, kind=0):
    return frame("CHAT", struct.pack(">QQQB", sender, seq, hlc, kind) + s(nick) + s(text))


def status(hlc, seq):
    return frame("STATUS", struct.pack(">QQ", hlc, seq))


def pull(sender, first, last):
    return frame("PULL", struct.pack(">QQQ", sender, first, last))


def sig(sender, seq, fill):
    # a signed chain head whose chain, key and signature are only filler:
    # it reaches the checks, which must refuse it
    return frame("SIG", struct.pack(">QQ", sender, seq) + bytes([fill]) * (32 + 32 + 64))


def prove(fill):
    return frame("PROVE", bytes([fill]) * (32 + 64))


def report(hlc, seq, tags):
    body = struct.pack(">QQH", hlc, seq, len(tags))
    return frame("REPORT", body + b"".join(struct.pack(">QQ", to, tag) for to, tag in tags))


def relay(entries):
    body = struct.pack(">H", len(entries))
    return frame("RELAY", body + b"".join(struct.pack(">QQQQ", *e) for e in entries))


MS = 1000 << 16  # a stamp at the fuzzed node's start (wall clock 1000 ms)

session = (hello(7, 500, "eve") + prove(3) + members(member(7, 500, "eve"), member(9, 600, "mallory"))
           + heartbeat(MS + 5, 2, [(7, 2, 1), (9, 3, 1), (42, 0, 1)])
           + chat(7, 1, MS + 1, "eve", "hello") + chat(7, 2, MS + 2, "eve", "again") + sig(7, 2, 5)
           + chat(9, 3, MS + 3, "mallory", "a gap") + status(MS + 9, 2)
           + pull(42, 1, 10) + pull(7, 1, 2)
           + chat(9, 1, MS + 4, "mallory", "\x1b]0;title\x07") + frame("LEAVE", struct.pack(">Q", 500)))
corpora = {
    "node": {
        "session": session,
        "chat_short": hello(7, 500, "eve") + chat(7, 1, MS + 1, "eve", "hi"),
        "heartbeat": hello(7, 500, "eve") + heartbeat(MS, 0, [(7, 0, 1)]),
        "reject": frame("REJECT", bytes([1]) + s("alice")),
        "pull": hello(7, 500, "eve") + pull(42, 1, 5) + status(MS, 0),
        "signed": hello(7, 500, "eve") + prove(1) + chat(7, 1, MS, "eve", "x") + sig(7, 1, 2),
        # tags that cannot hold: they reach the checks, which must refuse them
        "reports": hello(7, 500, "eve") + prove(2) + report(MS + 3, 0, [(9, 1), (42, 2)])
        + relay([(9, MS + 4, 0, 7), (7, MS, 0, 8)]),
    },
    "wire": {
        "session": session,
        "chat_short": chat(7, 1, MS, "eve", "hi"),
        "heartbeat": heartbeat(MS, 1, [(7, 1, 1)]),
        "sig": sig(7, 1, 9) + prove(4),
        "reports": report(MS, 2, [(9, 1), (7, 2)]) + relay([(9, MS, 1, 3)]),
    },
}
for name, files in corpora.items():
    d = HERE / "corpus" / name
    d.mkdir(parents=True, exist_ok=True)
    for fname, data in files.items():
        (d / fname).write_bytes(data)
