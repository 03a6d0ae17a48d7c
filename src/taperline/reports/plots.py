"""Plots of a person's progress, drawn on the server with matplotlib's Agg/SVG canvases.

- matplotlib is imported lazily (inside `_figure`), so the CLI starts fast, and the Agg backend
  is set explicitly: no GUI, no pyplot state shared between requests.
- Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), and every
  series also has its own marker and line style, so the plots read in black-and-white print.
- Every plot comes with a text alternative generated from the same data (`Plot.alt`) and a
  small table of the values shown (`Plot.table`), for screen readers and for print.
- Output: SVG for pages (embedded as an <img> data URI: the page's CSP allows `img-src data:`
  and forbids inline styles, which matplotlib's SVG uses internally), PNG or PDF for print.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from taperline.domain.progress import nof1
from taperline.domain.progress.series import Day, PersonSeries

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design".
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
BLACK = "#000000"

Format = Literal["svg", "png", "pdf"]


@dataclass(frozen=True, slots=True)
class Plot:
    id: str
    title: str
    alt: str  # the text alternative, from the data
    data: bytes
    format: str
    table: tuple[tuple[str, ...], ...] = field(default=())  # header row, then rows

    @property
    def media_type(self) -> str:
        return {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}[self.format]

    @property
    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


def _figure(height: float = 3.2) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "taperline",  # stable ids: the same data draws the same SVG
            "svg.fonttype": "path",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from matplotlib.figure import Figure

    return Figure(figsize=(7.0, height), dpi=100, layout="constrained")


def _save(figure: Figure, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    metadata: dict[str, str | None] = (
        {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
    )
    figure.savefig(buffer, format=fmt, dpi=150 if fmt == "png" else 100, metadata=metadata)
    return buffer.getvalue()


def _values(series: PersonSeries, metric: str) -> list[float]:
    return [math.nan if v is None else v for v in series.values(metric)]


EPOCH = dt.date(1970, 1, 1)  # matplotlib's default date epoch: x is days since it


def _x(date: dt.date) -> float:
    return float((date - EPOCH).days)


def _dates(series: PersonSeries) -> list[float]:
    return [_x(day.date) for day in series.days]


def _count(values: Sequence[float]) -> int:
    return sum(not math.isnan(v) for v in values)


def _last(series: PersonSeries, metric: str) -> tuple[dt.date, float] | None:
    for day in reversed(series.days):
        value = day.get(metric)
        if value is not None:
            return day.date, value
    return None


def _fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _date_axis(axes: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.grid(True, axis="y", color="#bbbbbb", linewidth=0.5, linestyle=":")


def _daily_line(
    axes: Axes,
    dates: Sequence[float],
    values: Sequence[float],
    color: str,
    marker: str,
    label: str,
    *,
    linestyle: str = "-",
    linewidth: float = 1,
) -> None:
    """One value a day: a thin line with small markers (a missing day, NaN, is a gap)."""
    axes.plot(
        dates,
        values,
        color=color,
        marker=marker,
        markersize=3.5,
        linestyle=linestyle,
        linewidth=linewidth,
        label=label,
    )


def _span(series: PersonSeries) -> str:
    return f"{series.start.isoformat()} to {series.end.isoformat()}"


def _weekly_table(
    series: PersonSeries, metrics: Sequence[tuple[str, str]]
) -> tuple[tuple[str, ...], ...]:
    header = ("Week starting",) + tuple(f"{label} (mean, days)" for _, label in metrics)
    rows = []
    weeks = series.weeks[metrics[0][0]]
    for index, week in enumerate(weeks):
        cells = [week.start.isoformat()]
        for metric, _ in metrics:
            summary = series.weeks[metric][index]
            cells.append(
                "no data"
                if summary.mean is None
                else f"{_fmt(summary.mean)} ({summary.days_reported})"
            )
        rows.append(tuple(cells))
    return (header, *rows)


def dose(series: PersonSeries, fmt: Format = "svg") -> Plot:
    """Kratom logged against the taper target, with the steps."""
    unit = series.kratom_unit or ""
    dates = _dates(series)
    logged = _values(series, "kratom")
    target = _values(series, "target")
    figure = _figure()
    axes = figure.add_subplot()
    axes.step(
        dates,
        target,
        where="post",
        color=BLACK,
        linestyle="--",
        linewidth=1.5,
        label="Taper target",
    )
    _daily_line(axes, dates, logged, BLUE, "o", "Kratom logged")
    for step in series.steps:
        if series.start <= step.start <= series.end:
            axes.axvline(_x(step.start), color="#777777", linestyle=":", linewidth=0.8)
    axes.set_ylabel(f"Kratom a day ({unit})" if unit else "Kratom a day")
    axes.set_ylim(bottom=0)
    axes.set_title("Kratom taken and the taper target")
    axes.legend(loc="upper right", frameon=False)
    _date_axis(axes)
    reported = _count(logged)
    known_targets = [v for v in target if not math.isnan(v)]
    parts = [
        f"Kratom logged each day against the taper target, {_span(series)}.",
        f"Kratom was logged on {reported} of {len(dates)} days; days without a check-in are gaps.",
    ]
    if known_targets:
        parts.append(
            f"The target went from {_fmt(known_targets[0])} to {_fmt(known_targets[-1])} {unit} "
            f"a day over {len(series.steps)} taper steps shown as dotted lines."
        )
    else:
        parts.append("There is no taper target in the approved plan for this period.")
    last = _last(series, "kratom")
    if last is not None:
        parts.append(f"The latest logged amount was {_fmt(last[1])} {unit} on {last[0]}.")
    table = _weekly_table(series, (("kratom", f"Kratom ({unit})"),))
    return Plot(
        "dose", "Kratom and the taper target", " ".join(parts), _save(figure, fmt), fmt, table
    )


def withdrawal(series: PersonSeries, fmt: Format = "svg") -> Plot:
    """SOWS and craving over time, with COWS at visits."""
    dates = _dates(series)
    sows = _values(series, "sows")
    craving = _values(series, "craving")
    cows = _values(series, "cows")
    figure = _figure()
    axes = figure.add_subplot()
    _daily_line(axes, dates, sows, VERMILLION, "s", "Withdrawal (SOWS, 0-64)")
    axes.plot(
        dates,
        cows,
        color=BLACK,
        marker="D",
        markersize=5,
        linestyle="none",
        label="COWS at a visit (0-48)",
    )
    axes.set_ylabel("SOWS / COWS total")
    axes.set_ylim(bottom=0)
    right = axes.twinx()
    _daily_line(right, dates, craving, BLUE, "^", "Craving (0-10, right axis)", linestyle="--")
    right.set_ylim(0, 10.5)
    right.set_ylabel("Craving (0-10)")
    right.spines["right"].set_visible(True)
    handles = axes.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    axes.legend(handles=handles, loc="upper right", frameon=False)
    axes.set_title("Withdrawal and craving")
    _date_axis(axes)
    parts = [f"Withdrawal and craving, {_span(series)}."]
    for metric, values, label in (
        ("sows", sows, "SOWS"),
        ("craving", craving, "Craving"),
        ("cows", cows, "COWS"),
    ):
        count = _count(values)
        if not count:
            parts.append(f"{label}: no values in this period.")
            continue
        known = [v for v in values if not math.isnan(v)]
        last = _last(series, metric)
        assert last is not None
        parts.append(
            f"{label}: {count} values, from {_fmt(min(known))} to {_fmt(max(known))}; "
            f"first {_fmt(known[0])}, latest {_fmt(last[1])} on {last[0]}."
        )
    table = _weekly_table(series, (("sows", "SOWS"), ("craving", "Craving")))
    return Plot(
        "withdrawal", "Withdrawal and craving", " ".join(parts), _save(figure, fmt), fmt, table
    )


def sleep(series: PersonSeries, fmt: Format = "svg") -> Plot:
    """Sleep efficiency, and the minutes to fall asleep and awake in the night."""
    dates = _dates(series)
    efficiency = _values(series, "sleep_efficiency")
    latency = _values(series, "sleep_onset_latency")
    waso = _values(series, "wake_after_sleep_onset")
    figure = _figure(height=3.8)
    top, bottom = figure.subplots(2, 1, sharex=True)
    _daily_line(top, dates, efficiency, GREEN, "o", "Sleep efficiency (%)")
    top.set_ylim(0, 100)
    top.set_ylabel("Efficiency (%)")
    top.set_title("Sleep (each value is the night before that morning's diary)")
    top.legend(loc="lower right", frameon=False)
    _daily_line(bottom, dates, latency, ORANGE, "s", "Time to fall asleep (min)", linestyle="--")
    _daily_line(
        bottom,
        dates,
        waso,
        PURPLE,
        "^",
        "Time awake in the night (min)",
        linestyle=":",
        linewidth=1.2,
    )
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("Minutes")
    bottom.legend(loc="upper right", frameon=False)
    _date_axis(top)
    _date_axis(bottom)
    parts = [f"Sleep from the morning diary, {_span(series)}."]
    for metric, values, label, unit in (
        ("sleep_efficiency", efficiency, "Sleep efficiency", "%"),
        ("sleep_onset_latency", latency, "Time to fall asleep", " min"),
        ("wake_after_sleep_onset", waso, "Time awake in the night", " min"),
    ):
        known = [v for v in values if not math.isnan(v)]
        if not known:
            parts.append(f"{label}: no diary in this period.")
            continue
        last = _last(series, metric)
        assert last is not None
        parts.append(
            f"{label}: {len(known)} nights, mean {_fmt(sum(known) / len(known))}{unit}, "
            f"latest {_fmt(last[1])}{unit} on {last[0]}."
        )
    table = _weekly_table(
        series,
        (
            ("sleep_efficiency", "Efficiency %"),
            ("sleep_onset_latency", "To fall asleep, min"),
            ("wake_after_sleep_onset", "Awake, min"),
        ),
    )
    return Plot("sleep", "Sleep", " ".join(parts), _save(figure, fmt), fmt, table)


def comparison(days: Sequence[Day], result: nof1.Comparison, fmt: Format = "svg") -> Plot:
    """Both arms' values as dots, their means, and the difference with its 95% interval."""
    q = result.question
    arms = nof1.arms(days, q)
    figure = _figure(height=3.0)
    left, right = figure.subplots(1, 2, width_ratios=(2, 1))
    groups = (
        ("Without", arms.outcome[~arms.exposed], SKY, "o"),
        ("With", arms.outcome[arms.exposed], VERMILLION, "s"),
    )
    for position, (label, values, colour, marker) in enumerate(groups):
        spread = [position + 0.12 * ((i % 5) - 2) / 2 for i in range(len(values))]
        left.scatter(
            spread,
            values,
            color=colour,
            marker=marker,
            s=16,
            alpha=0.8,
            edgecolors=BLACK,
            linewidths=0.4,
            label=f"{label} ({len(values)} days)",
        )
        if len(values):
            left.hlines(values.mean(), position - 0.3, position + 0.3, color=BLACK, linewidth=2)
    left.set_xticks(
        [0, 1], [f"Without\n({groups[0][1].size} days)", f"With\n({groups[1][1].size} days)"]
    )
    left.set_xlim(-0.6, 1.6)
    left.set_ylabel(f"{q.outcome_text} ({q.outcome_unit})")
    left.set_title(f"Days with and without {q.exposure_text}", fontsize=9)
    estimate = result.overall
    if estimate.difference is not None and estimate.low is not None and estimate.high is not None:
        right.errorbar(
            [0],
            [estimate.difference],
            yerr=[[estimate.difference - estimate.low], [estimate.high - estimate.difference]],
            fmt="D",
            color=BLACK,
            capsize=6,
            markersize=6,
        )
    right.axhline(0, color="#777777", linestyle="--", linewidth=1)
    right.set_xticks([0], ["With minus\nwithout"])
    right.set_xlim(-1, 1)
    right.set_ylabel(f"Difference ({q.outcome_unit}), 95% interval")
    alt = result.summary
    if result.warnings:
        alt += " Warnings: " + " ".join(result.warnings)
    table = (
        ("Group", "Days", f"Mean ({q.outcome_unit})"),
        (
            "Without",
            str(result.unexposed_days),
            "none" if result.unexposed_mean is None else _fmt(result.unexposed_mean),
        ),
        (
            "With",
            str(result.exposed_days),
            "none" if result.exposed_mean is None else _fmt(result.exposed_mean),
        ),
    )
    return Plot("comparison", "Comparison", alt, _save(figure, fmt), fmt, table)


def progress_plots(series: PersonSeries, fmt: Format = "svg") -> list[Plot]:
    plots = [withdrawal(series, fmt), sleep(series, fmt)]
    if series.kratom_unit is not None:
        plots.insert(0, dose(series, fmt))
    return plots
