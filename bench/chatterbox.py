#!/usr/bin/python3
"""How much does a chatterbox cluster agree on?  (issue 6)

N `chorus chatterbox` nodes on loopback (default 5) send for --send-for
seconds (default 10) and wait --wait-for (default 2).  Prints each node's
line, whether they agree, COUNT, messages agreed per second of the send
phase, and each node's peak RSS (VmHWM, read just before it exits).

    /usr/bin/python3 bench/chatterbox.py [--nodes 5] [--send-for 10] [--wait-for 2]
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "system"))
from conftest import free_ports  # noqa: E402


def watch_rss(proc, peak):
    """Poll VmHWM (the kernel's own peak) until the process ends."""
    path = pathlib.Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            m = re.search(r"VmHWM:\s+(\d+) kB", path.read_text())
            if m:
                peak[0] = max(peak[0], int(m.group(1)))
        except OSError:
            pass
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--send-for", type=float, default=10)
    ap.add_argument("--wait-for", type=float, default=2)
    ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parents[1] / "build" / "chorus"))
    a = ap.parse_args()
    ports = free_ports(a.nodes)
    with tempfile.TemporaryDirectory() as tmp:
        peers = pathlib.Path(tmp) / "peers.json"
        peers.write_text(json.dumps([f"127.0.0.1:{p}:0" for p in ports]))
        procs, peaks, threads = [], [], []
        for p in ports:
            proc = subprocess.Popen([a.bin, "chatterbox", "-p", str(p), "--peer-config-file",
                                     str(peers), "--send-for", str(a.send_for),
                                     "--wait-for", str(a.wait_for), "--with-seed", "1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            peak = [0]
            t = threading.Thread(target=watch_rss, args=(proc, peak), daemon=True)
            t.start()
            procs.append(proc)
            peaks.append(peak)
            threads.append(t)
        lines = [p.communicate(timeout=a.send_for + a.wait_for + 60)[0].strip() for p in procs]
        for t in threads:
            t.join()
    for p, line, peak in zip(ports, lines, peaks):
        print(f"node :{p}  {line}  peak RSS {peak[0] / 1024:.1f} MiB")
    agree = len(set(lines)) == 1
    m = re.match(r"\((\d+), ", lines[0])
    count = int(m.group(1)) if m else 0
    print(f"{a.nodes} nodes, send {a.send_for:g} s: all agree: {'yes' if agree else 'NO'}; "
          f"COUNT {count} = {count / a.send_for:.0f} messages/s agreed; "
          f"peak RSS max {max(p[0] for p in peaks) / 1024:.1f} MiB")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
