"""Chapter 7: the replicated history (SPEC section 5, points 1-4).

Real processes on loopback: concurrent typists see one order, a killed node
catches up from its store and its peers, a late joiner gets the history,
and a store that cannot be written stops the node cleanly.
"""
import re
import resource
import signal
import subprocess
import threading
import time

import pytest

from conftest import Node

CHAT = re.compile(r"^(?:\[HISTORY\] |\[LATE \d\d:\d\d:\d\d\] )?\[([\w-]+)\] (.*)$")
EVENT = re.compile(r"^\[(JOIN|LEAVE|LOST|BACK|LEADER|USERS|CHECKSUM|STATE|ERROR|HISTORY|"
                   r"CURRENT_LEADER|IS_LEADER)\] ")


def shown(node):
    """The chat lines a node printed, as (nick, text), in order."""
    out = []
    for line in node.output():
        m = CHAT.match(line)
        if m and not (EVENT.match(line) and not line.startswith("[HISTORY] [")):
            out.append((m.group(1), m.group(2)))
    return out


def type_lines(node, lines, pause=0.0):
    """Write many lines in a thread, ten at a time with a pause between, or
    all at once: the node reads them as fast as it accepts them."""
    def write():
        step = 10 if pause else len(lines)
        try:
            for i in range(0, len(lines), step):
                node.proc.stdin.write("".join(l + "\n" for l in lines[i:i + step]))
                node.proc.stdin.flush()
                time.sleep(pause)
        except (BrokenPipeError, ValueError):
            pass  # the node was killed
    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def trio(cluster, carol_via="alice"):
    """alice leads; bob joins through her, carol through carol_via."""
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a if carol_via == "alice" else b])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    return a, b, c


def typists(nodes, count):
    """Each node types count lines NICK-i, ten at a time, in a thread."""
    return [type_lines(n, [f"{n.nick}-{i}" for i in range(count)], 0.02) for n in nodes]


def checksum(node):
    return node.ask("\\checksum", "CHECKSUM")


def wait_agreement(nodes, count=None, timeout=30):
    """Wait until every node's \\checksum shows the same count (this one, if
    given) and digest; returns the line."""
    deadline = time.monotonic() + timeout
    while True:
        got = [checksum(n) for n in nodes]
        if len(set(got)) == 1 and (count is None or got[0].startswith(f"count={count} ")):
            return got[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no agreement on {count} messages: {got}")
        time.sleep(0.2)


def full_history(node, n):
    """The node's whole history via \\history N, as (nick, text)."""
    start = len(node.output())
    node.send(f"\\history {n}")
    deadline = time.monotonic() + 10
    while True:
        lines = node.output()[start:]
        hist = [CHAT.match(l) for l in lines if l.startswith("[HISTORY] [")]
        if len(hist) >= n:
            return [(m.group(1), m.group(2)) for m in hist[:n]]
        if time.monotonic() > deadline:
            pytest.fail(f"{node.nick}: \\history {n} gave {len(hist)} lines")
        time.sleep(0.05)


def test_concurrent_typists_see_one_order(cluster):
    a = cluster.start("alice")
    nodes = [a] + [cluster.start(n, join=[a]) for n in ("bob", "carol", "dave", "erin")]
    cluster.settle(nodes, "alice (leader), bob, carol, dave, erin")
    typists = nodes[:3]
    writers = [type_lines(n, [f"{n.nick}-{i}" for i in range(200)]) for n in typists]
    for w in writers:
        w.join()
    digest = wait_agreement(nodes, 600)
    orders = [shown(n) for n in nodes]
    assert len(orders[0]) == 600
    for n, order in zip(nodes, orders):
        assert order == orders[0], f"{n.nick} shows another order"
    # each sender's own order is kept
    for t in typists:
        mine = [text for nick, text in orders[0] if nick == t.nick]
        assert mine == [f"{t.nick}-{i}" for i in range(200)]
    assert all(n.count(r"^\[(LATE|HISTORY)") == 0 for n in nodes)
    assert re.match(r"count=600 digest=[0-9a-f]{32}$", digest)


def test_killed_follower_restarts_and_catches_up(cluster):
    a, b, c = trio(cluster)
    for n in (a, b, c):
        n.send(f"{n.nick} first")
    wait_agreement([a, b, c], 3)
    first_life = shown(c)
    writers = typists((a, b), 300)
    time.sleep(0.3)
    c.kill()  # mid-stream
    for w in writers:
        w.join()
    wait_agreement([a, b], 603)
    c2 = cluster.restart(c, join=[b])
    c2.wait_line(r"^\[LEADER\] ")
    wait_agreement([a, b, c2], 603)
    # nothing shown twice across its two lives; what it shows is in order
    both = first_life + shown(c2)
    assert len(both) == len(set(both))
    # Everything was said before she came back: she shows the last 20 lines
    # of the history as [HISTORY], none of them live (SPEC 4).
    want = full_history(a, 603)
    deadline = time.monotonic() + 10
    while c2.count(r"^\[HISTORY\] ") < 20:
        assert time.monotonic() < deadline, "carol showed no [HISTORY] for what she missed"
        time.sleep(0.1)
    time.sleep(0.3)
    assert shown(c2) == want[-20:]
    assert c2.count(r"^\[HISTORY\] ") == 20
    # \history lists what was shown: give carol the moment to show it all
    deadline = time.monotonic() + 10
    while full_history(c2, 603) != want:
        assert time.monotonic() < deadline, "carol's history differs from alice's"
        time.sleep(0.2)


def test_follower_killed_mid_burst_shows_what_it_missed(cluster):
    """Killed while everyone types, carol is back while they still do: of
    what she never showed, the newest said before she came back are
    [HISTORY], everything after is shown live, and nothing twice."""
    a, b, c = trio(cluster)
    writers = typists((a, b, c), 1000)
    time.sleep(0.5)
    c.kill()  # mid-burst, her own lines too
    first_life = set(shown(c))
    time.sleep(0.3)  # what the others say meanwhile is her backlog
    c2 = cluster.restart(c, join=[b])
    for w in writers[:2]:
        w.join()
    count = int(re.match(r"count=(\d+)", wait_agreement([a, b, c2])).group(1))
    history = full_history(a, count)
    deadline = time.monotonic() + 10
    while not set(history[-20:]) <= first_life | set(shown(c2)):
        assert time.monotonic() < deadline, "carol never showed the end of the history"
        time.sleep(0.2)
    backlog = [l[len("[HISTORY] "):] for l in c2.output() if l.startswith("[HISTORY] [")]
    second_life = shown(c2)
    assert 0 < len(backlog) <= 20
    assert not first_life & set(second_life)
    # from the first [HISTORY] line on, every line is shown in one life or the other
    start = history.index(tuple(re.match(r"^\[([\w-]+)\] (.*)$", backlog[0]).groups()))
    missed = [l for l in history[start:] if l not in first_life and l not in second_life]
    assert missed == []
    assert [l for l in history if l in second_life] == second_life  # in order


def test_killed_leader_loses_nothing(cluster):
    a, b, c = trio(cluster, carol_via="bob")
    writers = typists((a, b, c), 300)
    time.sleep(0.3)
    a.kill()  # mid-stream: some of its lines may be on its disk only
    for w in writers[1:]:
        w.join()
    for n in (b, c):
        n.wait_line(r"^\[LEADER\] bob is the leader$")
    a2 = cluster.restart(a, join=[c])
    a2.wait_line(r"^\[LEADER\] ")
    # every line any node accepted is held by all, once
    count = int(re.match(r"count=(\d+)", wait_agreement([a2, b, c])).group(1))
    assert 600 < count < 900
    seen = {n.nick: shown(n) for n in (b, c)}
    history = full_history(b, count)
    assert len(set(history)) == count
    assert full_history(c, count) == history
    for n in (b, c):
        mine = [t for nick, t in history if nick == n.nick]
        assert mine == [f"{n.nick}-{i}" for i in range(300)]
        assert len(seen[n.nick]) == len(set(seen[n.nick])), f"{n.nick} showed a line twice"
        assert sorted(seen[n.nick]) == sorted(history)


def test_late_joiner_gets_ten_thousand_messages(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    writers = [type_lines(n, [f"{n.nick}-{i}" for i in range(5000)]) for n in (a, b)]
    for w in writers:
        w.join()
    digest = wait_agreement([a, b], 10000)
    c = cluster.start("carol", join=[b])
    assert wait_agreement([a, b, c], 10000) == digest
    # the last 20 are shown once they are stable (the others' next reports)
    c.wait_line(r"^\[HISTORY\] ")
    time.sleep(0.5)
    hist = [l[len("[HISTORY] "):] for l in c.output() if l.startswith("[HISTORY] ")]
    assert len(hist) == 20
    assert hist == [f"[{n}] {t}" for n, t in shown(a)[-20:]]


def test_store_that_cannot_be_opened_is_a_clear_error(chorus_bin, tmp_path):
    data = tmp_path / "alice"
    data.mkdir(mode=0o700)
    (data / "history.db").mkdir()  # not a database file
    p = subprocess.run([chorus_bin, "--listen", "127.0.0.1:0", "--data", str(data), "alice"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert "history.db" in p.stderr and p.stdout == ""


def test_full_disk_stops_the_node_and_leaves_the_store_whole(chorus_bin, tmp_path):
    def limited():
        # A file-size limit stands in for a full disk: writes fail with EFBIG.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    data = tmp_path / "alice"
    args = [chorus_bin, "--listen", "127.0.0.1:0", "--data", str(data), "alice"]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, preexec_fn=limited)
    line = "line {} " + "x" * 200 + "\n"
    p.stdin.write("".join(line.format(i) for i in range(200)))
    p.stdin.flush()
    first = []
    while not first or "line 199 " not in first[-1]:
        first.append(p.stdout.readline())  # shown, so on disk
    out, err = p.communicate("".join(line.format(i) for i in range(200, 5000)), timeout=60)
    out = "".join(first) + out
    assert p.returncode == 1
    assert "cannot write history" in err
    shown_before = [l for l in out.splitlines() if l.startswith("[alice] ")]
    assert 0 < len(shown_before) < 5000
    # Without the limit the store opens; what was shown is all there.
    n = Node(chorus_bin, "alice", data)
    try:
        count = int(re.match(r"count=(\d+)", n.ask("\\checksum", "CHECKSUM")).group(1))
        assert len(shown_before) <= count < 5000
        hist = full_history(n, count)
        assert [f"[{a}] {t}" for a, t in hist[:len(shown_before)]] == shown_before
    finally:
        n.kill()


def test_restart_without_join_finds_the_members_it_knew(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[b])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    c.send("before")
    wait_agreement([a, b, c], 1)
    c.kill()
    a.send("while carol was away")
    wait_agreement([a, b], 2)
    # No --join: carol dials the members her store remembers.
    c2 = cluster.restart(c)
    c2.wait_line(r"^\[LEADER\] alice is the leader$")
    cluster.settle([a, b, c2], "alice (leader), bob, carol")
    wait_agreement([a, b, c2], 2)
    c2.wait_line(r"^\[HISTORY\] \[alice\] while carol was away$")
    assert shown(c2).count(("alice", "while carol was away")) == 1


def test_whole_chat_restarts_without_join(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    a.send("hello")
    digest = wait_agreement([a, b], 1)
    # Both die; both come back on the same ports, neither told where to go.
    ports = [n.addr.split(":")[1] for n in (a, b)]
    a.kill()
    b.kill()
    a2 = cluster.restart(a, extra=["--listen", f"127.0.0.1:{ports[0]}"])
    b2 = cluster.restart(b, extra=["--listen", f"127.0.0.1:{ports[1]}"])
    # Both are new incarnations started at about the same time: either may lead.
    deadline = time.monotonic() + 15
    while True:
        views = {n.ask("\\list_users", "USERS") for n in (a2, b2)}
        if len(views) == 1 and views <= {"alice (leader), bob", "bob (leader), alice"}:
            break
        assert time.monotonic() < deadline, f"no common view: {views}"
        time.sleep(0.2)
    assert wait_agreement([a2, b2], 1) == digest


def test_last_words_before_leaving_arrive(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    # a line and the end of input in one write: the leave must not lose it
    b.proc.stdin.write("last words\n")
    b.proc.stdin.close()
    assert b.wait_exit(10) == 0
    a.wait_line(r"^\[bob\] last words$")


def test_nodes_joining_at_once_show_every_line_live(cluster):
    """alice starts; bob, carol and dave join through her at the same
    moment, and each types 20 lines as soon as it prints its own [JOIN],
    as alice does.  Every node shows all 80 lines once, as lines of the
    chat (none was said before they started), in one order (issue 11,
    item 15: joiners showed only their own lines, or the last 20)."""
    import threading
    a = cluster.start("alice")
    others = [cluster.start(n, join=[a], wait_joined=False) for n in ("bob", "carol", "dave")]
    nodes = [a] + others

    def type_lines(n):
        # Once every node has started (it says so when it listens), the
        # lines are news to all of them, whoever types first.
        for m in nodes:
            m.wait_err(r" listening on ")
        n.wait_line(rf"^\[JOIN\] {n.nick} joined the chat$")
        for i in range(20):
            n.send(f"{n.nick} {i}")

    threads = [threading.Thread(target=type_lines, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = {f"[{n.nick}] {n.nick} {i}" for n in nodes for i in range(20)}
    for n in nodes:
        for line in every:
            n.wait_line("^" + re.escape(line) + "$", timeout=15)
    orders = [[l for l in n.output() if l in every] for n in nodes]
    for n, order in zip(nodes, orders):
        assert len(order) == 80, (n.nick, len(order))
        assert not any(l.startswith("[HISTORY]") for l in n.output()), n.nick
    assert all(o == orders[0] for o in orders)
