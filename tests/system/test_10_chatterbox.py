"""Chapter 10: `chorus chatterbox`, the agreement run (SPEC section 6), on
loopback.  (Loss, partitions and stalls in network namespaces are still to
come: issue 6.)"""
import json
import re
import subprocess
import time

from conftest import free_ports

RESULT = re.compile(r"^\((\d+), (\d+\.\d{10})\)$")


def start(chorus_bin, peers_file, port, *extra):
    return subprocess.Popen([chorus_bin, "chatterbox", "-p", str(port), "--peer-config-file",
                             str(peers_file), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(p, timeout=30):
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, err
    m = RESULT.match(out.strip())
    assert m, f"not (COUNT, SUM): {out!r}; stderr {err}"
    return out.strip(), int(m.group(1))


def test_three_nodes_print_the_same_line(chorus_bin, tmp_path):
    ports = free_ports(3)
    peers = tmp_path / "peers.json"
    # the original's form and the object form, mixed
    peers.write_text(json.dumps([f"127.0.0.1:{ports[0]}:0", f"127.0.0.1:{ports[1]}:0",
                                 {"host": "127.0.0.1", "port": ports[2]}]))
    procs = [start(chorus_bin, peers, p, "--send-for", "1", "--wait-for", "1", "--with-seed", "3")
             for p in ports]
    lines = [result(p) for p in procs]
    assert len({l for l, _ in lines}) == 1, lines
    assert lines[0][1] > 0


def test_late_starter_and_missing_peer(chorus_bin, tmp_path):
    ports = free_ports(4)  # the fourth never starts
    peers = tmp_path / "peers.json"
    peers.write_text(json.dumps([f"127.0.0.1:{p}:0" for p in ports]))
    args = ("--send-for", "2", "--wait-for", "1", "--connect-timeout", "3")
    procs = [start(chorus_bin, peers, p, *args) for p in ports[:2]]
    time.sleep(2)  # one node starts two seconds later: it joins the send phase in progress
    procs.append(start(chorus_bin, peers, ports[2], *args))
    lines = [result(p) for p in procs]
    assert len({l for l, _ in lines}) == 1, lines


def test_survivors_agree_when_one_is_killed(chorus_bin, tmp_path):
    ports = free_ports(3)
    peers = tmp_path / "peers.json"
    peers.write_text(json.dumps([f"127.0.0.1:{p}:0" for p in ports]))
    procs = [start(chorus_bin, peers, p, "--send-for", "2", "--wait-for", "2") for p in ports]
    time.sleep(1.5)
    procs[2].kill()
    procs[2].wait()
    lines = [result(p) for p in procs[:2]]
    assert len({l for l, _ in lines}) == 1, lines


def test_bad_peers_file_is_a_usage_error(chorus_bin, tmp_path):
    peers = tmp_path / "peers.json"
    peers.write_text('["127.0.0.1:9000:0", 42]')
    p = subprocess.run([chorus_bin, "chatterbox", "-p", "9000", "--peer-config-file", str(peers)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "entry 2" in p.stderr
