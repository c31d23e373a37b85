"""What a process costs, read from /proc (Linux): the demo and the bench measure with these."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time the process has used so far."""
    # The command name in field 2 may contain spaces: split after its closing parenthesis.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of the process now, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
