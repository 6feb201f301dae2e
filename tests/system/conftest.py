"""Shared harness for the system tests: real chorus processes on loopback,
driven through pipes.

A Node is one `chorus` process.  Its stdout lines are collected by a thread
with the time each arrived, so tests can wait for a line and compare when
lines appeared on different nodes.  Every process is killed at the end of
the test that started it, whatever the outcome.
"""
import os
import pathlib
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CHORUS_BIN", str(ROOT / "build" / "chorus"))
# The chat secret every test node is given, unless a test says otherwise.
SECRET = "test-chat-secret-0123456789"


def free_ports(n):
    """n loopback ports free right now (for processes that need to know
    each other's ports before they start)."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Node:
    def __init__(self, binary, nick, data, join=(), extra=(), listen="127.0.0.1:0",
                 secret=SECRET, prefix=()):
        self.nick = nick
        self.data = pathlib.Path(data)
        args = [*prefix, binary, "--listen", listen, "--data", str(data)]
        for j in join:
            args += ["--join", j]
        args += list(extra) + [nick]
        env = dict(os.environ)
        env.pop("CHORUS_SECRET", None)
        if secret is not None:
            env["CHORUS_SECRET"] = secret
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1, env=env)
        self.lines = []          # (time, line) from stdout
        self.err = []            # stderr lines
        self.cond = threading.Condition()
        self.err_closed = False  # the stderr pump saw end of file
        self.readers = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
                        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self.readers:
            t.start()
        self.addr = None
        m = self.wait_err(r"listening on [^ ]+:(\d+)", 10, required=False)
        if m:
            self.addr = f"127.0.0.1:{m.group(1)}"

    def _pump(self, stream, into):
        for line in stream:
            with self.cond:
                into.append((time.monotonic(), line.rstrip("\n")) if into is self.lines else line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            if into is self.err:
                self.err_closed = True
            self.cond.notify_all()

    # --- input -----------------------------------------------------------
    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    # --- output ----------------------------------------------------------
    def output(self):
        with self.cond:
            return [l for _, l in self.lines]

    def wait_line(self, pattern, timeout=10, start=0):
        """Wait for a stdout line matching pattern (a regex) at index >= start;
        returns (index, time, match) or fails the test."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    m = rx.search(self.lines[i][1])
                    if m:
                        return i, self.lines[i][0], m
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"{self.nick}: no line matching {pattern!r} in {timeout}s; "
                                f"got {[l for _, l in self.lines]}; stderr {self.err}")
                self.cond.wait(left)

    def wait_err(self, pattern, timeout=10, required=True):
        """Wait for a stderr line matching pattern; returns its match.  Fails
        the test when none came within timeout or before stderr closed (the
        process ended without printing it); with required=False it returns
        None instead."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.err:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.err_closed:
                    if not required:
                        return None
                    why = "stderr closed" if self.err_closed else f"{timeout}s passed"
                    pytest.fail(f"{self.nick}: no stderr line matching {pattern!r} ({why}); "
                                f"got {self.err}")
                self.cond.wait(left)

    def ask(self, command, tag, timeout=5):
        """Send a command and return the text of its reply line."""
        start = len(self.lines)
        self.send(command)
        return self.wait_line(r"^\[" + tag + r"\] (.*)$", timeout, start)[2].group(1)

    def count(self, pattern):
        rx = re.compile(pattern)
        return sum(1 for l in self.output() if rx.search(l))

    # --- life ------------------------------------------------------------
    def wait_exit(self, timeout=10):
        return self.proc.wait(timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def alive(self):
        return self.proc.poll() is None


def output_marks(nodes):
    """Where each node's output stands now, for wait_each."""
    return [len(n.output()) for n in nodes]


def wait_each(nodes, marks, patterns, timeout=5):
    """Every node shows every pattern (each a regex) after its mark."""
    for n, mark in zip(nodes, marks):
        for p in patterns:
            n.wait_line(p, timeout=timeout, start=mark)


def agreed_checksums(nodes, timeout=10):
    """The nodes' \\checksum lines once they agree, or as they stand after
    timeout (the caller asserts)."""
    deadline = time.monotonic() + timeout
    while True:
        sums = [n.ask("\\checksum", "CHECKSUM") for n in nodes]
        if len(set(sums)) == 1 or time.monotonic() > deadline:
            return sums
        time.sleep(0.2)


@pytest.fixture
def chorus_bin():
    assert os.access(BIN, os.X_OK), f"{BIN} is not built: run make first"
    return BIN


@pytest.fixture
def cluster(chorus_bin, tmp_path):
    """Start nodes with cluster.start(nick, join=[node...]); all are killed
    at the end of the test."""
    nodes = []

    class Cluster:
        def start(self, nick, join=(), extra=(), wait_joined=True, secret=SECRET):
            addrs = [j.addr if isinstance(j, Node) else j for j in join]
            n = Node(chorus_bin, nick, tmp_path / nick, addrs, extra, secret=secret)
            nodes.append(n)
            if wait_joined:
                n.wait_line(rf"^\[LEADER\] ")
            return n

        def restart(self, node, join=(), extra=()):
            addrs = [j.addr if isinstance(j, Node) else j for j in join]
            n = Node(chorus_bin, node.nick, tmp_path / node.nick, addrs, extra)
            nodes.append(n)
            return n

        def settle(self, members, expect, timeout=10):
            """Wait until every node's \\list_users equals expect."""
            deadline = time.monotonic() + timeout
            while True:
                got = [m.ask("\\list_users", "USERS") for m in members]
                if all(g == expect for g in got):
                    return
                if time.monotonic() > deadline:
                    pytest.fail(f"members never settled on {expect!r}: {got}")
                time.sleep(0.2)

    yield Cluster()
    for n in nodes:
        n.kill()


@pytest.fixture(scope="session")
def broker():
    """One private RabbitMQ broker for the whole test session (see broker.py:
    own node name, ports, epmd and temp dir; stopped by PID at the end).
    Imported here so that tests without a broker do not need pika."""
    from broker import Broker
    with Broker() as b:
        yield b
