"""`taperline messages` on a real database: send, list, show with read receipts, urgent words
answered with the crisis steps, refusals named."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import clinic, fails, ok, run  # noqa: F401 - fixtures


@pytest.mark.usefixtures("clinic")
def test_send_list_show_and_reply(run) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sent = ok(
        run("--as", "pat", "messages", "send", "pat", "--subject", "Sleep", "--body", "Slept 5h")
    )
    assert "Sent (conversation 1" in sent
    rows = json.loads(ok(run("--as", "cleo", "messages", "list", "pat", "--json")))
    assert [(r["subject"], r["unread"]) for r in rows] == [("Sleep", 1)]
    shown = ok(run("--as", "cleo", "messages", "show", "1"))
    assert "Slept 5h" in shown and "Pat Lee" in shown
    ok(run("--as", "cleo", "messages", "send", "--thread", "1", input="Thanks, noted.\n"))
    mine = ok(run("--as", "pat", "messages", "show", "1"))
    assert "Thanks, noted." in mine and "read by Cleo Park" in mine
    assert (
        json.loads(ok(run("--as", "cleo", "messages", "list", "pat", "--json")))[0]["unread"] == 0
    )


@pytest.mark.usefixtures("clinic")
def test_urgent_words_print_the_crisis_steps(run) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    out = ok(
        run("--as", "pat", "messages", "send", "pat", "--subject", "Help",
            "--body", "I keep thinking about ending my life")
    )  # fmt: skip
    assert "Thoughts of suicide or self-harm" in out and "988" in out
    assert "If someone may have overdosed" in out
    alerts = ok(run("--as", "cleo", "alerts", "list"))
    assert "Thoughts of suicide or self-harm (in a message)" in alerts


@pytest.mark.usefixtures("clinic")
def test_refusals_and_bad_input_are_named(run) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ok(run("--as", "pat", "messages", "send", "pat", "--subject", "Hi", "--body", "hello"))
    fails(run("--as", "uma", "messages", "show", "1"), "thread: there is no conversation 1")
    fails(run("--as", "uma", "messages", "list", "pat"), "You do not have access")
    fails(run("--as", "pat", "messages", "send", "--thread", "1", "--body", " "), "body:")
    fails(run("--as", "pat", "messages", "send", "--body", "x"), "--thread")
    fails(run("messages", "send", "pat", "--subject", "S", "--body", "x"), "--as")
