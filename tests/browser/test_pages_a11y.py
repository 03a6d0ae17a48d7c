"""Every page in a real Chromium: it renders, has one <h1>, breaks no CSP rule, fits a phone
(people's pages), and axe-core finds no serious or critical accessibility violation.

A page that does not answer 200 fails, naming it: add new pages to the lists below.
Screenshots land in artifacts/screenshots/<role>-<path>.png.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CspWatcher,
    assert_answered,
    assert_no_serious_violations,
    axe,
    axe_twin,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    "/login",
    "/help",
    "/invite",
    "/evidence",
    "/evidence/kratom-natural-magnesium",
]
PERSON_PAGES = [
    "/me/today",
    "/me/checkin",
    "/me/plan",
    "/me/history",
    "/me/access",
    "/account",
    "/help",
    "/me/progress",
    "/evidence/check",
    "/notifications",
]
CLINICIAN_PAGES = [
    "/caseload",
    "/alerts",
    "/people/alex",
    "/people/alex/cows",
    "/people/alex/plan/edit",
    "/account",
    "/people/alex/progress",
    "/clinic/overview",
    "/evidence/check",
    "/notifications",
]
# (role for the screenshot's name, handle to log in as or None, path, phone-sized?)
CASES = (
    [("public-mobile", None, path, True) for path in PUBLIC_PAGES]
    + [("public-desktop", None, path, False) for path in PUBLIC_PAGES]
    + [("person", "alex", path, True) for path in PERSON_PAGES]
    + [("clinician", "cleo", path, False) for path in CLINICIAN_PAGES]
)


@pytest.mark.parametrize(
    ("role", "handle", "path", "mobile"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES]
)
def test_the_page_is_accessible(
    live_url: str,
    open_page: Callable[..., Page],
    role: str,
    handle: str | None,
    path: str,
    mobile: bool,
) -> None:
    page = open_page(mobile)
    csp = CspWatcher(page)
    if handle is not None:
        login(page, live_url, handle)
    response = page.goto(f"{live_url}{path}")
    assert response is not None
    assert_answered(response.status, f"{path} (as {handle or 'a visitor'})")
    assert page.url.split("?")[0].endswith(path), f"{path} went to {page.url}"
    page.wait_for_load_state("networkidle")  # htmx may fill parts in after load
    screenshot(page, f"{role}{path}")

    expect(page.locator("h1")).to_have_count(1)
    if mobile:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} is {overflow}px wider than a 390px phone screen"
    csp.assert_none(f"{path} (as {handle or 'a visitor'})")
    assert_no_serious_violations(axe_twin(page, mobile), f"{path} (as {handle or 'a visitor'})")


@pytest.mark.parametrize("mobile", [True, False], ids=["mobile", "desktop"])
def test_an_unknown_address_shows_a_plain_accessible_page_with_a_way_on(
    live_url: str, open_page: Callable[..., Page], mobile: bool
) -> None:
    page = open_page(mobile)
    csp = CspWatcher(page)
    response = page.goto(f"{live_url}/no-such-page")
    assert response is not None and response.status == 404
    screenshot(page, f"public-{'mobile' if mobile else 'desktop'}/not-found")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.get_by_role("alert")).to_contain_text("There is nothing at this address")
    page.get_by_role("link", name="I need help now").first.click()
    expect(page).to_have_url(f"{live_url}/help")
    page.go_back()
    csp.assert_none("the not-found page")
    assert_no_serious_violations(axe_twin(page, mobile), "the not-found page")


# --- the checks themselves must be able to fail --------------------------------------------


def test_the_csp_watcher_sees_a_blocked_inline_style(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(True)
    csp = CspWatcher(page)
    page.goto(f"{live_url}/login")
    page.evaluate(
        """() => {
            const style = document.createElement("style");
            style.textContent = "body { color: red; }";
            document.head.appendChild(style);
        }"""
    )
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in m for m in csp.messages), csp.messages


def test_axe_reports_an_unlabelled_input_and_an_image_without_text(
    open_page: Callable[..., Page],
) -> None:
    page = open_page(False, bypass_csp=True)
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        '<h1>Broken</h1><input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    found = {v["id"]: v for v in axe(page)}
    assert {"label", "image-alt"} <= set(found), sorted(found)
    with pytest.raises(AssertionError, match="label"):
        assert_no_serious_violations(list(found.values()), "a broken page")
