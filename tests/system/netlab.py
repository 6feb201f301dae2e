"""A small network of hosts for the system tests: one network namespace per
host, joined by veth pairs to a bridge that lives in a namespace of its own
(nothing is added to the root namespace), and the faults this kernel can
inject (see ../shared/NETLAB.md): random loss and partitions with iptables
DROP rules inside the hosts, links taken down and up, processes stopped.

Every name carries a prefix unique to the run; a lab removes everything it
made when closed, and removes leftovers of its own prefix before it starts.
"""
import os
import shutil
import subprocess

import pytest


def sh(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check)


class Lab:
    def __init__(self, n):
        self.n = n
        self.prefix = f"cz{os.getpid() % 100000}"
        self.bridge = f"{self.prefix}br"
        self.procs = []
        self.teardown()
        sh("ip", "netns", "add", self.bridge)
        sh("ip", "-n", self.bridge, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.bridge, "link", "set", "br0", "up")
        for i in range(1, n + 1):
            ns, host_if, br_if = self.ns(i), f"{self.prefix}h{i}", f"{self.prefix}b{i}"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", br_if)
            sh("ip", "link", "set", host_if, "netns", ns)
            sh("ip", "link", "set", br_if, "netns", self.bridge)
            sh("ip", "-n", self.bridge, "link", "set", br_if, "master", "br0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", host_if, "name", "eth0")
            sh("ip", "-n", ns, "addr", "add", f"{self.ip(i)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")

    def ns(self, i):
        return f"{self.prefix}n{i}"

    @staticmethod
    def ip(i):
        return f"10.77.0.{i}"

    def popen(self, i, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(i), *args], **kw)
        self.procs.append(p)
        return p

    def iptables(self, i, *rule):
        sh("ip", "netns", "exec", self.ns(i), "iptables", *rule)

    def loss(self, percent):
        """Drop this share of the packets every host receives."""
        for i in range(1, self.n + 1):
            self.iptables(i, "-A", "INPUT", "-i", "eth0", "-m", "statistic", "--mode", "random",
                          "--probability", f"{percent / 100:.3f}", "-j", "DROP")

    def partition(self, a, b):
        """No packet between hosts of group a and hosts of group b."""
        for x in a:
            for y in b:
                self.iptables(x, "-A", "INPUT", "-s", self.ip(y), "-j", "DROP")
                self.iptables(y, "-A", "INPUT", "-s", self.ip(x), "-j", "DROP")

    def link(self, i, up):
        """Take host i's cable out of the bridge, or put it back."""
        sh("ip", "-n", self.bridge, "link", "set", f"{self.prefix}b{i}", "up" if up else "down")

    def heal(self):
        for i in range(1, self.n + 1):
            self.iptables(i, "-F", "INPUT")

    def teardown(self):
        for p in getattr(self, "procs", []):
            if p.poll() is None:
                p.kill()
                p.wait()
        out = sh("ip", "netns", "list", check=False).stdout
        for line in out.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(self.prefix):
                sh("ip", "netns", "del", name, check=False)


@pytest.fixture
def netlab():
    """Make a lab with netlab(n); it is removed at the end, whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if shutil.which("iptables") is None:
        pytest.skip("iptables is not installed (scripts/install-deps installs it)")
    probe = f"czprobe{os.getpid() % 100000}"
    if sh("ip", "netns", "add", probe, check=False).returncode != 0:
        pytest.skip("cannot create network namespaces here")
    sh("ip", "netns", "del", probe, check=False)
    labs = []

    def make(n):
        lab = Lab(n)
        labs.append(lab)
        return lab
    yield make
    for lab in labs:
        lab.teardown()
