#!/usr/bin/python3
"""Failover benchmark: how long until every survivor names the new leader.

Starts 5 real nodes on loopback, then, for each trial,
  crash: kill -9 the leader, time until each survivor prints [LEADER];
  stall: SIGSTOP the leader, time until each survivor prints [LEADER]
         (expected: about --timeout-ms after the last heartbeat).
Prints the worst survivor per trial and the p50/max over trials.
Targets (SPEC 5.5): crash <= 0.5 s; stall <= timeout-ms + 0.5 s.

usage: bench/failover.py [--trials N] [--bin build/chorus]
"""
import argparse
import os
import pathlib
import signal
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "system"))
from conftest import Node  # noqa: E402

TIMEOUT_MS = 1000


def cluster(binary, tmp, tag, n=5):
    first = Node(binary, f"{tag}0", tmp / f"{tag}0")
    first.wait_line(r"^\[LEADER\]")
    nodes = [first]
    for i in range(1, n):
        node = Node(binary, f"{tag}{i}", tmp / f"{tag}{i}", [nodes[-1].addr])
        node.wait_line(r"^\[LEADER\]")
        nodes.append(node)
    want = ", ".join([f"{tag}0 (leader)"] + [f"{tag}{i}" for i in range(1, n)])
    for _ in range(50):
        if all(x.ask("\\list_users", "USERS") == want for x in nodes):
            return nodes
        time.sleep(0.1)
    raise SystemExit("cluster did not settle")


def trial(binary, tmp, tag, how):
    nodes = cluster(binary, tmp, tag)
    leader, rest = nodes[0], nodes[1:]
    marks = [len(x.output()) for x in rest]
    time.sleep(0.3)  # let heartbeats flow
    t0 = time.monotonic()
    if how == "crash":
        leader.kill()
    else:
        leader.signal(signal.SIGSTOP)
    worst = 0.0
    for x, mark in zip(rest, marks):
        _, t, _ = x.wait_line(rf"^\[LEADER\] {tag}1 is the leader$", 10, mark)
        worst = max(worst, t - t0)
    if how == "stall":
        leader.signal(signal.SIGCONT)
    for x in nodes:
        x.kill()
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parents[1] / "build" / "chorus"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        for how in ("crash", "stall"):
            worst = [trial(args.bin, tmp, f"{how[0]}{k}x", how) for k in range(args.trials)]
            print(f"{how}: 5 nodes, {args.trials} trials, slowest survivor per trial: "
                  f"p50 {statistics.median(worst)*1000:.0f} ms, max {max(worst)*1000:.0f} ms"
                  + (f" (timeout-ms {TIMEOUT_MS})" if how == "stall" else ""))


if __name__ == "__main__":
    main()
