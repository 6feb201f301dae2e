"""SPEC 5.8: a member that holds the secret but runs a modified binary
(build/insider/chorus, tests/insider/insider.c) is still only itself.  It
writes lines under other members' nicks and issues directives while it is
not the leader; nothing of it takes effect on any node, and every history
stays equal."""
import contextlib
import os
import re

import pytest

from conftest import Node, ROOT, agreed_checksums
from ircclient import Irc

INSIDER = os.environ.get("CHORUS_INSIDER_BIN", str(ROOT / "build" / "insider" / "chorus"))


@contextlib.contextmanager
def insider_chat(cluster, tmp_path, alice_extra=()):
    """alice (the leader) and bob, honest; mallory, the insider, joins last
    (and is killed at the end: the cluster does not know her)."""
    assert os.access(INSIDER, os.X_OK), f"{INSIDER} is not built: run make first"
    a = cluster.start("alice", extra=alice_extra)
    b = cluster.start("bob", join=[a])
    m = Node(INSIDER, "mallory", tmp_path / "mallory", [a.addr])
    try:
        m.wait_line(r"^\[LEADER\] alice is the leader$")
        cluster.settle([a, b, m], "alice (leader), bob, mallory")
        yield a, b, m
    finally:
        m.kill()


@pytest.fixture
def chat(cluster, tmp_path):
    with insider_chat(cluster, tmp_path) as nodes:
        yield nodes


def all_see(nodes, pattern):
    """Every one of nodes shows a line matching pattern."""
    for n in nodes:
        n.wait_line(pattern)


def said(sender, text, nodes):
    """sender says text, and every one of nodes shows it under its nick."""
    sender.send(text)
    all_see(nodes, rf"^\[{sender.nick}\] {re.escape(text)}$")


def assert_histories_equal(nodes):
    """Every node's history is the same; returns the checksum line."""
    sums = agreed_checksums(nodes)
    assert len(set(sums)) == 1, sums
    return sums[0]


def test_a_line_under_another_nick_is_shown_nowhere(chat):
    a, b, m = chat
    said(m, "honest mallory", (a, b, m))
    m.send("\\as bob send me your password")
    m.send("\\as Alice I am the leader")
    said(m, "still mallory", (a, b, m))
    said(b, "a line after it", (a, b, m))
    for n in (a, b, m):
        assert not any("password" in l or "I am the leader" in l for l in n.output()), n.nick
    a.wait_err(r"refusing record \d+ of [0-9a-f]{16}: it names bob, its author is mallory")
    sums = assert_histories_equal([a, b, m])
    assert "count=5 " in sums + " ", sums  # the forgeries are held, not shown


def test_directives_of_a_member_that_does_not_lead_change_nothing(chat):
    a, b, m = chat
    m.send("\\force !silence bob")
    m.send("\\force !remove alice")
    a.wait_err(r"not endorsing mallory's directive to silence bob: its author is not the leader here")
    b.wait_err(r"not endorsing mallory's directive to remove alice: its author is not the leader here")
    said(b, "bob still speaks", (a, b, m))
    said(a, "and alice is still here", (a, b, m))
    assert a.alive() and b.alive()
    for n in (a, b, m):
        assert not any(l.startswith("[MOD]") for l in n.output()), n.output()
        assert n.ask("\\list_users", "USERS") == "alice (leader), bob, mallory"
    assert_histories_equal([a, b, m])


def test_a_silenced_member_cannot_lift_its_own_silence(chat):
    a, b, m = chat
    a.send("!silence mallory")
    all_see((a, b, m), r"^\[MOD\] mallory was silenced by alice$")
    m.send("\\force !unsilence mallory")
    b.wait_err(r"not endorsing mallory's directive to unsilence mallory")
    m.send("\\as mallory let me out")
    said(a, "after it", (a, b))
    for n in (a, b):
        assert n.ask("\\list_users", "USERS") == "alice (leader), bob, mallory (silenced)"
        assert not any("let me out" in l for l in n.output())


def test_the_leaders_directive_needs_a_majority_and_gets_it(chat):
    """The honest path still works with the insider among the voters: two
    of three stand behind alice, whatever mallory does."""
    a, b, m = chat
    a.send("!silence bob")
    all_see((a, b, m), r"^\[MOD\] bob was silenced by alice$")
    b.send("muted?")
    b.wait_line(r"^\[ERROR\] you are silenced$")


def test_an_irc_users_replay_holds_no_forgery(cluster, tmp_path):
    """What an IRC user missed is replayed by the rule the terminal shows
    by: mallory's lines under bob's nick are not in it."""
    with insider_chat(cluster, tmp_path, ["--irc", "127.0.0.1:0"]) as (a, b, m):
        port = int(a.wait_err(r"IRC clients welcome on [^ ]+:(\d+)").group(1))
        x = Irc(port, "xena")
        m.send("honest mallory")
        a.wait_line(r"^\[mallory\] honest mallory$")
        x.join()
        x.send("QUIT :back soon")
        x.wait_closed()
        a.wait_line(r"^\[LEAVE\] xena ")
        m.send("\\as bob send me your password")
        b.send("the real bob")
        m.send("mallory again")
        a.wait_line(r"^\[mallory\] mallory again$")
        x2 = Irc(port, "xena")
        x2.join()
        x2.wait(r"^:mallory!mallory@chorus PRIVMSG #chorus :mallory again$")
        got = list(x2.lines)
        assert any(":the real bob" in l for l in got), got
        assert not any("password" in l for l in got), got
