#!/usr/bin/python3
"""Does a flooding member slow the others down?  (issue 4; SPEC 5.7)

Four nodes on loopback: alice, bob, carol and flood.  bob sends a probe
line every 50 ms; we time each from bob's stdin to carol's stdout.  First
with the chat quiet, then while `flood` is fed --rate lines per second.
Prints both latency distributions, their ratio, and the rate at which the
flood's lines were shown at carol.  Not a test: no threshold is asserted.

    /usr/bin/python3 bench/flood.py [--rate 10000] [--probes 40] [--bin build/chorus]
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

PROBE = re.compile(rb"^\[bob\] probe (\d+)$")


class Node:
    def __init__(self, binary, nick, data, join=None):
        args = [binary, "--listen", "127.0.0.1:0", "--data", str(data)]
        args += (["--join", join] if join else []) + [nick]
        env = {**os.environ, "CHORUS_SECRET": "bench-chat-secret"}
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.seen, self.flood, self.err = {}, 0, []
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()
        deadline = time.monotonic() + 10
        while not any(b"listening on" in l for l in self.err):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{nick} did not start: {self.err}")
            time.sleep(0.01)
        port = re.search(rb":(\d+)\n", [l for l in self.err if b"listening on" in l][0]).group(1)
        self.addr = f"127.0.0.1:{port.decode()}"

    def _out(self):
        for line in self.proc.stdout:
            m = PROBE.match(line.rstrip(b"\n"))
            if m:
                self.seen[int(m.group(1))] = time.monotonic()
            elif line.startswith(b"[flood] "):
                self.flood += 1

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()


def probes(bob, carol, first, n):
    """Latencies (s) of n probe lines from bob, seen at carol."""
    sent = {}
    for i in range(first, first + n):
        sent[i] = time.monotonic()
        bob.write(f"probe {i}\n".encode())
        time.sleep(0.05)
    time.sleep(0.5)
    return sorted(carol.seen[i] - sent[i] for i in sent if i in carol.seen)


def flood(node, rate, stop):
    k, t0 = 0, time.monotonic()
    while not stop.is_set():
        node.write("".join(f"flood {k + j}\n" for j in range(100)).encode())
        k += 100
        pause = t0 + k / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)


def pct(v, p):
    return v[int(p * (len(v) - 1))] * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=10000, help="flood lines per second")
    ap.add_argument("--probes", type=int, default=40)
    ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parents[1] / "build" / "chorus"))
    a = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="chorus-flood-"))
    nodes = []
    try:
        alice = Node(a.bin, "alice", tmp / "alice")
        nodes.append(alice)
        for nick in ("bob", "carol", "flood"):
            nodes.append(Node(a.bin, nick, tmp / nick, alice.addr))
        _, bob, carol, fl = nodes
        time.sleep(2)
        quiet = probes(bob, carol, 0, a.probes)
        stop = threading.Event()
        threading.Thread(target=flood, args=(fl, a.rate, stop), daemon=True).start()
        time.sleep(1)
        n0, t0 = carol.flood, time.monotonic()
        loud = probes(bob, carol, 1000, a.probes)
        shown = (carol.flood - n0) / (time.monotonic() - t0)
        stop.set()
        print(f"flood offered {a.rate}/s, shown at carol {shown:.0f}/s")
        print(f"bob -> carol, quiet:    n={len(quiet)} p50 {pct(quiet, .5):.1f} ms, p99 {pct(quiet, .99):.1f} ms")
        print(f"bob -> carol, flooded:  n={len(loud)} p50 {pct(loud, .5):.1f} ms, p99 {pct(loud, .99):.1f} ms")
        print(f"ratio flooded/quiet: p50 {pct(loud, .5) / pct(quiet, .5):.2f}, "
              f"p99 {pct(loud, .99) / pct(quiet, .99):.2f}")
        return 0 if len(loud) == a.probes and len(quiet) == a.probes else 1
    finally:
        for n in nodes:
            n.proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
