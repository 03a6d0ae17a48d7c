"""Plans and tapers: `plan draft|approve|show|versions|diff|pause|replan`, `taper preview`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from taperline.cli.base import (
    STATE,
    app,
    handles_errors,
    out,
    parse_date,
    print_findings,
    read_json,
)
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.schemas import parse
from taperline.services import people as people_service

plan_app = typer.Typer(
    help="Plans: draft, review, approve, compare, pause, re-plan.", no_args_is_help=True
)
taper_app = typer.Typer(help="Taper schedules.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
app.add_typer(taper_app, name="taper")


def _print_review(review: Any, *, audience: str = "clinician", draft: bool = True) -> None:
    from taperline.services.plans import PlanReview

    assert isinstance(review, PlanReview)
    content = review.content
    for item in content.items:
        from taperline.domain.plans import describe_item

        out.print(f"• {describe_item(item)}")
    schedule = review.schedule
    if schedule is not None:
        from taperline.domain.plans import describe_taper

        out.print(f"Taper: {describe_taper(content.taper)}")
        table = Table("step", "from", "to", "a day", "doses", "cut", "pace")
        for step_review in review.steps:
            step = step_review.step
            pace = ", ".join(f.rule_id for f in step_review.findings if f.severity.rank >= 2)
            held = f" (+{step.held_days} d held)" if step.held_days else ""
            table.add_row(
                str(step.number),
                step.start.isoformat(),
                step.end.isoformat() + held,
                str(step.daily),
                " / ".join(f"{t.strftime('%H:%M')} {a}" for t, a in step.doses),
                str(step.cut),
                f"[red]{pace}[/]" if pace else "ok",
            )
        out.print(table)
        for note in schedule.notes:
            out.print(f"[dim]{note}[/]")
    activities = content.activities
    goals = [
        (activities.exercise_minutes_per_week, "min exercise a week"),
        (activities.meditation_minutes_per_day, "min meditation a day"),
        (activities.counseling_sessions_per_week, "counseling session(s) a week"),
        (activities.support_meetings_per_week, "support meeting(s) a week"),
    ]
    shown = [f"{value} {label}" for value, label in goals if value]
    if activities.wake_time:
        shown.append(f"up at {activities.wake_time.strftime('%H:%M')}")
    if shown:
        out.print("Activities: " + "; ".join(shown))
    for goal in content.goals:
        out.print(f"Goal: {goal}")
    findings = list(review.findings) + [
        f
        for s in review.steps
        for f in s.findings
        if f.rule_id not in {x.rule_id for x in review.findings}
    ]
    unique = {f.rule_id: f.to_dict() for f in findings}
    print_findings(list(unique.values()), audience=audience)
    if audience == "clinician" and draft and review.needs_acknowledging:
        out.print(
            "[bold]To approve, acknowledge:[/] "
            + " ".join(f"--acknowledge {rule}" for rule in review.needs_acknowledging)
        )


def _plan_input(path: Path) -> Any:
    from taperline.schemas.plans import PlanInput

    data = read_json(path)
    if not isinstance(data, dict):
        raise InvalidInput("--input", "must hold one JSON object (see docs/plans.md)")
    return parse(PlanInput, data)


@taper_app.command("preview")
@handles_errors
def taper_preview(
    input_file: Annotated[Path, typer.Option("--input", help="A plan as JSON (docs/plans.md).")],
    person: Annotated[
        str | None, typer.Option(help="Check against this person's conditions and medications.")
    ] = None,
) -> None:
    """Print the schedule and any findings before anything is saved."""
    from taperline.services import person_facts, plans

    data = _plan_input(input_file)
    if person is None:
        _print_review(plans.review(data))
        return
    with STATE.work() as (session, actor):
        subject = people_service.show_person(session, STATE.clock, actor, person)
        profile = person_facts.profile_of(session, subject.id)
    _print_review(plans.review(data, profile=profile))


@plan_app.command("draft")
@handles_errors
def plan_draft(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    input_file: Annotated[Path, typer.Option("--input", help="A plan as JSON (docs/plans.md).")],
    note: Annotated[str, typer.Option(help="Why this version.")] = "",
) -> None:
    """Save a new draft version of a person's plan and show its safety review."""
    from taperline.services import plans

    data = _plan_input(input_file)
    with STATE.work() as (session, actor):
        view = plans.draft(session, STATE.clock, actor, person, data, note)
    out.print(f"Saved draft version {view.number} for {person}.")
    _print_review(view.review)


@plan_app.command("approve")
@handles_errors
def plan_approve(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    version: Annotated[int, typer.Option(help="The draft version to approve.")],
    acknowledge: Annotated[
        list[str] | None, typer.Option(help="A warning's rule id you have reviewed (repeatable).")
    ] = None,
) -> None:
    """Approve a draft (a clinician who cares for the person, with --as)."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        view = plans.approve(session, STATE.clock, actor, person, version, list(acknowledge or ()))
    out.print(f"Approved version {view.number} for {person}; the person now sees this plan.")


@plan_app.command("show")
@handles_errors
def plan_show(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    version: Annotated[
        int | None, typer.Option(help="A version number (default: approved).")
    ] = None,
) -> None:
    """Show the approved plan (or a given version) with its schedule and review."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        view = plans.show(session, STATE.clock, actor, person, version)
        subject = people_service.find_user(session, person)
        suggestions = (
            plans.hold_suggestions(session, subject.id) if actor.role is not Role.PERSON else []
        )
    by = f" by {view.approved_by}" if view.approved_by else ""
    out.print(f"[bold]{person}: plan version {view.number}[/] ({view.status}{by})")
    if view.note:
        out.print(f"[dim]{view.note}[/]")
    _print_review(
        view.review,
        audience="person" if actor.role is Role.PERSON else "clinician",
        draft=view.status == "draft",
    )
    if view.acknowledged:
        out.print(f"[dim]Approved with acknowledged warnings: {', '.join(view.acknowledged)}[/]")
    for suggestion in suggestions:
        out.print(f"[yellow]Suggestion:[/] {suggestion.replace('PERSON', person)}")


@plan_app.command("versions")
@handles_errors
def plan_versions(person: Annotated[str, typer.Argument(help="The person's handle.")]) -> None:
    """List a person's plan versions."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        rows = plans.versions(session, STATE.clock, actor, person)
    table = Table("version", "status", "created")
    for number, status, created in rows:
        table.add_row(str(number), status, created.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@plan_app.command("diff")
@handles_errors
def plan_diff(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    old: Annotated[int, typer.Argument(help="The earlier version.")],
    new: Annotated[int, typer.Argument(help="The later version.")],
) -> None:
    """What changed between two versions."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        changes = plans.compare(session, STATE.clock, actor, person, old, new)
    if not changes:
        out.print("No changes.")
    for change in changes:
        out.print(f"• {change}")


@plan_app.command("pause")
@handles_errors
def plan_pause(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days to hold the current step.")],
    start: Annotated[str | None, typer.Option(help="From this date (default: today).")] = None,
) -> None:
    """Draft a pause (hold the current step); approve it to take effect."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        begin = (
            parse_date(start, "--start")
            if start
            else people_service.local_today(people_service.find_user(session, person), STATE.clock)
        )
        view = plans.pause(session, STATE.clock, actor, person, begin, days)
    out.print(f"Saved draft version {view.number}: hold for {days} days from {begin}.")
    _print_review(view.review)


@plan_app.command("replan")
@handles_errors
def plan_replan(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="Average the last N days of logs.")] = 7,
) -> None:
    """Draft a new taper from the person's actual recent amount; approve it to take effect."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        view = plans.replan(session, STATE.clock, actor, person, days=days)
    out.print(f"Saved draft version {view.number}. {view.note}")
    _print_review(view.review)
