#!/usr/bin/python3
"""Broker mode against the mesh and against raw RabbitMQ, in one run.

On one private broker (tests/system/broker.py), alternating, --rounds times:
  (a) the 5-node full-speed run of bench/throughput.py with --broker (nodes
      found by roll call, every link a stream through the broker), and raw
      librabbitmq fanout through the same broker (build/amqp_raw: 5
      publishers x 20,000 messages of 40 bytes, the size of one of the
      throughput run's lines, to 5 consumers, with publisher confirms);
  (b) the same throughput run over the mesh (--join, TCP);
  (d) failover: 3 nodes on the broker, the leader killed (SIGKILL: its
      connection to the broker drops), the time until both others print
      the new [LEADER] line.
Prints each run and the medians, and the broker's peak RSS.

usage: /usr/bin/python3 bench/broker.py [--rounds 3] [--bin build/chorus]
"""
import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))
from broker import Broker  # noqa: E402

RATE = re.compile(r"= (\d+) deliveries/s")
RAW = re.compile(r"deliveries_per_s=(\d+)")


def throughput(binary, broker_url=None):
    args = ["/usr/bin/python3", str(ROOT / "bench" / "throughput.py"), "--bin", binary,
            "--skip-catchup", "--skip-rss", "--skip-rate"]
    if broker_url:
        args += ["--broker", broker_url]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300).stdout
    m = RATE.search(out)
    if not m:
        raise RuntimeError(f"no figure from throughput.py: {out[-500:]}")
    return int(m.group(1))


def raw(url):
    out = subprocess.run([str(ROOT / "build" / "amqp_raw"), "-s", "40", "-u", url],
                         capture_output=True, text=True, timeout=300).stdout
    m = RAW.search(out)
    if not m:
        raise RuntimeError(f"no figure from amqp_raw: {out[-500:]}")
    return int(m.group(1))


def start(binary, nick, data, url):
    env = {**os.environ, "CHORUS_SECRET": f"bench-failover-{data.parent.name}"}
    return subprocess.Popen([binary, "--data", str(data), "--broker", url, nick],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)


def wait_for(proc, pattern, timeout=15):
    rx, deadline = re.compile(pattern), time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if rx.search(line):
            return time.monotonic()
    raise RuntimeError(f"no line matching {pattern!r}")


def failover(binary, url):
    with tempfile.TemporaryDirectory(prefix="chorus-failover-") as tmp:
        d = pathlib.Path(tmp)
        nodes = []
        try:
            for nick in ("alice", "bob", "carol"):
                nodes.append(start(binary, nick, d / nick, url))
                wait_for(nodes[-1], r"^\[LEADER\] alice is the leader$")
            wait_for(nodes[1], r"^\[JOIN\] carol joined the chat$")
            time.sleep(0.5)
            t0 = time.monotonic()
            nodes[0].kill()
            t = max(wait_for(n, r"^\[LEADER\] bob is the leader$") for n in nodes[1:])
            return t - t0
        finally:
            for n in nodes:
                n.kill()
                n.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / "build" / "chorus"))
    args = ap.parse_args()
    for need in (args.bin, str(ROOT / "build" / "amqp_raw")):
        if not os.access(need, os.X_OK):
            raise SystemExit(f"{need} is not built: make build/chorus build/amqp_raw")
    figures = {"broker": [], "mesh": [], "raw": [], "failover_s": []}
    with Broker() as b:
        for r in range(args.rounds):
            figures["broker"].append(throughput(args.bin, b.url))
            figures["mesh"].append(throughput(args.bin))
            figures["raw"].append(raw(b.url))
            figures["failover_s"].append(failover(args.bin, b.url))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" if k == "failover_s"
                                                 else f"{k} {v[-1]}" for k, v in figures.items()),
                  flush=True)
        rss = b.vm_hwm_kb()
    med = {k: statistics.median(v) for k, v in figures.items()}
    print(f"medians: chat over the broker {med['broker']:.0f} deliveries/s, over the mesh "
          f"{med['mesh']:.0f}, raw fanout {med['raw']:.0f}; broker/raw "
          f"{med['broker'] / med['raw']:.2f}, broker/mesh {med['broker'] / med['mesh']:.2f}; "
          f"failover {med['failover_s'] * 1000:.0f} ms; broker peak RSS {rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
