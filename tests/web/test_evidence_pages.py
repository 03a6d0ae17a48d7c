"""The evidence library pages, the claim checker and its JSON API, through the real app."""

from __future__ import annotations

import html as htmllib
import re

from fastapi.testclient import TestClient

from tests.web.conftest import login

ARTICLE = (
    "Kratom's natural magnesium content supports your recovery. "
    "Pair kratom with melatonin for a synergy that speeds healing.\n\n"
    "Our shop ships worldwide. Kratom boosts your immune system."
)


def test_the_library_is_public_and_searchable_without_javascript(app_client: TestClient) -> None:
    page = app_client.get("/evidence")
    assert page.status_code == 200
    assert page.text.count('class="claim-card') >= 30
    found = app_client.get("/evidence", params={"q": "magnesium kratom"})
    assert "Kratom contains natural magnesium that helps recovery." in found.text
    assert "Naloxone reverses an opioid overdose." not in found.text
    graded = app_client.get("/evidence", params={"grade": "contradicted", "topic": "melatonin"})
    cards = re.findall(r'class="claim-card grade-([a-z-]+)"', graded.text)
    assert cards and set(cards) == {"contradicted"}


def test_the_live_filter_gets_only_the_list(app_client: TestClient) -> None:
    partial = app_client.get("/evidence", params={"q": "naloxone"}, headers={"hx-request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "Naloxone reverses an opioid overdose." in partial.text


def test_a_claim_page_shows_grade_explanation_and_sources(app_client: TestClient) -> None:
    page = app_client.get("/evidence/melatonin-helps-fall-asleep")
    assert page.status_code == 200
    assert "Supported" in page.text and "about 7 minutes" in page.text
    assert "23691095" in page.text  # Ferracioli-Oda 2013, PMID
    assert app_client.get("/evidence/no-such-claim").status_code == 404
    assert app_client.get("/evidence", params={"grade": "excellent"}).status_code == 422


def test_the_checker_needs_a_login(app_client: TestClient) -> None:
    answer = app_client.get("/evidence/check", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_the_checker_highlights_each_claim_by_grade_in_words(app_client: TestClient) -> None:
    csrf = login(app_client, "alex")
    assert app_client.post("/evidence/check", data={"text": ARTICLE}).status_code == 403
    page = app_client.post("/evidence/check", data={"text": ARTICLE, "csrf_token": csrf})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    marks = re.findall(r'<mark class="claim grade-([a-z-]+)"[^>]*>([^<]+)', page.text)
    graded = {htmllib.unescape(text).strip(): grade for grade, text in marks}
    assert graded["Kratom's natural magnesium content supports your recovery."] == "no-evidence"
    assert graded["Kratom boosts your immune system."] == "not-assessed"
    assert "Our shop ships worldwide." not in graded
    assert (
        "[No evidence]" in page.text and "[Not in the library — not graded]" in page.text
    )  # not colour alone


def test_the_checker_names_the_field_when_the_text_is_empty(app_client: TestClient) -> None:
    csrf = login(app_client, "cleo")
    page = app_client.post("/evidence/check", data={"text": "   ", "csrf_token": csrf})
    assert page.status_code == 422 and "text: there is no text to check" in page.text


def test_html_pasted_as_html_is_read_as_text(app_client: TestClient) -> None:
    csrf = login(app_client, "cleo")
    html = "<article><h1>Sleep</h1><p>Kratom is not addictive.</p><script>x()</script></article>"
    page = app_client.post(
        "/evidence/check", data={"text": html, "kind": "html", "csrf_token": csrf}
    )
    assert page.status_code == 200
    mark = r'<mark class="claim grade-contradicted"[^>]*>Kratom is not addictive\.'
    assert re.search(mark, page.text)


def test_the_api_lists_claims_and_checks_text(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/claims").status_code == 401
    csrf = login(app_client, "cleo")
    listed = app_client.get("/api/v1/claims", params={"grade": "no-evidence"}).json()
    assert listed["count"] == len(listed["data"]) >= 5
    assert all(c["grade"] == "no evidence" and c["sources"] for c in listed["data"])
    refused = app_client.post("/api/v1/claims/check", json={"text": ARTICLE})
    assert refused.status_code == 403
    report = app_client.post(
        "/api/v1/claims/check", json={"text": ARTICLE}, headers={"x-csrf-token": csrf}
    ).json()
    by_sentence = {c["sentence"]: c for c in report["claims"]}
    assert by_sentence["Kratom boosts your immune system."]["status"] == "not assessed"
    synergy = by_sentence["Pair kratom with melatonin for a synergy that speeds healing."]
    assert synergy["claim"]["id"] == "kratom-melatonin-synergy"
    assert synergy["grade"] == "no evidence"
    bad = app_client.post("/api/v1/claims/check", json={"text": ""}, headers={"x-csrf-token": csrf})
    assert bad.status_code == 422 and bad.json()["field"].endswith("text")


def test_the_plan_pages_show_claims_about_what_the_plan_involves(app_client: TestClient) -> None:
    login(app_client, "alex")
    plan = app_client.get("/me/plan")
    assert plan.status_code == 200
    assert 'id="evidence-notes-title"' in plan.text
    assert "/evidence/kratom-safe-alternative-to-opioids" in plan.text
    app_client.cookies.clear()
    login(app_client, "cleo")
    person = app_client.get("/people/alex")
    assert "/evidence/kratom-safe-alternative-to-opioids" in person.text
    editor = app_client.get("/people/alex/plan/edit")
    assert 'id="evidence-notes-title"' in editor.text
