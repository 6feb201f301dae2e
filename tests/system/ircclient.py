"""A small IRC client for the gateway's tests: plain sockets, one reader
thread, and waits on the lines received.

    c = Irc(port, "alice", caps=["server-time"])   # registers (001 awaited)
    c.join()                                          # JOIN #chorus, 366 awaited
    c.say("hello")
    c.wait(r"PRIVMSG #chorus :hi from bob")
"""
import re
import socket
import threading
import time

import pytest


class Irc:
    def __init__(self, port, nick, caps=(), password=None, host="127.0.0.1", register=True,
                 timeout=10):
        self.nick = nick
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(None)
        self.lines = []
        self.closed = False
        self.cond = threading.Condition()
        # The registration goes out first thing, as a client's does.
        if password is not None:
            self.send(f"PASS {password}")
        if caps:
            self.send("CAP LS 302")
            self.send("CAP REQ :" + " ".join(caps))
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick} in a test")
        if caps:
            self.send("CAP END")
        threading.Thread(target=self._pump, daemon=True).start()
        if register:
            self.wait(r"^:\S+ 001 ", timeout)

    def _pump(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            *whole, buf = buf.split(b"\r\n")
            with self.cond:
                for line in whole:
                    text = line.decode("utf-8", "replace")
                    if text.startswith("PING "):
                        self.send("PONG " + text[5:])
                    self.lines.append(text)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def join(self, channel="#chorus"):
        start = len(self.lines)
        self.send(f"JOIN {channel}")
        return self.wait(r" 366 ", 10, start)

    def say(self, text, channel="#chorus", tag=None):
        prefix = f"@+chorus.dev/id={tag} " if tag else ""
        self.send(f"{prefix}PRIVMSG {channel} :{text}")

    def wait(self, pattern, timeout=10, start=0):
        """The first line matching pattern at index >= start (a match), or fail."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    pytest.fail(f"{self.nick}: no line matching {pattern!r}"
                                f"{' (closed)' if self.closed else ''}; got {self.lines[-40:]}")
                self.cond.wait(left)

    def wait_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"{self.nick}: the server did not close the connection")
                self.cond.wait(left)

    def count(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for l in self.lines if rx.search(l))

    def mark(self):
        with self.cond:
            return len(self.lines)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
