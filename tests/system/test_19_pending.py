"""SPEC 5.10 and 4: typed means kept.  A line typed while the node cannot
send yet (it is still joining: its --join address does not answer) is
stored at once and echoed as [PENDING] TEXT; it survives Ctrl-C and a
crash, and is sent, and shown as [NICK] TEXT, once the node is in."""
import signal

from conftest import Node, free_ports


def test_lines_typed_while_joining_are_kept_through_a_crash_and_sent(cluster, chorus_bin,
                                                                     tmp_path):
    port, = free_ports(1)
    seed = f"127.0.0.1:{port}"
    bob = Node(chorus_bin, "bob", tmp_path / "bob", [seed])
    bob.wait_err(r"cannot join through 127\.0\.0\.1:\d+ \(connection refused\); retrying")
    bob.send("typed while nobody answers")
    bob.wait_line(r"^\[PENDING\] typed while nobody answers$")
    bob.send("and a second one")
    bob.wait_line(r"^\[PENDING\] and a second one$")
    bob.kill()  # SIGKILL: nothing of it runs after this

    # Ctrl-C while still joining keeps them too.
    bob = Node(chorus_bin, "bob", tmp_path / "bob", [seed])
    bob.send("a third, then Ctrl-C")
    bob.wait_line(r"^\[PENDING\] a third, then Ctrl-C$")
    bob.signal(signal.SIGINT)
    assert bob.wait_exit(10) == 0

    alice = Node(chorus_bin, "alice", tmp_path / "alice", listen=seed)
    alice.wait_line(r"^\[LEADER\] alice is the leader$")
    bob = Node(chorus_bin, "bob", tmp_path / "bob", [seed])
    for n in (alice, bob):
        n.wait_line(r"^\[bob\] typed while nobody answers$")
        n.wait_line(r"^\[bob\] and a second one$")
        n.wait_line(r"^\[bob\] a third, then Ctrl-C$")
    assert alice.ask("\\checksum", "CHECKSUM") == bob.ask("\\checksum", "CHECKSUM")
    # Sent once: a restart sends nothing again.
    bob.kill()
    bob = Node(chorus_bin, "bob", tmp_path / "bob", [seed])
    bob.wait_line(r"^\[LEADER\] ")
    bob.send("back")
    alice.wait_line(r"^\[bob\] back$")
    assert alice.count(r"typed while nobody answers") == 1
    assert "count=4 " in alice.ask("\\checksum", "CHECKSUM") + " "
    for n in (alice, bob):
        n.kill()
