"""SPEC 5.9 and 5.8: clocks may disagree up to a documented bound (12 h);
a node further off is told at join and kept out (exit 6), and a record
stamped far from the others' clocks, by a modified binary, neither stalls
nor splits the chat nor drags anyone's clock.

Clocks are shifted with libfaketime (Debian's faketime): the wall clock
only; the monotonic clock the loop runs on is left alone."""
import os
import re
import sqlite3
import time

import pytest

from conftest import Node, ROOT, agreed_checksums

INSIDER = os.environ.get("CHORUS_INSIDER_BIN", str(ROOT / "build" / "insider" / "chorus"))


@pytest.fixture(autouse=True)
def wall_clock_only(monkeypatch):
    monkeypatch.setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1")
    # libfaketime is preloaded before the sanitizer build's ASan runtime.
    opts = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (opts + ":" if opts else "") + "verify_asan_link_order=0")


def shifted(offset):
    return ("faketime", "-f", offset)


@pytest.fixture
def nodes(tmp_path):
    started = []

    def start(nick, join=(), offset=None, binary=None, wait=True):
        from conftest import BIN
        n = Node(binary or BIN, nick, tmp_path / nick, [j.addr for j in join],
                 prefix=shifted(offset) if offset else ())
        started.append(n)
        if wait:
            n.wait_line(r"^\[LEADER\] ")
        return n

    yield start
    for n in started:
        n.kill()


def test_a_joiner_a_day_ahead_is_told_and_kept_out(nodes):
    a = nodes("alice")
    late = nodes("bob", join=[a], offset="+25h", wait=False)
    assert late.wait_exit(10) == 6
    late.wait_err(r"clock is off by \+2[45]h\d\dm from alice's \(1 of 1 members; at most 12h allowed\)")
    assert not any(l.startswith("[JOIN]") for l in late.output())
    # alice carries on: another joiner with a right clock gets in and chats.
    c = nodes("carol", join=[a])
    c.send("hello")
    a.wait_line(r"^\[carol\] hello$")
    assert a.ask("\\list_users", "USERS") == "alice (leader), carol"


def test_clocks_hours_apart_chat_as_if_they_agreed(nodes):
    """Clocks 2 h ahead and 5 h behind: a joiner types at once while the
    others type; every node shows every line once, in one order."""
    a = nodes("alice")
    b = nodes("bob", join=[a], offset="-5h")
    c = nodes("carol", join=[b], offset="+2h", wait=False)
    c.wait_line(r"^\[JOIN\] carol joined the chat$")
    lines = {"alice": a, "bob": b, "carol": c}
    for i in range(10):
        for nick, n in lines.items():
            n.send(f"{nick} {i}")
    every = [f"[{nick}] {nick} {i}" for nick in lines for i in range(10)]
    for n in lines.values():
        for line in every:
            n.wait_line("^" + re.escape(line) + "$")
    orders = []
    for n in lines.values():
        shown = [l for l in n.output() if l in every]
        assert len(shown) == len(every), (n.nick, shown)
        orders.append(shown)
        assert not any(l.startswith("[LATE") for l in n.output()), n.output()
    assert orders[0] == orders[1] == orders[2]
    assert len(set(agreed_checksums(list(lines.values())))) == 1


def test_records_stamped_a_day_off_change_nothing_for_the_others(nodes):
    a = nodes("alice")
    b = nodes("bob", join=[a])
    m = nodes("mallory", join=[a], binary=INSIDER)
    m.send("\\at +25h from tomorrow")
    a.send("still today")
    for n in (a, b, m):
        n.wait_line(r"^\[alice\] still today$")
    b.send("and bob")
    for n in (a, b):
        n.wait_line(r"^\[bob\] and bob$")
    # A line stamped before its author's previous one is refused alike.
    m.send("\\at -25h from yesterday")
    a.send("after both")
    for n in (a, b):
        n.wait_line(r"^\[alice\] after both$")
        out = n.output()
        assert not any("tomorrow" in l or "yesterday" in l for l in out), out
        assert not any(l.startswith("[LATE") for l in out), out
    sums = agreed_checksums([a, b])
    assert len(set(sums)) == 1, sums
    # Nobody's clock moved: the stamps of the honest lines are today's.
    now_ms = time.time() * 1000
    for n in (a, b):
        db = sqlite3.connect(f"file:{n.data}/history.db?mode=ro", uri=True)
        # (the store keeps v ^ 2^63 as a signed integer: src/shell/store.c)
        stamps = {text.decode(): ((hlc % 2**64) ^ 2**63) >> 16 for text, hlc in
                  db.execute("SELECT text, hlc FROM messages WHERE kind = 0")}
        db.close()
        for text in ("still today", "and bob", "after both"):
            assert abs(stamps[text] - now_ms) < 60_000, (n.nick, text, stamps[text] - now_ms)
        assert stamps["from tomorrow"] - now_ms > 24 * 3600_000
        assert "from yesterday" not in stamps  # refused: stamped before its author's last
