"""Printable reports: a clinician's visit summary and a person's progress report, as HTML
(Jinja2) or PDF (WeasyPrint, which needs the system's Pango). Thin: the data comes from
`services.progress.report_data`, already authorised and audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape

from taperline.domain.errors import InvalidInput
from taperline.domain.progress import risk, series
from taperline.reports import plots
from taperline.services import safety
from taperline.services.progress import ReportData

ReportFormat = Literal["html", "pdf"]
FORMATS = ("html", "pdf")
STEPS = 5  # plots (3), html, pdf: for a progress bar

_ENV = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# Report CSP for the HTML served on the web: the report is one self-contained document with
# its own <style>, data-URI images and no script at all.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _change_rows(
    changes: tuple[series.Change, ...], kratom_unit: str | None
) -> list[dict[str, str]]:
    rows = []
    for change in changes:
        metric = series.BY_ID[change.metric]
        sign = "+" if change.difference > 0 else ""
        rows.append(
            {
                "label": metric.label,
                "baseline": f"{change.baseline:g}",
                "latest": f"{change.latest:g}",
                "change": f"{sign}{change.difference:.2f}".rstrip("0").rstrip("."),
                "unit": (kratom_unit or "") if metric.id == "kratom" else metric.unit,
                "days": f"{change.baseline_days} / {change.latest_days}",
            }
        )
    return rows


def _alert_groups(data: ReportData) -> list[dict[str, str]]:
    """Open alerts, one row per severity and title: the same rule on many days is one row."""
    groups: dict[tuple[str, str], list[safety.AlertView]] = {}
    for alert in data.alerts:
        groups.setdefault((alert.severity, alert.title), []).append(alert)
    rank = {"urgent": 0, "warning": 1}
    rows = []
    for (severity, title), alerts in sorted(
        groups.items(), key=lambda item: (rank.get(item[0][0], 2), item[0][1])
    ):
        days = sorted(alert.day for alert in alerts)
        when = (
            days[0].isoformat()
            if len(days) == 1
            else f"{len(days)} days, {days[0].isoformat()} to {days[-1].isoformat()}"
        )
        statuses = ", ".join(sorted({alert.status for alert in alerts}))
        rows.append(
            {"severity": severity.capitalize(), "title": title, "when": when, "status": statuses}
        )
    return rows


def render_html(
    data: ReportData, *, fmt: plots.Format = "svg", step: Callable[[str], None] | None = None
) -> str:
    tick = step or (lambda _label: None)
    figures = []
    view = data.progress
    for draw in (plots.dose, plots.withdrawal, plots.sleep):
        if draw is plots.dose and view.series.kratom_unit is None:
            tick("no taper: no dose plot")
            continue
        figures.append(draw(view.series, fmt))
        tick(f"plot: {figures[-1].title}")
    template = _ENV.get_template("report.html")
    html = template.render(
        data=data,
        view=view,
        series=view.series,
        figures=figures,
        since_start=_change_rows(view.series.since_start, view.series.kratom_unit),
        since_visit=_change_rows(view.series.since_visit, view.series.kratom_unit),
        risk=view.risk,
        alerts=_alert_groups(data),
        risk_rules=risk.RULES,
        labels=series.BY_ID,
    )
    tick("html")
    return html


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=".").write_pdf()
    return pdf


def build(data: ReportData, fmt: str, *, step: Callable[[str], None] | None = None) -> bytes:
    """The report as bytes in `fmt` ("html" or "pdf")."""
    if fmt not in FORMATS:
        raise InvalidInput("format", "use html or pdf")
    html = render_html(data, fmt="svg", step=step)
    if fmt == "html":
        if step:
            step("done")
        return html.encode()
    pdf = render_pdf(html)
    if step:
        step("pdf")
    return pdf
