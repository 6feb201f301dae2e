"""A flood of connections that never get anywhere, for test_16_floods.py.

Run as a program (a process of its own, as an attacker would be: one
that shares no interpreter lock with the client under test):

    flood.py PORT N [SAY]

keeps N connections open to 127.0.0.1:PORT.  Each sends SAY (hex; none
by default) once connected, then nothing more; each one the server closes
is replaced at once (topped up).  Every 0.1 s it prints a line
`opened O closed C live L` on stdout.  Flood(port, n, say) runs it and
reads those lines."""
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time


def run(port, n, say):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY
                                                    else min(want, hard), hard))
    sel = selectors.DefaultSelector()
    live = opened = closed = 0
    next_report = 0.0
    while True:
        while live < n:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            sel.register(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if say else 0))
            live += 1
            opened += 1
        for key, events in sel.select(0.05):
            s = key.fileobj
            if events & selectors.EVENT_WRITE:  # connected: say it, once
                try:
                    s.send(say)
                except OSError:
                    pass
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)  # whatever the server says, or nothing
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                live -= 1
                closed += 1
        now = time.monotonic()
        if now >= next_report:
            print(f"opened {opened} closed {closed} live {live}", flush=True)
            next_report = now + 0.1


class Flood:
    """flood.py in a process of its own; opened, closed (by the server)
    and live as it last reported them."""

    def __init__(self, port, n, say=b""):
        self.opened = self.closed = self.live = 0
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), str(port),
                                      str(n), say.hex()], stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            _, o, _, c, _, l = line.split()
            self.opened, self.closed, self.live = int(o), int(c), int(l)

    def alive(self):
        return self.proc.poll() is None

    def wait(self, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not what():
            assert self.alive(), f"the flood exited with {self.proc.returncode}"
            assert time.monotonic() < deadline, \
                f"flood: live {self.live}, opened {self.opened}, closed {self.closed}"
            time.sleep(0.05)

    def stop(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait()


if __name__ == "__main__":
    run(int(sys.argv[1]), int(sys.argv[2]), bytes.fromhex(sys.argv[3]) if len(sys.argv) > 3 else b"")
