#!/usr/bin/python3
"""Scale benchmark: 10 to 150 nodes of one chat on this machine (issue 14, items 3 and 5).

For each size N in --sizes (default 10,25,50,100):

1. start: N nodes on 127.0.0.1 (each its own temporary --data, one random
   secret in CHORUS_SECRET); by default each is started once the one before
   it listens (port 0, read from its stderr); --burst starts them all at
   once on free ports chosen beforehand below the ephemeral range. Node i > 0
   joins through a random earlier node (--seed). Five nodes spread over the
   start order (n0, nN/4, nN/2, n3N/4, nN-1) read standard input (pipes):
   the typists and the latency senders; the others run --headless
   (--all-stdin: every node reads a pipe, and \\checksum is asked of all).
   Headless nodes print events and chat lines on stdout like any node: their
   order is checked from there.
2. form: every node's member list is followed on its stdout ([JOIN],
   [USERS], [LEAVE], [LOST], [BACK]); the chat has formed when every node
   lists all N. Time from the first process start (and after the last).
   Else, at --form-timeout from the first start (and at least 10 s after the
   last), "did not form in T s" and who is missing; the size stops there (a
   result, not an exception), and so do the larger ones unless --keep-going.
   Once formed, the stdin-driven nodes are asked \\list_users as a check.
3. idle: after --settle seconds, --idle-seconds of silence: every [LOST] is
   false (no node is stopped); CPU of all nodes together (utime + stime in
   /proc/PID/stat) as % of one core, and the rest of the machine's (from
   /proc/stat: a shared machine is noisy); VmRSS mean and max, peak VmHWM.
4. 60 lines: 3 of them (n0, nN/2, nN-1) type 20 lines each (--lines),
   interleaved 10 ms apart; waits until every node showed all 60; checks
   each once, one order on all nodes, each sender's order kept, \\checksum
   equal on the stdin-driven nodes. [LOST] lines are counted by phase.
5. --latency (at the largest size, or --latency-at N): 5 senders offer
   --latency-rate messages/s in total (default 100, round robin on a
   sleep-until schedule) for --latency-seconds (default 10); p50/p99/max
   from the write to a sender's stdin to the line's arrival on each node's
   stdout (both stamped with time.monotonic_ns(), by one reader thread),
   missing and duplicated deliveries, \\checksum after.

One reader thread (epoll) drains every node's stdout and stderr, so no pipe
fills. Every child is killed at the end of each size and on Ctrl-C, SIGTERM
or an error; the temporary directories are removed. Prints one line per
size, then a markdown table.

usage: /usr/bin/python3 bench/scale.py [--sizes 10,25,50,100] [--idle-seconds 60]
       [--bin build/chorus] [--burst] [--latency] [--latency-at N]
       [--latency-rate 100] [--latency-seconds 10] [--form-timeout 60]
       [--settle 2] [--lines 20] [--all-stdin] [--seed 1] [--heartbeat-ms N]
       [--timeout-ms N] [--keep-going] [--json]
"""
import argparse
import json
import os
import pathlib
import random
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque

import procstat

ROOT = pathlib.Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
LISTEN = re.compile(rb"listening on \S+:(\d+)")
CHAT = re.compile(rb"^(?:\[LATE [0-9:]+\] )?\[([^\]\s]+)\] ~([TL]) (\S+) (\d+) (\d+)$")
CHECKSUM = re.compile(rb"^\[CHECKSUM\] count=(\d+) digest=(\S+)$")


def now_ns():
    return time.monotonic_ns()


class Node:
    """One chorus process and what its stdout said, parsed as it arrives."""

    def __init__(self, lab, i, join, stdin, port=0):
        self.nick, self.i, self.stdin_driven = f"n{i}", i, stdin
        self.data = pathlib.Path(lab.tmp.name) / self.nick
        args = [lab.binary, "--listen", f"127.0.0.1:{port}", "--data", str(self.data)]
        args += ["--join", join] if join else []
        args += lab.extra + ([] if stdin else ["--headless"]) + [self.nick]
        self.listed = set()           # the members this node lists now
        self.joined_ns = None         # its own [JOIN]
        self.lost = []                # (ns, nick) of every [LOST]
        self.back = []                # (ns, nick) of every [BACK]
        self.leaves = 0
        self.chat = []                # (ns, kind, sender, seq, sent_ns, late)
        self.kinds = {b"T": 0, b"L": 0}  # chat lines of each kind so far (cheap to poll)
        self.checksums = []           # (count, digest) in order of arrival
        self.users_lines = []         # [USERS] lines after the join one
        self.errors = []
        self.pending = 0
        self.err = deque(maxlen=20)   # the last stderr lines
        self.addr = f"127.0.0.1:{port}" if port else None   # else from its stderr
        self.eof = False
        self.t_start = now_ns()
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=lab.env)
        self.fd = self.proc.stdin.fileno() if stdin else None
        lab.reader.add(self)

    # --- called on the reader thread ----------------------------------------
    def on_out(self, ns, line):
        if line.startswith(b"[JOIN] ") and line.endswith(b" joined the chat"):
            nick = line[7:-16].decode(errors="replace")
            self.listed.add(nick)
            if nick == self.nick and self.joined_ns is None:
                self.joined_ns = ns
        elif line.startswith(b"[USERS] "):
            names = line[8:].decode(errors="replace").split(", ")
            self.listed = {u.split(" (")[0] for u in names if u}
            if self.joined_ns is not None:
                self.users_lines.append((ns, self.listed.copy()))
        elif line.startswith(b"[LOST] ") and line.endswith(b" is unreachable"):
            nick = line[7:-15].decode(errors="replace")
            self.listed.discard(nick)
            self.lost.append((ns, nick))
        elif line.startswith(b"[BACK] ") and line.endswith(b" is reachable again"):
            nick = line[7:-19].decode(errors="replace")
            self.listed.add(nick)
            self.back.append((ns, nick))
        elif line.startswith(b"[LEAVE] ") and line.endswith(b" left the chat"):
            self.listed.discard(line[8:-14].decode(errors="replace"))
            self.leaves += 1
        elif line.startswith(b"[CHECKSUM] "):
            m = CHECKSUM.match(line)
            if m:
                self.checksums.append((int(m.group(1)), m.group(2).decode()))
        elif line.startswith(b"[ERROR] "):
            self.errors.append(line.decode(errors="replace"))
        elif line.startswith(b"[PENDING] "):
            self.pending += 1
        elif b"] ~" in line:
            m = CHAT.match(line)
            if m:
                self.kinds[m.group(2)] += 1
                self.chat.append((ns, m.group(2), m.group(3).decode(), int(m.group(4)),
                                  int(m.group(5)), line.startswith(b"[LATE ")))

    def on_err(self, ns, line):
        self.err.append(line.decode(errors="replace"))
        if self.addr is None:
            m = LISTEN.search(line)
            if m:
                self.addr = f"127.0.0.1:{m.group(1).decode()}"

    # --- main thread ------------------------------------------------------
    def send(self, text):
        try:
            os.write(self.fd, text.encode() + b"\n")
        except OSError as e:          # the node died: what it missed shows in the counts
            self.errors.append(f"(harness) write to stdin failed: {e}")

    def cpu_s(self):
        return procstat.cpu_s(self.proc.pid)

    def status_kb(self, field):
        return procstat.status_kb(self.proc.pid, field)


class Reader(threading.Thread):
    """Drains every node's stdout and stderr with one epoll; stamps each line on read."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ep = select.epoll()
        self.fds = {}                 # fd -> [node, is_stdout, partial]
        self.stop = False

    def add(self, node):
        for stream, out in ((node.proc.stdout, True), (node.proc.stderr, False)):
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self.fds[fd] = [node, out, b""]
            self.ep.register(fd, select.EPOLLIN)

    def run(self):
        while not self.stop:
            try:
                events = self.ep.poll(0.1)
            except (OSError, ValueError):
                return
            for fd, _ in events:
                ent = self.fds.get(fd)
                if ent is None:
                    continue
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                ns = now_ns()
                node, out = ent[0], ent[1]
                if not chunk:
                    try:
                        self.ep.unregister(fd)
                    except (OSError, ValueError):
                        pass
                    self.fds.pop(fd, None)
                    if out:
                        node.eof = True
                    continue
                data = ent[2] + chunk
                *lines, ent[2] = data.split(b"\n")
                handle = node.on_out if out else node.on_err
                for line in lines:
                    handle(ns, line)


class Lab:
    """The nodes of one size; kills them all and removes their directories on close."""

    def __init__(self, args, secret):
        self.binary = args.bin
        self.env = {**os.environ, "CHORUS_SECRET": secret}
        self.extra = []
        if args.heartbeat_ms:
            self.extra += ["--heartbeat-ms", str(args.heartbeat_ms)]
        if args.timeout_ms:
            self.extra += ["--timeout-ms", str(args.timeout_ms)]
        self.tmp = tempfile.TemporaryDirectory(prefix="chorus-scale-")
        self.reader = Reader()
        self.reader.start()
        self.nodes = []

    def close(self):
        for x in self.nodes:
            try:
                x.proc.kill()
            except OSError:
                pass
        for x in self.nodes:
            try:
                x.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.reader.stop = True
        self.reader.join(2)
        for x in self.nodes:
            for s in (x.proc.stdin, x.proc.stdout, x.proc.stderr):
                if s:
                    try:
                        s.close()
                    except OSError:
                        pass
        try:
            self.reader.ep.close()
        except OSError:
            pass
        self.tmp.cleanup()


def machine_busy_s():
    """CPU seconds the whole machine has spent not idle (all cores, /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / TICK    # user nice system idle iowait irq softirq steal


def free_ports(n):
    """n ports that bind on 127.0.0.1 now, below the ephemeral range (outgoing
    connections never take them meanwhile)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except OSError:
        low = 32768
    ports, p = [], random.randrange(10000, max(10001, low - 4 * n - 1))
    while len(ports) < n and p < low:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            ports.append(p)
        except OSError:
            pass
        finally:
            s.close()
        p += 1
    if len(ports) < n:
        raise RuntimeError("not enough free ports below the ephemeral range")
    return ports


def spread(n, k=5):
    """k indices spread over 0..n-1 (all of them when n <= k)."""
    if n <= k:
        return list(range(n))
    return sorted({round(j * (n - 1) / (k - 1)) for j in range(k)})


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def dead(nodes):
    return [f"{x.nick} exited {x.proc.returncode} ({'; '.join(list(x.err)[-2:])})"
            for x in nodes if x.proc.poll() is not None]


def missing_summary(nodes, want):
    """Who is missing from whose list, compactly."""
    short = [x for x in nodes if x.listed != want]
    never = [x.nick for x in nodes if x.joined_ns is None]
    absent = {}
    for x in short:
        if x.joined_ns is None:
            continue
        for m in want - x.listed:
            absent[m] = absent.get(m, 0) + 1
    top = sorted(absent.items(), key=lambda kv: (-kv[1], int(kv[0][1:])))
    parts = [f"{len(nodes) - len(short)}/{len(nodes)} nodes list all {len(want)}"]
    if never:
        parts.append(f"{len(never)} never printed their own [JOIN]: {', '.join(never[:15])}"
                     + (" ..." if len(never) > 15 else ""))
    if top:
        parts.append("missing from most lists: " + ", ".join(f"{k} (from {v})" for k, v in top[:10])
                     + (f" and {len(top) - 10} more nicks" if len(top) > 10 else ""))
    counts = sorted(len(x.listed & want) for x in short if x.joined_ns is not None)
    if counts:
        parts.append(f"the {len(counts)} incomplete lists of members hold {counts[0]}..{counts[-1]} "
                     f"(median {counts[len(counts) // 2]})")
    gone = dead(nodes)
    if gone:
        parts.append(f"{len(gone)} exited: " + "; ".join(gone[:5]))
    return "; ".join(parts)


def ask_all(nodes, command, field, timeout=15):
    """Types command on each node; returns {nick: the first new item of field after it}."""
    start = {x.nick: len(getattr(x, field)) for x in nodes}
    for x in nodes:
        x.send(command)
    deadline, got = time.monotonic() + timeout, {}
    while time.monotonic() < deadline and len(got) < len(nodes):
        for x in nodes:
            items = getattr(x, field)
            if x.nick not in got and len(items) > start[x.nick]:
                got[x.nick] = items[start[x.nick]]
        time.sleep(0.02)
    return got


def checksums_equal(nodes):
    got = ask_all(nodes, "\\checksum", "checksums")
    vals = set(got.values())
    ok = len(got) == len(nodes) and len(vals) == 1
    desc = next(iter(vals)) if len(vals) == 1 else None
    return ok, got, desc


def lost_by_phase(nodes, phases):
    """{phase: [LOST] lines in it}, and the lost nicks, reporters and [BACK] count overall."""
    names = [p for p, _ in phases]
    out = {p: 0 for p in names}
    who, by = set(), set()
    for x in nodes:
        for t, m in x.lost:
            ph = names[0]
            for p, t0 in phases:
                if t >= t0:
                    ph = p
            out[ph] += 1
            who.add(m)
            by.add(x.nick)
    back = sum(len(x.back) for x in nodes)
    key = lambda s: int(s[1:]) if s[1:].isdigit() else 0
    return out, sorted(who, key=key), sorted(by, key=key), back


def run_size(args, n, latency):
    r = {"n": n, "formed": False}
    phases = []
    rng = random.Random(args.seed * 1000 + n)
    lab = Lab(args, secrets.token_hex(16))
    try:
        stdin_ix = set(range(n)) if args.all_stdin else set(spread(n))
        r["stdin"] = len(stdin_ix)
        ports = free_ports(n) if args.burst else [0] * n
        t0 = now_ns()
        phases.append(("forming", t0))
        for i in range(n):
            join = lab.nodes[rng.randrange(i)].addr if i else None
            node = Node(lab, i, join, i in stdin_ix, ports[i])
            lab.nodes.append(node)
            deadline = time.monotonic() + 10
            while node.addr is None:
                if node.proc.poll() is not None or time.monotonic() > deadline:
                    r["error"] = f"{node.nick} did not start: {'; '.join(node.err)}"
                    return r
                time.sleep(0.002)
        nodes = lab.nodes
        r["started_s"] = (now_ns() - t0) / 1e9
        r["started_at"] = {k: (nodes[k - 1].t_start - t0) / 1e9 for k in sorted({n // 4, n // 2, 3 * n // 4}) if k}
        r["start"] = "burst" if args.burst else "each after the previous listens"
        want = {x.nick for x in nodes}
        stdin_nodes = [x for x in nodes if x.stdin_driven]

        # --- form ---------------------------------------------------------
        # --form-timeout from the first start, but never less than 10 s after the last
        deadline = time.monotonic() + max(args.form_timeout - r["started_s"], 10)
        samples = deque()          # (wall ns, nodes' cpu s, machine's, harness's) while waiting
        while True:
            if all(x.listed == want for x in nodes):
                r["formed"] = True
                r["formed_s"] = (now_ns() - t0) / 1e9
                joins = [x.joined_ns for x in nodes]
                r["last_join_s"] = (max(joins) - t0) / 1e9
                break
            if time.monotonic() > deadline:
                r["form_timeout"] = (now_ns() - t0) / 1e9
                r["missing"] = missing_summary(nodes, want)
                if len(samples) >= 2:
                    (w0, c0, m0, h0), (w1, c1, m1, h1) = samples[0], samples[-1]
                    wall = (w1 - w0) / 1e9
                    r["cpu_trying"] = (c1 - c0) / wall
                    r["machine_trying"] = (m1 - m0) / wall
                    r["harness_trying"] = (h1 - h0) / wall
                r["back_total"] = sum(len(x.back) for x in nodes)
                r["lost_total"] = sum(len(x.lost) for x in nodes)
                return r
            if not samples or now_ns() - samples[-1][0] > 1e9:
                samples.append((now_ns(), sum(x.cpu_s() for x in nodes), machine_busy_s(),
                                sum(os.times()[:2])))
            while samples and samples[-1][0] - samples[0][0] > 10e9:
                samples.popleft()
            time.sleep(0.05 if n <= 50 else 0.2)
        phases.append(("settling", now_ns()))
        got = ask_all(stdin_nodes, "\\list_users", "users_lines")
        r["list_users_ok"] = (len(got) == len(stdin_nodes)
                              and all(v[1] == want for v in got.values()))

        # --- idle ---------------------------------------------------------
        time.sleep(args.settle)
        lost0 = sum(len(x.lost) for x in nodes)
        w0, c0, m0 = now_ns(), sum(x.cpu_s() for x in nodes), machine_busy_s()
        phases.append(("idle", w0))
        time.sleep(args.idle_seconds)
        w1, c1, m1 = now_ns(), sum(x.cpu_s() for x in nodes), machine_busy_s()
        r["others_cpu"] = max(0.0, (m1 - m0) - (c1 - c0)) / ((w1 - w0) / 1e9)
        r["loadavg"] = os.getloadavg()[0]
        rss = [x.status_kb("VmRSS") for x in nodes]
        hwm = [x.status_kb("VmHWM") for x in nodes]
        r["idle_s"] = (w1 - w0) / 1e9
        r["cpu"] = (c1 - c0) / r["idle_s"]
        r["rss_mean_mib"] = sum(rss) / n / 1024
        r["rss_max_mib"] = max(rss) / 1024
        r["hwm_max_mib"] = max(hwm) / 1024
        r["lost_idle"] = sum(len(x.lost) for x in nodes) - lost0
        r["lost_idle_who"] = sorted({m for x in nodes for t, m in x.lost if w0 <= t <= w1},
                                    key=lambda s: int(s[1:]))
        r["alive"] = sum(x.proc.poll() is None for x in nodes)
        if r["alive"] < n:
            r["dead"] = dead(nodes)

        # --- 60 lines from 3 typists ----------------------------------------
        typists = [nodes[i] for i in spread(n, 3)]
        base = [len(x.chat) for x in nodes]
        tbase = [x.kinds[b"T"] for x in nodes]
        sent = set()
        t_type = now_ns()
        phases.append(("typing", t_type))
        for k in range(args.lines):
            for x in typists:
                x.send(f"~T {x.nick} {k} {now_ns()}")
                sent.add((x.nick, k))
                time.sleep(0.01)
        total = len(sent)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(x.kinds[b"T"] - b >= total for x, b in zip(nodes, tbase)):
                break
            time.sleep(0.05)
        r["typed"] = total
        r["typed_s"] = (now_ns() - t_type) / 1e9
        seqs = [[(c[2], c[3]) for c in x.chat[b:] if c[1] == b"T"] for x, b in zip(nodes, base)]
        r["all_shown"] = sum(set(s) >= sent for s in seqs)
        r["dups"] = sum(len(s) - len(set(s)) for s in seqs)
        r["late"] = sum(c[5] for x, b in zip(nodes, base) for c in x.chat[b:] if c[1] == b"T")
        ref = max(seqs, key=len)
        r["one_order"] = all(s == ref for s in seqs)
        r["order_differs"] = sum(s != ref for s in seqs)
        r["sender_order"] = all([k for s2, k in ref if s2 == x.nick] == list(range(args.lines))
                                for x in typists)
        ok, got, desc = checksums_equal(stdin_nodes)
        r["checksum_ok"], r["checksum"] = ok, desc
        if not ok:
            r["checksums"] = got

        # --- latency --------------------------------------------------------
        if latency:
            phases.append(("latency", now_ns()))
            r["latency"] = measure_latency(args, nodes, stdin_nodes)
        r["lost_total"] = sum(len(x.lost) for x in nodes)
        r["lost_phases"], r["lost_who"], r["lost_by"], r["back_total"] = lost_by_phase(nodes, phases)
        r["errors"] = sum(len(x.errors) for x in nodes)
        return r
    finally:
        lab.close()


def measure_latency(args, nodes, stdin_nodes):
    senders = [nodes[i] for i in spread(len(nodes))]   # stdin-driven in either mode
    count = int(args.latency_rate * args.latency_seconds)
    period = 1e9 / args.latency_rate
    base = [len(x.chat) for x in nodes]
    lbase = [x.kinds[b"L"] for x in nodes]
    sent = {}
    lost0 = sum(len(x.lost) for x in nodes)
    c0, m0, h0 = sum(x.cpu_s() for x in nodes), machine_busy_s(), sum(os.times()[:2])
    t0 = now_ns()
    for k in range(count):
        due = t0 + k * period
        delay = (due - now_ns()) / 1e9
        if delay > 0:
            time.sleep(delay)
        x = senders[k % len(senders)]
        seq = k // len(senders)
        ns = now_ns()
        x.send(f"~L {x.nick} {seq} {ns}")
        sent[(x.nick, seq)] = ns
    offered_s = (now_ns() - t0) / 1e9
    c1, m1, h1 = sum(x.cpu_s() for x in nodes), machine_busy_s(), sum(os.times()[:2])
    cpu = {"nodes": (c1 - c0) / offered_s, "machine": (m1 - m0) / offered_s, "harness": (h1 - h0) / offered_s}
    want = set(sent)
    deadline, last, last_change = time.monotonic() + 60, -1, time.monotonic()
    while time.monotonic() < deadline:
        have = sum(min(x.kinds[b"L"] - b, count) for x, b in zip(nodes, lbase))
        if have >= count * len(nodes):
            break
        if have != last:
            last, last_change = have, time.monotonic()
        elif time.monotonic() - last_change > 15:
            break
        time.sleep(0.1)
    lat, seen_total, dups, missing = [], 0, 0, 0
    for x, b in zip(nodes, base):
        seen = {}
        for c in x.chat[b:]:
            if c[1] != b"L":
                continue
            key = (c[2], c[3])
            if key in seen:
                dups += 1
                continue
            seen[key] = c[0]
            if key in sent:
                lat.append((c[0] - sent[key]) / 1e6)
        seen_total += len(seen)
        missing += len(want - set(seen))
    ok, _, desc = checksums_equal(stdin_nodes)
    return {"senders": [x.nick for x in senders], "messages": count, "offered_s": offered_s,
            "rate": count / offered_s, "deliveries": len(lat), "expected": count * len(nodes),
            "missing": missing, "dups": dups, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "max_ms": max(lat) if lat else float("nan"), "checksum_ok": ok, "checksum": desc,
            "lost": sum(len(x.lost) for x in nodes) - lost0, "cpu": cpu}


def yes(b):
    return "yes" if b else "no"


def line_for(r):
    n = r["n"]
    head = f"{n} nodes ({n - r.get('stdin', 0)} headless, {r.get('stdin', 0)} stdin-driven)"
    if "started_s" in r and not r["formed"] and "error" not in r:
        head += (f" (started {', '.join(f'{k} by {v:.1f} s' for k, v in r['started_at'].items())}, "
                 f"all {n} by {r['started_s']:.1f} s, {r['start']})")
    if "error" in r:
        return f"{head}: {r['error']}"
    if not r["formed"]:
        s = f"{head}: did not form in {r['form_timeout']:.0f} s: {r['missing']}"
        s += f"; [LOST] lines meanwhile {r['lost_total']}, [BACK] {r['back_total']}"
        if "cpu_trying" in r:
            s += (f"; over the last 10 s: nodes' CPU {100 * r['cpu_trying']:.0f} % of a core, "
                  f"the whole machine's {100 * r['machine_trying']:.0f} %, this script's "
                  f"{100 * r['harness_trying']:.0f} %")
        return s
    s = (f"{head}: formed in {r['formed_s']:.1f} s ({r['formed_s'] - r['started_s']:.1f} s after the last start; "
         f"all started by {r['started_s']:.1f} s, {r['start']}, "
         f"last own [JOIN] at {r['last_join_s']:.1f} s; \\list_users agrees: {yes(r['list_users_ok'])}); "
         f"idle {r['idle_s']:.0f} s: false [LOST] {r['lost_idle']}"
         + (f" ({', '.join(r['lost_idle_who'][:8])})" if r['lost_idle_who'] else "")
         + f", CPU {100 * r['cpu']:.1f} % of a core ({100 * r['cpu'] / n:.2f} % each), "
         f"RSS mean {r['rss_mean_mib']:.1f} MiB, max {r['rss_max_mib']:.1f} (peak {r['hwm_max_mib']:.1f}); "
         f"the rest of the machine meanwhile {100 * r['others_cpu']:.0f} % of a core, load {r['loadavg']:.1f}; "
         f"{r['typed']} lines from 3 nodes: all on {r['all_shown']}/{n} nodes in {r['typed_s']:.1f} s, "
         f"duplicates {r['dups']}, late {r['late']}, one order: {yes(r['one_order'])}"
         + ("" if r["one_order"] else f" ({r['order_differs']} nodes differ)")
         + f", senders' order kept: {yes(r['sender_order'])}, "
         f"\\checksum equal on the {r['stdin']} stdin nodes: {yes(r['checksum_ok'])}"
         + (f" ({r['checksum'][0]} records)" if r['checksum'] else "")
         + f"; false [LOST] in the whole run {r['lost_total']}"
         + (" (" + ", ".join(f"{k} {v}" for k, v in r["lost_phases"].items()) + f"; of {len(r['lost_who'])} "
            f"nicks: {', '.join(r['lost_who'][:8])}{' ...' if len(r['lost_who']) > 8 else ''}; seen by "
            f"{len(r['lost_by'])} nodes; [BACK] {r['back_total']})" if r["lost_total"] else "")
         + (f"; [ERROR] lines {r['errors']}" if r["errors"] else "")
         + ("" if r["alive"] == n else f"; alive {r['alive']}/{n}: {'; '.join(r['dead'][:3])}"))
    return s


def latency_line(r):
    L = r["latency"]
    return (f"latency at {r['n']} nodes: {L['messages']} messages from {len(L['senders'])} senders "
            f"({', '.join(L['senders'])}) at {L['rate']:.0f}/s offered over {L['offered_s']:.1f} s: "
            f"{L['deliveries']}/{L['expected']} deliveries, missing {L['missing']}, duplicates {L['dups']}; "
            f"send -> shown p50 {L['p50_ms']:.1f} ms, p99 {L['p99_ms']:.1f} ms, max {L['max_ms']:.1f} ms; "
            f"\\checksum equal: {yes(L['checksum_ok'])}; false [LOST] meanwhile {L['lost']}; "
            f"while sending: nodes' CPU {100 * L['cpu']['nodes']:.0f} % of a core, the whole machine's "
            f"{100 * L['cpu']['machine']:.0f} %, this script's {100 * L['cpu']['harness']:.0f} %")


def table(results, args):
    out = ["| nodes | formed | false [LOST] idle / run | idle CPU, all nodes | per node | RSS mean / max | "
           "60 lines on every node, once, one order | \\checksum equal |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        n = r["n"]
        if "error" in r or not r["formed"]:
            why = r.get("error") or f"did not form in {r['form_timeout']:.0f} s"
            out.append(f"| {n} | {why} | – | – | – | – | – | – |")
            continue
        lines_ok = r["all_shown"] == n and r["dups"] == 0 and r["one_order"]
        out.append(f"| {n} | {r['formed_s']:.1f} s | {r['lost_idle']} / {r['lost_total']} | "
                   f"{100 * r['cpu']:.1f} % | {100 * r['cpu'] / n:.2f} % | "
                   f"{r['rss_mean_mib']:.1f} / {r['rss_max_mib']:.1f} MiB | "
                   f"{yes(lines_ok)} ({r['all_shown']}/{n}) | {yes(r['checksum_ok'])} |")
    lat = [r for r in results if "latency" in r]
    if lat:
        out += ["", "| nodes | offered | deliveries | missing / duplicates | p50 | p99 | max |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in lat:
            L = r["latency"]
            out.append(f"| {r['n']} | {L['rate']:.0f}/s from {len(L['senders'])} senders, "
                       f"{L['offered_s']:.0f} s | {L['deliveries']}/{L['expected']} | "
                       f"{L['missing']} / {L['dups']} | {L['p50_ms']:.1f} ms | {L['p99_ms']:.1f} ms | "
                       f"{L['max_ms']:.1f} ms |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10,25,50,100")
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--bin", default=str(ROOT / "build" / "chorus"))
    ap.add_argument("--form-timeout", type=float, default=60,
                    help="seconds from the first start for every node to list all (default 60)")
    ap.add_argument("--settle", type=float, default=2, help="seconds between forming and the idle window")
    ap.add_argument("--lines", type=int, default=20, help="lines each of the 3 typists types (default 20)")
    ap.add_argument("--latency", action="store_true", help="measure latency at the largest size")
    ap.add_argument("--latency-at", type=int, help="the size to measure latency at (implies --latency)")
    ap.add_argument("--latency-rate", type=float, default=100)
    ap.add_argument("--latency-seconds", type=float, default=10)
    ap.add_argument("--burst", action="store_true",
                    help="start all nodes at once on ports chosen beforehand (default: each node "
                         "once the one before it listens, on a port it picks)")
    ap.add_argument("--all-stdin", action="store_true", help="every node reads a pipe (none --headless)")
    ap.add_argument("--heartbeat-ms", type=int, help="passed to every node (default: the node's own)")
    ap.add_argument("--timeout-ms", type=int, help="passed to every node (default: the node's own)")
    ap.add_argument("--seed", type=int, default=1, help="for the choice of each node's --join")
    ap.add_argument("--keep-going", action="store_true",
                    help="go on with larger sizes after one that did not form")
    ap.add_argument("--json", action="store_true", help="also print every result as JSON")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"scale.py: no executable {args.bin}")
    lat_at = args.latency_at or (max(sizes) if args.latency else None)

    def on_term(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even when started with it ignored
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    print(f"chorus {args.bin}; sizes {sizes}; idle {args.idle_seconds:g} s; "
          f"{'every node reads stdin' if args.all_stdin else 'up to 5 nodes read stdin (typists, senders), the rest --headless'}",
          flush=True)
    results, interrupted = [], False
    try:
        for n in sizes:
            try:
                r = run_size(args, n, n == lat_at)
            except (OSError, RuntimeError, ValueError) as e:
                r = {"n": n, "formed": False, "error": f"harness error: {e!r}"}
            results.append(r)
            print(line_for(r), flush=True)
            if "latency" in r:
                print(latency_line(r), flush=True)
            if args.json:
                print(json.dumps(r, default=list), flush=True)
            if not r["formed"] and not args.keep_going:
                rest = [m for m in sizes if m > n]
                if rest:
                    print(f"(skipping {rest}: {n} did not form; --keep-going to try them)", flush=True)
                break
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        interrupted = True
    if results:
        print()
        print(table(results, args))
    if interrupted:
        sys.exit(130)


if __name__ == "__main__":
    main()
