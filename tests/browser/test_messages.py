"""Messages in a real Chromium: a person writes to their care team on a phone, the clinician
sees the new-message badge in the caseload, reads and replies, and the person sees the read
receipt; urgent words answer with the crisis steps at once. axe: no violations at all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CspWatcher, axe, axe_twin, login, screenshot

pytestmark = pytest.mark.browser


def _no_violations(violations: list[dict[str, object]], where: str) -> None:
    assert violations == [], f"axe found violations on {where}: {violations}"


def test_a_conversation_between_a_person_and_their_clinician(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    person = open_page(True)
    csp = CspWatcher(person)
    login(person, live_url, "gray")  # Dr. Park's
    person.get_by_role("link", name="Messages").click()
    expect(person.locator("h1")).to_have_text("Messages with my care team")
    _no_violations(axe_twin(person, True), "the person's messages page")
    person.get_by_label("Subject").fill("Melatonin timing")
    person.get_by_label("Message (up to 4000 characters)").fill(
        "Should I take the melatonin earlier than 22:00?"
    )
    person.get_by_role("button", name="Send").click()
    expect(person.locator("h1")).to_have_text("Melatonin timing")
    expect(person.get_by_role("status")).to_have_text("Sent.")
    expect(person.locator(".message.mine .receipt")).to_have_text("Not read yet")
    csp.assert_none("the messages pages")

    clinician = open_page(False)
    login(clinician, live_url, "cleo")
    clinician.goto(f"{live_url}/caseload")
    badge = clinician.get_by_role("link", name="1 new message").first
    expect(badge).to_be_visible()
    clinician.goto(f"{live_url}/people/gray/messages")
    _no_violations(axe_twin(clinician, False), "the clinician's messages page")
    clinician.get_by_role("link", name="Melatonin timing").click()
    expect(clinician.get_by_text("Should I take the melatonin earlier")).to_be_visible()
    _no_violations(axe_twin(clinician, False), "a conversation")
    clinician.get_by_label("Message (up to 4000 characters)").fill(
        "Keep it as planned for now; we will talk at Thursday's visit."
    )
    clinician.get_by_role("button", name="Send").click()
    expect(clinician.get_by_text("we will talk at Thursday's visit")).to_be_visible()

    person.reload()
    expect(person.get_by_text("we will talk at Thursday's visit")).to_be_visible()
    expect(person.locator(".message.mine .receipt")).to_contain_text("Read by Dr. Cleo Park")
    screenshot(person, "person/messages-thread")


def test_urgent_words_show_the_crisis_steps_at_once(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    person = open_page(True, bypass_csp=True)  # axe runs on the answer to the POST itself
    login(person, live_url, "casey")
    person.goto(f"{live_url}/me/messages")
    person.get_by_label("Subject").fill("Bad night")
    person.get_by_label("Message (up to 4000 characters)").fill(
        "Honestly I feel like everyone would be better off without me."
    )
    person.get_by_role("button", name="Send").click()
    alert = person.get_by_role("alert")
    expect(alert).to_contain_text("your care team has an urgent alert")
    expect(alert).to_contain_text("988")
    expect(person.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    expect(person.locator("section.urgent ol li")).to_have_count(5)
    _no_violations(axe(person), "the urgent answer")
    screenshot(person, "person/messages-urgent")

    clinician = open_page(False)
    login(clinician, live_url, "cleo")
    clinician.goto(f"{live_url}/alerts")
    expect(clinician.get_by_text("Thoughts of suicide or self-harm (in a message)")).to_be_visible()
