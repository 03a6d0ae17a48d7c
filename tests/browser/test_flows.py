"""Whole journeys in a real Chromium: a red-flag check-in reaching a clinician, and the plan
editor's live safety review.

It finds things the way a person does: fields by their visible label, buttons and links by
role and name. A page that does not answer 200 fails the test, naming the page. What the flows
assume about the pages:

Check-in (/me/checkin, reached from the "Check in" link in the main navigation):
- It may take several steps; a step moves on with a button whose name starts with "Next" or
  "Continue", and the last step has a button starting with "Submit", "Send", "Save", "Finish",
  "Done" or "Check in". A refused step marks its fields aria-invalid="true".
- Each red-flag question is shown with the knowledge base's exact wording (`red_flags[].question`)
  either as a fieldset/radio group named by that question with options labelled "Yes..." and
  "No...", or as one checkbox labelled by the question.
- Other questions only need a plausible answer: an unanswered radio group gets "No" if it offers
  one, else its first option; required fields left empty get a neutral value (0, today's date,
  "21:00", "Browser test", the first real choice of a select).
- After the last step the page shows the suicidal-thoughts finding's person message, which
  carries the crisis line 988.

Alerts (/alerts, for sam, who cares for frankie):
- An alert shows the person's handle (or name) and the rule's title; its "Acknowledge" and
  "Resolve" buttons sit in forms that hold a text field for the (required) note. The buttons
  are either in the alert's own block on the list or on the alert's own page, reached by a
  link in the list (the title, or "Open", "View", "Details", "Review").
- A resolved alert says "resolved" next to it, on /alerts, /alerts?status=resolved or
  /alerts?status=all, and shows the resolution note.

Plan editor (/people/alex/plan/edit, for cleo):
- The taper's step amount has a label containing "step", "reduce" or "cut" and no "day",
  "smallest", "every", "often" or "week" (so "Step every (days)" and "Smallest step" are not
  it). Alex's demo taper cuts 0.75 g a week from 12 g; four times that is far too fast.
- Editing the field triggers an htmx request (on change or keyup) that updates the findings in
  place, showing "taper.too_fast" or the rule's title, without reloading the page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import pytest
from fastapi import FastAPI
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import event

from taperline.knowledge import load
from tests.browser.conftest import CspWatcher, assert_answered, login, screenshot

pytestmark = pytest.mark.browser

KNOWLEDGE = load()
SUICIDAL = "red_flag.suicidal_thoughts"
SUICIDAL_FLAG = next(flag for flag in KNOWLEDGE.red_flags if flag.rule.id == SUICIDAL)
ALERT_TITLE = SUICIDAL_FLAG.rule.title
TOO_FAST = KNOWLEDGE.rule("taper.too_fast")
TOO_FAST_TEXT = re.compile(rf"{re.escape(TOO_FAST.id)}|{re.escape(TOO_FAST.title)}", re.I)

NEXT = re.compile(r"^\s*(next|continue)\b", re.I)
SUBMIT = re.compile(r"^\s*(submit|send|save|finish|done|check in)\b", re.I)
YES = re.compile(r"^\s*yes\b", re.I)
NO = re.compile(r"^\s*no\b", re.I)
ACKNOWLEDGE = re.compile(r"\backnowledge\b", re.I)
RESOLVE = re.compile(r"\bresolve\b", re.I)
TAPER_STEP = re.compile(
    r"^(?!.*(day|smallest|every|often|week)).*\b(step|reduce|cut)", re.I | re.DOTALL
)
MAX_STEPS = 15

expect.set_options(timeout=10_000)


# --- check-in --------------------------------------------------------------------------------


def answer_yes_no(main: Locator, question: str, yes: bool) -> bool:
    """Answer a yes/no question shown as a group of radios or one checkbox; False if not shown."""
    for group in (
        main.get_by_role("group", name=question),
        main.get_by_role("radiogroup", name=question),
    ):
        if group.count():
            group.last.get_by_label(YES if yes else NO).first.check()
            return True
    box = main.get_by_role("checkbox", name=question)
    if box.count():
        box.first.set_checked(yes)
        return True
    return False


FIELD_INFO = """e => ({
    tag: e.tagName.toLowerCase(),
    type: (e.getAttribute("type") || "").toLowerCase(),
    name: e.name || "",
    required: e.required,
    value: e.value,
    checked: !!e.checked,
    min: e.getAttribute("min") || "",
    label: e.labels && e.labels.length ? e.labels[0].innerText.trim() : "",
    groupChecked: e.type === "radio" && !!e.name && [...document.querySelectorAll(
        'input[type="radio"][name="' + CSS.escape(e.name) + '"]')].some(o => o.checked),
})"""
NEUTRAL = {"number": None, "range": None, "date": "2026-03-14", "time": "21:00"}


def fill_the_rest(main: Locator) -> None:
    """Give every other question a plausible answer (see the module's docstring)."""
    done: set[str] = set()
    for field in main.locator("input:visible, select:visible, textarea:visible").all():
        info = field.evaluate(FIELD_INFO)
        kind = info["type"]
        if kind in ("hidden", "submit", "button", "reset", "image", "file"):
            continue
        if kind == "radio":
            if info["groupChecked"] or info["name"] in done:
                continue
            done.add(info["name"])
            options = main.locator(f'input[type="radio"][name="{info["name"]}"]').all()
            noes = [o for o in options if NO.match(o.evaluate(FIELD_INFO)["label"])]
            (noes or options)[0].check()
        elif not info["required"]:
            continue
        elif kind == "checkbox":
            if not info["checked"]:
                field.check()
        elif info["tag"] == "select":
            if not info["value"]:
                field.select_option(index=1)
        elif not info["value"]:
            if kind in ("number", "range"):
                field.fill(info["min"] or "0")
            else:
                field.fill(NEUTRAL.get(kind) or "Browser test")


def refusal(page: Page) -> str:
    main = page.locator("main")
    invalid = main.locator('[aria-invalid="true"]')
    if not invalid.count():
        return ""
    messages = main.locator('[role="alert"], .error').all_inner_texts()
    return "; ".join(messages) or f"{invalid.count()} field(s) marked invalid"


def complete_checkin(page: Page) -> int:
    """Walk the check-in's steps, answering "Yes" to the suicidal-thoughts question only.

    Returns how often "988" appeared on the last step before it was submitted.
    """
    main = page.locator("main")
    asked = False
    for step in range(1, MAX_STEPS + 1):
        page.wait_for_load_state("networkidle")
        for flag in KNOWLEDGE.red_flags:
            shown = answer_yes_no(main, flag.question, yes=flag.rule.id == SUICIDAL)
            asked = asked or (shown and flag.rule.id == SUICIDAL)
        fill_the_rest(main)
        screenshot(page, f"flow-checkin-frankie-step-{step}")
        onward = main.get_by_role("button", name=NEXT)
        last = onward.count() == 0
        button = main.get_by_role("button", name=SUBMIT) if last else onward
        assert button.count(), f"step {step} of the check-in has no Next or Submit button"
        before = main.inner_text().count("988")
        button.first.click()
        page.wait_for_load_state("networkidle")
        problem = refusal(page)
        assert not problem, f"step {step} of the check-in was refused: {problem}"
        if last:
            assert asked, f"the check-in never asked: {SUICIDAL_FLAG.question!r}"
            return before
    raise AssertionError(f"the check-in did not end within {MAX_STEPS} steps")


# --- alerts ----------------------------------------------------------------------------------

BLOCKS = "li, tr, article, section, details, dl, div"


def alert_block(page: Page, person: str) -> Locator | None:
    """The smallest block on the page holding both the person and the alert's title."""
    found = (
        page.locator("main")
        .locator(BLOCKS)
        .filter(has_text=ALERT_TITLE)
        .filter(has_text=person)  # text content runs blocks together: no \b here
    )
    return found.last if found.count() else None


def alert_button(page: Page, person: str, action: re.Pattern[str]) -> Locator:
    """The alert's button for `action`, on the list or, through its link, on its own page."""
    block = alert_block(page, person)
    assert block is not None, f"no alert {ALERT_TITLE!r} for {person} on {page.url}"
    scope = block
    for _ in range(4):  # the buttons may sit beside the title's block, not in it
        buttons = scope.get_by_role("button", name=action)
        if buttons.count() == 1:
            return buttons.first
        if buttons.count() > 1:
            break  # this is a list of several alerts: open the alert's own page instead
        scope = scope.locator("xpath=..")
    link = block.get_by_role(
        "link", name=re.compile(rf"{re.escape(ALERT_TITLE)}|open|view|details|review", re.I)
    )
    assert link.count(), f"no {action.pattern} button or link for {person}'s alert on {page.url}"
    link.first.click()
    page.wait_for_load_state("networkidle")
    buttons = page.locator("main").get_by_role("button", name=action)
    assert buttons.count() == 1, f"{page.url} has {buttons.count()} {action.pattern} buttons"
    return buttons.first


NOTE_FIELD = 'textarea:visible, input[type="text"]:visible, input:not([type]):visible'


def act_on_alert(page: Page, person: str, action: re.Pattern[str], note: str) -> None:
    button = alert_button(page, person, action)
    notes = button.locator("xpath=ancestor::form[1]").locator(NOTE_FIELD)
    if not notes.count():  # the note field may appear only after the first click
        button.click()
        page.wait_for_load_state("networkidle")
        button = alert_button(page, person, action)
        notes = button.locator("xpath=ancestor::form[1]").locator(NOTE_FIELD)
    assert notes.count(), f"no note field in the form of the {action.pattern} button"
    notes.first.fill(note)
    button.click()
    page.wait_for_load_state("networkidle")
    problem = refusal(page)
    assert not problem, f"{action.pattern} was refused: {problem}"


def find_alert(page: Page, base: str, person: str, queries: list[str]) -> None:
    """Stay if the alert is on this page, else open /alerts with each query until it is."""
    for query in ["", *queries]:
        if query:
            page.goto(f"{base}/alerts{query}")
        if alert_block(page, person) is not None:
            return
    pytest.fail(f"no alert {ALERT_TITLE!r} for {person} on /alerts with any of {queries}")


STATUS_TEXT = """e => {
    const copy = e.cloneNode(true);
    copy.querySelectorAll("form, button, label, textarea, input, select").forEach(x => x.remove());
    return copy.textContent;
}"""


def shows_resolved(page: Page, person: str, note: str) -> bool:
    """The alert says "resolved" outside its forms (not the note, not a label like "How this
    was resolved") and offers no Resolve button any more."""
    main = page.locator("main")
    by_note = main.locator(BLOCKS).filter(has_text=ALERT_TITLE).filter(has_text=note)
    block = by_note.last if by_note.count() else alert_block(page, person)
    if block is None or block.get_by_role("button", name=RESOLVE).count():
        return False
    status = block.evaluate(STATUS_TEXT).replace(note, "")
    return re.search(r"resolved", status, re.I) is not None


# --- the flows -------------------------------------------------------------------------------


def test_a_suicidal_thoughts_answer_shows_988_and_the_clinician_resolves_the_alert(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    person = open_page(True)
    person_csp = CspWatcher(person)
    login(person, live_url, "frankie")
    navigation = person.get_by_role("navigation", name="Main")
    with person.expect_navigation() as went:
        navigation.get_by_role("link", name="Check in", exact=True).click()
    assert_answered(went.value.status if went.value else None, "/me/checkin (the check-in)")
    screenshot(person, "flow-checkin-frankie-start")

    before = complete_checkin(person)
    screenshot(person, "flow-checkin-frankie-done")
    main = person.locator("main")
    expect(main).to_contain_text("988")
    assert main.inner_text().count("988") > before, "988 was not added by submitting the answers"
    person_csp.assert_none("the check-in")

    clinician = open_page(False)
    clinician_csp = CspWatcher(clinician)
    login(clinician, live_url, "sam")
    response = clinician.goto(f"{live_url}/alerts")
    assert response is not None
    assert_answered(response.status, "/alerts (the check-in part passed)")
    screenshot(clinician, "flow-alerts-sam-open")

    act_on_alert(clinician, "frankie", ACKNOWLEDGE, "Browser test: called frankie, safe now.")
    screenshot(clinician, "flow-alerts-sam-acknowledged")
    # An acknowledged alert may have left the list of open ones.
    find_alert(clinician, live_url, "frankie", ["?status=acknowledged", "?status=all"])
    note = "Browser test: safety plan made together with frankie."
    act_on_alert(clinician, "frankie", RESOLVE, note)
    screenshot(clinician, "flow-alerts-sam-resolved")

    places = [clinician.url] + [f"{live_url}/alerts?status={s}" for s in ("resolved", "all")]
    for place in places:
        if place != clinician.url:
            clinician.goto(place)
        if shows_resolved(clinician, "frankie", note):
            break
    else:
        pytest.fail(f"frankie's alert is not shown as resolved on any of {places}")
    screenshot(clinician, "flow-alerts-sam-resolved-list")
    clinician_csp.assert_none("the alerts pages")


def test_a_much_faster_taper_step_shows_too_fast_without_a_reload(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(False)
    csp = CspWatcher(page)
    login(page, live_url, "cleo")
    response = page.goto(f"{live_url}/people/alex/plan/edit")
    assert response is not None
    assert_answered(response.status, "/people/alex/plan/edit (the plan editor)")
    page.wait_for_load_state("networkidle")
    screenshot(page, "flow-plan-edit-cleo-before")

    step = page.locator("main").get_by_label(TAPER_STEP)
    assert step.count(), "no taper step field (a label with 'step', 'reduce' or 'cut')"
    step = step.first
    findings = page.get_by_text(TOO_FAST_TEXT).filter(visible=True)
    expect(findings).to_have_count(0)
    try:
        current = Decimal(step.input_value())
    except InvalidOperation:
        current = Decimal("0.75")
    faster = str((current or Decimal("0.75")) * 4)

    page.evaluate("() => { window.taperlineNoReload = 'still here'; }")
    step.click()
    page.keyboard.press("ControlOrMeta+a")
    step.press_sequentially(faster)
    step.press("Tab")  # change fires on blur
    expect(findings.first).to_be_visible()
    assert page.evaluate("() => window.taperlineNoReload") == "still here", "the page reloaded"
    assert step.input_value() == faster
    screenshot(page, "flow-plan-edit-cleo-too-fast")
    csp.assert_none("the plan editor")


def test_a_change_is_saved_before_the_browser_follows_the_redirect(
    live_app: FastAPI, live_url: str, open_page: Callable[..., Page]
) -> None:
    """A browser follows a 303 at once. If the request's transaction commits only after the
    response is sent (FastAPI runs a yield dependency's exit code after the response unless it
    is declared with scope="function"), the next page reads the old state: after logging in,
    no session yet, so back to /login; after resolving an alert, still open. A slow commit
    makes that race certain instead of occasional."""

    def slow_commit(_connection: object) -> None:
        time.sleep(0.5)

    event.listen(live_app.state.engine, "commit", slow_commit)
    try:
        page = open_page(True)
        login(page, live_url, "devon")
        assert page.url.endswith("/me/today"), page.url
    finally:
        event.remove(live_app.state.engine, "commit", slow_commit)
