"""Progress: `progress`, `report`, `clinic overview`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from taperline.cli.base import (
    STATE,
    CliError,
    app,
    err,
    handles_errors,
    out,
)
from taperline.cli.people import clinic_app
from taperline.domain.errors import InvalidInput


@app.command("progress")
@handles_errors
def progress_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days back, today included (14-366).")] = 90,
    exposure: Annotated[
        str | None,
        typer.Option(
            help="Compare days with this exposure against days without: melatonin, magnesium, "
            "exercise, meditation, counseling, support_meeting, kratom_above."
        ),
    ] = None,
    outcome: Annotated[
        str,
        typer.Option(
            help="What to compare: sleep_onset_latency, sleep_efficiency, sleep_quality, "
            "total_sleep_time (that night), craving, sows (the next day)."
        ),
    ] = "sleep_onset_latency",
    threshold: Annotated[
        float | None,
        typer.Option(help="Minutes for exercise/meditation; the level for kratom_above."),
    ] = None,
) -> None:
    """Weekly summaries, change since the start, the relapse-risk signal, and an optional
    n-of-1 comparison (--exposure)."""
    from taperline.domain.progress.series import BY_ID
    from taperline.services import progress

    with STATE.work() as (session, actor):
        view = progress.progress(session, STATE.clock, actor, person, days=days)
        compared = (
            progress.compare(
                session,
                STATE.clock,
                actor,
                person,
                exposure=exposure,
                outcome=outcome,
                threshold=threshold,
                days=days,
            )
            if exposure is not None
            else None
        )
    built = view.series
    out.print(
        f"[bold]{view.name}[/] ({view.handle}), {built.start} to {built.end}: "
        f"daily check-ins on {built.checkin_days} of {len(built.days)} days."
    )
    table = Table("Measure", "Weeks with data", "First week", "Latest week")
    for metric, weeks in built.weeks.items():
        reported = [w for w in weeks if w.mean is not None]
        if reported:
            table.add_row(
                BY_ID[metric].label,
                str(len(reported)),
                f"{reported[0].mean:g} ({reported[0].days_reported} d)",
                f"{reported[-1].mean:g} ({reported[-1].days_reported} d)",
            )
    out.print(table)
    signal = view.risk
    out.print(
        f"Relapse-risk signal: [bold]{signal.label}[/] ({signal.score} points; not a validated "
        "prediction model)."
    )
    for factor in signal.factors:
        out.print(f"  • {factor.clinician_text} (+{factor.points})")
    if signal.not_assessed:
        out.print(f"  Not assessed (too little data): {', '.join(signal.not_assessed)}")
    if compared is not None:
        out.print(compared.summary)
        overall = compared.overall
        if overall.p_value is not None:
            out.print(f"  Permutation p = {overall.p_value:g} (seed {compared.seed}).")
        within = compared.within_steps
        if within is not None and within.difference is not None:
            out.print(
                f"  Within taper steps ({within.strata_used} steps): difference "
                f"{within.difference:+g}, 95% interval {within.low:+g} to {within.high:+g}, "
                f"p = {within.p_value:g}."
            )
        for warning in compared.warnings:
            out.print(f"  [yellow]Warning:[/] {warning}")


@app.command("report")
@handles_errors
def report_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    out_file: Annotated[Path, typer.Option("--out", help="Write the report to this file.")],
    kind: Annotated[
        str, typer.Option(help="visit (a clinician's summary) or progress (for the person).")
    ] = "visit",
    fmt: Annotated[str, typer.Option("--format", help="pdf or html.")] = "pdf",
) -> None:
    """A printable visit summary or progress report, as PDF or HTML."""
    from rich.progress import Progress

    from taperline.reports import printable
    from taperline.services import progress

    if fmt not in printable.FORMATS:
        raise InvalidInput("--format", "use pdf or html")
    if kind not in progress.REPORT_KINDS:
        raise InvalidInput("--kind", "use visit or progress")
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Reading the record", total=printable.STEPS + 1)
        with STATE.work() as (session, actor):
            data = progress.report_data(session, STATE.clock, actor, person, kind=kind)
        bar.update(task, advance=1, description="Drawing the plots")

        def step(label: str) -> None:
            bar.update(task, advance=1, description=label.capitalize())

        content = printable.build(data, fmt, step=step)
    try:
        out_file.write_bytes(content)
    except OSError as error:
        raise CliError(f"--out: cannot write {out_file}: {error.strerror}") from None
    out.print(f"Wrote the {kind} report for {data.handle} to {out_file} ({len(content):,} bytes).")


@clinic_app.command("overview")
@handles_errors
def clinic_overview_command(
    clinic: Annotated[
        str | None, typer.Option(help="The clinic (name or id); the operator only.")
    ] = None,
) -> None:
    """People per taper phase, retention, median change in SOWS and sleep, alert volumes."""
    from taperline.domain.progress.overview import PHASE_LABELS, Phase
    from taperline.services import clinic_overview

    with STATE.work() as (session, actor):
        found = clinic_overview.clinic_overview(session, STATE.clock, actor, clinic=clinic)
    result = found.overview
    out.print(f"[bold]{found.clinic}[/] on {found.today}: {result.people} people.")
    out.print(f"  Figures as of {found.as_of.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC.")
    for phase, count in result.phases.items():
        out.print(f"  {PHASE_LABELS[Phase(phase)]}: {count}")
    for retention in result.retention:
        share = "no one yet" if retention.share is None else f"{retention.share:.0%}"
        out.print(
            f"  Still checking in after {retention.days} days: {share} "
            f"({retention.retained} of {retention.eligible})"
        )
    for change in result.changes:
        median = "not enough data" if change.median is None else f"{change.median:+g}"
        out.print(
            f"  Median change in {change.metric} since start: {median} ({change.people} people)"
        )
    out.print(
        f"  Alerts in the last 30 days: {result.alerts_raised['urgent']} urgent, "
        f"{result.alerts_raised['warning']} warning; open now: {result.alerts_open['urgent']} "
        f"urgent, {result.alerts_open['warning']} warning."
    )
