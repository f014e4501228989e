"""Server-rendered SVG charts: the geometry is computed here, templates/outcomes/_chart.html draws it.

A chart is a list of shapes (rect, line, text) with a CSS class, attributes and an optional
<title> (read by screen readers and shown on hover). No script, no inline style.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from clinic.dates import format_day
from clinic.outcomes import reference
from clinic.outcomes.services import MOMENTS, Report

WIDTH, HEIGHT = 600, 340
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 48, 84
LINE_CHARS = 22


@dataclass
class Shape:
    tag: str
    cls: str
    attrs: dict[str, str]
    text: str = ""
    title: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class Chart:
    ident: str
    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT
    shapes: list[Shape] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)

    def add(self, tag: str, cls: str, text: str = "", title: str = "", **attrs: float | str) -> None:
        self.shapes.append(Shape(tag, cls, {k.replace("_", "-"): _fmt(v) for k, v in attrs.items()}, text, title))


def _fmt(v: float | str) -> str:
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.0f}%"


class _Frame:
    """Plot area and value-to-pixel scale on a 0..top vertical axis."""

    def __init__(self, top_value: float, n: int):
        self.top_value = top_value
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.band = self.plot_w / max(n, 1)

    def y(self, value: float) -> float:
        return TOP + self.plot_h * (1 - value / self.top_value)

    def centre(self, i: int) -> float:
        return LEFT + self.band * (i + 0.5)


def _axes(chart: Chart, frame: _Frame, ticks: list[tuple[float, str]], y_label: str, x_label: str) -> None:
    chart.add("text", "chart-title", chart.title, x=LEFT, y=24)
    for value, label in ticks:
        y = frame.y(value)
        chart.add("line", "grid", x1=LEFT, x2=WIDTH - RIGHT, y1=y, y2=y)
        chart.add("text", "tick", label, x=LEFT - 8, y=y + 4, text_anchor="end")
    chart.add("line", "axis", x1=LEFT, x2=LEFT, y1=TOP, y2=TOP + frame.plot_h)
    chart.add("line", "axis", x1=LEFT, x2=WIDTH - RIGHT, y1=TOP + frame.plot_h, y2=TOP + frame.plot_h)
    chart.add("text", "axis-label", y_label, x=16, y=TOP + frame.plot_h / 2, text_anchor="middle",
              transform=f"rotate(-90 16 {TOP + frame.plot_h / 2:.1f})")
    chart.add("text", "axis-label", x_label, x=LEFT + frame.plot_w / 2, y=HEIGHT - 8, text_anchor="middle")


def wrap(label: str, width: int = LINE_CHARS, max_lines: int = 2) -> list[str]:
    """Words of a label on at most `max_lines` lines of about `width` characters (… when cut)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip(" ,") + "…"
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]


def _x_label(chart: Chart, frame: _Frame, i: int, label: str) -> None:
    x = frame.centre(i)
    chart.add("text", "x-label", title=label, x=x, y=TOP + frame.plot_h + 18, text_anchor="middle")
    chart.shapes[-1].lines = wrap(label)


def responder_chart(report: Report, labels: dict[str, str], group_label: str) -> Chart:
    """Responder rate per group: a bar, its 95% interval as a whisker, the published range as a band."""
    rows = report.rows
    chart = Chart("chart-responders", _("Responder rate by %(group)s", group=group_label.lower()),
                  _("Share of evaluable cases with at least %(pct)s%% relief at follow-up; whiskers show the 95%% "
                    "confidence interval; shaded bands show the published range.", pct=format(reference.min_relief() * 100, ".0f")))
    frame = _Frame(1.0, len(rows))
    _axes(chart, frame, [(v / 100, f"{v}%") for v in (0, 25, 50, 75, 100)], _("Responders (%)"),
          group_label)
    bar_w = min(56.0, frame.band * 0.45)
    for i, row in enumerate(rows):
        cx, label = frame.centre(i), labels.get(row.key, row.key)
        _x_label(chart, frame, i, label)
        if row.published:
            pub = row.published
            chart.add("rect", "band", x=cx - frame.band * 0.4, width=frame.band * 0.8, y=frame.y(pub.high / 100),
                      height=frame.y(pub.low / 100) - frame.y(pub.high / 100),
                      title=_("Published range %(low)s–%(high)s%% (%(source)s)", low=format(pub.low, ".0f"),
                              high=format(pub.high, ".0f"), source=pub.source))
        if row.responder_rate is None or row.ci is None:
            chart.add("text", "no-data", _("no follow-up"), x=cx, y=TOP + frame.plot_h - 6, text_anchor="middle")
            continue
        y = frame.y(row.responder_rate)
        chart.add("rect", "bar", x=cx - bar_w / 2, y=y, width=bar_w, height=TOP + frame.plot_h - y,
                  title=_("%(label)s: %(rate)s responders (%(n)s of %(d)s), 95%% CI %(low)s–%(high)s", label=label,
                          rate=_pct(row.responder_rate), n=row.responders, d=row.evaluable,
                          low=_pct(row.ci[0]), high=_pct(row.ci[1])))
        low, high = frame.y(row.ci[0]), frame.y(row.ci[1])
        chart.add("line", "whisker", x1=cx, x2=cx, y1=low, y2=high)
        for yy in (low, high):
            chart.add("line", "whisker", x1=cx - 8, x2=cx + 8, y1=yy, y2=yy)
        chart.add("text", "value", _pct(row.responder_rate), x=cx + bar_w / 2 + 4, y=y + 14)
    chart.legend = [("bar", _("Responder rate")), ("whisker", _("%(level)s confidence interval", level="95%")),
                    ("band", _("Published range"))]
    return chart


def pain_chart(report: Report) -> Chart:
    """Median pain score (0–10) before, after, at day 7 and at day 14, over every case of the report."""
    names = {"before": _("Before"), "after": _("After"), "day7": _("Day 7"), "day14": _("Day 14")}
    chart = Chart("chart-pain", _("Median pain score over time"),
                  _("Median pain score (0 to 10) before the procedure, at discharge, at day 7 and at day 14."))
    frame = _Frame(10.0, len(MOMENTS))
    _axes(chart, frame, [(v, str(v)) for v in (0, 2, 4, 6, 8, 10)], _("Pain score (0–10)"), _("Moment"))
    bar_w = min(64.0, frame.band * 0.5)
    medians = report.total.pain_medians
    for i, moment in enumerate(MOMENTS):
        cx, value = frame.centre(i), medians.get(moment)
        _x_label(chart, frame, i, names[moment.value])
        if value is None:
            chart.add("text", "no-data", _("no scores"), x=cx, y=TOP + frame.plot_h - 6, text_anchor="middle")
            continue
        y = frame.y(value)
        chart.add("rect", f"bar moment-{moment.value}", x=cx - bar_w / 2, y=y, width=bar_w,
                  height=TOP + frame.plot_h - y, title=_("%(moment)s: median %(value)s", moment=names[moment.value],
                                                         value=format(value, "g")))
        chart.add("text", "value", f"{value:g}", x=cx, y=y - 6, text_anchor="middle")
    return chart


def delivery_chart(per_day: dict[dt.date, dict[str, int]], labels: dict[str, str]) -> Chart:
    """Reminders per day, stacked by outcome (sent, pending, retrying, failed)."""
    days, language = sorted(per_day), str(get_locale())
    chart = Chart("chart-delivery", _("Reminders per day"),
                  _("Reminders per local day of sending, stacked: sent, pending, retrying, failed."))
    peak = max([sum(c.values()) for c in per_day.values()] or [0])
    top = max(4, -(-peak // 4) * 4)
    frame = _Frame(float(top), len(days))
    _axes(chart, frame, [(top * k / 4, f"{top * k // 4}") for k in range(5)], _("Reminders"), _("Day"))
    bar_w = min(40.0, frame.band * 0.6)
    for i, day in enumerate(days):
        cx, base = frame.centre(i), 0
        if len(days) <= 16 or i % max(1, len(days) // 12) == 0:
            _x_label(chart, frame, i, format_skeleton("MMMd", day, locale=language))
        for name, count in per_day[day].items():
            if count:
                y0, y1 = frame.y(base), frame.y(base + count)
                chart.add("rect", f"bar status-{name}", x=cx - bar_w / 2, y=y1, width=bar_w, height=y0 - y1,
                          title=f"{format_day(day, 'medium', language)} · {labels[name]}: {count}")
                base += count
    chart.legend = [(f"status-{name}", label) for name, label in labels.items()]
    return chart
