"""procstat — what the benchmarks read of a running process in /proc: its
CPU seconds so far and the fields of its status file.  A process that is
gone reads as 0."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """User + system CPU seconds of process pid so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def status_kb(pid, field):
    """A /proc/PID/status field in kB (VmRSS, VmHWM, ...)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(l.split()[1]) for l in f if l.startswith(field + ":")), 0)
    except OSError:
        return 0
