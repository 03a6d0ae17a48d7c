"""Reaching out: `worker`, `jobs`, `notifications`, `contact`, `sos`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from taperline.cli.base import STATE, CliError, app, handles_errors, out, print_json

jobs_app = typer.Typer(help="Background jobs: reminders, outreach, digests, emails.")
app.add_typer(jobs_app, name="jobs")


@app.command("worker")
@handles_errors
def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="Run every due job, then stop (cron, tests).")
    ] = False,
    poll: Annotated[
        float | None, typer.Option(help="Seconds between looks for due jobs (default: setting).")
    ] = None,
) -> None:
    """Run the background worker: reminders, missed-check-in outreach, digests and emails.

    Start as many as you like against one PostgreSQL database; each job runs once."""
    from taperline import logs, notifier
    from taperline.db.engine import reader_sessions
    from taperline.services.outreach import JobContext
    from taperline.worker import Worker

    logs.configure(STATE.settings)
    worker = Worker(
        STATE.sessions(),
        STATE.clock,
        JobContext(
            notifier.from_settings(STATE.settings),
            STATE.settings,
            reader_sessions(
                STATE.settings.resolved_database_url,
                sqlite_busy_timeout_ms=STATE.settings.sqlite_busy_timeout_ms,
            ),
        ),
        lease=dt.timedelta(seconds=STATE.settings.worker_lease_seconds),
    )
    if once:
        tally = worker.run_until_idle()
        out.print(
            f"Planned {tally.planned} job(s); done {tally.done}, to retry {tally.retried}, "
            f"given up {tally.dead}."
        )
        return
    worker.run_forever(poll or STATE.settings.worker_poll_seconds)


@jobs_app.command("list")
@handles_errors
def jobs_list(
    state: Annotated[str | None, typer.Option(help="queued, running, done or dead.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Jobs in the queue (operator only: it shows which accounts are reached, not what is said)."""
    from taperline.services import jobs

    if STATE.acting_as:
        raise CliError("jobs list is for the operator at the database's machine; drop --as")
    with STATE.work() as (session, _actor):
        rows = jobs.recent(session, state=state, limit=limit)
        counts = jobs.counts(session)
    if as_json:
        print_json({"counts": counts, "jobs": [row._asdict() for row in rows]})
        return
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "No jobs.")
    table = Table("id", "kind", "state", "run at", "attempts", "last error")
    for row in rows:
        table.add_row(
            str(row.id),
            row.kind,
            row.state,
            f"{row.run_at:%Y-%m-%d %H:%M} UTC",
            str(row.attempts),
            (row.last_error or "")[:60],
        )
    out.print(table)


@app.command("notifications")
@handles_errors
def notifications_command(
    unread: Annotated[bool, typer.Option("--unread", help="Only the unread ones.")] = False,
    mark_read: Annotated[
        bool, typer.Option("--mark-read", help="Mark them all as read after showing them.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your notifications (with --as HANDLE): reminders, alerts, digests, messages."""
    from taperline.services import notifications

    with STATE.work() as (session, actor):
        rows = notifications.inbox(session, STATE.clock, actor, unread_only=unread)
        listed = [
            {
                "id": n.id,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "link": n.link,
                "urgent": n.urgent,
                "created_at": n.created_at.isoformat(),
                "read": n.read_at is not None,
            }
            for n in rows
        ]
        if mark_read:
            notifications.mark_read(session, STATE.clock, actor)
    if as_json:
        print_json(listed)
        return
    if not listed:
        out.print("No notifications.")
    for item in listed:
        mark = "" if item["read"] else "[bold]• [/]"
        out.print(f"{mark}{item['title']}  [dim]{str(item['created_at'])[:16]}[/]")
        out.print(f"  {item['body']}")


@app.command("contact")
@handles_errors
def contact_command(
    handle: Annotated[str, typer.Argument(help="Whose preferences (your own handle with --as).")],
    email: Annotated[
        str | None, typer.Option(help="Email address; '' to remove it.", show_default=False)
    ] = None,
    emails: Annotated[
        bool | None, typer.Option("--emails/--no-emails", help="Send emails.")
    ] = None,
    details: Annotated[
        bool | None,
        typer.Option("--details/--no-details", help="Put the message itself in emails."),
    ] = None,
    reminders: Annotated[
        bool | None, typer.Option("--reminders/--no-reminders", help="Dose and check-in reminders.")
    ] = None,
    quiet: Annotated[
        str | None, typer.Option(help="Quiet hours, e.g. 22:00-07:00; '' for none.")
    ] = None,
) -> None:
    """Show or change how an account is reached: email, reminders, quiet hours."""
    from dataclasses import replace

    from taperline.domain.errors import InvalidInput
    from taperline.services import notifications, people

    with STATE.work() as (session, actor):
        user, current = notifications.contact_of(session, STATE.clock, actor, handle)
        if email is not None:
            user = people.set_email(session, STATE.clock, actor, handle, email or None)
        wanted = current
        if emails is not None:
            wanted = replace(wanted, email=emails)
        if details is not None:
            wanted = replace(wanted, email_details=details)
        if reminders is not None:
            wanted = replace(wanted, reminders=reminders)
        if quiet is not None:
            if quiet.strip() == "":
                wanted = replace(wanted, quiet_start=None, quiet_end=None)
            else:
                start, sep, end = quiet.partition("-")
                if not sep:
                    raise InvalidInput("--quiet", f"'{quiet}' is not a range like 22:00-07:00")
                wanted = replace(
                    wanted,
                    quiet_start=notifications.parse_clock_time(start, "--quiet"),
                    quiet_end=notifications.parse_clock_time(end, "--quiet"),
                )
        if wanted != current:
            wanted = notifications.set_preferences(session, STATE.clock, actor, handle, wanted)
        quiet_text = (
            f"{wanted.quiet_start:%H:%M}-{wanted.quiet_end:%H:%M}"
            if wanted.quiet_start and wanted.quiet_end
            else "none"
        )
        state = "on" if wanted.email else "off"
        out.print(
            f"{user.handle}: email {user.email or '(none)'}; emails {state}"
            f" ({'with the message' if wanted.email_details else 'a pointer only'}); reminders "
            f"{'on' if wanted.reminders else 'off'}; quiet hours {quiet_text}."
        )


@app.command("sos")
@handles_errors
def sos_command() -> None:
    """I need help now (with --as YOUR_HANDLE): shows what to do, alerts your care team."""
    from taperline.services import sos

    if not STATE.acting_as:
        raise CliError("sos is for a person about themself: run `taperline --as HANDLE sos`")
    with STATE.work() as (session, actor):
        result = sos.raise_sos(session, STATE.clock, actor, STATE.acting_as)
    told = ", ".join(result.told) or "your clinic"
    out.print(f"[bold red]Your care team ({told}) has an urgent alert from you now.[/]")
    out.print(result.steps.summary)
    out.print("[bold]If someone may have overdosed:[/]")
    for number, step in enumerate(result.steps.overdose, start=1):
        out.print(f"  {number}. {step}")
