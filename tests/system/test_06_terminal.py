"""Chapter 6: on a terminal, a prompt with line editing that incoming lines
never garble (SPEC section 4)."""
import os
import pty
import re
import select
import subprocess
import time

from conftest import SECRET


def read_until(fd, pattern, timeout=5):
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            buf += chunk
            if re.search(pattern, buf):
                return buf
    raise AssertionError(f"no {pattern!r} on the terminal; got {buf!r}")


def test_prompt_and_typed_line_survive_incoming_messages(cluster, chorus_bin, tmp_path):
    peer = cluster.start("bob")
    master, slave = pty.openpty()
    proc = subprocess.Popen([chorus_bin, "--listen", "127.0.0.1:0", "--join", peer.addr,
                             "--data", str(tmp_path / "alice"), "alice"],
                            stdin=slave, stdout=slave, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TERM": "xterm", "CHORUS_SECRET": SECRET})
    os.close(slave)
    try:
        read_until(master, rb"\[LEADER\] bob is the leader")
        peer.wait_line(r"^\[JOIN\] alice joined the chat$")
        os.write(master, b"half typ")
        read_until(master, rb"half typ")
        peer.send("incoming while typing")
        # the message is printed, then the prompt and the unfinished line again
        read_until(master, rb"\[bob\] incoming while typing\r?\n.*-> half typ", 5)
        os.write(master, b"ed\r")
        peer.wait_line(r"^\[alice\] half typed$")
        os.write(master, b"\x04")  # Ctrl-D on an empty line: leave
        assert proc.wait(5) == 0
        peer.wait_line(r"^\[LEAVE\] alice left the chat$")
    finally:
        proc.kill()
        os.close(master)


def test_no_prompt_when_not_a_terminal(cluster):
    a = cluster.start("alice")
    assert not any("->" in line for line in a.output())
