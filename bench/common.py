"""What every benchmark prints first: the machine, its load and the date, since figures mean nothing without them."""

from __future__ import annotations

import os
import platform
import time


def machine_line() -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load} at start, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
