"""How the action waits on the registry: ask at once, then back off from 0.25 s to a cap of 1.5 s.

The factor is 1.5 rather than 2 so that a version that becomes READY after 2 s is seen by 2.1 s (asks at
0, 0.25, 0.62, 1.19, 2.03 s), where doubling would see it at 2.75 s.
"""

from __future__ import annotations

from collections.abc import Iterator

FIRST = 0.25
FACTOR = 1.5
CAP = 1.5


def delays(first: float = FIRST, factor: float = FACTOR, cap: float = CAP) -> Iterator[float]:
    """The pauses between one look and the next, without end."""
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, cap)
