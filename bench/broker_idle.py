#!/usr/bin/python3
"""Idle cost of a chat over a RabbitMQ broker, by size (issue 13, item 6c).

For each size N (default 5, 25, 50): N headless nodes join one chat on a
private broker (tests/system/broker.py) by roll call, one after another;
once every node lists all N members, the CPU time the nodes and the broker
use over --seconds of silence is measured (from /proc, user + system), and
their RSS. Prints one line per size: the nodes' CPU as a share of one core
(their sum, and per node), the broker's, RSS per node (mean, max) and the
broker's, and how long the chat took to form.

usage: /usr/bin/python3 bench/broker_idle.py [--sizes 5,25,50] [--seconds 10]
       [--bin build/chorus]
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))
from broker import Broker  # noqa: E402
from procstat import cpu_s, status_kb  # noqa: E402


def rss_kb(pid):
    return status_kb(pid, "VmRSS")


class Node:
    def __init__(self, binary, nick, data, url, secret):
        env = {**os.environ, "CHORUS_SECRET": secret}
        self.proc = subprocess.Popen([binary, "--headless", "--data", str(data), "--broker", url,
                                      nick], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True)
        self.joins = 0
        self.joined = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            if line.startswith("[JOIN] "):
                self.joins += 1
                self.joined.set()


def measure(binary, broker, n, seconds):
    secret = f"idle-{n}-{time.monotonic_ns()}"
    with tempfile.TemporaryDirectory(prefix="chorus-idle-") as tmp:
        nodes = []
        try:
            t0 = time.monotonic()
            for i in range(n):
                nodes.append(Node(binary, f"n{i}", pathlib.Path(tmp) / f"n{i}", broker.url, secret))
                if not nodes[-1].joined.wait(30):
                    raise RuntimeError(f"n{i} never joined")
            deadline = time.monotonic() + 120
            while any(x.joins < n - i for i, x in enumerate(nodes)):
                if time.monotonic() > deadline:
                    raise RuntimeError("the chat never formed: "
                                       f"{[x.joins for x in nodes]}")
                time.sleep(0.2)
            formed = time.monotonic() - t0
            time.sleep(2)
            beam = broker.beam_pid()
            pids = [x.proc.pid for x in nodes]
            c0, b0, w0 = sum(cpu_s(p) for p in pids), cpu_s(beam), time.monotonic()
            time.sleep(seconds)
            c1, b1, w1 = sum(cpu_s(p) for p in pids), cpu_s(beam), time.monotonic()
            rss = [rss_kb(p) for p in pids]
            wall = w1 - w0
            return {"n": n, "formed_s": formed, "nodes_cpu": (c1 - c0) / wall,
                    "broker_cpu": (b1 - b0) / wall, "rss_mean_kb": sum(rss) / n,
                    "rss_max_kb": max(rss), "broker_rss_kb": rss_kb(beam),
                    "alive": sum(x.proc.poll() is None for x in nodes)}
        finally:
            for x in nodes:
                x.proc.kill()
                x.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="5,25,50")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--bin", default=str(ROOT / "build" / "chorus"))
    args = ap.parse_args()
    with Broker() as b:
        for n in (int(s) for s in args.sizes.split(",")):
            try:
                r = measure(args.bin, b, n, args.seconds)
            except RuntimeError as e:  # a size the machine cannot hold is a result too
                print(f"{n} nodes: did not form: {e}", flush=True)
                continue
            print(f"{n} nodes: formed in {r['formed_s']:.1f} s; idle CPU nodes "
                  f"{100 * r['nodes_cpu']:.1f} % of a core ({100 * r['nodes_cpu'] / n:.2f} % each), "
                  f"broker {100 * r['broker_cpu']:.1f} %; RSS per node {r['rss_mean_kb'] / 1024:.1f} "
                  f"MiB (max {r['rss_max_kb'] / 1024:.1f}), broker {r['broker_rss_kb'] / 1024:.0f} MiB; "
                  f"{r['alive']}/{n} alive", flush=True)


if __name__ == "__main__":
    main()
