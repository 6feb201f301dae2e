"""A private RabbitMQ broker for the system tests and benchmarks (issue 13).

A Broker is one `rabbitmq-server` node run as our own child, following
../shared/BROKER.md: no system service, nothing outside one temporary
directory, its own epmd, and every process it started stopped by PID.

    with Broker() as b:            # starts; stop() on exit
        connect_to(b.url)          # amqp://guest:guest@127.0.0.1:PORT/
        b.kill(); b.restart()      # SIGKILL the VM, start again on the same data
        b.pause(); b.resume()      # SIGSTOP / SIGCONT the VM (a hung broker)

How it is run:

- The real start script, found by reading Debian's /usr/sbin/rabbitmq-server
  wrapper (which would switch to the rabbitmq user and drop the
  environment): the wrapper names the directory of the real scripts.
- In the temporary directory: HOME with a random .erlang.cookie (0400), an
  empty RABBITMQ_CONF_ENV_FILE, a rabbitmq.conf (listener on 127.0.0.1:PORT,
  guest on loopback only, disk_free_limit 1MB, no console log), an empty
  enabled-plugins file, and the mnesia and log bases.
- A unique RABBITMQ_NODENAME=NAME@localhost and free AMQP, distribution and
  epmd ports.  Our epmd (`epmd -port P -address 127.0.0.1`) is started
  first; ERL_EPMD_PORT points every VM at it and `-start_epmd false` keeps
  any VM from starting a daemon epmd of its own.
- The script runs in a new session, so its pid is also the session and
  process group id of the VM under it.
- Ready when an AMQP 0-9-1 login as guest/guest succeeds (pika), tried every
  0.1 s; on timeout the error carries the tail of the broker's logs.
"""
import logging
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time

import pika

from conftest import free_ports

WRAPPER = "/usr/sbin/rabbitmq-server"
EPMD = shutil.which("epmd") or "/usr/bin/epmd"
# pika logs every refused connection at ERROR; the readiness loop expects them.
logging.getLogger("pika").setLevel(logging.CRITICAL)



def real_start_script(wrapper=WRAPPER):
    """The rabbitmq-server script Debian's wrapper would run as the rabbitmq
    user: the wrapper names its directory (e.g. /usr/lib/rabbitmq/bin/)."""
    text = pathlib.Path(wrapper).read_text()
    m = re.search(r"(/\S+/)rabbitmq-server\b", text) or re.search(r"(/\S+/)\$\{SCRIPT\}", text)
    if not m:
        raise RuntimeError(f"cannot find the real start script's directory in {wrapper}")
    script = pathlib.Path(m.group(1)) / "rabbitmq-server"
    if not os.access(script, os.X_OK):
        raise RuntimeError(f"{wrapper} names {script}, which is not executable")
    return str(script)


def _stat(pid):
    """(comm, state, pgid, sid) of a process, or None if it is gone."""
    try:
        raw = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    f = raw[raw.rindex(")") + 2:].split()
    return comm, f[0], int(f[2]), int(f[3])


def _environ_has(pid, entry):
    """Whether a process's environment holds entry ("NAME=value")."""
    try:
        env = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return entry.encode() in env


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _alive(pid):
    st = _stat(pid)
    return st is not None and st[1] != "Z"


class BrokerError(RuntimeError):
    pass


class Broker:
    def __init__(self, name=None, start_timeout=60.0, keep=False):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="chorus-broker-"))
        self.name = name or "chorus" + secrets.token_hex(4)
        self.node = f"{self.name}@localhost"
        self._mark = f"RABBITMQ_NODENAME={self.node}"   # in the env of all its processes
        self.port, self.dist_port, self.epmd_port = free_ports(3)
        self.start_timeout = start_timeout
        self.keep = keep
        self.script = real_start_script()
        self.proc = None     # the start script (session leader)
        self.epmd = None
        self.paused = False
        self.started_in = None   # seconds the last start took
        self._layout()

    # --- set up ----------------------------------------------------------
    def _layout(self):
        d = self.dir
        home = d / "home"
        home.mkdir()
        cookie = home / ".erlang.cookie"
        cookie.write_text("".join(secrets.choice(string.ascii_uppercase) for _ in range(20)))
        cookie.chmod(0o400)
        (d / "rabbitmq-env.conf").write_text("")
        (d / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users.guest = true\n"
            "disk_free_limit.absolute = 1MB\n"
            "log.console = false\n")
        (d / "enabled_plugins").write_text("[].\n")
        (d / "mnesia").mkdir()
        (d / "log").mkdir()
        erl_args = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(home),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_FLAGS": "-start_epmd false",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": erl_args,
        })
        self.env = env

    @property
    def url(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def params(self, timeout=2.0):
        """pika connection parameters for this broker; the whole login must
        finish within timeout seconds."""
        return pika.ConnectionParameters(
            host="127.0.0.1", port=self.port,
            credentials=pika.PlainCredentials("guest", "guest"),
            connection_attempts=1, socket_timeout=timeout, stack_timeout=timeout,
            blocked_connection_timeout=timeout)

    def connect(self, timeout=2.0):
        """A logged-in pika BlockingConnection (raises if the login fails)."""
        return pika.BlockingConnection(self.params(timeout))

    # --- life ------------------------------------------------------------
    def start(self):
        """Start epmd (first time) and the broker; return once a login works."""
        if self.proc is not None and self.proc.poll() is None:
            raise BrokerError("broker already running")
        if self.epmd is None or self.epmd.poll() is not None:
            self._start_epmd()
        t0 = time.monotonic()
        with open(self.dir / "script.out", "ab") as out:
            self.proc = subprocess.Popen([self.script], env=self.env, cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.paused = False
        deadline = t0 + self.start_timeout
        while True:
            try:
                self.connect(timeout=2.0).close()
                break
            except Exception as e:  # noqa: BLE001  (pika raises many kinds)
                last = e
            if self.proc.poll() is not None:
                raise BrokerError(f"rabbitmq-server exited with code {self.proc.returncode} "
                                  f"before accepting a login\n{self.log_tail()}")
            if time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise BrokerError(f"no AMQP login on 127.0.0.1:{self.port} within "
                                  f"{self.start_timeout:.0f}s (last: {last!r})\n{tail}")
            time.sleep(0.1)
        self.started_in = time.monotonic() - t0
        return self

    def _start_epmd(self):
        with open(self.dir / "epmd.out", "ab") as out:
            self.epmd = subprocess.Popen([EPMD, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                                         env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.epmd_port), 0.5).close()
                return
            except OSError:
                pass
            if self.epmd.poll() is not None or time.monotonic() > deadline:
                raise BrokerError(f"epmd on port {self.epmd_port} did not start: "
                                  f"{(self.dir / 'epmd.out').read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    def beam_pid(self):
        """The pid of this node's Erlang VM, or None: the beam.smp in the
        script's session whose environment names the node.  (RabbitMQ 3.10
        names the node at run time, so the node name is not on the VM's
        command line.)"""
        if self.proc is None:
            return None
        for pid in _pids():
            st = _stat(pid)
            if (st and st[0].startswith("beam") and st[3] == self.proc.pid and st[1] != "Z"
                    and _environ_has(pid, self._mark)):
                return pid
        return None

    def _signal_vm(self, sig):
        pid = self.beam_pid()
        if pid is None:
            raise BrokerError(f"no VM of {self.node} is running")
        os.kill(pid, sig)
        return pid

    def kill(self):
        """SIGKILL the VM: clients see their connections drop, then refused
        connections.  The start script exits after it."""
        if self.paused:
            self.paused = False   # a killed process need not be continued
        pid = self._signal_vm(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._reap_group()
        self._reap_helpers()

    def _reap_helpers(self, timeout=5.0):
        """Wait for the VM's helpers outside its session (erl_child_setup and
        its port programs) to notice the VM is gone; SIGKILL any that stay."""
        epmd = self.epmd.pid if self.epmd is not None else -1
        deadline = time.monotonic() + timeout
        while True:
            left = [p for p in _pids() if p != epmd and _alive(p) and _environ_has(p, self._mark)]
            if not left:
                return
            if time.monotonic() > deadline:
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + timeout
            time.sleep(0.02)

    def restart(self):
        """Start again on the same data directory, node name and ports."""
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        return self.start()

    def pause(self):
        """SIGSTOP the VM: connections and logins hang, nothing is refused."""
        self._signal_vm(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self._signal_vm(signal.SIGCONT)
        self.paused = False

    def _group(self):
        """Live processes of the script's process group."""
        if self.proc is None:
            return []
        out = []
        for pid in _pids():
            st = _stat(pid)
            if st and st[2] == self.proc.pid and st[1] != "Z":
                out.append(pid)
        return out

    def _reap_group(self):
        if self._group():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def stop(self, timeout=15.0):
        """SIGTERM the script (a clean broker shutdown), wait, SIGKILL its
        group, stop our epmd; then check that nothing of this node is left."""
        if self.proc is not None:
            if self.paused:
                try:
                    self.resume()
                except BrokerError:
                    pass
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    pass
            self._reap_group()
            self._reap_helpers()
        if self.epmd is not None:
            if self.epmd.poll() is None:
                self.epmd.terminate()
                try:
                    self.epmd.wait(5)
                except subprocess.TimeoutExpired:
                    self.epmd.kill()
                    self.epmd.wait(5)
        left = self.leftovers()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self.keep and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        if left:
            raise BrokerError(f"processes of {self.node} left after stop (killed now): {left}")

    def leftovers(self):
        """Live pids (per ps) of this node: in the script's process group,
        naming the node or our epmd port on their command line, or with the
        node's RABBITMQ_NODENAME in their environment (erl_child_setup and
        the VM's port programs, inet_gethost and the disk monitor's sh, each
        call setsid, so they are outside the script's session)."""
        ps = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True,
                            text=True, check=True).stdout
        me = os.getpid()
        group = self.proc.pid if self.proc is not None else -1
        found = []
        for line in ps.splitlines():
            pid, pgid, stat, args = (line.split(None, 3) + [""])[:4]
            pid, pgid = int(pid), int(pgid)
            if pid == me or stat.startswith("Z"):
                continue
            if (pgid == group or self.node in args or _environ_has(pid, self._mark)
                    or re.search(rf"epmd .*-port {self.epmd_port}\b", args)):
                found.append(pid)
        return found

    def log_tail(self, n=40):
        """The last n lines of the broker's logs, for error messages."""
        parts = []
        for f in [self.dir / "script.out", self.dir / "epmd.out", *sorted((self.dir / "log").glob("*.log"))]:
            try:
                lines = f.read_text(errors="replace").splitlines()[-n:]
            except OSError:
                continue
            if lines:
                parts.append(f"--- {f.name}\n" + "\n".join(lines))
        return "\n".join(parts) or "(no broker log)"

    def vm_hwm_kb(self):
        """Peak RSS (VmHWM, kB) of the VM, or None."""
        pid = self.beam_pid()
        if pid is None:
            return None
        m = re.search(r"^VmHWM:\s+(\d+) kB", pathlib.Path(f"/proc/{pid}/status").read_text(), re.M)
        return int(m.group(1)) if m else None

    # --- context manager -------------------------------------------------
    def __enter__(self):
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
