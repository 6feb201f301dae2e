"""Floods of connections that never get anywhere (SPEC 5.7), from the very
address of the member or user they would lock out (127.0.0.1): half-open
handshakes on the peer port, idle sockets on the IRC port.  Unfinished
connections have a budget of their own, apart from members' links and
registered clients; when it is full one makes room for the new one (the
silent first, then the oldest), and each has a deadline.  A registered IRC
client that goes quiet is asked PING, and dropped when it does not
answer."""
import contextlib
import os
import re
import resource
import socket
import struct
import threading
import time

import pytest

from conftest import SECRET
from flood import Flood
from ircclient import Irc
from test_13_connect import Thin

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


def irc_node(cluster, nick, host="127.0.0.1", extra=()):
    n = cluster.start(nick, extra=["--irc", f"{host}:0", *extra])
    n.irc = int(n.wait_err(r"IRC clients welcome on [^ ]+:(\d+)").group(1))
    return n


@contextlib.contextmanager
def flood_going_on(port, n, say, ready):
    """Flood port with n connections that each say `say`; the body runs once
    ready(flood) holds, and must leave the flood as it found it: after it
    the node goes on closing sockets (n more) and the flood on opening
    others."""
    flood = Flood(port, n, say)
    try:
        flood.wait(lambda: ready(flood))
        before = flood.closed
        yield flood
        flood.wait(lambda: flood.closed > before + n)
        assert flood.alive()
    finally:
        flood.stop()


def read_to_close(sock, timeout):
    """All the other end sends until it closes (or resets) the socket."""
    got = b""
    sock.settimeout(timeout)
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except ConnectionResetError:
        pass
    return got


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
    # 300: more than the 256 links a node keeps for members.  The flood fills
    # the node's places; as the node closes some (the silent first, then the
    # oldest), it opens others.  Bob comes once that has gone round twice.
    with flood_going_on(peer_port(a), 300, say, lambda f: f.closed >= 600):
        b = cluster.start("bob", join=[a], wait_joined=False)
        b.wait_line(r"^\[JOIN\] bob joined the chat$", timeout=15)
        b.wait_line(r"^\[LEADER\] alice is the leader$", timeout=10)
        a.wait_line(r"^\[JOIN\] bob joined the chat$", timeout=10)
        b.send("through the crowd")
        a.wait_line(r"^\[bob\] through the crowd$", timeout=10)
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


# --- (b) idle sockets on the IRC port ------------------------------------------------

@pytest.mark.parametrize("say", [b"", b"NICK flood\r\n"], ids=["silent", "nick"])
def test_an_irc_user_connects_through_1100_idle_sockets(cluster, say):
    a = irc_node(cluster, "alpha", host="0.0.0.0")  # PASS required; the flood sends none
    a.wait_err(r"PASS: the secret")
    # 1100: more than the 1,024 clients a gateway keeps.
    with flood_going_on(a.irc, 1100, say, lambda f: f.opened >= 1100 and f.closed > 0):
        c = Irc(a.irc, "carol", password=SECRET, timeout=30)
        c.join()
        c.say("hello through the crowd")
        a.wait_line(r"^\[carol\] hello through the crowd$", timeout=10)
        a.send("hi carol")
        c.wait(r"^:alpha!alpha@chorus PRIVMSG #chorus :hi carol$", timeout=10)
    a.wait_err(r"IRC: too many connections waiting to register: dropped \d+ to make room")


# --- (c) registration deadline, PING ---------------------------------------------------

def test_an_unregistered_irc_client_is_closed_at_its_deadline(cluster):
    a = irc_node(cluster, "alpha", extra=["--irc-register-ms", "1500"])
    silent = socket.create_connection(("127.0.0.1", a.irc), timeout=5)
    # NICK but never USER, a line now and then: lines do not buy time either.
    talker = socket.create_connection(("127.0.0.1", a.irc), timeout=5)
    dripping(talker, b"NICK dave\r\n", byte=b"PING :x\r\n")
    assert closed_by_peer(silent, 20), "a silent client outlived the registration deadline"
    got = read_to_close(talker, 20)
    assert b"ERROR :Closing link: registration timed out" in got, got[-300:]
    a.wait_err(r"IRC: dropped .*registration timed out")
    c = Irc(a.irc, "carol")  # and the gateway is as before
    c.join()


def test_a_quiet_client_is_asked_ping_and_dropped_without_an_answer(cluster):
    a = irc_node(cluster, "alpha", extra=["--irc-ping-ms", "1000"])
    mute = socket.create_connection(("127.0.0.1", a.irc), timeout=5)
    mute.sendall(b"NICK mute\r\nUSER mute 0 * :never answers\r\nJOIN #chorus\r\n")
    answers = Irc(a.irc, "carol")  # ircclient answers every PING with its PONG
    answers.join()
    a.wait_line(r"^\[JOIN\] mute joined the chat$")
    lines = read_to_close(mute, 30).decode().split("\r\n")
    assert any(re.match(r"^PING :alpha\.chorus$", l) for l in lines), lines[-10:]
    assert "ERROR :Closing link: ping timeout" in lines, lines[-10:]
    a.wait_line(r"^\[LEAVE\] mute left the chat$")
    a.wait_err(r"IRC: dropped mute from 127\.0\.0\.1: ping timeout")
    # carol, quiet all along but answering, is still there after several PINGs.
    answers.wait(r"^PING :alpha\.chorus$")
    deadline = time.monotonic() + 30
    while answers.count(r"^PING ") < 3:
        assert time.monotonic() < deadline and not answers.closed, answers.lines[-10:]
        time.sleep(0.1)
    answers.say("still here")
    a.wait_line(r"^\[carol\] still here$")
    assert "carol" in a.ask("\\list_users", "USERS")


def test_the_thin_client_answers_ping(cluster, chorus_bin):
    a = irc_node(cluster, "alpha", extra=["--irc-ping-ms", "300"])
    t = Thin(chorus_bin, "tina", [a.irc])
    try:
        a.wait_line(r"^\[JOIN\] tina joined the chat$")
        # Quiet for ten PING intervals: asked every 300 ms, dropped after
        # 600 ms without an answer -- unless it answers.
        time.sleep(3)
        assert not [l for l in a.err if "ping timeout" in l], a.err
        assert a.count(r"^\[LEAVE\] tina") == 0
        t.send("still attached")
        a.wait_line(r"^\[tina\] still attached$")
    finally:
        t.kill()
