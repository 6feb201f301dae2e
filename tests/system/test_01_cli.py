"""Chapter 1: the command line (SPEC section 1 and 2)."""
import subprocess


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=10)


def test_version(chorus_bin):
    r = run(chorus_bin, "--version")
    assert r.returncode == 0
    assert r.stdout.startswith("chorus ")


def test_help_lists_every_option(chorus_bin):
    r = run(chorus_bin, "--help")
    assert r.returncode == 0
    for opt in ("--listen", "--join", "--data", "--secret-file", "--heartbeat-ms",
                "--timeout-ms", "--timestamps", "--headless", "--verbose"):
        assert opt in r.stdout


def test_usage_errors_exit_2(chorus_bin):
    for args in ([], ["--bogus", "x"], ["a", "b"], ["--listen", "nope", "x"],
                 ["--join", "h:", "x"], ["--heartbeat-ms", "abc", "x"]):
        r = run(chorus_bin, *args)
        assert r.returncode == 2, args
        assert r.stdout == ""
        assert "chorus:" in r.stderr


def test_invalid_nicks_exit_2(chorus_bin):
    for nick in ("", "a b", "x" * 33, "JOIN", "users", "ümlaut", "semi;colon"):
        r = run(chorus_bin, nick)
        assert r.returncode == 2, nick
        assert "invalid nick" in r.stderr
