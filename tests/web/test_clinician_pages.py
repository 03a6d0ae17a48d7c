"""Clinician pages on the real app and the demo clinic: caseload, person page, alerts, COWS,
the plan editor. Each test uses its own people, so the order of the tests does not matter."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from taperline.db.models import Checkin, InstrumentResponse, PlanVersion, User
from tests.web.conftest import csrf_of, login

CLEO = ("alex", "blair", "casey", "gray")
SAM = ("devon", "emery", "frankie", "harper")
HX = {"HX-Request": "true"}


def taper_form(csrf: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "rest": "{}",
        "taper.form": "leaf_powder",
        "taper.start": "2026-03-16",
        "taper.current": "12",
        "taper.unit": "g",
        "taper.target": "6",
        "taper.method": "fixed",
        "taper.step": "0.75",
        "taper.step_days": "7",
        "taper.smallest_step": "0.25",
        "taper.doses": "08:00, 14:00, 20:00",
    }
    data.update(overrides)
    return data


def login_as(client: TestClient, handle: str) -> str:
    """Log in afresh (dropping any earlier session cookie); returns the CSRF token."""
    client.cookies.clear()
    return login(client, handle)


def stored(client: TestClient, statement: Any) -> list[Any]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(session.execute(statement))


def test_a_clinician_sees_her_caseload_and_no_one_else(app_client: TestClient) -> None:
    login(app_client, "cleo")
    page = app_client.get("/caseload")
    assert page.status_code == 200
    for handle in CLEO:
        assert f'href="/people/{handle}"' in page.text
    for handle in SAM:
        assert f'href="/people/{handle}"' not in page.text
    assert page.text.count("<h1") == 1 and 'scope="col"' in page.text


def test_people_outside_the_clinicians_care_are_refused(app_client: TestClient) -> None:
    csrf = login(app_client, "sam")
    for path in ("/people/alex", "/people/alex/cows", "/people/alex/plan/edit"):
        assert app_client.get(path).status_code == 403, path
    for data in (taper_form(csrf), taper_form(csrf, **{"taper.step": "half-filled"})):
        refused = app_client.post("/people/alex/plan/review", data=data, headers=HX)
        assert refused.status_code == 403
    assert app_client.post("/people/alex/cows", data={"csrf_token": csrf}).status_code == 403
    assert app_client.post("/people/alex/plan/draft", data=taper_form(csrf)).status_code == 403
    assert app_client.get("/people/devon").status_code == 200


def test_people_and_admins_have_no_caseload(app_client: TestClient) -> None:
    for handle in ("alex", "ada"):
        login_as(app_client, handle)
        page = app_client.get("/caseload")
        assert page.status_code == 403
        assert "/people/blair" not in page.text


def test_the_caseload_filter_answers_htmx_with_rows_only(app_client: TestClient) -> None:
    login(app_client, "cleo")
    rows = app_client.get("/caseload", params={"q": "BLA"}, headers=HX)
    assert rows.status_code == 200
    assert "<h1" not in rows.text and "<html" not in rows.text and "<tr" in rows.text
    assert 'href="/people/blair"' in rows.text and 'href="/people/alex"' not in rows.text
    alerts = app_client.get("/caseload", params={"alerts": "1"}, headers=HX)
    assert 'href="/people/casey"' in alerts.text  # five open alerts in the demo
    assert 'href="/people/blair"' not in alerts.text and 'href="/people/gray"' not in alerts.text
    nobody = app_client.get("/caseload", params={"q": "devon"}, headers=HX)
    assert "No one in your caseload matches" in nobody.text
    page = app_client.get("/caseload", params={"q": "bla"})
    assert "<h1" in page.text and 'value="bla"' in page.text and 'hx-get="/caseload"' in page.text
    too_long = app_client.get("/caseload", params={"q": "x" * 101})
    assert too_long.status_code == 422 and 'id="caseload-q-error"' in too_long.text


def test_a_person_page_shows_profile_history_plan_and_adherence(app_client: TestClient) -> None:
    login(app_client, "cleo")
    page = app_client.get("/people/blair")
    assert page.status_code == 200
    text = page.text
    assert "Blair Okafor" in text and "America/Chicago" in text
    assert "Check-ins, last 28 days" in text and "2026-03-14" in text
    assert "Version 2, approved by cleo" in text
    assert "Kratom:" in text and "on target" in text
    assert app_client.get("/people/nobody-here").status_code == 404


def test_acknowledging_and_resolving_an_alert_through_the_forms(app_client: TestClient) -> None:
    login(app_client, "cleo")
    page = app_client.get("/people/casey")
    csrf = csrf_of(page.text)
    ids = re.findall(r'action="/alerts/(\d+)/acknowledge"', page.text)
    assert len(ids) >= 2
    alert = ids[0]

    missing = app_client.post(
        f"/alerts/{alert}/acknowledge",
        data={"csrf_token": csrf, "note": "   ", "next": "/people/casey", "status": "open"},
    )
    assert missing.status_code == 422
    assert f'id="acknowledge-note-{alert}" name="note"' in missing.text
    assert 'aria-invalid="true"' in missing.text and "note: say what you have done" in missing.text
    forged = app_client.post(
        f"/alerts/{alert}/acknowledge", data={"csrf_token": "forged", "note": "Called Casey."}
    )
    assert forged.status_code == 403

    done = app_client.post(
        f"/alerts/{alert}/acknowledge",
        data={"csrf_token": csrf, "note": "Called Casey about sleep.", "next": "/people/casey"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/people/casey"
    acknowledged = app_client.get("/alerts", params={"status": "acknowledged"})
    assert "Acknowledged by cleo: Called Casey about sleep." in acknowledged.text

    again = app_client.post(
        f"/alerts/{alert}/acknowledge", data={"csrf_token": csrf, "note": "Twice."}
    )
    assert again.status_code == 422 and "already acknowledged" in again.text

    unresolved = app_client.post(
        f"/alerts/{alert}/resolve", data={"csrf_token": csrf, "note": "", "status": "open"}
    )
    assert unresolved.status_code == 422
    assert f'id="resolve-note-{alert}-error"' in unresolved.text and "note:" in unresolved.text
    resolved = app_client.post(
        f"/alerts/{alert}/resolve",
        data={"csrf_token": csrf, "note": "Sleep plan agreed.", "next": "https://example.com/"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303 and resolved.headers["location"] == "/alerts"
    assert "Resolved by cleo: Sleep plan agreed." in app_client.get("/alerts?status=resolved").text


def test_a_clinician_of_another_caseload_cannot_act_on_the_alert(app_client: TestClient) -> None:
    login(app_client, "cleo")
    ids = re.findall(r'action="/alerts/(\d+)/resolve"', app_client.get("/people/casey").text)
    csrf = login_as(app_client, "sam")
    answer = app_client.post(
        f"/alerts/{ids[-1]}/resolve", data={"csrf_token": csrf, "note": "Not mine."}
    )
    assert answer.status_code == 403


def test_a_cows_rating_is_stored_as_a_visit_with_its_total_and_band(
    app_client: TestClient,
) -> None:
    login(app_client, "cleo")
    form = app_client.get("/people/alex/cows")
    assert form.status_code == 200
    assert form.text.count("<fieldset") == 11 and "pupils pinned or normal size" in form.text
    csrf = csrf_of(form.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key
    answers = {f"cows_{n}": "1" for n in range(1, 11)} | {"cows_11": "3"}

    partial = dict(answers)
    del partial["cows_3"]
    refused = app_client.post(
        "/people/alex/cows",
        data={"csrf_token": csrf, "idempotency_key": key.group(1), "date": "2026-03-14"} | partial,
    )
    assert refused.status_code == 422
    assert 'id="cows_3-error"' in refused.text and "Item 3:" in refused.text
    assert 'name="cows_11" value="3" required checked' in refused.text  # answers kept

    saved = app_client.post(
        "/people/alex/cows",
        data={"csrf_token": csrf, "idempotency_key": key.group(1), "date": "2026-03-14"}
        | answers
        | {"note": "Visit rating from the web."},
    )
    assert saved.status_code == 200
    assert "total <strong>13</strong>" in saved.text and "<strong>moderate</strong>" in saved.text
    rows = stored(
        app_client,
        select(Checkin.kind, InstrumentResponse.total, InstrumentResponse.band)
        .join(InstrumentResponse, InstrumentResponse.checkin_id == Checkin.id)
        .join(User, User.id == Checkin.person_id)
        .where(User.handle == "alex", Checkin.note == "Visit rating from the web."),
    )
    assert [tuple(row) for row in rows] == [("visit", 13, "moderate")]


def test_the_plan_check_flags_a_fast_step_and_not_a_gentle_one(app_client: TestClient) -> None:
    csrf = login(app_client, "cleo")
    fast = app_client.post(
        "/people/blair/plan/review", data=taper_form(csrf, **{"taper.step": "3"}), headers=HX
    )
    assert fast.status_code == 200 and "<h1" not in fast.text
    assert "taper.too_fast" in fast.text and "<table" in fast.text
    gentle = app_client.post("/people/blair/plan/review", data=taper_form(csrf), headers=HX)
    assert gentle.status_code == 200
    assert "taper.too_fast" not in gentle.text and "No warnings need acknowledging" in gentle.text

    half_filled = app_client.post(
        "/people/blair/plan/review", data=taper_form(csrf, **{"taper.step": "lots"}), headers=HX
    )
    assert half_filled.status_code == 200 and "taper.step" in half_filled.text
    without_js = app_client.post(
        "/people/blair/plan/review", data=taper_form(csrf, **{"taper.step": "lots"})
    )
    assert without_js.status_code == 422 and "<h1" in without_js.text
    assert re.search(r'id="f-taper-step"[^>]*aria-invalid="true"', without_js.text)
    assert 'value="lots"' in without_js.text  # the input is kept
    checked = app_client.post("/people/blair/plan/review", data=taper_form(csrf))
    assert checked.status_code == 200 and "Taper schedule" in checked.text


def test_drafting_then_approving_needs_the_acknowledgement(app_client: TestClient) -> None:
    login(app_client, "cleo")
    editor = app_client.get("/people/gray/plan/edit")
    assert editor.status_code == 200
    assert re.search(r'<option value="capsules" selected>', editor.text)
    assert 'name="taper.current" type="text" value="12"' in editor.text
    assert 'name="regimen[1].product" type="text" value="Levothyroxine"' in editor.text
    csrf = csrf_of(editor.text)
    rest = re.search(r'name="rest" value="([^"]*)"', editor.text)
    assert rest and "exercise_minutes_per_week" in html.unescape(rest.group(1))
    data = taper_form(
        csrf,
        rest=html.unescape(rest.group(1)),
        note="Faster, as agreed.",
        **{
            "taper.form": "capsules",
            "taper.unit": "capsule",
            "taper.current": "12",
            "taper.target": "8",
            "taper.step": "4",
            "taper.smallest_step": "1",
            "taper.doses": "08:00, 20:00",
            "regimen[0].category": "magnesium",
            "regimen[0].form": "glycinate",
            "regimen[0].amount": "200",
            "regimen[0].unit": "mg",
            "regimen[0].times": "22:00",
            "regimen[1].category": "other_medication",
            "regimen[1].product": "Levothyroxine",
            "regimen[1].amount": "75",
            "regimen[1].unit": "mcg",
            "regimen[1].times": "07:00",
            "regimen[3].category": "melatonin",
            "regimen[3].amount": "3",
            "regimen[3].unit": "mg",
            "regimen[3].times": "21:30",
        },
    )

    bad = app_client.post("/people/gray/plan/draft", data=data | {"regimen[3].amount": "a lot"})
    assert bad.status_code == 422  # the fourth row, though only the third filled-in item
    assert re.search(r'id="f-regimen-3-amount"[^>]*aria-invalid="true"', bad.text)
    assert 'value="a lot"' in bad.text

    drafted = app_client.post("/people/gray/plan/draft", data=data, follow_redirects=False)
    assert drafted.status_code == 303
    version = drafted.headers["location"]
    assert re.fullmatch(r"/people/gray/plan/\d+", version)
    page = app_client.get(version)
    assert page.status_code == 200
    assert 'name="acknowledge" value="taper.too_fast"' in page.text

    number = version.rsplit("/", 1)[1]
    refused = app_client.post(f"{version}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert 'id="acknowledge-error"' in refused.text and "acknowledge:" in refused.text
    assert 'aria-invalid="true"' in refused.text
    approved = app_client.post(
        f"{version}/approve",
        data={"csrf_token": csrf, "acknowledge": "taper.too_fast"},
        follow_redirects=False,
    )
    assert approved.status_code == 303 and approved.headers["location"] == "/people/gray"
    assert f"Version {number}, approved by cleo" in app_client.get("/people/gray").text
    [(content, acknowledged)] = stored(
        app_client,
        select(PlanVersion.content, PlanVersion.acknowledged)
        .join(User, User.id == PlanVersion.person_id)
        .where(User.handle == "gray", PlanVersion.status == "approved"),
    )
    assert acknowledged == ["taper.too_fast"]
    assert content["activities"]["exercise_minutes_per_week"] == 150  # kept from before
    assert [item["category"] for item in content["regimen"]] == [
        "magnesium",
        "other_medication",
        "melatonin",
    ]


def test_holding_a_step_and_re_planning_draft_new_versions_with_their_changes(
    app_client: TestClient,
) -> None:
    csrf = login_as(app_client, "sam")
    approved = app_client.get("/api/v1/people/harper/plan").json()
    number = approved["number"]
    page = app_client.get(f"/people/harper/plan/{number}")
    assert page.status_code == 200 and "Adjust the taper" in page.text
    bad = app_client.post(
        "/people/harper/plan/pause",
        data={"csrf_token": csrf, "start": "2026-03-20", "days": "0", "note": "keep me"},
    )
    assert bad.status_code == 422 and "days: enter a whole number from 1 to 365" in bad.text
    assert 'value="keep me"' in bad.text  # what was typed stays
    wrong_date = app_client.post(
        "/people/harper/plan/pause", data={"csrf_token": csrf, "start": "soon", "days": "7"}
    )
    assert wrong_date.status_code == 422 and "start: enter a date" in wrong_date.text
    held = app_client.post(
        "/people/harper/plan/pause",
        data={"csrf_token": csrf, "start": "2026-03-20", "days": "14", "note": "a hard week"},
        follow_redirects=False,
    )
    assert held.status_code == 303
    draft_page = app_client.get(held.headers["location"])
    assert "draft" in draft_page.text and "a hard week" in draft_page.text
    assert "Changes since version" in draft_page.text and "pause" in draft_page.text.lower()
    # Nothing changed for harper until a draft is approved.
    assert app_client.get("/api/v1/people/harper/plan").json()["number"] == number

    via_api = app_client.post(
        "/api/v1/people/harper/plans/pause",
        json={"start": "2026-03-21", "days": 400},
        headers={"x-csrf-token": csrf},
    )
    assert via_api.status_code == 422 and "days" in via_api.text
    replanned = app_client.post(
        "/api/v1/people/harper/plans/replan", json={"days": 7}, headers={"x-csrf-token": csrf}
    )
    assert replanned.status_code in (201, 422), replanned.text
    if replanned.status_code == 422:  # harper's recent logs may already be at the target
        assert replanned.json()["field"] == "history"
    else:
        assert replanned.json()["status"] == "draft"
    login_as(app_client, "cleo")  # not harper's clinician
    refused = app_client.post(
        "/people/harper/plan/pause",
        data={
            "csrf_token": csrf_of(app_client.get("/help").text),
            "start": "2026-03-20",
            "days": "7",
        },
    )
    assert refused.status_code == 403


def test_the_pause_and_re_plan_forms_name_each_problem_in_plain_words(
    app_client: TestClient,
) -> None:
    csrf = login_as(app_client, "sam")
    cases = [
        (
            "pause",
            {"start": "2026-03-20", "days": "400"},
            "days: enter a whole number from 1 to 365",
        ),
        ("pause", {"start": "", "days": "7"}, "start: enter a date as YYYY-MM-DD"),
        (
            "pause",
            {"start": "1850-01-01", "days": "7"},
            "start: enter a date between 1900 and 2200",
        ),
        (
            "pause",
            {"start": "2026-03-20", "days": "7", "note": "x" * 2001},
            "note: use at most 2000 characters",
        ),
        ("replan", {"days": "61"}, "days: enter a whole number from 1 to 60"),
        ("replan", {"days": "a week"}, "days: enter a whole number from 1 to 60"),
    ]
    for action, fields, problem in cases:
        answer = app_client.post(
            f"/people/harper/plan/{action}", data={"csrf_token": csrf, **fields}
        )
        assert answer.status_code == 422, (action, fields, answer.status_code)
        assert problem in answer.text, (action, fields)


def _input(page: str, element_id: str) -> str:
    found = re.search(rf'<input id="{element_id}"[^>]*>', page)
    assert found is not None, element_id
    return found.group(0)


def test_a_problem_stays_with_the_form_that_was_sent_and_keeps_what_was_typed(
    app_client: TestClient,
) -> None:
    csrf = login_as(app_client, "sam")
    replan = app_client.post("/people/harper/plan/replan", data={"csrf_token": csrf, "days": "61"})
    assert replan.status_code == 422
    assert 'value="61"' in _input(replan.text, "replan-days")
    assert 'aria-invalid="true"' in _input(replan.text, "replan-days")
    assert 'value="7"' in _input(replan.text, "pause-days")  # the other form as it was
    assert "aria-invalid" not in _input(replan.text, "pause-days")
    pause = app_client.post(
        "/people/harper/plan/pause",
        data={"csrf_token": csrf, "start": "2026-03-20", "days": "400", "note": "flu"},
    )
    assert pause.status_code == 422
    assert 'value="400"' in _input(pause.text, "pause-days")
    assert 'aria-invalid="true"' in _input(pause.text, "pause-days")
    assert 'value="flu"' in _input(pause.text, "pause-note")
    assert 'value="7"' in _input(pause.text, "replan-days")
    assert "aria-invalid" not in _input(pause.text, "replan-days")


def test_the_alert_list_pages_through_alerts_in_urgency_order(app_client: TestClient) -> None:
    from taperline.web.routes.clinician import ALERTS_PER_PAGE

    login_as(app_client, "cleo")
    everything = app_client.get("/api/v1/alerts?status=all&limit=1000").json()["data"]
    first = app_client.get("/api/v1/alerts?status=all&limit=2").json()["data"]
    second = app_client.get("/api/v1/alerts?status=all&limit=2&offset=2").json()["data"]
    assert [a["id"] for a in first + second] == [a["id"] for a in everything[:4]]
    resolved = [a["status"] == "resolved" for a in everything]
    assert resolved == sorted(resolved)  # unresolved first
    assert app_client.get("/api/v1/alerts?limit=0").status_code == 422
    page_one = app_client.get("/alerts?status=all")
    shown = page_one.text.count('class="alert-card')
    assert shown == min(len(everything), ALERTS_PER_PAGE)
    assert ('rel="next"' in page_one.text) == (len(everything) > ALERTS_PER_PAGE)
    beyond = app_client.get("/alerts?status=all&page=999")
    assert beyond.status_code == 200 and "No more" in beyond.text and 'rel="prev"' in beyond.text
    assert app_client.get("/alerts?page=0").status_code == 422
