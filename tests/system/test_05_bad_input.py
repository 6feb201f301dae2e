"""Chapter 5: bad input is refused, not fatal (SPEC section 5.7)."""
import socket
import struct
import time

from conftest import Node


def raw(addr, payload, wait=0.3):
    host, port = addr.split(":")
    s = socket.create_connection((host, int(port)), timeout=3)
    s.sendall(payload)
    time.sleep(wait)
    try:
        s.settimeout(2)
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()


def test_garbage_huge_and_truncated_frames_drop_only_that_link(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    cluster.settle([a, b], "alice (leader), bob")
    # Strangers' bytes meet the handshake, never the frame decoder (for
    # bad frames from a peer that got past it, see test_08_security).
    raw(a.addr, struct.pack(">I", 0x7FFFFFFF) + b"x" * 16)        # huge length
    raw(a.addr, struct.pack(">I", 6) + b"\x09\x03abcd")             # not a HELLO
    raw(a.addr, struct.pack(">I", 10) + b"\x01\x05\x00")            # truncated, then EOF
    raw(a.addr, b"GET / HTTP/1.0\r\n\r\n")                          # not our protocol
    raw(a.addr, struct.pack(">I", 3) + b"\x01\x03\x00")             # short
    assert a.alive()
    a.wait_err(r"dropping link from 127\.0\.0\.1: unit length out of bounds")
    a.wait_err(r"refused a connection from 127\.0\.0\.1: not a chorus handshake")
    b.send("still here")
    a.wait_line(r"^\[bob\] still here$")
    cluster.settle([a, b], "alice (leader), bob")


def test_join_where_nobody_listens_retries_then_joins(cluster, chorus_bin, tmp_path):
    # find a free port, then start a joiner that points at it
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    j = cluster.start("joiner", join=[f"127.0.0.1:{port}"], wait_joined=False)
    j.wait_err(r"cannot join through 127\.0\.0\.1:\d+ \(connection refused\); retrying")
    assert j.alive()
    # a first node comes up at that very address: the joiner gets in
    seed = Node(chorus_bin, "seed", tmp_path / "seed", listen=f"127.0.0.1:{port}")
    try:
        seed.wait_line(r"^\[LEADER\] seed")
        j.wait_line(r"^\[LEADER\] seed is the leader$", timeout=10)
        seed.wait_line(r"^\[JOIN\] joiner joined the chat$")
    finally:
        seed.kill()
