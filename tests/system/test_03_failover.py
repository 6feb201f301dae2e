"""Chapter 3: failure detection and leader takeover (SPEC section 5.5).

Timing goals are measured by bench/failover.py; these tests check the
behaviour: that the takeover happens, the same way everywhere, and through
the path that is meant to find it.
"""
import signal

from conftest import output_marks, wait_each


def test_kill_leader_survivors_name_the_same_new_leader(cluster):
    # A long timeout: a takeover seen well before it can only come from the
    # broken links (the fast path), as SPEC 5.5 requires for a crash.
    slow = ["--timeout-ms", "8000"]
    a = cluster.start("alice", extra=slow)
    others = [cluster.start(f"n{i}", join=[a], extra=slow) for i in range(4)]
    cluster.settle([a] + others, "alice (leader), n0, n1, n2, n3")
    marks = output_marks(others)
    a.kill()
    times = []
    for n, mark in zip(others, marks):
        _, t, _ = n.wait_line(r"^\[LEADER\] n0 is the leader$", timeout=4, start=mark)
        n.wait_line(r"^\[LOST\] alice is unreachable$", timeout=1, start=mark)
        times.append(t)
    for n in others:
        assert n.ask("\\current_leader", "CURRENT_LEADER") == "n0"
    assert others[0].ask("\\is_leader", "IS_LEADER") == "yes"


def test_stopped_leader_is_lost_then_back(cluster):
    fast = ["--heartbeat-ms", "100", "--timeout-ms", "600"]
    a = cluster.start("alice", extra=fast)
    b = cluster.start("bob", join=[a], extra=fast)
    c = cluster.start("carol", join=[b], extra=fast)
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    marks = output_marks([b, c])
    a.signal(signal.SIGSTOP)
    try:
        wait_each([b, c], marks, [r"^\[LOST\] alice is unreachable$", r"^\[LEADER\] bob is the leader$"])
        assert c.ask("\\list_users", "USERS") == "bob (leader), carol"
    finally:
        a.signal(signal.SIGCONT)
    wait_each([b, c], marks, [r"^\[BACK\] alice is reachable again$"], timeout=8)
    # alice is still the most senior member, so she leads again
    cluster.settle([a, b, c], "alice (leader), bob, carol")


def test_follower_crash_is_lost_not_leader_change(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    mark = len(a.output())
    c.kill()
    a.wait_line(r"^\[LOST\] carol is unreachable$", timeout=4, start=mark)
    b.wait_line(r"^\[LOST\] carol is unreachable$", timeout=4)
    assert a.count(r"^\[LEADER\]") == 1
    cluster.settle([a, b], "alice (leader), bob")


def test_crashed_node_restarts_and_comes_back(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    b.kill()
    a.wait_line(r"^\[LOST\] bob is unreachable$", timeout=4)
    b2 = cluster.restart(b, join=[a])
    b2.wait_line(r"^\[LEADER\] alice is the leader$")
    a.wait_line(r"^\[BACK\] bob is reachable again$", timeout=4)
    cluster.settle([a, b2], "alice (leader), bob")
