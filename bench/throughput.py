#!/usr/bin/python3
"""Throughput benchmark: chat messages through real nodes on loopback.

1. throughput: N nodes (default 5) form a chat; each is sent M messages
   (default 20000) as fast as it accepts them (a writer thread per node; the
   pipe blocks while the node's flow control stops reading). Reports the
   deliveries (N*N*M expected), deliveries/s from the first send to the last
   delivery, p50/p99/max send-to-delivery latency, missing/duplicate/late
   counts, and whether \\checksum agrees on all nodes.
2. rate: the same chat offered a fixed total load (default 1000 msg/s over
   the nodes, on a sleep-until schedule) for --rate-seconds; p50/p99/max.
3. catch-up: 2 nodes are fed K messages (default 100000), then a new node
   joins: time from its process start to its [JOIN] line and to \\checksum
   count=K (polled every 50 ms); its [HISTORY] lines (at most 20 expected).
4. rss: peak RSS per node (VmHWM, just before closing stdin) and the RSS of
   a lone idle node after 1 s (VmRSS).

A message is `~PART SENDER NUMBER SEND_NS`, SEND_NS = time.monotonic_ns() just
before the write; reader threads stamp each stdout line on arrival with the
same system-wide clock (latency includes the harness's pipe/thread delays).

usage: /usr/bin/python3 bench/throughput.py [--nodes 5] [--messages 20000] [--broker URL]
       [--rate 1000] [--rate-seconds 5] [--catchup 100000] [--bin build/chorus]
       [--skip-throughput] [--skip-rate] [--skip-catchup] [--skip-rss] [--json]
"""
import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import procstat

ROOT = pathlib.Path(__file__).resolve().parents[1]
STALL_S = 15          # give up waiting when no delivery arrived for this long
CHECKSUM = re.compile(rb"^\[CHECKSUM\] count=(\d+) digest=(\S+)$")


class Node:
    """One chorus process; its stdout lines are kept as (monotonic_ns, bytes)."""

    def __init__(self, binary, nick, data, join=None, extra=()):
        self.nick = nick
        args = [binary, "--listen", "127.0.0.1:0", "--data", str(data)] + (["--join", join] if join else [])
        args += list(extra)
        self.t_start = time.monotonic_ns()
        env = {**os.environ, "CHORUS_SECRET": "bench-chat-secret"}
        self.proc = subprocess.Popen(args + [nick], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.fd = self.proc.stdin.fileno()      # written with os.write: no buffering
        self.lines, self.err, self.chat, self.eof = [], [], 0, False
        threading.Thread(target=self._pump_out, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()
        deadline = time.monotonic() + 10
        while not any(b"listening on" in l for l in self.err):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError(f"{nick} did not start: {self.err}")
            time.sleep(0.005)
        port = re.search(rb"listening on \S+:(\d+)", b"".join(self.err)).group(1)
        self.addr = f"127.0.0.1:{port.decode()}"

    def _pump_out(self):
        now, lines = time.monotonic_ns, self.lines
        for line in self.proc.stdout:
            lines.append((now(), line))
            if b"] ~" in line:
                self.chat += 1
        self.eof = True

    def send(self, text):
        os.write(self.fd, text.encode() + b"\n")

    def wait_line(self, rx, timeout=10, start=0):
        """(index, time_ns, match) of the first line at >= start matching rx."""
        deadline, i = time.monotonic() + timeout, start
        while True:
            ended = self.eof                    # read before the lines: none is missed
            while i < len(self.lines):
                m = rx.match(self.lines[i][1])
                if m:
                    return i, self.lines[i][0], m
                i += 1
            if ended or time.monotonic() > deadline:
                raise RuntimeError(f"{self.nick}: no line matching {rx.pattern!r} in {timeout} s")
            time.sleep(0.002)

    def ask(self, command, rx, timeout=10):
        start = len(self.lines)
        self.send(command)
        return self.wait_line(rx, timeout, start)

    def status(self, field):
        """A /proc/PID/status field in kB (0 once the process is gone)."""
        return procstat.status_kb(self.proc.pid, field)

    def stop(self):
        """Close stdin and wait for the exit; returns (peak RSS kB, exit code or None)."""
        hwm = self.status("VmHWM")
        self.proc.stdin.close()
        try:
            return hwm, self.proc.wait(10)
        except subprocess.TimeoutExpired:
            return hwm, None                    # Lab.close kills it


class Lab:
    """Starts nodes in a temporary directory; kills whatever is left on close."""

    def __init__(self, binary, broker=None):
        self.binary, self.nodes = binary, []
        self.extra = ["--broker", broker] if broker else []   # then found by roll call, no --join
        self.tmp = tempfile.TemporaryDirectory(prefix="chorus-bench-")

    def start(self, nick, join=None, wait_join=True):
        node = Node(self.binary, nick, pathlib.Path(self.tmp.name) / nick,
                    None if self.extra else join, self.extra)
        self.nodes.append(node)
        if wait_join:
            node.wait_line(re.compile(rb"^\[JOIN\] %s joined the chat$" % nick.encode()))
        return node

    def cluster(self, prefix, n):
        nodes = [self.start(f"{prefix}0")]
        nodes += [self.start(f"{prefix}{i}", nodes[0].addr) for i in range(1, n)]
        want, users = {x.nick for x in nodes}, re.compile(rb"^\[USERS\] (.*)$")
        for _ in range(100):
            got = [x.ask("\\list_users", users)[2].group(1).decode() for x in nodes]
            if all({u.replace(" (leader)", "") for u in g.split(", ")} == want for g in got):
                return nodes
            time.sleep(0.1)
        raise RuntimeError(f"the cluster did not settle: {got}")

    def close(self):
        for node in self.nodes:
            if node.proc.poll() is None:
                node.proc.kill()
                node.proc.wait()
        self.tmp.cleanup()


def feed(node, part, sender, numbers, rate=None, t0=0.0, lag=None):
    """Write message `~PART SENDER K NS` for each K; with a rate, at t0 + K/rate."""
    fd, write, now = node.fd, os.write, time.monotonic_ns
    try:
        for k in numbers:
            if rate:
                due = t0 + k / rate
                time.sleep(max(0.0, due - time.monotonic()))
                lag.append(time.monotonic() - due)
            write(fd, b"~%s %d %d %d\n" % (part, sender, k, now()))
    except OSError:
        pass                                    # the node died: its messages count as missing


def parallel(target, arglists):
    threads = [threading.Thread(target=target, args=a, daemon=True) for a in arglists]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def wait_delivered(nodes, targets):
    """Wait until node.chat >= target for each node, or no progress for STALL_S."""
    last, since = -1, time.monotonic()
    while not all(x.chat >= t for x, t in zip(nodes, targets)):
        total = sum(x.chat for x in nodes)
        if total != last:
            last, since = total, time.monotonic()
        elif time.monotonic() - since > STALL_S:
            return False
        time.sleep(0.02)
    return True


def collect(nodes, part, expected):
    """Deliveries of one part at all nodes against the expected (sender, number) keys."""
    tag, lat, res = b"~" + part, [], dict(deliveries=0, missing=0, duplicates=0, late=0)
    first_send, last_recv = None, 0
    for node in nodes:
        seen = set()
        for t, line in node.lines:
            if b"] " + tag + b" " not in line:
                continue
            try:
                _, s, k, ts = line.rsplit(b" ", 3)
                key, ts = (int(s), int(k)), int(ts)
            except ValueError:
                continue                        # not one of ours after all
            res["duplicates"] += key in seen
            seen.add(key)
            res["late"] += line.startswith(b"[LATE")
            res["deliveries"] += 1
            lat.append(t - ts)
            first_send = ts if first_send is None else min(first_send, ts)
            last_recv = max(last_recv, t)
        res["missing"] += len(expected - seen)
    lat.sort()
    for name, p in (("p50_ms", 0.50), ("p99_ms", 0.99), ("max_ms", 1.0)):
        res[name] = lat[min(len(lat) - 1, int(p * len(lat)))] / 1e6 if lat else None
    res["seconds"] = (last_recv - first_send) / 1e9 if lat else None
    return res


def fmt_lat(r):
    return "no deliveries" if r["p50_ms"] is None else \
        f"latency p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms"


def part_throughput(nodes, m):
    n = len(nodes)
    base = [x.chat for x in nodes]
    parallel(feed, [(x, b"1", i, range(m)) for i, x in enumerate(nodes)])
    wait_delivered(nodes, [b + n * m for b in base])
    r = collect(nodes, b"1", {(s, k) for s in range(n) for k in range(m)})
    r["per_s"] = r["deliveries"] / r["seconds"] if r["seconds"] else 0
    sums = [x.ask("\\checksum", CHECKSUM)[2].group(0).decode() for x in nodes]
    r["checksum_equal"], r["checksums"] = len(set(sums)) == 1, sums
    r["exactly_once"] = r["missing"] == 0 and r["duplicates"] == 0
    print(f"throughput: {n} nodes x {m} messages: {r['deliveries']}/{n * n * m} deliveries "
          f"in {r['seconds'] or 0:.2f} s = {r['per_s']:.0f} deliveries/s; {fmt_lat(r)}")
    print(f"  every message exactly once at every node: {'yes' if r['exactly_once'] else 'NO'} "
          f"(missing {r['missing']}, duplicates {r['duplicates']}, late {r['late']}); "
          f"\\checksum equal on all nodes: {'yes' if r['checksum_equal'] else 'NO'} "
          f"({', '.join(sorted(set(s[11:] for s in sums)))})")
    return r


def part_rate(nodes, rate, seconds):
    n, total = len(nodes), int(rate * seconds)
    base, lag, t0 = [x.chat for x in nodes], [0.0], time.monotonic() + 0.1
    parallel(feed, [(x, b"2", i, range(i, total, n), rate, t0, lag) for i, x in enumerate(nodes)])
    wait_delivered(nodes, [b + n * total for b in base])
    r = collect(nodes, b"2", {(j % n, j) for j in range(total)})
    r["max_send_lag_ms"] = max(lag) * 1000
    print(f"rate: {rate:g} msg/s offered for {seconds:g} s over {n} nodes: {r['deliveries']}/{n * total} "
          f"deliveries (missing {r['missing']}, duplicates {r['duplicates']}); {fmt_lat(r)}; "
          f"sender behind schedule at most {r['max_send_lag_ms']:.1f} ms")
    return r


def part_catchup(lab, k):
    a, b = lab.cluster("c", 2)
    t0 = time.monotonic()
    parallel(feed, [(a, b"3", 0, range(k - k // 2)), (b, b"3", 1, range(k // 2))])
    r = dict(fed=wait_delivered([a, b], [k, k]), feed_s=time.monotonic() - t0)
    want = a.ask("\\checksum", CHECKSUM)[2]
    c = lab.start("c2", a.addr, wait_join=False)
    t_join = c.wait_line(re.compile(rb"^\[JOIN\] c2 joined the chat$"), 30)[1]
    r["join_s"], r["caught_up_s"], count, since = (t_join - c.t_start) / 1e9, None, -1, time.monotonic()
    while time.monotonic() - since < STALL_S:
        tick = time.monotonic()
        _, t, m = c.ask("\\checksum", CHECKSUM)
        if int(m.group(1)) != count:
            count, since = int(m.group(1)), tick
        if count >= k:
            r["caught_up_s"], r["digest_equal"] = (t - c.t_start) / 1e9, m.group(0) == want.group(0)
            break
        time.sleep(max(0.0, tick + 0.05 - time.monotonic()))
    r["count"], r["history_lines"] = count, sum(l.startswith(b"[HISTORY]") for _, l in c.lines)
    done = (f"\\checksum count stuck at {count} (wanted {k}; gave up after {STALL_S} s)"
            if r["caught_up_s"] is None else f"\\checksum count={k} after {r['caught_up_s'] * 1000:.0f} ms "
            f"(digest {'equal' if r['digest_equal'] else 'DIFFERENT'})")
    print(f"catch-up: 2 nodes fed {k} messages in {r['feed_s']:.2f} s"
          f"{'' if r['fed'] else ' (NOT all delivered: ' + want.group(0).decode() + ')'}; a new node "
          f"printed [JOIN] {r['join_s'] * 1000:.0f} ms after its start, {done}; [HISTORY] lines "
          f"{r['history_lines']} ({'<=' if r['history_lines'] <= 20 else 'MORE THAN'} 20)")
    return r


def stop_all(nodes, label, show):
    res = {x.nick: dict(zip(("vmhwm_kb", "exit"), x.stop())) for x in nodes}
    bad = {n: v["exit"] for n, v in res.items() if v["exit"] != 0}
    if show or bad:
        print(f"rss: {label} peak per node (VmHWM): "
              + ", ".join(f"{n} {v['vmhwm_kb'] / 1024:.1f} MiB" for n, v in res.items())
              + (f"; exit codes not 0: {bad}" if bad else ""))
    return res


def idle_rss(lab):
    node = lab.start("idle")
    time.sleep(1)
    kb = node.status("VmRSS")
    node.stop()
    print(f"rss: a lone idle node after 1 s (VmRSS): {kb / 1024:.1f} MiB")
    return kb


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT).stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20000, help="messages sent to each node")
    ap.add_argument("--rate", type=float, default=1000, help="total messages/s offered")
    ap.add_argument("--rate-seconds", type=float, default=5)
    ap.add_argument("--catchup", type=int, default=100000, help="messages before the late joiner")
    ap.add_argument("--bin", default=str(ROOT / "build" / "chorus"))
    ap.add_argument("--broker", help="amqp://... : the nodes meet on this RabbitMQ broker, not by --join")
    for part in ("throughput", "rate", "catchup", "rss"):
        ap.add_argument(f"--skip-{part}", action="store_true")
    ap.add_argument("--json", action="store_true", help="also print a JSON summary")
    args = ap.parse_args()
    if not os.access(args.bin, os.X_OK):
        raise SystemExit(f"{args.bin} is not built: run make first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.stdout.reconfigure(line_buffering=True)
    dirty = sh("git", "status", "--porcelain", "--untracked-files=no")
    commit = (sh("git", "rev-parse", "--short", "HEAD") or "unknown") + (" (modified)" if dirty else "")
    nproc = sh("nproc")
    print(f"chorus {commit}, nproc {nproc}, binary {args.bin}", flush=True)
    out = dict(commit=commit, nproc=nproc, nodes=args.nodes)
    lab = Lab(args.bin, args.broker)
    try:
        if not (args.skip_throughput and args.skip_rate):
            nodes = lab.cluster("n", args.nodes)
            if not args.skip_throughput:
                out["throughput"] = part_throughput(nodes, args.messages)
            if not args.skip_rate:
                out["rate"] = part_rate(nodes, args.rate, args.rate_seconds)
            out["cluster_rss"] = stop_all(nodes, f"{args.nodes}-node chat,", not args.skip_rss)
        if not args.skip_catchup:
            out["catchup"] = part_catchup(lab, args.catchup)
            out["catchup_rss"] = stop_all(lab.nodes[-3:], "catch-up chat,", not args.skip_rss)
        if not args.skip_rss:
            out["idle_rss_kb"] = idle_rss(lab)
    finally:
        lab.close()
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        sys.exit(f"throughput: {e}")
