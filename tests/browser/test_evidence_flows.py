"""The evidence library in a real Chromium: paste a marketing paragraph into the claim checker
and see each sentence graded; filter the library live (htmx) without a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from taperline.knowledge import load
from tests.browser.conftest import CspWatcher, login, screenshot

pytestmark = pytest.mark.browser

PASTED = (
    "Kratom's natural magnesium content supports your recovery. "
    "Taking kratom before bed gives you the deepest sleep. "
    "Kratom boosts your immune system."
)


def test_pasted_text_comes_back_with_each_claim_graded_in_words(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(True)
    csp = CspWatcher(page)
    login(page, live_url, "alex")
    page.goto(f"{live_url}/evidence")
    page.get_by_role("link", name="Check an article or a post").click()
    page.get_by_label("Text to check").fill(PASTED)
    page.get_by_role("button", name="Check the claims").click()
    results = page.locator("#check-results")
    expect(results).to_be_visible()
    magnesium = results.locator("mark.claim", has_text="natural magnesium content")
    expect(magnesium).to_have_class("claim grade-no-evidence")
    expect(magnesium).to_contain_text("[No evidence]")
    expect(results.locator("mark.claim", has_text="immune system")).to_contain_text(
        "[Not in the library — not graded]"
    )
    expect(results.get_by_role("link", name="Kratom contains natural magnesium")).to_be_visible()
    screenshot(page, "flow-evidence-check-alex")
    csp.assert_none("the claim checker")


def test_typing_in_the_library_search_filters_without_a_reload(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(False)
    csp = CspWatcher(page)
    page.goto(f"{live_url}/evidence")
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { window.taperlineNoReload = 'still here'; }")
    cards = page.locator(".claim-card")
    assert cards.count() >= 30
    page.get_by_label("Search", exact=True).press_sequentially("naloxone")
    expect(cards).to_have_count(len(load().library.search("naloxone")))
    expect(page.get_by_role("link", name="Naloxone reverses an opioid overdose.")).to_be_visible()
    assert page.evaluate("() => window.taperlineNoReload") == "still here", "the page reloaded"
    csp.assert_none("the evidence library")
