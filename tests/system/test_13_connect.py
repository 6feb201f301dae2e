"""`chorus connect`: the thin client.  It talks IRC to a node's gateway,
shows the node's screen, and when its node dies it moves to the next
address and sends again whatever was not confirmed -- nothing typed is
lost, nothing is shown twice."""
import os
import re
import subprocess
import threading
import time

import pytest

from conftest import SECRET, Node


def irc_node(cluster, nick, join=()):
    n = cluster.start(nick, join=join, extra=["--irc", "127.0.0.1:0"])
    n.irc = int(n.wait_err(r"IRC clients welcome on [^ ]+:(\d+)").group(1))
    return n


class Thin(Node):
    """A `chorus connect` process, driven like a node through pipes."""

    def __init__(self, binary, nick, ports, secret=None, prefix=()):
        self.nick = nick
        env = dict(os.environ)
        env.pop("CHORUS_SECRET", None)
        if secret:
            env["CHORUS_SECRET"] = secret
        addrs = ",".join(f"127.0.0.1:{p}" for p in ports)
        self.proc = subprocess.Popen([*prefix, binary, "connect", "-v", nick, addrs],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1, env=env)
        self.lines, self.err = [], []
        self.cond = threading.Condition()
        for stream, into in ((self.proc.stdout, self.lines), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, into), daemon=True).start()


@pytest.fixture
def thins(chorus_bin):
    started = []

    def start(nick, ports, secret=None):
        t = Thin(chorus_bin, nick, ports, secret)
        started.append(t)
        return t
    yield start
    for t in started:
        t.kill()


def test_the_thin_client_chats_like_a_node(cluster, thins):
    a = irc_node(cluster, "alpha")
    b = cluster.start("bravo", join=[a])
    t = thins("tina", [a.irc])
    t.wait_line(r"^\[JOIN\] tina joined the chat$")
    t.wait_line(r"^\[USERS\] alpha \(leader\), bravo, tina$")
    t.send("hello from tina")
    b.wait_line(r"^\[tina\] hello from tina$")
    t.wait_line(r"^\[tina\] hello from tina$")  # its own line, from the history
    b.send("hi tina")
    t.wait_line(r"^\[bravo\] hi tina$")
    assert t.ask("\\current_leader", "CURRENT_LEADER") == "alpha"
    t.send("!silence bravo")
    t.wait_line(r"^\[ERROR\] only the leader can silence$")
    a.send("!silence tina")
    t.wait_line(r"^\[MOD\] tina was silenced by alpha$")
    t.send("muted")
    t.wait_line(r"^\[ERROR\] you are silenced$")
    t.close_stdin()
    assert t.wait_exit() == 0
    t.wait_line(r"^\[LEAVE\] tina left the chat$")
    b.wait_line(r"^\[LEAVE\] tina left the chat$")
    assert b.count(r"muted") == 0


def test_a_taken_nick_and_a_wrong_secret_end_the_client(cluster, thins):
    a = irc_node(cluster, "alpha")
    t = thins("alpha", [a.irc])
    assert t.wait_exit() == 3
    assert any('nick "alpha" is taken' in l for l in t.err)


def test_the_thin_client_moves_on_when_its_node_dies_and_loses_nothing(cluster, thins):
    a = irc_node(cluster, "alpha")
    b = irc_node(cluster, "bravo", join=[a])
    c = cluster.start("charlie", join=[a])
    t = thins("tina", [b.irc, a.irc])
    t.wait_line(r"^\[USERS\] ")
    sent = []

    def typist():
        for i in range(60):
            sent.append(f"line {i}")
            t.send(f"line {i}")
            time.sleep(0.02)
    typing = threading.Thread(target=typist)
    typing.start()
    time.sleep(0.4)
    b.kill()  # tina's node, mid-stream
    typing.join()
    c.wait_line(r"^\[LOST\] bravo is unreachable$")
    t.wait_line(r"^\[tina\] line 59$", timeout=20)
    for n in (a, c):
        n.wait_line(r"^\[tina\] line 59$", timeout=20)
    time.sleep(0.5)
    for n in (a, c):
        got = [l for l in n.output() if re.match(r"^\[tina\] line \d+$", l)]
        assert sorted(got, key=lambda l: int(l.split()[-1])) == [f"[tina] {s}" for s in sent], \
            f"{n.nick}: every line exactly once"
    assert a.count(r"^\[JOIN\] tina joined") == 1
    t.wait_line(r"^\[tina\] line 59$")
    shown = [l for l in t.output() if re.match(r"^\[tina\] line \d+$", l)]
    assert len(shown) == len(set(shown)) == 60, "the client shows each of its lines once"
