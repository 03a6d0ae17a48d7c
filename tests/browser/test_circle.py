"""The support circle in a real Chromium on a phone: the person invites someone and chooses
what they see, the supporter joins through the link and sees only that; the person takes it
back and it is gone at once. axe: no serious violations on each page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CspWatcher,
    assert_no_serious_violations,
    axe_twin,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser

PASSWORD = "casey's supporter password"


def test_invite_join_see_and_withdraw_on_a_phone(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    person = open_page(True)
    csp = CspWatcher(person)
    login(person, live_url, "casey")
    person.get_by_role("link", name="My support circle").click()
    expect(person.locator("h1")).to_have_text("My support circle")
    assert_no_serious_violations(axe_twin(person, True), "the circle page")
    person.get_by_label("Who is this?").fill("Quinn")
    person.get_by_label("Their email address").fill("quinn@example.org")
    person.get_by_label("How they support you").select_option("sponsor")
    person.get_by_label("Whether my craving is easing or getting harder (no numbers)").check()
    person.get_by_role("button", name="Send the invitation").click()
    expect(person.get_by_role("status")).to_contain_text("Invitation sent to quinn@example.org")
    link = person.locator("code.invite-link").inner_text()
    screenshot(person, "person/circle-invited")
    csp.assert_none("the circle page")

    supporter = open_page(True)
    supporter.goto(live_url + link[link.index("/circle/join/") :])  # public_url is not live_url
    expect(supporter.locator("h1")).to_contain_text("support circle")
    assert_no_serious_violations(axe_twin(supporter, True), "the join page")
    supporter.get_by_label("Choose a user name").fill("quinn")
    supporter.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    supporter.get_by_label("The same password again").fill(PASSWORD + " typo")
    supporter.get_by_role("button", name="Join the circle").click()
    expect(supporter.get_by_role("alert")).to_contain_text("not the same")
    expect(supporter.get_by_label("The same password again")).to_have_attribute(
        "aria-invalid", "true"
    )
    supporter.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    supporter.get_by_label("The same password again").fill(PASSWORD)
    supporter.get_by_role("button", name="Join the circle").click()
    expect(supporter.locator("h1")).to_have_text("You are in the circle")
    login(supporter, live_url, "quinn", PASSWORD)
    expect(supporter.locator("h1")).to_have_text("People I support")
    card = supporter.locator("section", has_text="Casey")
    expect(card).to_contain_text("Checked in today")
    expect(card).to_contain_text("Craving")
    expect(card).not_to_contain_text("Open alert")
    assert_no_serious_violations(axe_twin(supporter, True), "the supporter's page")
    screenshot(supporter, "supporter/supporting")
    supporter.goto(f"{live_url}/me/today")
    expect(supporter.locator("h1")).to_have_text("Not allowed")

    person.reload()
    person.get_by_role("button", name="Take Quinn out of my circle").click()
    expect(person.get_by_role("status")).to_contain_text("no longer in your circle")
    supporter.goto(f"{live_url}/supporting")
    expect(supporter.get_by_text("Nobody yet")).to_be_visible()
