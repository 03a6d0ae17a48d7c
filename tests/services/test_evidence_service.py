"""The evidence shell: HTML and Markdown to text, formats, and clear errors."""

from __future__ import annotations

import pytest

from taperline.domain.errors import InvalidInput
from taperline.services import evidence


def test_html_keeps_visible_text_and_one_paragraph_per_block() -> None:
    text = evidence.html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body><h1>Sleep</h1>"
        "<p>Kratom helps\nyou <b>sleep</b>.</p><script>alert(1)</script><ul><li>One</li></ul>"
        "</body></html>"
    )
    assert text == "Sleep\n\nKratom helps you sleep.\n\nOne"


def test_markdown_and_format_guessing() -> None:
    assert evidence.markdown_to_text("# Title\n\nMelatonin **works**\nwell.") == (
        "Title\n\nMelatonin works well."
    )
    assert evidence.guess_format("a.md", "") is evidence.Format.MARKDOWN
    assert evidence.guess_format("a.htm", "") is evidence.Format.HTML
    assert evidence.guess_format("stdin", "<p>x</p>") is evidence.Format.HTML
    assert evidence.guess_format("notes.txt", "plain") is evidence.Format.TEXT


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InvalidInput) as empty:
        evidence.check(" \n ")
    assert empty.value.field == "text"
    with pytest.raises(InvalidInput) as long:
        evidence.check("x" * (evidence.MAX_TEXT + 1))
    assert long.value.field == "text"
    with pytest.raises(InvalidInput) as method:
        evidence.matcher("telepathy")
    assert method.value.field == "method"


def test_notes_for_a_checkin_follow_what_was_taken_and_done() -> None:
    import datetime as dt

    from taperline.schemas.checkins import CheckinCreate

    submission = CheckinCreate.model_validate(
        {
            "date": dt.date(2026, 3, 1),
            "doses": [{"category": "melatonin", "amount": "3", "unit": "mg"}],
            "activities": {"exercise_minutes": 30},
        }
    )
    ids = [c.id for c in evidence.notes_for_checkin(submission)]
    assert "melatonin-helps-fall-asleep" in ids and "exercise-improves-sleep" in ids
    assert not any(i.startswith("kratom") for i in ids)
    nothing = CheckinCreate.model_validate({"date": dt.date(2026, 3, 1)})
    assert evidence.notes_for_checkin(nothing) == []
