#!/usr/bin/python3
"""IRC gateway vs ngIRCd: one busy channel through real servers on loopback (issue 7).

Two setups, each run against ngIRCd and against chorus in the same invocation
so that the ratio is fair on a noisy shared machine:

  (a) one ngIRCd vs one chorus node;
  (b) three linked ngIRCd servers (a star: servers 1 and 2 link to server 0)
      vs three chorus nodes; the clients are spread round robin over them.

build/irc_load (see bench/irc_load.c) opens C clients (default 50), joins them
to #chorus, waits until every client sees all C members, then has each send M
PRIVMSGs (default 1,000) as fast as the sockets and --window allow, or paced
to --rate msgs/s in total; C*(C-1)*M deliveries are expected. Reported per
server: deliveries/s from the first send to the last delivery, send-to-receive
latency p50/p99/max, and each server process's peak RSS (VmHWM, read after the
load). The chorus row's ratio to ngIRCd follows (medians over --rounds).

ngIRCd runs as `ngircd -n -f CONF` with a generated config in a temporary
directory: no DNS, Ident or PAM lookups, no per-IP connection cap, no flood
penalty (MaxPenaltyTime = 0, a [Limits] key). A chorus node runs as
`build/chorus --headless --irc 127.0.0.1:PORT -l 127.0.0.1:PORT -d DIR
--secret-file FILE NICK` (later nodes with --join), each started once the one
before printed `[JOIN] NICK joined the chat`.

usage: /usr/bin/python3 bench/irc.py [--clients 50] [--messages 1000] [--window 2000]
       [--rate 0] [--timeout 60] [--setups a,b] [--only ngircd|chorus] [--rounds 1]
       [--bin build/chorus] [--load build/irc_load] [--ngircd /usr/sbin/ngircd] [--json]
"""
import argparse
import json
import os
import pathlib
import pwd
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "system"))
from conftest import free_ports  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHANNEL = "#chorus"
SETUPS = {"a": 1, "b": 3}     # setup -> servers


def wait_port(port, proc, what, timeout=10):
    """Wait until 127.0.0.1:port accepts a connection; fail if proc exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} does not listen on 127.0.0.1:{port} after {timeout} s")


def vmhwm_kb(proc):
    """Peak RSS (VmHWM) of a live process in kB, 0 once it is gone."""
    try:
        m = re.search(r"VmHWM:\s+(\d+) kB", pathlib.Path(f"/proc/{proc.pid}/status").read_text())
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def irc_servers_seen(port, nick, timeout=5):
    """Register a probe client and return K from LUSERS' '... on K servers'."""
    with socket.create_connection(("127.0.0.1", port), timeout) as s:
        s.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :probe\r\nLUSERS\r\n".encode())
        buf, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = s.recv(4096)
            if not data:
                break
            buf += data
            m = re.search(rb" 251 \S+ :There are \d+ users and \d+ services on (\d+) servers", buf)
            if m:
                s.sendall(b"QUIT\r\n")
                return int(m.group(1))
    return 0


class Ngircds:
    """n ngIRCd servers on loopback, linked in a star around server 0."""

    name = "ngircd"

    def __init__(self):
        self.procs, self.logs = [], []

    def start(self, binary, tmp, n):
        self.ports = free_ports(n)
        d = pathlib.Path(tmp) / "ngircd"
        (d / "conf.d").mkdir(parents=True)       # IncludeDir: keep /etc/ngircd/ngircd.conf.d out
        user = ""
        if os.geteuid() == 0:
            # ngIRCd will not run as root: it switches to nobody (or ServerUID), and
            # writes its PID file after the switch, so that user needs the directory.
            nobody = pwd.getpwnam("nobody")
            user = f"\tServerUID = {nobody.pw_uid}\n\tServerGID = {nobody.pw_gid}\n"
            os.chmod(tmp, 0o711)
            os.chmod(d, 0o711)
            (d / "run").mkdir()
            os.chown(d / "run", nobody.pw_uid, nobody.pw_gid)
        else:
            (d / "run").mkdir()
        names = [f"s{i}.bench.chorus" for i in range(n)]
        for i, port in enumerate(self.ports):
            links = ""
            for j in (range(1, n) if i == 0 else [0]):
                # the leaves dial the hub (Port set); the hub waits for them
                links += (f"[Server]\n\tName = {names[j]}\n\tHost = 127.0.0.1\n"
                          + (f"\tPort = {self.ports[j]}\n" if i != 0 else "")
                          + f"\tMyPassword = pw{i}to{j}\n\tPeerPassword = pw{j}to{i}\n")
            conf = d / f"s{i}.conf"
            conf.write_text(
                f"[Global]\n\tName = {names[i]}\n\tInfo = chorus bench\n\tPorts = {port}\n"
                f"\tListen = 127.0.0.1\n\tMotdPhrase = bench\n\tPidFile = {d}/run/s{i}.pid\n{user}"
                f"\tAdminInfo1 = bench\n\tAdminInfo2 = bench\n\tAdminEMail = bench@localhost\n"
                "[Limits]\n\tMaxConnections = 0\n\tMaxConnectionsIP = 0\n\tMaxJoins = 0\n"
                "\tMaxPenaltyTime = 0\n\tConnectRetry = 5\n\tPingTimeout = 300\n"
                f"[Options]\n\tDNS = no\n\tIdent = no\n\tPAM = no\n\tIncludeDir = {d}/conf.d\n"
                + links)
            log = open(d / f"s{i}.log", "wb")
            self.logs.append(log)
            self.procs.append(subprocess.Popen([binary, "-n", "-f", str(conf)], stdout=log,
                                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        for i, (p, port) in enumerate(zip(self.procs, self.ports)):
            wait_port(port, p, f"ngircd s{i} (log {d}/s{i}.log)")
        if n > 1:
            self._wait_linked(n)

    def _wait_linked(self, n, timeout=30):
        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            seen = [irc_servers_seen(port, f"probe{i}") for i, port in enumerate(self.ports)]
            if all(k == n for k in seen):
                return
            time.sleep(0.2)
        raise RuntimeError(f"ngircd servers not linked after {timeout} s: LUSERS shows {seen} servers")

    def close(self):
        for p in self.procs:
            stop(p)
        for log in self.logs:
            log.close()


class Chorus:
    """n chorus nodes, each with its IRC gateway on loopback; nodes 1.. join node 0."""

    name = "chorus"

    def __init__(self):
        self.procs, self.lines, self.logs = [], [], []

    def start(self, binary, tmp, n):
        ports = free_ports(2 * n)
        self.ports, peers = ports[:n], ports[n:]
        d = pathlib.Path(tmp) / "chorus"
        d.mkdir()
        secret = d / "secret"
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, secrets.token_hex(32).encode() + b"\n")
        os.close(fd)
        for i in range(n):
            nick = f"bench{i}"
            args = [binary, "--headless", "--irc", f"127.0.0.1:{self.ports[i]}",
                    "-l", f"127.0.0.1:{peers[i]}", "-d", str(d / nick), "--secret-file", str(secret)]
            if i:
                args += ["--join", f"127.0.0.1:{peers[0]}"]
            log = open(d / f"{nick}.err", "wb")
            self.logs.append(log)
            proc = subprocess.Popen(args + [nick], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=log)
            self.procs.append(proc)
            lines = []
            self.lines.append(lines)
            threading.Thread(target=lambda p=proc, out=lines: out.extend(p.stdout), daemon=True).start()
            want, deadline = f"[JOIN] {nick} joined the chat".encode(), time.monotonic() + 15
            while not any(line.rstrip() == want for line in list(lines)):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chorus {nick} printed no '[JOIN] {nick} joined the chat' "
                                       f"(exit {proc.poll()}; stderr in {d / (nick + '.err')})")
                time.sleep(0.01)
            wait_port(self.ports[i], proc, f"chorus {nick} IRC gateway")

    def close(self):
        for p in self.procs:
            stop(p)
        for log in self.logs:
            log.close()


def chorus_missing(binary):
    """Why build/chorus cannot be benchmarked yet, or None."""
    if not os.access(binary, os.X_OK):
        return f"{binary} is not built: run make first"
    out = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if "--irc" not in out:
        return (f"{binary} has no --irc option yet (the IRC gateway, issue 7); "
                "run with --only ngircd to measure ngIRCd alone")
    return None


def run_one(kind, binary, n, a):
    """Start n servers of kind, run the load, stop them; the result dict."""
    tmp = tempfile.TemporaryDirectory(prefix="chorus-irc-bench-")
    servers = kind()
    try:
        servers.start(binary, tmp.name, n)
        cmd = [a.load, "--clients", str(a.clients), "--messages", str(a.messages), "--channel", CHANNEL,
               "--servers", ",".join(f"127.0.0.1:{p}" for p in servers.ports),
               "--window", str(a.window), "--rate", str(a.rate), "--timeout", str(a.timeout)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout + 30)
        rss = [vmhwm_kb(x) for x in servers.procs]
        alive = all(x.poll() is None for x in servers.procs)
        kept = None
        if p.returncode != 0 or not alive:
            kept = tempfile.mkdtemp(prefix="chorus-irc-bench-logs-")
            for log in servers.logs:
                log.flush()
                shutil.copy(log.name, kept)
    finally:
        servers.close()
        tmp.cleanup()
    lines = p.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"irc_load printed nothing (exit {p.returncode}): {p.stderr.strip()}")
    r = json.loads(lines[-1])
    err = p.stderr.strip() + (f"\nserver logs kept in {kept}" if kept else "")
    r.update(server=kind.name, rss_kb=rss, servers_alive=alive, stderr=err.strip())
    return r


def fmt_row(label, r):
    def ms(v):
        return f"{v:9.1f}" if v is not None else "        -"
    rss = "/".join(f"{k / 1024:.1f}" for k in r["rss_kb"])
    bad = [] if r["complete"] else [f"INCOMPLETE {r['deliveries']}/{r['expected']}"]
    bad += [f"{r[k]} {k.replace('_', ' ')}" for k in ("disconnects", "quits_seen", "out_of_order", "echoes") if r[k]]
    bad += [] if r["servers_alive"] else ["a server DIED"]
    return (f"  {label:<15}{r['deliveries_per_s']:>14,.0f}{ms(r['p50_ms'])}{ms(r['p99_ms'])}"
            f"{ms(r['max_ms'])}{r['seconds']:>9.2f}   {rss:<16}{'  '.join(bad)}")


def report(setup, n, a, runs):
    print(f"\n({setup}) {n} server{'s' if n > 1 else ''}, {a.clients} clients x {a.messages} messages "
          f"= {a.clients * (a.clients - 1) * a.messages:,} deliveries, window {a.window}"
          + (f", {a.rate:g} msgs/s offered" if a.rate else ", full speed"))
    print(f"  {'':<15}{'deliveries/s':>14}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'seconds':>9}   "
          f"peak RSS MiB")
    med = {}
    for name in ("ngircd", "chorus"):
        rs = [r for r in runs if r["server"] == name]
        for i, r in enumerate(rs):
            print(fmt_row(name + (f" #{i + 1}" if len(rs) > 1 else ""), r))
            if r["stderr"]:
                print("    " + r["stderr"].replace("\n", "\n    "))
        ok = [r for r in rs if r["deliveries"]]
        if ok:
            med[name] = {k: statistics.median(r[k] for r in ok) for k in ("deliveries_per_s", "p50_ms", "p99_ms")}
            med[name]["rss"] = statistics.median(max(r["rss_kb"]) for r in ok)
    if "ngircd" in med and "chorus" in med:
        c, g = med["chorus"], med["ngircd"]
        ratio = {k: c[k] / g[k] if g[k] else float("nan") for k in c}
        print(f"  {'chorus/ngircd':<15}{ratio['deliveries_per_s']:>13.2f}x{ratio['p50_ms']:>8.2f}x"
              f"{ratio['p99_ms']:>8.2f}x{'':>21}{ratio['rss']:.2f}x (largest server)")
        return ratio
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--messages", type=int, default=1000, help="PRIVMSGs sent by each client")
    ap.add_argument("--window", type=int, default=2000, help="deliveries outstanding per client (0: no cap)")
    ap.add_argument("--rate", type=float, default=0, help="total msgs/s offered (0: full speed)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds for each load run")
    ap.add_argument("--setups", default="a,b", help="a (one server), b (three linked), or a,b")
    ap.add_argument("--only", choices=("ngircd", "chorus"))
    ap.add_argument("--rounds", type=int, default=1, help="runs of each server per setup, alternating")
    ap.add_argument("--bin", default=str(ROOT / "build" / "chorus"))
    ap.add_argument("--load", default=str(ROOT / "build" / "irc_load"))
    ap.add_argument("--ngircd", default="/usr/sbin/ngircd")
    ap.add_argument("--json", action="store_true", help="also print every run as JSON")
    a = ap.parse_args()
    setups = a.setups.split(",")
    if any(s not in SETUPS for s in setups):
        raise SystemExit(f"irc: --setups takes a, b or a,b, not {a.setups}")
    if not os.access(a.load, os.X_OK):
        raise SystemExit(f"irc: {a.load} is not built: make build/irc_load (bench/bench.mk)")
    kinds = []
    if a.only != "chorus":
        if not os.access(a.ngircd, os.X_OK):
            raise SystemExit(f"irc: {a.ngircd} is missing: apt-get install ngircd")
        kinds.append((Ngircds, a.ngircd))
    if a.only != "ngircd":
        why = chorus_missing(a.bin)
        if why:
            raise SystemExit(f"irc: {why}")
        kinds.append((Chorus, a.bin))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.stdout.reconfigure(line_buffering=True)
    sh = lambda *c: subprocess.run(c, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = sh("git", "status", "--porcelain", "--untracked-files=no")
    commit = (sh("git", "rev-parse", "--short", "HEAD") or "unknown") + (" (modified)" if dirty else "")
    version = sh(a.ngircd, "--version").split("\n")[0] if a.only != "chorus" else "-"
    print(f"chorus {commit}, nproc {sh('nproc')}, {version}")
    out, ok = [], True
    for setup in setups:
        n, runs = SETUPS[setup], []
        for rnd in range(a.rounds):
            for kind, binary in (kinds if rnd % 2 == 0 else kinds[::-1]):
                r = run_one(kind, binary, n, a)
                r["setup"] = setup
                ok &= r["complete"] and r["servers_alive"]
                runs.append(r)
        ratio = report(setup, n, a, runs)
        out.append(dict(setup=setup, servers=n, runs=runs, ratio=ratio))
    if a.json:
        print(json.dumps(out, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        sys.exit(f"irc: {e}")
