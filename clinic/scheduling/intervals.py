"""Busy intervals and start times on POSIX seconds, as the availability engine sweeps them: which
starts of a sorted list a resource's bookings leave free. No Flask, no database here."""

from __future__ import annotations

import bisect


class Busy:
    """Disjoint, sorted busy intervals of one resource (POSIX seconds), asked 'is [s, e) free?' with bisect."""

    __slots__ = ("starts", "ends")

    def __init__(self, intervals: list[tuple[float, float]]):
        merged: list[list[float]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def free(self, start: float, end: float) -> bool:
        # The first busy interval ending after `start`; [start, end) overlaps it when it starts before `end`.
        i = bisect.bisect_right(self.ends, start)
        return not (i < len(self.starts) and self.starts[i] < end)


def arange(first: float, last: float, step: int) -> list[float]:
    """first, first + step, ... up to last included (empty when last < first)."""
    count = int((last - first) // step) + 1 if last >= first else 0
    return [first + k * step for k in range(count)]


def taken_ranges(busy: Busy, starts: list[float], length: int) -> list[tuple[int, int]]:
    """For sorted starts, the index ranges [lo, hi) of those whose [start, start + length) meets a
    busy interval: one pair of bisections per busy interval in reach, whatever the number of starts
    (a day has a few dozen starts and a resource a handful of bookings on it)."""
    if not starts:
        return []
    begins, ends, n = busy.starts, busy.ends, len(busy.ends)
    last = starts[-1] + length
    ranges = []
    i = bisect.bisect_right(ends, starts[0])
    while i < n and begins[i] < last:
        # [s, s + length) meets [b0, b1) when b0 - length < s < b1.
        lo, hi = bisect.bisect_right(starts, begins[i] - length), bisect.bisect_left(starts, ends[i])
        if lo < hi:
            ranges.append((lo, hi))
        i += 1
    return ranges


def free_of(busy: Busy, starts: list[float], length: int) -> list[float]:
    """The sorted starts at which [start, start + length) is free of `busy`."""
    ranges = taken_ranges(busy, starts, length)
    if not ranges:
        return starts
    free: list[float] = []
    done = 0
    for lo, hi in ranges:
        if lo > done:
            free.extend(starts[done:lo])
        done = max(done, hi)
    free.extend(starts[done:])
    return free
