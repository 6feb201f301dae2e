"""Chapter 15: bad starts and damage (SPEC section 2; the exit codes).

A node keeps the chat's secret only once a member let it in (or when it
made the chat), and a start that fails at the listen leaves nothing behind;
however a node ends, on a terminal it gives the terminal back as it found
it; and a store that is damaged, emptied, missing its secret or that cannot
be written is refused at start, before the node joins: exit 1, a message
that says what is wrong and what to do, and nothing changed.
"""
import fcntl
import hashlib
import os
import pty
import re
import resource
import select
import shlex
import shutil
import signal
import socket
import subprocess
import termios
import time

import pytest

from conftest import SECRET, Node


def run(binary, data, nick="alice", join=(), listen="127.0.0.1:0", secret=SECRET,
        headless=False):
    """Run a node with nothing on its input and wait for its end: it leaves
    as soon as it is in, or (headless) runs until it is refused."""
    argv = [binary, "--listen", listen, "--data", str(data)] + ["--headless"] * headless
    for j in join:
        argv += ["--join", j]
    env = {k: v for k, v in os.environ.items() if k != "CHORUS_SECRET"}
    if secret is not None:
        env["CHORUS_SECRET"] = secret
    return subprocess.run(argv + [nick], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=20, env=env)


def made_a_chat(stderr):
    """Whether the node said it made a new chat (and showed its secret)."""
    return re.search(r"a new chat; its secret is in .*\n.*\n.*CHORUS_SECRET=[0-9a-f]{64}",
                     stderr) is not None


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count_of(node):
    return int(re.match(r"count=(\d+)", node.ask("\\checksum", "CHECKSUM")).group(1))


def said(binary, data, lines, secret=SECRET):
    """A chat of one (alice) says lines and leaves; its store holds them."""
    n = Node(binary, "alice", data, secret=secret)
    try:
        n.proc.stdin.write("".join(l + "\n" for l in lines))
        n.proc.stdin.flush()
        n.wait_line("^" + re.escape(f"[alice] {lines[-1]}") + "$", timeout=30)
        n.send("bye")
        assert n.wait_exit(10) == 0
    finally:
        n.kill()


# --- the secret, and a start that fails ------------------------------------

def test_a_refused_secret_is_not_kept(cluster, chorus_bin, tmp_path):
    a = cluster.start("alice")
    data = tmp_path / "bob"
    p = run(chorus_bin, data, "bob", join=[a.addr], secret="not-the-secret", headless=True)
    assert p.returncode == 5, p.stderr
    assert "authentication failed" in p.stderr
    assert not (data / "secret").exists()
    # Nothing wrong was kept: with no secret given, none is found.
    p = run(chorus_bin, data, "bob", join=[a.addr], secret=None, headless=True)
    assert p.returncode == 5
    assert "no secret" in p.stderr
    # The right one gets in, and is kept once a member accepted it...
    b = Node(chorus_bin, "bob", data, [a.addr])
    try:
        b.wait_line(r"^\[USERS\] alice \(leader\), bob$")
        assert (data / "secret").read_text().strip() == SECRET
        assert (data / "secret").stat().st_mode & 0o777 == 0o600
    finally:
        b.kill()
    # ... so a restart needs it no more.
    b = Node(chorus_bin, "bob", data, [a.addr], secret=None)
    try:
        b.wait_line(r"^\[USERS\] alice \(leader\), bob$")
    finally:
        b.kill()


@pytest.mark.parametrize("why", ["port in use", "address not ours"])
def test_a_failed_listen_leaves_nothing_behind(chorus_bin, tmp_path, why):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    listen = (f"127.0.0.1:{taken.getsockname()[1]}" if why == "port in use"
              else "192.0.2.1:7420")  # TEST-NET-1: no interface here has it
    try:
        # A first node would make a chat (and a secret); a joiner is given one.
        for secret, join in ((None, ()), (SECRET, ["127.0.0.1:9"])):
            p = run(chorus_bin, tmp_path / "new" / "alice", join=join, listen=listen,
                    secret=secret)
            assert p.returncode == 1, p.stderr
            assert "cannot listen" in p.stderr and p.stdout == ""
            assert not made_a_chat(p.stderr)
            assert not (tmp_path / "new").exists()
        # A data directory that is there stays as it was: empty.
        (tmp_path / "empty").mkdir()
        p = run(chorus_bin, tmp_path / "empty", listen=listen, secret=None)
        assert p.returncode == 1
        assert os.listdir(tmp_path / "empty") == []
    finally:
        taken.close()
    # And the same directory then starts a chat like any first run.
    p = run(chorus_bin, tmp_path / "empty", secret=None)
    assert p.returncode == 0, p.stderr
    assert made_a_chat(p.stderr)


# --- the terminal -----------------------------------------------------------

def tty_sane(fd):
    lflag = termios.tcgetattr(fd)[3]
    return bool(lflag & termios.ECHO) and bool(lflag & termios.ICANON)


class Pty:
    """A node on a pseudo-terminal; the test keeps the slave side open to
    look at the terminal's modes after the node is gone."""

    def __init__(self, argv, secret=SECRET, limit_fsize=None):
        self.master, self.slave = pty.openpty()
        assert tty_sane(self.slave)  # what a fresh terminal is like

        def child():
            os.setsid()  # the terminal is the node's own: Ctrl-\ signals it
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if limit_fsize:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))
        env = {**os.environ, "TERM": "xterm", "CHORUS_SECRET": secret}
        self.proc = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave,
                                     stderr=subprocess.PIPE, env=env, preexec_fn=child)
        self.screen = b""

    def read(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.screen):
            assert time.monotonic() < deadline, f"no {pattern!r}; got {self.screen[-500:]!r}"
            self.drain(0.1)

    def drain(self, wait=0.0):
        while select.select([self.master], [], [], wait)[0]:
            try:
                self.screen += os.read(self.master, 65536)
            except OSError:
                return
            wait = 0

    def type(self, data):
        """Write data, reading the screen meanwhile (the node blocks when
        nobody reads what it prints); False if the node ended first."""
        while data:
            if self.proc.poll() is not None:
                return False
            r, w, _ = select.select([self.master], [self.master], [], 0.1)
            if r:
                self.drain()
            if w:
                os.set_blocking(self.master, False)
                try:
                    data = data[os.write(self.master, data[:1024]):]
                except BlockingIOError:
                    pass
                finally:
                    os.set_blocking(self.master, True)
        return True

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def node_argv(binary, data, nick="alice", join=()):
    argv = [binary, "--listen", "127.0.0.1:0", "--data", str(data)]
    for j in join:
        argv += ["--join", j]
    return argv + [nick]


def test_store_failure_on_a_terminal_gives_the_terminal_back(chorus_bin, tmp_path):
    # A file-size limit stands in for a disk that fills while the node runs.
    t = Pty(node_argv(chorus_bin, tmp_path / "alice"), limit_fsize=96 * 1024)
    try:
        t.read(rb"\[LEADER\] alice is the leader")
        assert not tty_sane(t.slave)  # readline has it now
        for i in range(5000):
            if not t.type(f"line {i} {'x' * 300}\r".encode()):
                break
        assert t.proc.wait(10) == 1
        assert b"cannot write history" in t.proc.stderr.read()
        assert tty_sane(t.slave)
    finally:
        t.close()


def test_ctrl_backslash_gives_the_terminal_back(chorus_bin, tmp_path):
    t = Pty(node_argv(chorus_bin, tmp_path / "alice"))
    try:
        t.read(rb"\[LEADER\] alice is the leader")
        assert not tty_sane(t.slave)
        os.write(t.master, b"\x1c")  # Ctrl-\: SIGQUIT, a crash on purpose (no LEAVE)
        assert t.proc.wait(10) == -signal.SIGQUIT
        assert tty_sane(t.slave)
    finally:
        t.close()


def test_exit_5_in_tmux_leaves_a_terminal_that_echoes(cluster, chorus_bin, tmp_path):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed (scripts/install-deps installs it)")
    a = cluster.start("alice")
    base = ["tmux", "-S", str(tmp_path / "tmux.sock"), "-f", "/dev/null"]
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "CHORUS_SECRET")}
    env["TERM"] = "xterm-256color"
    eve = " ".join(shlex.quote(w) for w in node_argv(chorus_bin, tmp_path / "eve", "eve",
                                                      [a.addr]))
    script = (f"CHORUS_SECRET=not-the-secret {eve}; echo \"exit code $?\"; stty -a; "
              "echo 'stty said so'; exec sleep 600")

    def tmux(*args):
        return subprocess.run(base + list(args), capture_output=True, text=True, check=True,
                              timeout=10, env=env).stdout

    def wait_screen(text):
        deadline = time.monotonic() + 15
        while text not in (got := tmux("capture-pane", "-p", "-J", "-t", "t")):
            assert time.monotonic() < deadline, f"never saw {text!r}; the pane:\n{got}"
            time.sleep(0.1)
        return got

    tmux("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", "sh", "-c", script)
    try:
        screen = wait_screen("stty said so")
        assert "exit code 5" in screen
        assert re.search(r"(?<![-\w])echo(?!\w)", screen), screen
        assert re.search(r"(?<![-\w])icanon(?!\w)", screen), screen
        # What is typed now (sleep runs in the foreground) shows on the screen.
        tmux("send-keys", "-t", "t", "-l", "typed-after-exit")
        wait_screen("typed-after-exit")
    finally:
        subprocess.run(base + ["kill-server"], capture_output=True, timeout=10, env=env)


# --- a damaged store ----------------------------------------------------------

def test_a_damaged_store_is_refused_and_left_as_it_was(chorus_bin, tmp_path):
    data = tmp_path / "alice"
    said(chorus_bin, data, [f"line {i} of a chat that will be damaged" for i in range(600)])
    db = data / "history.db"
    raw = bytearray(db.read_bytes())
    page = int.from_bytes(raw[16:18], "big")  # the file header's page size
    mid = len(raw) // page // 2 * page
    for i in range(mid, mid + 8):  # the header of a page in the middle
        raw[i] ^= 0xFF
    db.write_bytes(raw)
    before = digest(db)
    p = run(chorus_bin, data)
    assert p.returncode == 1, p.stderr
    assert p.stdout == ""
    assert "damaged" in p.stderr and str(db) in p.stderr
    assert "backup" in p.stderr  # and what to do about it
    assert digest(db) == before


def test_an_emptied_store_is_refused(chorus_bin, tmp_path):
    data = tmp_path / "alice"
    said(chorus_bin, data, ["a line"])
    (data / "history.db").write_bytes(b"")
    p = run(chorus_bin, data)
    assert p.returncode == 1, p.stderr
    assert p.stdout == ""
    assert "empty" in p.stderr and str(data / "history.db") in p.stderr
    assert (data / "history.db").stat().st_size == 0  # no new identity in it


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_missing_secret_beside_a_history_is_refused(chorus_bin, tmp_path, how):
    data = tmp_path / "alice"
    said(chorus_bin, data, ["a line"], secret=None)  # alice made the chat and its secret
    secret = (data / "secret").read_text().strip()
    if how == "deleted":
        (data / "secret").unlink()
    else:
        (data / "secret").write_text("")
    p = run(chorus_bin, data, secret=None)
    assert p.returncode == 1, p.stderr
    assert p.stdout == ""
    assert not made_a_chat(p.stderr)
    assert "secret" in p.stderr and "--secret-file" in p.stderr
    assert not (data / "secret").exists() or (data / "secret").read_text() == ""
    # Given the secret again, alice is back in her own chat, and keeps it.
    p = run(chorus_bin, data, secret=secret)
    assert p.returncode == 0, p.stderr
    assert (data / "secret").read_text().strip() == secret


# --- a full disk ----------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs of our own (as root), unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(disk):
    """Write a file until the filesystem is full."""
    fd = os.open(disk / "fill", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0


def test_a_node_that_cannot_write_its_store_exits_before_joining(cluster, chorus_bin,
                                                                small_disk):
    a = cluster.start("alice")
    data = small_disk / "bob"
    b = Node(chorus_bin, "bob", data, [a.addr])
    try:
        b.wait_line(r"^\[USERS\] alice \(leader\), bob$")
        # Enough to make the store checkpoint its log once (a few MiB), then
        # a little more: the log file keeps its size, with room in it.
        bulk = "x" * 4000
        b.proc.stdin.write("".join(f"bulk {i} {bulk}\n" for i in range(1200)))
        b.proc.stdin.write("".join(f"after {i}\n" for i in range(20)))
        b.proc.stdin.flush()
        a.wait_line(r"^\[bob\] after 19$", timeout=60)
    finally:
        b.kill()  # SIGKILL: the log stays as it was
    a.wait_line(r"^\[LOST\] bob is unreachable$")
    said_count = count_of(a)
    fill(small_disk)
    p = run(chorus_bin, data, "bob", join=[a.addr], headless=True)  # no leaving at once
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == ""  # it never got in
    assert "cannot write history" in p.stderr and str(data) in p.stderr
    # With room again, bob comes back and holds all it said.
    (small_disk / "fill").unlink()
    b = Node(chorus_bin, "bob", data, [a.addr])
    try:
        b.wait_line(r"^\[LEADER\] alice is the leader$")
        assert count_of(b) == said_count
    finally:
        b.kill()
