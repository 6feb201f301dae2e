"""Chapter 11: the agreement run and the history on a real network stack,
with the faults this kernel can inject (network namespaces; see netlab.py):
random loss, a partition healed, one host cut off and back."""
import json
import re
import signal
import subprocess
import time

from conftest import Node
from netlab import netlab  # noqa: F401  (the fixture)

RESULT = re.compile(r"^\((\d+), (\d+\.\d{10})\)$")
PORT = 9300


def chatterbox(lab, binary, tmp_path, send, wait, fault=None):
    peers = tmp_path / "peers.json"
    peers.write_text(json.dumps([f"{lab.ip(i)}:{PORT}:0" for i in range(1, lab.n + 1)]))
    procs = [lab.popen(i, [binary, "chatterbox", "-h", lab.ip(i), "-p", str(PORT),
                           "--peer-config-file", str(peers), "--send-for", str(send),
                           "--wait-for", str(wait), "--connect-timeout", "5"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(1, lab.n + 1)]
    if fault:
        fault()
    lines = []
    for p in procs:
        out, err = p.communicate(timeout=send + wait + 30)
        assert p.returncode == 0, err[-2000:]
        assert RESULT.match(out.strip()), out
        lines.append(out.strip())
    return lines


def test_five_hosts_agree_under_ten_percent_loss(netlab, chorus_bin, tmp_path):
    lab = netlab(5)
    lab.loss(10)
    lines = chatterbox(lab, chorus_bin, tmp_path, send=5, wait=5)
    assert len(set(lines)) == 1, lines
    assert int(RESULT.match(lines[0]).group(1)) > 0


def test_partition_healed_before_the_wait_agrees(netlab, chorus_bin, tmp_path):
    lab = netlab(5)

    def split_then_heal():
        time.sleep(2)            # the send phase is under way
        lab.partition([1, 2], [3, 4, 5])
        time.sleep(2)
        lab.heal()               # before the wait phase
    lines = chatterbox(lab, chorus_bin, tmp_path, send=5, wait=5, fault=split_then_heal)
    assert len(set(lines)) == 1, lines


def test_a_host_whose_link_flaps_and_a_stalled_host_agree(netlab, chorus_bin, tmp_path):
    lab = netlab(4)

    def flap_and_stall():
        time.sleep(1.5)
        lab.link(2, up=False)    # host 2 off the network for a while
        time.sleep(1.5)
        lab.link(2, up=True)
        victim = lab.procs[3]    # host 4's node stops, then goes on
        victim.send_signal(signal.SIGSTOP)
        time.sleep(1.5)
        victim.send_signal(signal.SIGCONT)
    lines = chatterbox(lab, chorus_bin, tmp_path, send=6, wait=5, fault=flap_and_stall)
    assert len(set(lines)) == 1, lines


def test_history_holds_under_loss_and_a_healed_partition(netlab, chorus_bin, tmp_path):
    lab = netlab(3)
    lab.loss(10)
    nodes = []
    for i in range(1, 4):
        join = [f"{lab.ip(1)}:{PORT}"] if i > 1 else []
        n = Node(chorus_bin, f"n{i}", tmp_path / f"n{i}", join, listen=f"{lab.ip(i)}:{PORT}",
                 prefix=("ip", "netns", "exec", lab.ns(i)))
        nodes.append(n)
        n.wait_line(r"^\[LEADER\] ", timeout=20)
    try:
        deadline = time.monotonic() + 30
        while {n.ask("\\list_users", "USERS", timeout=20) for n in nodes} != {
                "n1 (leader), n2, n3"}:
            assert time.monotonic() < deadline, "the three never listed each other"
            time.sleep(0.3)
        for k in range(30):
            nodes[k % 3].send(f"line {k}")
            time.sleep(0.05)
        lab.partition([1], [2, 3])
        for k in range(30, 60):
            nodes[k % 3].send(f"line {k}")
            time.sleep(0.05)
        lab.heal()
        deadline = time.monotonic() + 40
        while True:
            sums = {n.ask("\\checksum", "CHECKSUM", timeout=20) for n in nodes}
            if len(sums) == 1 and sums.pop().startswith("count=60 "):
                break
            assert time.monotonic() < deadline, f"no agreement: {sums}"
            time.sleep(0.5)
        # every line once on every node, as a line, [HISTORY] or [LATE]
        for n in nodes:
            got = [l for l in n.output() if re.search(r"\] line \d+$", l)]
            texts = [l.rsplit("] ", 1)[1] for l in got]
            assert sorted(texts) == sorted(f"line {k}" for k in range(60)), n.nick
    finally:
        for n in nodes:
            n.kill()


def test_one_irc_nick_taken_on_both_sides_of_a_partition(netlab, chorus_bin, tmp_path):
    """Two thin clients take "xena" through two nodes cut off from each
    other; after the heal one of them is renamed, the same one everywhere,
    and nothing either typed is lost."""
    from test_13_connect import Thin
    lab = netlab(2)
    nodes, thins = [], []
    for i in (1, 2):
        join = [f"{lab.ip(1)}:{PORT}"] if i > 1 else []
        n = Node(chorus_bin, f"n{i}", tmp_path / f"n{i}", join, listen=f"{lab.ip(i)}:{PORT}",
                 extra=["--irc", "127.0.0.1:6667"], prefix=("ip", "netns", "exec", lab.ns(i)))
        nodes.append(n)
        n.wait_line(r"^\[LEADER\] ", timeout=20)
    try:
        nodes[0].wait_line(r"^\[JOIN\] n2 joined the chat$", timeout=20)
        lab.partition([1], [2])
        for n, other in ((nodes[0], "n2"), (nodes[1], "n1")):
            n.wait_line(rf"^\[LOST\] {other} is unreachable$", timeout=20)
        for i in (1, 2):
            t = Thin(chorus_bin, "xena", [6667], prefix=("ip", "netns", "exec", lab.ns(i)))
            thins.append(t)
            t.wait_line(r"^\[USERS\] ")
            t.send(f"said on side {i}")
            nodes[i - 1].wait_line(rf"^\[xena\] said on side {i}$")
        lab.heal()
        renamed = []
        deadline = time.monotonic() + 30
        while not renamed:
            renamed = [t for t in thins if any("you are now Guest" in l for l in t.output())]
            assert time.monotonic() < deadline, "nobody was renamed"
            time.sleep(0.2)
        assert len(renamed) == 1
        guest = re.search(r"you are now (Guest\d+)", "\n".join(renamed[0].output())).group(1)
        renamed[0].send("after the rename")
        deadline = time.monotonic() + 30
        while {n.ask("\\list_users", "USERS", timeout=20) for n in nodes} != {
                f"n1 (leader), n2, xena, {guest}"}:
            assert time.monotonic() < deadline, "the nodes never listed the same users"
            time.sleep(0.3)
        for n in nodes:  # each line once, in its place or [LATE] (the partition's)
            for line in ("[xena] said on side 1", "[xena] said on side 2",
                         f"[{guest}] after the rename"):
                rx = r"^(\[LATE [0-9:]+\] )?" + re.escape(line) + "$"
                n.wait_line(rx, timeout=20)
                assert n.count(rx) == 1, (n.nick, line)
        assert all(t.alive() for t in thins)  # renamed, never disconnected
    finally:
        for p in nodes + thins:
            p.kill()
