"""Chapter 9: the leader's directives (SPEC section 3): one moderation
state, enforced by every node, surviving leader changes and restarts."""
import re

from conftest import Node


def wait_all(nodes, pattern):
    for n in nodes:
        n.wait_line(pattern)


def test_silence_takes_effect_everywhere_and_outlives_the_leader(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    b.send("!silence carol")
    b.wait_line(r"^\[ERROR\] only the leader can silence$")
    a.send("!silence nobody")
    a.wait_line(r"^\[ERROR\] no such user: nobody$")
    a.send("!silence carol")
    wait_all([a, b, c], r"^\[MOD\] carol was silenced by alice$")
    assert b.ask("\\list_users", "USERS") == "alice (leader), bob, carol (silenced)"
    assert "silenced=1" in b.ask("\\state", "STATE").split()
    c.send("can anyone hear me")
    c.wait_line(r"^\[ERROR\] you are silenced$")
    # the leader dies: the new leader (bob) inherits the silence
    a.kill()
    wait_all([b, c], r"^\[LEADER\] bob is the leader$")
    c.send("now?")
    c.wait_line(r"^\[ERROR\] you are silenced$", start=len(c.output()) - 1)
    b.send("!unsilence carol")
    wait_all([b, c], r"^\[MOD\] carol was unsilenced by bob$")
    c.send("free at last")
    b.wait_line(r"^\[carol\] free at last$")
    assert not any("can anyone hear me" in l or "now?" in l for l in b.output())


def test_removed_node_exits_4_and_is_refused_until_readmitted(cluster, chorus_bin, tmp_path):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    a.send("!remove carol")
    c.wait_line(r"^\[REMOVED\] removed by alice$")
    assert c.wait_exit(10) == 4
    wait_all([a, b], r"^\[MOD\] carol was removed by alice$")
    cluster.settle([a, b], "alice (leader), bob")
    # back with the same data directory (the same identity): refused
    c2 = cluster.restart(c, join=[b])
    assert c2.wait_exit(10) == 4
    c2.wait_line(r"^\[REMOVED\] removed by alice$")
    # a new identity under the same nick: refused too
    imp = Node(chorus_bin, "Carol", tmp_path / "impostor", [b.addr])
    try:
        assert imp.wait_exit(10) == 4
    finally:
        imp.kill()
    # readmitted, she may come back
    a.send("!readmit carol")
    wait_all([a, b], r"^\[MOD\] carol was readmitted by alice$")
    c3 = cluster.restart(c, join=[a])
    c3.wait_line(r"^\[LEADER\] alice is the leader$")
    cluster.settle([a, b, c3], "alice (leader), bob, carol")
