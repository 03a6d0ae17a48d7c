"""What is planned against what happened: `adherence`, `today`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from taperline.cli.base import (
    STATE,
    app,
    handles_errors,
    out,
    parse_date,
    print_json,
)


@app.command("adherence")
@handles_errors
def adherence_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days back, today included.")] = 14,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Kratom against the plan day by day, melatonin timing, magnesium spacing, activities."""
    from taperline.services import adherence

    with STATE.work() as (session, actor):
        report = adherence.report(session, STATE.clock, actor, person, days=days)
    kratom = report.kratom
    if as_json:
        print_json(
            {
                "person": report.person,
                "start": report.start,
                "end": report.end,
                "current_streak": kratom.current_streak,
                "longest_streak": kratom.longest_streak,
                "counts": {str(k): v for k, v in kratom.counts.items()},
                "days": [
                    {
                        "date": d.date,
                        "target": str(d.target) if d.target else None,
                        "logged": str(d.logged) if d.logged is not None else None,
                        "difference": str(d.difference) if d.difference else None,
                        "status": str(d.status),
                        "note": d.note,
                    }
                    for d in kratom.days
                ],
                "melatonin": [
                    {
                        "date": m.date,
                        "taken": m.taken,
                        "status": str(m.status),
                        "minutes_before_bedtime": m.minutes_before_bedtime,
                    }
                    for m in report.melatonin
                ],
                "magnesium_spacing": [
                    {
                        "date": c.date,
                        "other": c.other,
                        "ok": c.ok,
                        "minutes_apart": c.minutes_apart,
                        "advice": c.spacing,
                    }
                    for c in report.magnesium
                ],
                "activities": [
                    {
                        "week_start": w.week_start,
                        "days_unknown": w.days_unknown,
                        "exercise_minutes": [w.exercise_minutes.done, w.exercise_minutes.target],
                        "meditation_minutes": [
                            w.meditation_minutes.done,
                            w.meditation_minutes.target,
                        ],
                        "counseling_sessions": [
                            w.counseling_sessions.done,
                            w.counseling_sessions.target,
                        ],
                        "support_meetings": [w.support_meetings.done, w.support_meetings.target],
                    }
                    for w in report.activities
                ],
            }
        )
        return
    table = Table(
        "date",
        "target",
        "logged",
        "difference",
        "status",
        title=f"{person}: kratom against the plan",
    )
    style = {"on_target": "green", "above": "red", "below": "yellow"}
    for d in kratom.days:
        status = str(d.status)
        table.add_row(
            d.date.isoformat(),
            str(d.target) if d.target else "—",
            str(d.logged) if d.logged is not None else "unknown",
            str(d.difference) if d.difference else "—",
            f"[{style.get(status, 'dim')}]{status.replace('_', ' ')}[/]",
        )
    out.print(table)
    out.print(
        f"On target {kratom.counts.get(adherence_status('on_target'), 0)} "
        f"of {len(kratom.days)} days; "
        f"current streak {kratom.current_streak}, longest {kratom.longest_streak}. "
        "Days without a check-in are unknown, not zero."
    )
    if report.melatonin:
        taken = [m for m in report.melatonin if m.taken]
        planned = [m for m in taken if str(m.status) == "as_planned"]
        out.print(
            f"Melatonin: taken on {len(taken)} of {len(report.melatonin)} days, "
            f"{len(planned)} at the planned time."
        )
    for check in report.magnesium:
        if not check.ok:
            out.print(
                f"[yellow]Spacing[/] {check.date}: magnesium "
                f"{check.magnesium_time.strftime('%H:%M')} "
                f"and {check.other} {check.other_time.strftime('%H:%M')}: {check.spacing}."
            )
    for week in report.activities:
        parts = [
            f"{label} {tally.done}/{tally.target}"
            for label, tally in (
                ("exercise min", week.exercise_minutes),
                ("meditation min", week.meditation_minutes),
                ("counseling", week.counseling_sessions),
                ("support meetings", week.support_meetings),
            )
            if tally.target
        ]
        if parts:
            unknown = f" ({week.days_unknown} days unknown)" if week.days_unknown else ""
            out.print(f"Week of {week.week_start}: " + ", ".join(parts) + unknown)


def adherence_status(name: str) -> Any:
    from taperline.domain.adherence import KratomStatus

    return KratomStatus(name)


@app.command("today")
@handles_errors
def today_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    date: Annotated[str | None, typer.Option(help="Another day (YYYY-MM-DD).")] = None,
) -> None:
    """What is due today: doses, check-ins, visits and activities from the approved plan."""
    from taperline.services import calendar

    with STATE.work() as (session, actor):
        day, items = calendar.due_today(
            session, STATE.clock, actor, person, parse_date(date, "--date") if date else None
        )
    out.print(f"[bold]{person}: due on {day.strftime('%A %d %B %Y')}[/]")
    for item in items:
        when = item.at.strftime("%H:%M") if item.at else "any time"
        detail = f" [dim]({item.detail})[/]" if item.detail else ""
        out.print(f"  {when:>8}  {item.title}{detail}")
