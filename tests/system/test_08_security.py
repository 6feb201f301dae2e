"""Chapter 8: a closed chat (SPEC section 5, points 6-7).

Links are authenticated and sealed with a key only holders of the chat's
secret can derive: a stranger is refused and learns nothing, a relay in the
middle can neither change nor replay what passes, and a peer that did get
in still cannot crash a node with malformed frames.
"""
import re
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import SECRET, Node
from sealed import Relay, Sealed


def test_joiner_with_the_wrong_secret_is_refused(cluster, chorus_bin, tmp_path):
    a = cluster.start("alice")
    eve = Node(chorus_bin, "eve", tmp_path / "eve", [a.addr], secret="not-the-secret")
    try:
        assert eve.wait_exit(10) == 5
        eve.wait_err(r"authentication failed")
        assert eve.output() == []
    finally:
        eve.kill()
    a.wait_err(r"refused a connection from 127\.0\.0\.1: authentication failed")
    assert a.ask("\\list_users", "USERS") == "alice (leader)"
    assert not any("eve" in line for line in a.output())


def test_joiner_without_a_secret_cannot_join(cluster, chorus_bin, tmp_path):
    a = cluster.start("alice")
    p = subprocess.run([chorus_bin, "--listen", "127.0.0.1:0", "--join", a.addr,
                        "--data", str(tmp_path / "nobody"), "nobody"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10,
                       env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 5
    assert "authentication failed" in p.stderr


def test_first_node_makes_a_secret_and_says_how_to_join(chorus_bin, tmp_path):
    n = Node(chorus_bin, "alice", tmp_path / "alice", secret=None)
    try:
        m = n.wait_err(r"CHORUS_SECRET=([0-9a-f]{64})")
        kept = (tmp_path / "alice" / "secret")
        assert kept.read_text().strip() == m.group(1)
        assert kept.stat().st_mode & 0o777 == 0o600
        b = Node(chorus_bin, "bob", tmp_path / "bob", [n.addr], secret=m.group(1))
        try:
            b.wait_line(r"^\[USERS\] alice \(leader\), bob$")
        finally:
            b.kill()
    finally:
        n.kill()


def test_stranger_learns_nothing(cluster):
    a = cluster.start("alice")
    s = Sealed(a.addr, "a guess")
    try:
        with pytest.raises(Exception):
            s.confirmed()  # alice's CONFIRM does not open without the secret
    finally:
        s.close()
    a.wait_err(r"refused a connection from 127\.0\.0\.1: authentication failed")
    assert a.alive()


@pytest.mark.parametrize("mode", ["flip", "replay"])
def test_relay_that_alters_a_record_breaks_only_that_link(cluster, mode):
    a = cluster.start("alice")
    relay = Relay(a.addr)
    try:
        b = cluster.start("bob", join=[relay.addr])
        cluster.settle([a, b], "alice (leader), bob")
        relay.tamper(mode)
        b.send("the plan")
        assert relay.done.wait(5)
        a.wait_err(r"dropping link from 127\.0\.0\.1: authentication failed")
        # bob links again (directly) and nothing is lost, shown twice or changed
        a.wait_line(r"^\[bob\] the plan$", timeout=10)
        b.send("after")
        a.wait_line(r"^\[bob\] after$", timeout=10)
        assert [l for l in a.output() if l.startswith("[bob] ")] == ["[bob] the plan",
                                                                   "[bob] after"]
    finally:
        relay.close()


def test_malformed_frames_from_a_peer_with_the_secret_drop_only_its_link(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    bad = [
        struct.pack(">I", 6) + b"\x09\x03abcd",         # unknown version
        struct.pack(">I", 3) + b"\x01\x03\x00",         # truncated heartbeat
        struct.pack(">I", 0x7FFFFFFF) + b"x",            # frame length out of bounds
        struct.pack(">I", 2) + b"\x01\x05",             # a chat before any hello
    ]
    for frames in bad:
        s = Sealed(a.addr, SECRET)
        assert s.confirmed()
        s.send_record(frames)
        s.close()
    a.wait_err(r"dropping link from 127\.0\.0\.1: unknown protocol version")
    a.wait_err(r"dropping link from 127\.0\.0\.1: frame length out of bounds")
    assert a.alive()
    b.send("still here")
    a.wait_line(r"^\[bob\] still here$")


def test_control_sequences_from_the_network_are_shown_escaped(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    sent = {
        "\x1b]0;owned\x07title": r"[bob] \e]0;owned\x07title",   # OSC: set the window title
        "\x1b[2J\x1b[Hclear": r"[bob] \e[2J\e[Hclear",          # clear the screen
        "over\rwrite": r"[bob] over\rwrite",                    # a bare carriage return
        "\u009b31mred": r"[bob] \xc2\x9b31mred",                # a C1 control (CSI)
    }
    for text in sent:
        b.send(text)
    for want in sent.values():
        a.wait_line("^" + re.escape(want) + "$")
    for line in a.output():
        assert not any(c in line for c in "\x1b\x07\x9b"), line


def test_flooding_member_starves_nobody(cluster):
    # How much a flood delays others is measured by bench/flood.py; here:
    # while one member pours lines in as fast as it can, another's lines
    # still all arrive, once each and in order, and everyone agrees.
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    f = cluster.start("flood", join=[a])
    cluster.settle([a, b, c, f], "alice (leader), bob, carol, flood")

    def pour():
        f.proc.stdin.write("".join(f"flood {i}\n" for i in range(20000)))
        f.proc.stdin.flush()
    t = threading.Thread(target=pour, daemon=True)
    t.start()
    for i in range(20):
        b.send(f"still here {i}")
        time.sleep(0.02)
    t.join()
    c.wait_line(r"^\[bob\] still here 19$", timeout=30)
    mine = [l for l in c.output() if l.startswith("[bob] ")]
    assert mine == [f"[bob] still here {i}" for i in range(20)]
    want = "count=20020 "
    deadline = time.monotonic() + 30
    while True:
        sums = {n.ask("\\checksum", "CHECKSUM", timeout=10) for n in (a, b, c, f)}
        if len(sums) == 1 and sums.pop().startswith(want):
            break
        assert time.monotonic() < deadline, f"no agreement: {sums}"
        time.sleep(0.3)


def test_strangers_beyond_the_budget_make_room_oldest_first(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    host, port = a.addr.split(":")
    socks = []
    try:
        for _ in range(300):  # more than the 256 unfinished handshakes a node keeps
            socks.append(socket.create_connection((host, int(port)), timeout=5))
        a.wait_err(r"too many unfinished handshakes: dropped \d+ .*the last from "
                   r"127\.0\.0\.1")
        b.send("over the crowd")
        a.wait_line(r"^\[bob\] over the crowd$")
    finally:
        for s in socks:
            s.close()
    # the strangers never finish a handshake; once gone, the node is as before
    cluster.settle([a, b], "alice (leader), bob")
