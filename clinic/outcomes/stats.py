"""Small statistics for reports: proportions with a Wilson interval, medians and percentiles.

Every function answers None (never raises) when there is nothing to compute on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median as _median


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0."""
    return None if whole == 0 else part / whole


def wilson(successes: int, n: int, z: float) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (bounds in 0..1), or None when n is 0.

    Unlike the normal approximation it stays inside [0, 1] and behaves at 0/n and n/n.
    """
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def median(values: Sequence[float]) -> float | None:
    return None if not values else float(_median(values))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks
    (the usual spreadsheet/NumPy definition); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
