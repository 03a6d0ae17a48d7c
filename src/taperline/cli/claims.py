"""`taperline claims ...`: the evidence library and the claim checker, from the terminal."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from taperline.cli.base import app
from taperline.domain.errors import DomainError, InvalidInput
from taperline.domain.evidence.match import CheckReport, Status
from taperline.domain.evidence.model import Claim, Grade, Topic
from taperline.domain.evidence.report import GRADE_ORDER, claim_dict, worst_first
from taperline.knowledge import load
from taperline.services import evidence

claims_app = typer.Typer(
    help="The evidence library: what the evidence says about common claims, with sources.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")

GRADE_STYLES = {
    Grade.SUPPORTED: "bold green",
    Grade.PARTLY_SUPPORTED: "bold blue",
    Grade.LIMITED: "bold yellow",
    Grade.NO_EVIDENCE: "bold dark_orange",
    Grade.CONTRADICTED: "bold red",
}


def _handles_errors(function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except InvalidInput as error:
            err.print(f"[bold red]Error:[/] {escape(error.field)}: {escape(error.problem)}")
        except DomainError as error:
            err.print(f"[bold red]Error:[/] {escape(str(error))}")
        raise typer.Exit(code=2)

    return wrapper


def _grade(value: str | None) -> Grade | None:
    if value is None:
        return None
    try:
        return Grade(value.replace("-", " ").lower())
    except ValueError:
        choices = ", ".join(f"'{g.slug}'" for g in Grade)
        raise InvalidInput("--grade", f"'{value}' is not a grade; choose {choices}") from None


def _topic(value: str | None) -> Topic | None:
    if value is None:
        return None
    try:
        return Topic(value.lower())
    except ValueError:
        choices = ", ".join(t.value for t in Topic)
        raise InvalidInput("--topic", f"'{value}' is not a topic; choose {choices}") from None


def _badge(grade: Grade) -> str:
    return f"[{GRADE_STYLES[grade]}]{grade.label}[/]"


@claims_app.command("list")
@_handles_errors
def list_claims(
    grade: Annotated[
        str | None, typer.Option(help="Only this grade, e.g. contradicted or no-evidence.")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only this topic, e.g. kratom.")] = None,
    search: Annotated[str, typer.Option("--search", "-q", help="Words to look for.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the claims in the evidence library, with their grades."""
    claims = evidence.library().search(search, grade=_grade(grade), topic=_topic(topic))
    if as_json:
        references = load().references
        typer.echo(
            json.dumps([claim_dict(c, references) for c in claims], indent=2, ensure_ascii=False)
        )
        return
    table = Table("Claim id", "Grade", "Claim", show_lines=False)
    for claim in claims:
        table.add_row(claim.id, _badge(claim.grade), escape(claim.statement))
    out.print(table)
    out.print(f"{len(claims)} claim(s). Show one with: taperline claims show ID")


def _print_claim(claim: Claim) -> None:
    references = load().references
    out.print(f"[bold]{escape(claim.statement)}[/]  {_badge(claim.grade)}")
    out.print(f"id {claim.id} · topics {', '.join(t.value for t in claim.topics)}")
    out.print(escape(claim.explanation))
    if claim.sources_silent:
        out.print(
            "The sources we reviewed are silent on this claim, so it is graded 'no evidence'."
        )
    if claim.unverified:
        out.print(f"[bold]UNVERIFIED:[/] {escape(claim.unverified)}")
    if claim.instead:
        out.print(f"[bold]What to do instead:[/] {escape(claim.instead)}")
    out.print(f"Sources (reviewed {claim.reviewed.isoformat()}):")
    for citation in claim.citations:
        ref = references[citation]
        ids = ref.identifiers
        flag = " (UNVERIFIED)" if ref.status.value == "unverified" else ""
        out.print(f"  - {escape(ref.text)}{flag} {escape(ids)}".rstrip())
    out.print("Also said as: " + "; ".join(f'"{escape(p)}"' for p in claim.phrasings))


@claims_app.command("show")
@_handles_errors
def show_claim(
    claim_id: Annotated[str, typer.Argument(metavar="ID", help="A claim id from `claims list`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one claim: its grade, the explanation, what to do instead and the sources."""
    claim = evidence.get_claim(claim_id)
    if as_json:
        typer.echo(json.dumps(claim_dict(claim, load().references), indent=2, ensure_ascii=False))
        return
    _print_claim(claim)


def _read(file: str, kind: str) -> tuple[str, str]:
    if file == "-":
        raw, name = sys.stdin.read(), "stdin"
    else:
        path = Path(file)
        if not path.is_file():
            raise InvalidInput("FILE", f"there is no file at {file}")
        try:
            raw, name = path.read_text(encoding="utf-8"), path.name
        except UnicodeDecodeError:
            raise InvalidInput("FILE", f"{file} is not UTF-8 text") from None
    try:
        chosen = evidence.guess_format(name, raw) if kind == "auto" else evidence.Format(kind)
    except ValueError:
        raise InvalidInput("--format", "choose auto, text, markdown or html") from None
    return evidence.to_text(raw, chosen), name


def _print_report(report: CheckReport, name: str) -> None:
    claims = report.claims
    out.print(
        f"[bold]{escape(name)}[/]: {len(report.results)} sentences, "
        f"{len(claims)} health claim(s) (method: {report.method})."
    )
    summary = ", ".join(
        f"{report.counts[g.value]} {g.value}" for g in GRADE_ORDER if report.counts[g.value]
    )
    not_assessed = report.counts[Status.NOT_ASSESSED.value]
    if not_assessed:
        summary += f"{', ' if summary else ''}{not_assessed} not in the library (not graded)"
    if summary:
        out.print(summary + ".")
    for result in worst_first(claims):
        out.print()
        out.print(f'[bold]"{escape(result.sentence.text)}"[/]')
        if result.match is None:
            out.print(
                "  [bold]Not in the library — not graded[/]: a health claim the library "
                "does not cover, so it has no grade. Ask your clinician about it."
            )
            continue
        claim = result.match.claim
        out.print(
            f"  {_badge(claim.grade)} · matches: {escape(claim.statement)} "
            f"[dim](confidence {result.match.confidence.value}, score {result.match.score:.2f}, "
            f"id {claim.id})[/]"
        )
        if result.match.opposite:
            out.print("  This sentence may say the opposite of the claim; read with care.")
        out.print(f"  {escape(claim.explanation)}")
        if claim.instead:
            out.print(f"  What to do instead: {escape(claim.instead)}")
        out.print(f"  Sources: {', '.join(claim.citations)} (taperline claims show {claim.id})")
    out.print()
    out.print(
        "[dim]Grades come from the sources with each claim; matching is automatic and can be "
        "wrong. This is not medical advice: talk to your clinician.[/]"
    )


@claims_app.command("check")
@_handles_errors
def check_claims(
    file: Annotated[str, typer.Argument(help="Plain text, Markdown or HTML; - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write an HTML report here.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="lexical (default), embedding or combined (needs the extra).")
    ] = "lexical",
    kind: Annotated[
        str, typer.Option("--format", help="auto (by extension), text, markdown or html.")
    ] = "auto",
) -> None:
    """Find the health claims in a text and say what the evidence says about each."""
    text, name = _read(file, kind)
    report = evidence.check(text, method)
    if html is not None:
        try:
            html.write_text(evidence.html_report(report, title=f"Claim check: {name}"), "utf-8")
        except OSError as error:
            raise InvalidInput("--html", f"cannot write {html}: {error.strerror}") from None
    if as_json:
        typer.echo(json.dumps(evidence.as_json(report), indent=2, ensure_ascii=False))
        return
    _print_report(report, name)
    if html is not None:
        out.print(f"HTML report written to {html}")


app.add_typer(claims_app, name="claims")
