"""Figures, their targets, and the one line each prints."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Better(StrEnum):
    LOWER = "≤"
    HIGHER = "≥"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: every run's value, and the target its median is held to."""

    name: str
    unit: str
    values: tuple[float, ...]
    target: float | None  # None: reported, not judged
    better: Better = Better.LOWER
    digits: int = 1

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "INFO"
        if self.better is Better.LOWER:
            return "PASS" if self.median <= self.target else "MISS"
        return "PASS" if self.median >= self.target else "MISS"

    def line(self, width: int = 58) -> str:
        value = f"{self._fmt(self.median)} {self.unit}"
        if len(self.values) > 1:
            low, high = self._fmt(min(self.values)), self._fmt(max(self.values))
            spread = f"({low}-{high}, n={len(self.values)})"
        else:
            spread = "(n=1)"
        target = (
            "report"
            if self.target is None
            else f"{self.better} {self._fmt(self.target)} {self.unit}"
        )
        return f"{self.name:<{width}} {value:>14} {spread:<26} target {target:<16} {self.verdict}"

    def _fmt(self, value: float) -> str:
        return f"{value:,.{self.digits}f}"


@dataclass(frozen=True, slots=True)
class Section:
    """A group of figures from one setup, with the evidence that the load was what we meant."""

    title: str
    figures: list[Figure]
    notes: list[str]

    def lines(self) -> list[str]:
        return [
            f"[{self.title}]",
            *(f.line() for f in self.figures),
            *(f"    · {n}" for n in self.notes),
        ]


def as_json(header: list[str], sections: list[Section]) -> dict[str, object]:
    """Every figure with all its runs, for comparing one bench run with another."""
    return {
        "machine": header,
        "sections": [
            {
                "title": s.title,
                "figures": [
                    {
                        "name": f.name,
                        "unit": f.unit,
                        "values": list(f.values),
                        "median": f.median,
                        "target": f.target,
                        "better": f.better.name.lower(),
                        "verdict": f.verdict,
                    }
                    for f in s.figures
                ],
                "notes": s.notes,
            }
            for s in sections
        ],
    }


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was really observed, never an interpolation."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
