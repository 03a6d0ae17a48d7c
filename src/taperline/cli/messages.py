"""Secure messages: `messages list|show|send` (with --as: a person, or one of their
clinicians)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from taperline.cli.base import STATE, CliError, app, handles_errors, out, print_json

messages_app = typer.Typer(help="Messages between a person and their care team.")
app.add_typer(messages_app, name="messages")


@messages_app.command("list")
@handles_errors
def list_command(
    handle: Annotated[str, typer.Argument(help="Whose conversations.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A person's conversations with their care team, latest first, with unread counts."""
    from taperline.services import messages

    with STATE.work() as (session, actor):
        rows = messages.threads(session, STATE.clock, actor, handle)
    if as_json:
        print_json(
            [
                {
                    "id": t.id,
                    "subject": t.subject,
                    "last_message_at": t.last_message_at.isoformat(),
                    "messages": t.messages,
                    "unread": t.unread,
                }
                for t in rows
            ]
        )
        return
    table = Table("id", "subject", "last message (UTC)", "messages", "unread")
    for t in rows:
        table.add_row(
            str(t.id), t.subject, f"{t.last_message_at:%Y-%m-%d %H:%M}", str(t.messages),
            str(t.unread) if t.unread else "-",
        )  # fmt: skip
    out.print(table)


@messages_app.command("show")
@handles_errors
def show_command(
    thread: Annotated[int, typer.Argument(help="The conversation id (see `messages list`).")],
) -> None:
    """Read a conversation (marks it read for you)."""
    from taperline.services import messages

    with STATE.work() as (session, actor):
        view = messages.open_thread(session, STATE.clock, actor, thread)
    out.print(f"[bold]{view.subject}[/] — {view.person_name} and {', '.join(view.care_team)}")
    for m in view.messages:
        flag = " [bold red](urgent words: alert raised)[/]" if m.urgent else ""
        out.print(f"\n[bold]{m.sender_name}[/] {m.sent_at:%Y-%m-%d %H:%M} UTC{flag}")
        out.print(m.body, markup=False, highlight=False)
        if m.mine and m.read_by:
            seen = ", ".join(f"{name} at {at:%Y-%m-%d %H:%M} UTC" for name, at in m.read_by)
            out.print(f"[dim]read by {seen}[/]")


@messages_app.command("send")
@handles_errors
def send_command(
    handle: Annotated[
        str | None, typer.Argument(help="Whose care (for a new conversation).")
    ] = None,
    body: Annotated[str, typer.Option(help="The message; '-' reads it from standard input.")] = "-",
    subject: Annotated[str | None, typer.Option(help="Starts a new conversation.")] = None,
    thread: Annotated[int | None, typer.Option(help="Reply in this conversation.")] = None,
) -> None:
    """Send a message (with --as): a new conversation (HANDLE and --subject) or a reply
    (--thread)."""
    from taperline.services import messages

    if (thread is None) == (subject is None):
        raise CliError("give either --thread (to reply) or HANDLE with --subject (to start one)")
    if thread is None and handle is None:
        raise CliError("a new conversation needs the person's HANDLE")
    text = sys.stdin.read() if body == "-" else body
    with STATE.work() as (session, actor):
        if thread is not None:
            sent = messages.reply(session, STATE.clock, actor, thread, text)
        else:
            assert handle is not None and subject is not None
            sent = messages.start_thread(session, STATE.clock, actor, handle, subject, text)
    out.print(f"Sent (conversation {sent.thread_id}, message {sent.message_id}).")
    for finding in sent.findings:
        out.print(f"[bold red]{finding.title}[/]: {finding.person_message}")
    if sent.steps:
        out.print(sent.steps.summary)
        out.print("[bold]If someone may have overdosed:[/]")
        for number, step in enumerate(sent.steps.overdose, start=1):
            out.print(f"  {number}. {step}")
