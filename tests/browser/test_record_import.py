"""Bringing a record from another clinic, in a real Chromium: the clinician downloads a
person's FHIR record from their page, imports it (under a new handle, as another clinic would
hold it) from the caseload's link, and lands on the new person's page; a file that is not a
record is refused with the reason and nothing else changes. axe: no violations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CspWatcher, axe_twin, login, screenshot

pytestmark = pytest.mark.browser


def test_a_clinician_brings_a_record_from_another_clinic(
    live_url: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(False)
    csp = CspWatcher(page)
    login(page, live_url, "cleo")
    page.goto(f"{live_url}/people/alex")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the record as FHIR (for other care)").click()
    record = Path(download.value.path()).read_text(encoding="utf-8")
    moved = record.replace('"value":"alex"', '"value":"alex.moved"').replace(
        '"value": "alex"', '"value": "alex.moved"'
    )
    assert moved != record

    page.goto(f"{live_url}/caseload")
    page.get_by_role("link", name="Bring a record from another clinic").click()
    expect(page.locator("h1")).to_have_text("Bring a record from another clinic")
    assert axe_twin(page, False) == []
    page.get_by_label("The record (a .json file)").set_input_files(
        files=[{"name": "wrong.json", "mimeType": "application/json", "buffer": b"[1, 2]"}]
    )
    page.get_by_role("button", name="Import the record").click()
    expect(page.get_by_role("alert")).to_contain_text("The record was not imported")
    expect(page.get_by_role("alert")).to_contain_text("Bundle")

    page.get_by_label("The record (a .json file)").set_input_files(
        files=[{"name": "alex.json", "mimeType": "application/json", "buffer": moved.encode()}]
    )
    page.get_by_role("button", name="Import the record").click()
    expect(page.locator("h1")).to_contain_text("(alex.moved)")
    expect(page.get_by_role("status")).to_contain_text("imported from the other clinic")
    assert axe_twin(page, False) == []
    screenshot(page, "clinician/record-imported")
    page.goto(f"{live_url}/caseload")
    expect(page.locator("main")).to_contain_text("alex.moved")
    csp.assert_none("the record import")
