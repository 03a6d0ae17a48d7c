"""SOS in a real Chromium on a phone, with JavaScript on and off: one tap from a person's page
shows what to do now and puts an urgent alert in front of the clinician."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    MOBILE,
    TIMEOUT_MS,
    CspWatcher,
    assert_no_serious_violations,
    axe,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_one_tap_sos_from_any_person_page_on_a_phone(
    live_url: str, browser: Browser, open_page: Callable[..., Page], javascript: bool
) -> None:
    context = browser.new_context(
        viewport=MOBILE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
        bypass_csp=javascript,  # only to inject axe-core below
        locale="en-US",
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        login(page, live_url, "devon")
        for path in ("/me/today", "/me/plan", "/me/history", "/notifications", "/account"):
            page.goto(f"{live_url}{path}")
            expect(page.get_by_role("button", name="SOS: alert my care team")).to_be_visible()
        page.goto(f"{live_url}/me/checkin")
        page.get_by_role("button", name="SOS: alert my care team").tap()
        expect(page.locator("h1")).to_have_text("We have told your care team")
        expect(page.get_by_role("status")).to_contain_text("urgent alert")
        expect(page.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
        steps = page.locator("section.urgent ol li")
        expect(steps).to_have_count(5)
        expect(steps.nth(1)).to_contain_text("naloxone")
        screenshot(page, f"person/sos-{'js' if javascript else 'nojs'}")
        if javascript:
            assert_no_serious_violations(axe(page), "the SOS answer page")
    finally:
        context.close()
    clinician = open_page(False)
    csp = CspWatcher(clinician)
    login(clinician, live_url, "sam")  # devon's clinician
    clinician.goto(f"{live_url}/alerts")
    expect(clinician.get_by_text("SOS from").first).to_be_visible()
    clinician.goto(f"{live_url}/notifications")
    expect(clinician.get_by_text("needs help now").first).to_be_visible()
    csp.assert_none("the clinician's alerts")
