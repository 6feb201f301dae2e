#!/usr/bin/python3
"""Raw RabbitMQ fanout on this machine: the reference for broker mode (issue 13).

Starts a private broker (tests/system/broker.py: its own node, ports, epmd
and temp dir; stopped by PID at the end), runs build/amqp_raw (see
bench/amqp_raw.c) against it --rounds times (default 3), and prints each
run's line, the medians, and the broker's peak RSS (VmHWM of its beam.smp,
read after the runs).

usage: /usr/bin/python3 bench/broker_raw.py [--rounds 3] [--consumers 5] [--publishers 5]
       [--messages 20000] [--size 200] [--window 20] [--load build/amqp_raw] [--json]
"""
import argparse
import json
import pathlib
import re
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))
from broker import Broker  # noqa: E402

FIELDS = ("deliveries_per_s", "p50_ms", "p99_ms", "max_ms", "seconds")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--consumers", type=int, default=5)
    ap.add_argument("--publishers", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--load", default=str(ROOT / "build" / "amqp_raw"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not pathlib.Path(a.load).is_file():
        sys.exit(f"{a.load} is not built: make {pathlib.Path(a.load).relative_to(ROOT)}")

    runs = []
    with Broker() as b:
        print(f"broker {b.node} on {b.url} (started in {b.started_in:.1f}s)", file=sys.stderr)
        for i in range(a.rounds):
            cmd = [a.load, "-u", b.url, "-n", str(a.consumers), "-p", str(a.publishers),
                   "-m", str(a.messages), "-s", str(a.size), "-w", str(a.window)]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            line = r.stdout.strip()
            if r.returncode != 0:
                sys.exit(f"round {i + 1}: amqp_raw exited {r.returncode}: {line} {r.stderr.strip()}")
            kv = dict(re.findall(r"(\w+)=(\S+)", line))
            runs.append({k: float(kv[k]) for k in FIELDS})
            if not a.json:
                print(f"round {i + 1}: {line}")
        hwm = b.vm_hwm_kb()

    med = {k: statistics.median(r[k] for r in runs) for k in FIELDS}
    if a.json:
        print(json.dumps({"runs": runs, "median": med, "broker_vmhwm_kb": hwm}))
        return
    print(f"median of {len(runs)}: {med['deliveries_per_s']:.0f} deliveries/s, "
          f"p50 {med['p50_ms']:.2f} ms, p99 {med['p99_ms']:.2f} ms "
          f"({a.consumers} consumers, {a.publishers} publishers x {a.messages} msgs of "
          f"{a.size} B, confirm window {a.window})")
    print(f"broker peak RSS (VmHWM of beam.smp): {hwm / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
