"""The private broker kit itself (tests/system/broker.py, issue 13): it
starts, fans out, and its faults (kill/restart, pause/resume) and its stop do
what the broker tests rely on.  One broker for the whole file; the tests run
in order and the last one stops it."""
import subprocess
import time

import pika
import pytest
from pika.adapters.utils.connection_workflow import AMQPConnectorException

# What a failed pika login raises: refused or dropped (AMQPError), or a
# handshake that timed out (AMQPConnectorStackTimeout, not an AMQPError).
LOGIN_FAILED = (pika.exceptions.AMQPError, AMQPConnectorException)

from broker import Broker


@pytest.fixture(scope="module")
def kit():
    with Broker() as b:
        yield b


def login_fails(b, timeout):
    t0 = time.monotonic()
    with pytest.raises(LOGIN_FAILED):
        b.connect(timeout=timeout).close()
    return time.monotonic() - t0


def test_starts_and_logs_in(kit):
    assert kit.url == f"amqp://guest:guest@127.0.0.1:{kit.port}/"
    assert kit.beam_pid() is not None
    conn = pika.BlockingConnection(pika.URLParameters(kit.url))
    assert conn.is_open
    conn.close()


def test_fanout_reaches_two_queues(kit):
    consumers = [kit.connect() for _ in range(2)]
    queues = []
    for c in consumers:
        ch = c.channel()
        ch.exchange_declare("kit.fanout", exchange_type="fanout", auto_delete=True)
        q = ch.queue_declare("", exclusive=True, auto_delete=True).method.queue
        ch.queue_bind(q, "kit.fanout")
        queues.append((ch, q))
    pub = kit.connect()
    pch = pub.channel()
    pch.confirm_delivery()
    pch.basic_publish("kit.fanout", "", b"hello both")   # raises if nacked
    for ch, q in queues:
        deadline = time.monotonic() + 5
        while True:
            _, _, body = ch.basic_get(q, auto_ack=True)
            if body is not None:
                break
            assert time.monotonic() < deadline, f"nothing reached {q}"
            time.sleep(0.02)
        assert body == b"hello both"
    for c in consumers + [pub]:
        c.close()


def test_kill_then_restart(kit):
    # (Whether a durable queue declared just before the kill survives is
    # RabbitMQ's business, and timing-dependent: its metadata log is written
    # behind the declare-ok.  Chorus keeps nothing on the broker.)
    conn = kit.connect()
    conn.channel()
    old_vm = kit.beam_pid()
    kit.kill()
    assert kit.beam_pid() is None
    with pytest.raises(pika.exceptions.AMQPError):   # the open connection dropped
        conn.process_data_events(time_limit=1)
        conn.channel()
    assert login_fails(kit, 2) < 1.5                   # refused, not hanging
    kit.restart()
    assert kit.beam_pid() not in (None, old_vm)
    conn = kit.connect()
    ch = conn.channel()
    ch.queue_declare("kit.after", exclusive=True)      # a broker that works again
    conn.close()


def test_pause_makes_logins_hang_and_resume_heals(kit):
    kit.pause()
    try:
        took = login_fails(kit, 1.0)
        assert took >= 0.9, f"a login to a paused broker failed after {took:.2f}s, not by timing out"
    finally:
        kit.resume()
    kit.connect(timeout=5).close()


def test_stop_leaves_nothing(kit):
    node, epmd_pid, script_pid = kit.node, kit.epmd.pid, kit.proc.pid
    vm = kit.beam_pid()
    kit.stop()
    ps = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    live = {int(l.split()[0]) for l in ps.splitlines() if not l.split()[1].startswith("Z")}
    assert not {vm, epmd_pid, script_pid} & live
    assert node not in ps
    assert kit.leftovers() == []
    assert not kit.dir.exists()
