"""Rewards in a real Chromium: the clinician enters a negative screen and redeems a voucher on
the person's rewards page; the person sees the balance, their run and the history on a phone,
with the graded evidence. axe: no violations at all."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CspWatcher, axe_twin, login, screenshot

pytestmark = pytest.mark.browser


def _no_violations(violations: list[dict[str, object]], where: str) -> None:
    assert violations == [], f"axe found violations on {where}: {violations}"


def test_the_clinician_awards_and_redeems_and_the_person_sees_it(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    clinician = open_page(False)
    csp = CspWatcher(clinician)
    login(clinician, live_url, "cleo")
    clinician.goto(f"{live_url}/people/gray")
    clinician.get_by_role("link", name="Rewards").click()
    expect(clinician.locator("h1")).to_contain_text("Rewards")
    _no_violations(axe_twin(clinician, False), "the clinician's rewards page")
    before = clinician.locator("#balance-heading + p strong").inner_text()
    clinician.get_by_label("What was checked").select_option("negative_uds")
    clinician.get_by_label("Attended, or a negative screen").check()
    clinician.get_by_role("button", name="Save the event").click()
    expect(clinician.get_by_role("status")).to_contain_text("earned")
    after = clinician.locator("#balance-heading + p strong").inner_text()
    assert after != before
    clinician.get_by_label("Amount (in cents)").fill("100")
    clinician.get_by_label("What was handed over").fill("Phone credit")
    clinician.get_by_role("button", name="Redeem").click()
    expect(clinician.get_by_role("status")).to_contain_text("Redeemed $1.00")
    csp.assert_none("the rewards page")

    clinician.goto(f"{live_url}/clinic/rewards")
    expect(clinician.get_by_label("Name")).to_have_value("Recovery vouchers")
    _no_violations(axe_twin(clinician, False), "the programme page")

    person = open_page(True)
    login(person, live_url, "gray")
    person.get_by_role("link", name="My rewards").click()
    expect(person.locator("h1")).to_have_text("My rewards")
    expect(person.get_by_text("Redeemed: Phone credit")).to_be_visible()
    expect(person.locator("table").first).to_contain_text("Negative urine drug screen")
    expect(person.get_by_text(re.compile("Never for a dose"))).to_be_visible()
    expect(person.locator(".grade-badge").first).to_have_text("Supported")
    _no_violations(axe_twin(person, True), "the person's rewards page")
    screenshot(person, "person/rewards")
