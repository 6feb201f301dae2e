"""Broker mode (SPEC section 10): nodes that reach the chat through a
RabbitMQ broker alone, found by roll call.  One private broker for the
session (broker.py); every test runs its own chat on it, named by a secret
of its own, so the tests stay apart as two chats on one broker must."""
import re
import secrets
import signal
import threading
import time

from conftest import agreed_checksums, output_marks, wait_each


def on_broker(cluster, broker, secret):
    """start(nick) on this broker, in the chat of this secret."""
    def start(nick, wait_joined=True):
        return cluster.start(nick, extra=["--broker", broker.url], secret=secret,
                             wait_joined=wait_joined)
    return start


def test_three_nodes_found_by_roll_call(cluster, broker):
    start = on_broker(cluster, broker, secrets.token_hex(8))
    a = start("alice")
    assert a.wait_line(r"^\[USERS\] .*")[2].group(0) == "[USERS] alice (leader)"
    b = start("bob")
    c = start("carol")
    assert c.wait_line(r"^\[USERS\] .*")[2].group(0) == "[USERS] alice (leader), bob, carol"
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    b.send("hello over the broker")
    for n in (a, b, c):
        n.wait_line(r"^\[bob\] hello over the broker$")
    sums = agreed_checksums([a, b, c])
    assert len(set(sums)) == 1, sums


def test_taken_nick_exits_3(cluster, broker):
    start = on_broker(cluster, broker, secrets.token_hex(8))
    a = start("alice")
    b = start("bob")
    cluster.settle([a, b], "alice (leader), bob")
    late = start("BOB", wait_joined=False)
    assert late.wait_exit() == 3
    cluster.settle([a, b], "alice (leader), bob")


def test_two_chats_on_one_broker_stay_apart(cluster, broker):
    one = on_broker(cluster, broker, secrets.token_hex(8))
    two = on_broker(cluster, broker, secrets.token_hex(8))
    a, b = one("alice"), one("bob")
    c = two("carol")
    d = two("dave")
    cluster.settle([a, b], "alice (leader), bob")
    cluster.settle([c, d], "carol (leader), dave")
    a.send("only for the first chat")
    b.wait_line(r"^\[alice\] only for the first chat$")
    time.sleep(0.5)
    assert not any("only for the first chat" in l for n in (c, d) for l in n.output())


def test_leader_killed_one_new_leader(cluster, broker):
    start = on_broker(cluster, broker, secrets.token_hex(8))
    a = start("alice")
    b = start("bob")
    c = start("carol")
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    a.kill()
    for n in (b, c):
        n.wait_line(r"^\[LEADER\] bob is the leader$", timeout=5)
    cluster.settle([b, c], "bob (leader), carol")
    c.send("after the failover")
    b.wait_line(r"^\[carol\] after the failover$")
    sums = agreed_checksums([b, c])
    assert len(set(sums)) == 1, sums


def test_hung_leader_is_lost_then_back(cluster, broker):
    """A leader that hangs keeps its queue: the others must notice by their
    own timeouts, and when it wakes, the stale messages of its dead streams
    waiting in its queue must cost it nothing."""
    fast = ["--heartbeat-ms", "100", "--timeout-ms", "600", "--broker", broker.url]
    secret = secrets.token_hex(8)
    a, b, c = (cluster.start(nick, extra=fast, secret=secret) for nick in ("alice", "bob", "carol"))
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    marks = output_marks([b, c])
    a.signal(signal.SIGSTOP)
    try:
        wait_each([b, c], marks, [r"^\[LOST\] alice is unreachable$", r"^\[LEADER\] bob is the leader$"])
        c.send("while alice hung")
        b.wait_line(r"^\[carol\] while alice hung$")
    finally:
        a.signal(signal.SIGCONT)
    wait_each([b, c], marks, [r"^\[BACK\] alice is reachable again$"], timeout=10)
    a.wait_line(r"^(\[LATE [0-9:]+\] )?\[carol\] while alice hung$", timeout=10)
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    sums = agreed_checksums([a, b, c])
    assert len(set(sums)) == 1, sums


def test_broker_restarted_mid_chat_loses_nothing(cluster, broker):
    start = on_broker(cluster, broker, secrets.token_hex(8))
    a, b, c = start("alice"), start("bob"), start("carol")
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    for i in range(5):
        b.send(f"before {i}")
    for n in (a, c):
        n.wait_line(r"^\[bob\] before 4$")
    broker.kill()
    for n in (a, b, c):
        n.wait_line(r"^\[ERROR\] broker unreachable: ", timeout=10)
    for i in range(5):
        c.send(f"while down {i}")  # kept (SPEC 5.10), shown [LATE] once the broker is back
    broker.restart()
    for i in range(5):
        a.send(f"after {i}")
    for n in (a, b, c):
        n.wait_line(r"^(\[LATE [0-9:]+\] )?\[carol\] while down 4$", timeout=30)
        n.wait_line(r"^\[alice\] after 4$", timeout=30)
    cluster.settle([a, b, c], "alice (leader), bob, carol", timeout=20)
    sums = agreed_checksums([a, b, c], timeout=20)
    assert len(set(sums)) == 1, sums
    assert "count=15 " in sums[0], sums
    for n in (a, b, c):
        said = [re.sub(r"^\[LATE [0-9:]+\] ", "", l) for l in n.output()]
        said = [l for l in said if l.startswith(("[bob] ", "[carol] ", "[alice] "))]
        assert len(said) == len(set(said)) == 15, said


def test_paused_broker_lines_typed_meanwhile_arrive_once(cluster, broker):
    start = on_broker(cluster, broker, secrets.token_hex(8))
    a, b, c = start("alice"), start("bob"), start("carol")
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    broker.pause()
    try:
        for i in range(5):
            b.send(f"paused {i}")
        time.sleep(3)
    finally:
        broker.resume()
    for n in (a, c):
        n.wait_line(r"^(\[LATE [0-9:]+\] )?\[bob\] paused 4$", timeout=30)
    cluster.settle([a, b, c], "alice (leader), bob, carol", timeout=20)
    sums = agreed_checksums([a, b, c], timeout=20)
    assert len(set(sums)) == 1, sums
    assert "count=5 " in sums[0], sums
    for n in (a, c):
        said = [re.sub(r"^\[LATE [0-9:]+\] ", "", l) for l in n.output()]
        assert said.count("[bob] paused 0") == 1, said


def test_a_hung_broker_never_stalls_the_node(cluster, broker):
    """While the broker hangs, bob sends four members 900 lines of 4,000
    bytes: 14 MB, more than the kernel's buffers for one socket hold (4 MB
    to send, 6 MB to receive), and fewer lines than the core's window of
    records in flight.  Bob must go on answering (what does not fit waits
    in the node, not in a write that blocks), and everything arrives once
    after."""
    start = on_broker(cluster, broker, secrets.token_hex(8))
    nodes = [start(nick) for nick in ("alice", "bob", "carol", "dave", "erin")]
    cluster.settle(nodes, "alice (leader), bob, carol, dave, erin", timeout=20)
    b = nodes[1]
    pad = "x" * 4000

    def type_them():
        for i in range(900):
            b.send(f"hung {i} {pad}")

    broker.pause()
    try:
        typist = threading.Thread(target=type_them, daemon=True)
        typist.start()
        typist.join(20)  # a node stuck in a write stops reading its input
        assert not typist.is_alive(), "bob stopped reading what is typed"
        assert "nick=bob " in b.ask("\\state", "STATE", timeout=10)
    finally:
        broker.resume()
    for n in nodes:
        n.wait_line(r"^(\[LATE [0-9:]+\] )?\[bob\] hung 899 ", timeout=60)
    sums = agreed_checksums(nodes, timeout=30)
    assert len(set(sums)) == 1, sums
    assert "count=900 " in sums[0], sums


def test_the_next_broker_url_when_one_is_down(cluster, broker):
    secret = secrets.token_hex(8)
    dead = "amqp://guest:guest@127.0.0.1:1/"
    a = cluster.start("alice", extra=["--broker", dead, "--broker", broker.url], secret=secret)
    b = cluster.start("bob", extra=["--broker", broker.url], secret=secret)
    cluster.settle([a, b], "alice (leader), bob")


def test_nodes_started_while_the_broker_is_down_wait_and_keep_what_is_typed(cluster, broker):
    start = on_broker(cluster, broker, secrets.token_hex(8))
    broker.kill()
    a = start("alice", wait_joined=False)
    b = start("bob", wait_joined=False)
    for n in (a, b):
        n.wait_line(r"^\[ERROR\] broker unreachable: ", timeout=10)
    a.send("typed before the broker was up")
    a.wait_line(r"^\[PENDING\] typed before the broker was up$")
    time.sleep(2)  # far past the join timeout: neither may found a chat alone
    for n in (a, b):
        assert not any(l.startswith("[USERS]") for l in n.output()), n.output()
    broker.restart()
    cluster.settle([a, b], "alice (leader), bob", timeout=30)
    for n in (a, b):
        n.wait_line(r"^\[alice\] typed before the broker was up$", timeout=10)
        said = [l for l in n.output() if l == "[alice] typed before the broker was up"]
        assert len(said) == 1, n.output()
    assert len(set(agreed_checksums([a, b]))) == 1
