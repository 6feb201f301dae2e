"""Floods of connections that never get anywhere (SPEC 5.7), from the very
address of the member they would lock out (127.0.0.1): half-open
handshakes on the peer port.  Unfinished connections have a budget of
their own, apart from members' links; when it is full one makes room for
the new one (the silent first, then the oldest), and each has a deadline."""
import os
import re
import resource
import socket
import struct
import threading
import time

import pytest

from flood import Flood

# The tests below hold a few hundred sockets in this process.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _soft < 1024:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024 if _hard == resource.RLIM_INFINITY
                                                else min(1024, _hard), _hard))

# A HELLO (magic and a public key): a stranger that speaks first, as a
# member would, then never proves the secret.
HELLO = struct.pack(">I", 40) + b"CHORUS-1" + os.urandom(32)


def peer_port(node):
    return int(node.addr.split(":")[1])


def closed_by_peer(sock, timeout):
    """Read (and throw away) until the other end closes; True if it did
    within timeout."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if sock.recv(4096) == b"":
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
    return False


# --- (a) half-open handshakes on the peer port ------------------------------------

@pytest.mark.parametrize("say", [b"", HELLO], ids=["silent", "hello"])
def test_a_member_joins_through_a_flood_of_half_open_handshakes(cluster, say):
    a = cluster.start("alice")
    flood = Flood(peer_port(a), 300, say)  # more than the 256 links a node keeps for members
    try:
        # The flood fills the node's places; as the node closes some (the
        # oldest), it opens others.  Bob comes once that has gone round.
        flood.wait(lambda: flood.closed >= 600)
        before = flood.closed
        b = cluster.start("bob", join=[a], wait_joined=False)
        b.wait_line(r"^\[JOIN\] bob joined the chat$", timeout=15)
        b.wait_line(r"^\[LEADER\] alice is the leader$", timeout=10)
        a.wait_line(r"^\[JOIN\] bob joined the chat$", timeout=10)
        b.send("through the crowd")
        a.wait_line(r"^\[bob\] through the crowd$", timeout=10)
        # The flood went on all along: the node kept closing its sockets, and
        # it kept opening others.
        flood.wait(lambda: flood.closed > before + 300)
        assert flood.alive()
    finally:
        flood.stop()
    a.wait_err(r"too many unfinished handshakes: dropped \d+ to make room")
    cluster.settle([a, b], "alice (leader), bob")


def test_the_silent_and_then_the_oldest_handshakes_make_room(cluster):
    a = cluster.start("alice", extra=["--handshake-ms", "60000"])
    host, port = a.addr.split(":")
    spoke = socket.create_connection((host, int(port)), timeout=5)
    spoke.sendall(HELLO)  # first of all, and it has said its HELLO
    socks = [socket.create_connection((host, int(port)), timeout=5) for _ in range(300)]
    try:
        # 301 strangers, 256 places: the 45 oldest of those that said
        # nothing are closed by the node, the rest wait for their deadline.
        for s in socks[:45]:
            assert closed_by_peer(s, 5), "an old silent handshake was kept"
        for s in [spoke] + socks[-200:]:
            assert not closed_by_peer(s, 0.01), "a newer or a speaking one was dropped"
        a.wait_err(r"too many unfinished handshakes: dropped \d+ to make room")
    finally:
        for s in [spoke] + socks:
            s.close()


# --- (c) deadlines ------------------------------------------------------------------

def dripping(sock, first, byte=b"C", every=0.2, limit=30):
    """Send first, then one byte every `every` s until the peer closes
    (a thread); the thread ends when the node closed the socket."""
    def run():
        sock.sendall(first)
        deadline = time.monotonic() + limit
        try:
            while time.monotonic() < deadline:
                sock.sendall(byte)
                time.sleep(every)
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_an_unfinished_handshake_is_closed_at_its_deadline(cluster):
    a = cluster.start("alice", extra=["--handshake-ms", "1500"])
    host, port = a.addr.split(":")
    silent = socket.create_connection((host, int(port)), timeout=5)
    # A HELLO's length, then its bytes one by one: bytes do not buy time.
    drip = socket.create_connection((host, int(port)), timeout=5)
    dripping(drip, struct.pack(">I", 40))
    assert closed_by_peer(silent, 20), "a silent stranger outlived the handshake deadline"
    assert closed_by_peer(drip, 20), "a dripping stranger outlived the handshake deadline"
    a.wait_err(r"no handshake within 1500 ms")
    # The node is as before.
    b = cluster.start("bob", join=[a])
    b.send("after the strangers")
    a.wait_line(r"^\[bob\] after the strangers$")
