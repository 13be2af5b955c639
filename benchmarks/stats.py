"""Medians, minima and maxima of repeated measurements, and running them side by side."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples to summarise")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    def scaled(self, factor: float) -> Summary:
        return Summary(self.median * factor, self.min * factor, self.max * factor, self.n)

    def to_json(self, digits: int = 4) -> dict[str, Any]:
        return {
            "median": round(self.median, digits),
            "min": round(self.min, digits),
            "max": round(self.max, digits),
            "n": self.n,
        }


def alternate(rounds: int, steps: Sequence[Callable[[], None]]) -> None:
    """Run every step once per round, rotating their order each round.

    Measurements made this way share the machine's state of the moment (another process's
    burst, the CPU's clock), so their ratios are fair; rotating removes a first-runs-cold bias.
    """
    for round_no in range(rounds):
        shift = round_no % len(steps)
        for step in [*steps[shift:], *steps[:shift]]:
            step()


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-round ratios of two series measured in the same rounds."""
    if len(numerators) != len(denominators):
        raise ValueError("the two series were not measured in the same rounds")
    return [a / b for a, b in zip(numerators, denominators, strict=True)]
