"""Chapter 2: a cluster forms and chats (SPEC sections 2-4)."""
import re
import time


def test_three_nodes_join_through_different_members(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[b])
    # the joiner's own block: JOIN, USERS, LEADER, in that order
    out = c.output()
    assert out[0] == "[JOIN] carol joined the chat"
    assert out[1] == "[USERS] alice (leader), bob, carol"
    assert out[2] == "[LEADER] alice is the leader"
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    a.wait_line(r"^\[JOIN\] bob joined the chat$")
    a.wait_line(r"^\[JOIN\] carol joined the chat$")
    b.wait_line(r"^\[JOIN\] carol joined the chat$")


def test_five_nodes_every_message_everywhere(cluster):
    a = cluster.start("n1")
    nodes = [a]
    for i in range(2, 6):
        nodes.append(cluster.start(f"n{i}", join=[nodes[(i * 7) % len(nodes)]]))
    cluster.settle(nodes, "n1 (leader), n2, n3, n4, n5")
    for n in nodes:
        for k in range(3):
            n.send(f"message {k} from {n.nick}")
    for n in nodes:
        for m in nodes:
            for k in range(3):
                n.wait_line(rf"^\[{m.nick}\] message {k} from {m.nick}$")
    time.sleep(0.3)
    for n in nodes:
        # exactly once
        assert n.count(r"^\[n\d\] message ") == 15


def test_status_commands(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    assert a.ask("\\current_leader", "CURRENT_LEADER") == "alice"
    assert b.ask("\\current_leader", "CURRENT_LEADER") == "alice"
    assert a.ask("\\is_leader", "IS_LEADER") == "yes"
    assert b.ask("\\is_leader", "IS_LEADER") == "no"
    state = dict(kv.split("=", 1) for kv in b.ask("\\state", "STATE").split())
    assert state["nick"] == "bob"
    assert state["role"] == "follower"
    assert state["leader"] == "alice"
    assert state["members"] == "2"
    for key in ("id", "messages", "checksum"):
        assert key in state
    start = len(a.output())
    a.send("\\help")
    a.wait_line(r"\\list_users", start=start)


def test_unknown_command_is_an_error_and_sends_nothing(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    assert a.ask("\\frobnicate now", "ERROR") == "unknown command: \\frobnicate"
    assert a.ask("!shout", "ERROR") == "unknown command: !shout"
    a.send("after")
    b.wait_line(r"^\[alice\] after$")
    assert not any("frobnicate" in l or "shout" in l for l in b.output())


def test_bye_leaves_everywhere_and_exits_0(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    b.send("bye")
    assert b.wait_exit() == 0
    a.wait_line(r"^\[LEAVE\] bob left the chat$")
    c.wait_line(r"^\[LEAVE\] bob left the chat$")
    assert a.count(r"^\[LOST\] bob") == 0
    cluster.settle([a, c], "alice (leader), carol")
    # the other ways out
    c.send("\\quit")
    assert c.wait_exit() == 0
    a.close_stdin()
    assert a.wait_exit() == 0


def test_sigterm_and_sigint_leave_gracefully(cluster):
    import signal
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0
    a.wait_line(r"^\[LEAVE\] bob left the chat$")
    c.signal(signal.SIGINT)
    assert c.wait_exit() == 0
    a.wait_line(r"^\[LEAVE\] carol left the chat$")


def test_long_message_refused_and_escapes_shown_escaped(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    assert a.ask("x" * 5000, "ERROR") == "message too long"
    a.send("title \x1b]0;pwned\x07 clear \x1b[2J cr \r end")
    _, _, m = b.wait_line(r"^\[alice\] title ")
    line = m.string
    assert "\x1b" not in line and "\x07" not in line and "\r" not in line
    assert "\\e]0;pwned\\x07" in line and "\\e[2J" in line
    a.send("héllo wörld")
    b.wait_line(r"^\[alice\] héllo wörld$")


def test_restart_with_same_data_is_the_same_member(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    old_id = b.ask("\\state", "STATE")
    b.send("bye")
    assert b.wait_exit() == 0
    b2 = cluster.restart(b, join=[a])
    b2.wait_line(r"^\[LEADER\] alice is the leader$")
    assert re.search(r"id=(\w+)", b2.ask("\\state", "STATE")).group(1) == \
        re.search(r"id=(\w+)", old_id).group(1)
    cluster.settle([a, b2], "alice (leader), bob")
