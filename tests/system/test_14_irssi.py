"""The IRC gateway with a real client: irssi, driven by keystrokes inside a
detached tmux session (its own socket under tmp_path, killed at the end),
registers with a chorus node, joins #chorus, chats both ways and quits."""
import os
import shlex
import shutil
import subprocess
import time

import pytest

NICK = "dave"
# A config of its own spares irssi its first-run setup; its flood queue
# (commands held back 2.2 s after the first few) is turned off, and so is
# its CTCP VERSION reply.
CONFIG = """settings = {
  core = { nick = "%s"; user_name = "%s"; real_name = "irssi in a test"; settings_autosave = "no"; };
  "irc/core" = { cmd_queue_speed = "0"; ctcp_version_reply = ""; };
  "fe-common/core" = { autolog = "no"; };
};
""" % (NICK, NICK)


class Tmux:
    def __init__(self, sock):
        self.base = ["tmux", "-S", str(sock), "-f", "/dev/null"]
        self.env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        self.env["TERM"] = "xterm-256color"  # inside, tmux gives irssi its own

    def run(self, *args, check=True):
        return subprocess.run(self.base + list(args), capture_output=True, text=True,
                              check=check, timeout=10, env=self.env).stdout

    def type(self, text):
        self.run("send-keys", "-t", "irssi", "-l", text)
        self.run("send-keys", "-t", "irssi", "Enter")

    def screen(self):
        return self.run("capture-pane", "-p", "-J", "-t", "irssi", check=False)

    def wait(self, text, timeout=15):
        deadline = time.monotonic() + timeout
        while text not in (got := self.screen()):
            if time.monotonic() > deadline:
                shown = "\n".join(l.rstrip() for l in got.splitlines() if l.strip())
                pytest.fail(f"irssi never showed {text!r}; its screen:\n{shown}")
            time.sleep(0.1)


@pytest.fixture
def tmux(tmp_path):
    for tool in ("irssi", "tmux"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (scripts/install-deps installs it)")
    t = Tmux(tmp_path / "tmux.sock")
    try:
        yield t
    finally:
        t.run("kill-server", check=False)


def test_irssi_joins_chats_and_quits(cluster, tmux, tmp_path):
    n = cluster.start("alpha", extra=["--irc", "127.0.0.1:0"])
    port = n.wait_err(r"IRC clients welcome on [^ ]+:(\d+)").group(1)
    home = tmp_path / "irssi"
    home.mkdir()
    (home / "config").write_text(CONFIG)
    tmux.run("new-session", "-d", "-s", "irssi", "-x", "200", "-y", "50",
             f"irssi --home={shlex.quote(str(home))} -n {NICK} -c 127.0.0.1 -p {port}")
    tmux.wait(f"Welcome to the Chorus chat, {NICK}")  # the 001: registered

    tmux.type("/join #chorus")
    n.wait_line(rf"^\[JOIN\] {NICK} joined the chat$")
    tmux.wait(f"{NICK} [{NICK}@chorus] has joined #chorus")

    tmux.type("hello from irssi")
    n.wait_line(rf"^\[{NICK}\] hello from irssi$")
    n.send("hello from the node")
    tmux.wait("<@alpha> hello from the node")

    tmux.type("/quit see you")
    n.wait_line(rf"^\[LEAVE\] {NICK} left the chat$")
