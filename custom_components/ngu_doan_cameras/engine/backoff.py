"""Reconnect delays: capped exponential backoff with jitter.

Jitter matters here: when the commune's switch or recorder reboots, 17 cameras drop at once, and
without it every reader would knock on the recorder at the same instants.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delay before reconnect attempt `n` (0-based): base * 2**n, capped, scaled by a random 50-100 %."""

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False)  # jitter, not a setting

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt`."""
        ceiling: float = min(self.cap, self.base * 2.0 ** min(attempt, 30))
        jitter: float = self.rng.random()
        return ceiling * (0.5 + 0.5 * jitter)
