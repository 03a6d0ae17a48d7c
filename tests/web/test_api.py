"""The JSON API under /api/v1: bearer tokens and cookies, CSRF, access, idempotent check-ins,
alerts, plans, the OpenAPI document, and no 500 for any malformed input.

The demo clinic is shared by this module's tests, so each test works on its own people:
alex (reads, alerts), blair (token writes), casey (cookie writes), emery (idempotency),
frankie (a bad check-in), gray (plans), harper (malformed input), devon (outside cleo's care).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import User
from taperline.services import accounts
from taperline.services.uow import unit_of_work
from taperline.web.routes import api_v1, evidence_api, progress
from tests.factories import actor_for, taper
from tests.web.conftest import NOW, login
from tests.web.openapi import Document

API = "/api/v1"
TODAY = dt.date(2026, 3, 14)


@pytest.fixture(scope="module")
def tokens(demo_url: str) -> dict[str, str]:
    """An API token for each demo user the tests act as, made the way the CLI makes them."""
    engine = make_engine(demo_url)
    clock = FixedClock(NOW)
    made = {}
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        for handle in ("cleo", "sam", "ada", "alex", "blair", "gray"):
            user = session.scalar(select(User).where(User.handle == handle))
            assert user is not None
            made[handle] = accounts.create_token(session, clock, actor_for(user), "tests")
    engine.dispose()
    return made


@pytest.fixture
def api(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    """api(handle) -> headers that authenticate as `handle` with a bearer token."""

    def headers(handle: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[handle]}"}

    return headers


def openapi(client: TestClient) -> Document:
    return Document(client.get(f"{API}/openapi.json").json())


def kratom(amount: Any, **extra: Any) -> dict[str, Any]:
    return {"category": "kratom", "form": "leaf_powder", "amount": amount, "unit": "g", **extra}


def checkin(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "date": TODAY.isoformat(),
        "doses": [kratom("2", time="08:00")],
        "responses": {"craving": [3, 1], "sows": [1] * 16},
        "note": "From the API tests.",
    }
    data.update(overrides)
    return data


def count_checkins(client: TestClient, headers: dict[str, str], handle: str) -> int:
    """How many check-ins `handle` has, all dates, as the people list counts them."""
    answer = client.get(f"{API}/people", headers=headers)
    assert answer.status_code == 200, answer.text
    count: int = next(p["checkins"] for p in answer.json()["data"] if p["handle"] == handle)
    return count


# -- authentication -----------------------------------------------------------------------


def test_a_clinician_reads_a_persons_record_with_a_bearer_token(
    app_client: TestClient, api: Any
) -> None:
    cleo = api("cleo")
    me = app_client.get(f"{API}/me", headers=cleo).json()
    assert me == {
        "handle": "cleo",
        "name": me["name"],
        "role": "clinician",
        "clinic": "Riverside Recovery Clinic (demo)",
        "timezone": me["timezone"],
    }
    caseload = app_client.get(f"{API}/people", headers=cleo).json()
    assert [p["handle"] for p in caseload["data"]] == ["alex", "blair", "casey", "gray"]
    assert caseload["count"] == 4 and all(p["checkins"] for p in caseload["data"])
    profile = app_client.get(f"{API}/people/alex", headers=cleo).json()
    assert profile["handle"] == "alex" and profile["clinicians"] == ["cleo"]
    history = app_client.get(f"{API}/people/alex/checkins?days=3", headers=cleo).json()
    assert history["count"] == len(history["data"]) >= 3
    assert {c["date"] for c in history["data"]} <= {"2026-03-12", "2026-03-13", "2026-03-14"}
    assert any(s["instrument"] == "sows" for c in history["data"] for s in c["scores"])
    plan = app_client.get(f"{API}/people/alex/plan", headers=cleo).json()
    assert plan["status"] == "approved" and plan["review"]["schedule"]["steps"]
    adherence = app_client.get(f"{API}/people/alex/adherence?days=7", headers=cleo).json()
    assert (adherence["start"], adherence["end"]) == ("2026-03-08", "2026-03-14")
    assert len(adherence["kratom"]["days"]) == 7
    today = app_client.get(f"{API}/people/alex/today", headers=cleo).json()
    assert today["date"] == "2026-03-14" and any(i["kind"] == "dose" for i in today["data"])
    ics = app_client.get(f"{API}/people/alex/calendar.ics", headers=cleo)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.startswith("BEGIN:VCALENDAR")


def test_a_person_sees_only_themself_with_a_bearer_token(app_client: TestClient, api: Any) -> None:
    alex = api("alex")
    assert app_client.get(f"{API}/me", headers=alex).json()["role"] == "person"
    people = app_client.get(f"{API}/people", headers=alex).json()
    assert [p["handle"] for p in people["data"]] == ["alex"]
    assert app_client.get(f"{API}/people/alex/checkins", headers=alex).status_code == 200
    assert app_client.get(f"{API}/people/alex/today", headers=alex).status_code == 200
    alerts = app_client.get(f"{API}/alerts?status=all", headers=alex).json()
    assert {a["person"] for a in alerts["data"]} <= {"alex"}


@pytest.mark.parametrize("handle", ["cleo", "blair"])
def test_the_login_cookie_works_for_reading(app_client: TestClient, handle: str) -> None:
    login(app_client, handle)
    me = app_client.get(f"{API}/me")
    assert me.status_code == 200 and me.json()["handle"] == handle
    whose = "alex" if handle == "cleo" else "blair"
    assert app_client.get(f"{API}/people/{whose}/checkins").status_code == 200


ROUTES = [
    ("get", "/me"),
    ("get", "/people"),
    ("get", "/people/alex"),
    ("get", "/people/alex/checkins"),
    ("post", "/people/alex/checkins"),
    ("get", "/people/alex/alerts"),
    ("get", "/alerts"),
    ("post", "/alerts/1/acknowledge"),
    ("post", "/alerts/1/resolve"),
    ("get", "/people/alex/plan"),
    ("get", "/people/alex/plans"),
    ("post", "/people/alex/plans"),
    ("post", "/people/alex/plans/1/approve"),
    ("post", "/people/alex/plans/pause"),
    ("post", "/people/alex/plans/replan"),
    ("get", "/people/alex/plans/1/diff/1"),
    ("get", "/people/alex/adherence"),
    ("get", "/people/alex/today"),
    ("get", "/people/alex/calendar.ics"),
    ("get", "/instruments"),
    ("post", "/instruments/phq9/score"),
    ("post", "/safety/check"),
    ("get", "/account/tokens"),
    ("post", "/account/tokens"),
    ("post", "/account/tokens/1/revoke"),
    ("get", "/people/alex/progress"),
    ("get", "/people/alex/nof1"),
    ("get", "/clinic/overview"),
    ("get", "/claims"),
    ("post", "/claims/check"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer tl_not-a-real-token", "Bearer "])
def test_without_a_valid_login_every_route_answers_401(
    app_client: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    kwargs: dict[str, Any] = {"json": {}} if method == "post" else {}
    answer = app_client.request(method, API + path, headers=headers, **kwargs)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/json" and answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"
    assert openapi(app_client).problems(method, API + path, answer) == []


# -- access -------------------------------------------------------------------------------

OUTSIDE_CARE = [
    ("get", "/people/{who}", None),
    ("get", "/people/{who}/checkins", None),
    ("post", "/people/{who}/checkins", checkin()),
    ("get", "/people/{who}/alerts?status=all", None),
    ("get", "/people/{who}/plan", None),
    ("get", "/people/{who}/plans", None),
    ("post", "/people/{who}/plans", {"goals": ["Sleep well"]}),
    ("post", "/people/{who}/plans/1/approve", {"acknowledge": []}),
    ("get", "/people/{who}/plans/1/diff/1", None),
    ("get", "/people/{who}/adherence", None),
    ("get", "/people/{who}/today", None),
    ("get", "/people/{who}/calendar.ics", None),
    ("get", "/people/{who}/progress", None),
    ("get", "/people/{who}/nof1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OUTSIDE_CARE)
def test_a_clinician_gets_403_for_another_clinicians_person(
    app_client: TestClient, api: Any, method: str, path: str, body: Any
) -> None:
    before = count_checkins(app_client, api("sam"), "devon")
    answer = app_client.request(
        method, API + path.format(who="devon"), headers=api("cleo"), json=body
    )
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == "You do not have access to do that for this record."
    assert count_checkins(app_client, api("sam"), "devon") == before
    assert openapi(app_client).problems(method, API + path, answer) == []


@pytest.mark.parametrize(("method", "path", "body"), OUTSIDE_CARE)
def test_a_person_gets_403_for_another_person(
    app_client: TestClient, api: Any, method: str, path: str, body: Any
) -> None:
    answer = app_client.request(
        method, API + path.format(who="blair"), headers=api("alex"), json=body
    )
    assert answer.status_code == 403, answer.text


def test_a_clinician_may_not_step_another_clinicians_alert_nor_a_person_their_own(
    app_client: TestClient, api: Any
) -> None:
    sams = app_client.get(f"{API}/alerts?status=open", headers=api("sam")).json()["data"]
    assert sams, "the demo gives sam's people open alerts"
    refused = app_client.post(
        f"{API}/alerts/{sams[0]['id']}/acknowledge", headers=api("cleo"), json={"note": "Seen."}
    )
    assert refused.status_code == 403
    alexs = app_client.get(f"{API}/people/alex/alerts?status=all", headers=api("alex")).json()
    assert alexs["data"], "the demo gives alex an alert"
    refused = app_client.post(
        f"{API}/alerts/{alexs['data'][0]['id']}/resolve", headers=api("alex"), json={"note": "Ok"}
    )
    assert refused.status_code == 403


def test_a_clinic_admin_lists_accounts_but_reads_no_health_data(
    app_client: TestClient, api: Any
) -> None:
    people = app_client.get(f"{API}/people", headers=api("ada")).json()
    assert people["count"] >= 8
    assert all(p["checkins"] is None and p["last_checkin"] is None for p in people["data"])
    assert app_client.get(f"{API}/alerts", headers=api("ada")).json()["count"] == 0
    assert app_client.get(f"{API}/people/alex/checkins", headers=api("ada")).status_code == 403


def test_an_unknown_person_alert_or_version_is_404(app_client: TestClient, api: Any) -> None:
    cleo = api("cleo")
    assert app_client.get(f"{API}/people/nobody-here", headers=cleo).status_code == 404
    missing = app_client.post(
        f"{API}/alerts/999999/acknowledge", headers=cleo, json={"note": "Seen."}
    )
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert app_client.get(f"{API}/people/alex/plans/1/diff/99", headers=cleo).status_code == 404


# -- CSRF ---------------------------------------------------------------------------------


def test_a_cookie_post_needs_the_csrf_header(app_client: TestClient) -> None:
    csrf = login(app_client, "casey")
    before = count_checkins(app_client, {}, "casey")
    refused = app_client.post(f"{API}/people/casey/checkins", json=checkin())
    assert refused.status_code == 403 and refused.json()["field"] == "csrf_token"
    forged = app_client.post(
        f"{API}/people/casey/checkins", json=checkin(), headers={"X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403
    assert count_checkins(app_client, {}, "casey") == before
    stored = app_client.post(
        f"{API}/people/casey/checkins", json=checkin(), headers={"X-CSRF-Token": csrf}
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["person"] == "casey" and stored.json()["created_by"] == "casey"
    assert count_checkins(app_client, {}, "casey") == before + 1


def test_a_bearer_token_post_needs_no_csrf(app_client: TestClient, api: Any) -> None:
    before = count_checkins(app_client, api("cleo"), "blair")
    stored = app_client.post(f"{API}/people/blair/checkins", headers=api("cleo"), json=checkin())
    assert stored.status_code == 201, stored.text
    assert stored.json()["created_by"] == "cleo"
    assert count_checkins(app_client, api("cleo"), "blair") == before + 1


# -- check-ins ----------------------------------------------------------------------------


def test_the_same_idempotency_key_replays_the_stored_checkin(
    app_client: TestClient, api: Any
) -> None:
    sam = api("sam")
    before = count_checkins(app_client, sam, "emery")
    body = checkin(idempotency_key="api-test-emery-0001", red_flags=["red_flag.seizure"])
    first = app_client.post(f"{API}/people/emery/checkins", headers=sam, json=body)
    again = app_client.post(f"{API}/people/emery/checkins", headers=sam, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    scores = {s["instrument"]: s["total"] for s in first.json()["scores"]}
    assert scores == {"craving": 3, "sows": 16}
    rules = [f["rule"] for f in first.json()["findings"]]
    assert "red_flag.seizure" in rules and first.json()["findings"][0]["person_message"]
    assert [f["rule"] for f in again.json()["findings"]] == rules
    assert count_checkins(app_client, sam, "emery") == before + 1
    reused = app_client.post(
        f"{API}/people/emery/checkins", headers=sam, json={**body, "note": "Something else."}
    )
    assert reused.status_code == 422 and reused.json()["field"] == "idempotency_key"
    assert count_checkins(app_client, sam, "emery") == before + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"responses": {"sows": [1] * 15 + [7]}}, "responses.sows.item 16"),
        ({"responses": {"sows": [1] * 15}}, "responses.sows.answers"),
        ({"responses": {"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 4]}}, "responses.phq9.item 9"),
        ({"responses": {"nope": [1]}}, "responses.nope"),
        ({"date": "2026-03-20"}, "date"),
        ({"red_flags": ["red_flag.unheard_of"]}, "red_flags"),
        ({"person": "blair"}, "person"),
        ({"idempotency_key": "short"}, "idempotency_key"),
    ],
)
def test_a_bad_checkin_is_422_naming_the_field_and_nothing_is_stored(
    app_client: TestClient, api: Any, change: dict[str, Any], field: str
) -> None:
    sam = api("sam")
    before = count_checkins(app_client, sam, "frankie")
    answer = app_client.post(f"{API}/people/frankie/checkins", headers=sam, json=checkin(**change))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert answer.json()["detail"].startswith(f"{field}: ")
    assert count_checkins(app_client, sam, "frankie") == before


def test_only_a_clinician_records_a_visit(app_client: TestClient, api: Any) -> None:
    visit = checkin(kind="visit", responses={"cows": [1] * 11}, doses=[])
    answer = app_client.post(f"{API}/people/blair/checkins", headers=api("blair"), json=visit)
    assert answer.status_code == 422 and answer.json()["field"] == "kind"


# -- alerts -------------------------------------------------------------------------------


def test_a_caring_clinician_acknowledges_then_resolves_an_alert_with_a_note(
    app_client: TestClient, api: Any
) -> None:
    cleo = api("cleo")
    open_ = app_client.get(f"{API}/people/alex/alerts?status=open", headers=cleo).json()["data"]
    assert open_, "the demo gives alex an open alert"
    alert = open_[0]["id"]
    blank = app_client.post(f"{API}/alerts/{alert}/acknowledge", headers=cleo, json={"note": " "})
    assert blank.status_code == 422 and blank.json()["field"] == "note"
    acknowledged = app_client.post(
        f"{API}/alerts/{alert}/acknowledge", headers=cleo, json={"note": "Called Alex today."}
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_note"] == "Called Alex today."
    twice = app_client.post(
        f"{API}/alerts/{alert}/acknowledge", headers=cleo, json={"note": "Again."}
    )
    assert twice.status_code == 422 and twice.json()["field"] == "alert"
    resolved = app_client.post(
        f"{API}/alerts/{alert}/resolve", headers=cleo, json={"note": "Held the step a week."}
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    listed = app_client.get(f"{API}/alerts?status=resolved", headers=cleo).json()["data"]
    shown = next(a for a in listed if a["id"] == alert)
    assert (shown["acknowledged_by"], shown["resolved_by"]) == ("cleo", "cleo")
    assert shown["resolved_note"] == "Held the step a week."
    still_open = app_client.get(f"{API}/people/alex/alerts", headers=cleo).json()["data"]
    assert alert not in [a["id"] for a in still_open]


# -- plans --------------------------------------------------------------------------------


def fast_plan() -> dict[str, Any]:
    return {
        "taper": taper(
            "2026-03-16", 6, 0, step=2, step_days=14, times=("08:00", "20:00"), long_term_use=True
        ),
        "goals": ["Sleep through the night"],
    }


def test_a_plan_is_drafted_and_approved_only_with_its_warnings_acknowledged(
    app_client: TestClient, api: Any
) -> None:
    cleo = api("cleo")
    before = app_client.get(f"{API}/people/gray/plan", headers=cleo).json()["number"]
    refused = app_client.post(f"{API}/people/gray/plans", headers=api("gray"), json=fast_plan())
    assert refused.status_code == 403  # a person does not draft their own plan
    drafted = app_client.post(
        f"{API}/people/gray/plans?note=Faster%20steps", headers=cleo, json=fast_plan()
    )
    assert drafted.status_code == 201, drafted.text
    draft = drafted.json()
    assert draft["status"] == "draft" and draft["note"] == "Faster steps"
    assert draft["plan"]["taper"]["step"] == "2"
    needed = draft["review"]["needs_acknowledging"]
    assert "taper.too_fast" in needed
    step_rules = {f["rule"] for s in draft["review"]["schedule"]["steps"] for f in s["findings"]}
    assert "taper.too_fast" in step_rules
    number = draft["number"]
    assert number == before + 1
    # Nothing changes for gray until it is approved; gray does not see the draft.
    assert app_client.get(f"{API}/people/gray/plan", headers=api("gray")).json()["number"] == before
    versions = app_client.get(f"{API}/people/gray/plans", headers=api("gray")).json()["data"]
    assert number not in [v["number"] for v in versions]

    missing = app_client.post(
        f"{API}/people/gray/plans/{number}/approve", headers=cleo, json={"acknowledge": []}
    )
    assert missing.status_code == 422 and missing.json()["field"] == "acknowledge"
    assert "taper.too_fast" in missing.json()["detail"]
    approved = app_client.post(
        f"{API}/people/gray/plans/{number}/approve", headers=cleo, json={"acknowledge": needed}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"] == "cleo"
    assert approved.json()["acknowledged"] == sorted(needed)
    seen = app_client.get(f"{API}/people/gray/plan", headers=api("gray")).json()
    assert seen["number"] == number
    changes = app_client.get(f"{API}/people/gray/plans/{before}/diff/{number}", headers=cleo).json()
    assert (changes["old"], changes["new"]) == (before, number) and changes["count"] >= 1
    again = app_client.post(
        f"{API}/people/gray/plans/{number}/approve", headers=cleo, json={"acknowledge": needed}
    )
    assert again.status_code == 422 and again.json()["field"] == "version"


def test_a_bad_plan_is_422_naming_the_field(app_client: TestClient, api: Any) -> None:
    plan = fast_plan()
    plan["taper"]["target"] = {"amount": 9, "unit": "g"}  # above the current amount
    answer = app_client.post(f"{API}/people/gray/plans", headers=api("cleo"), json=plan)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"].startswith("taper.")


# -- tools that store nothing -------------------------------------------------------------


def test_instruments_are_listed_and_scored_without_storing(
    app_client: TestClient, api: Any
) -> None:
    listed = app_client.get(f"{API}/instruments", headers=api("alex")).json()
    by_id = {i["id"]: i for i in listed["data"]}
    assert {"phq9", "gad7", "sows", "cows", "sleep_diary"} <= set(by_id)
    assert by_id["phq9"]["items"] >= 9 and by_id["phq9"]["has_bands"] is True
    assert by_id["sows"]["has_bands"] is False and by_id["cows"]["rater"] == "clinician"
    scored = app_client.post(
        f"{API}/instruments/phq9/score",
        headers=api("alex"),
        json={"answers": [1, 1, 1, 1, 1, 0, 0, 0, 1]},
    )
    assert scored.status_code == 200, scored.text
    assert (scored.json()["total"], scored.json()["band"]) == (6, "mild")
    assert scored.json()["flags"] == ["phq9.item9_positive"]
    wrong = app_client.post(
        f"{API}/instruments/gad7/score", headers=api("alex"), json={"answers": [0, 0, 9]}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "answers"


def test_what_the_framework_refuses_answers_in_the_same_shape_and_words(
    app_client: TestClient, api: Any
) -> None:
    page = app_client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is nothing at this address" in page.text and "I need help now" in page.text
    missing = app_client.get(f"{API}/no-such-thing", headers=api("cleo"))
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "There is nothing at this address. Check it, or start again from the home page."
    }
    wrong = app_client.delete(f"{API}/me", headers=api("cleo"))
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    assert wrong.json() == {"detail": "This address does not take that kind of request."}
    unreadable = app_client.post(
        f"{API}/instruments/phq9/score",
        headers={**api("cleo"), "content-type": "application/json"},
        content=b"\x80{}",
    )
    assert unreadable.status_code == 422
    assert unreadable.json() == {
        "detail": "body: is not valid JSON (send UTF-8 JSON)",
        "field": "body",
    }


def test_a_described_situation_is_checked_without_storing(app_client: TestClient, api: Any) -> None:
    situation = {
        "today": "2026-03-14",
        "profile": {"medications": ["alprazolam"]},
        "event": {
            "type": "checkin",
            "doses": [kratom(4)],
        },
    }
    answer = app_client.post(f"{API}/safety/check", headers=api("cleo"), json=situation)
    assert answer.status_code == 200, answer.text
    assert answer.json()["count"] == len(answer.json()["data"])
    for finding in answer.json()["data"]:
        assert finding["person_message"] and finding["clinician_message"] and finding["rule"]


# -- the OpenAPI document -----------------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_openapi_document_lists_every_api_route_with_its_response_schema(
    app_client: TestClient, api: Any
) -> None:
    spec = app_client.get(f"{API}/openapi.json").json()
    routes = {
        (method.lower(), API + route.path)
        for router in (api_v1.router, progress.api_router, evidence_api.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert len(routes) == len(ROUTES)
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert routes <= documented
    for method, path in routes:
        operation = spec["paths"][path][method]
        assert operation["description"], f"{method} {path} has no description"
        assert {"401", "403", "404", "422"} <= set(operation["responses"])
        success = next(r for code, r in operation["responses"].items() if code.startswith("2"))
        content = success["content"]
        if path.endswith(".ics"):
            assert set(content) == {"text/calendar"}
            continue
        schema = _resolve(spec, content["application/json"]["schema"])
        assert schema["title"].endswith("Public"), f"{method} {path}: {schema['title']}"
        if method == "post":
            assert any(p["name"] == "x-csrf-token" for p in operation["parameters"])
    checkins = spec["paths"][f"{API}/people/{{handle}}/checkins"]["post"]["responses"]
    assert {"200", "201"} <= set(checkins)
    assert set(spec["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyCookie"}
    unauthorised = spec["paths"][f"{API}/me"]["get"]["responses"]["401"]
    problem = _resolve(spec, unauthorised["content"]["application/json"]["schema"])
    assert set(problem["properties"]) == {"detail", "field"}


@pytest.mark.parametrize(
    "path",
    [
        "/me",
        "/people",
        "/people/alex",
        "/people/alex/checkins",
        "/people/alex/alerts?status=all",
        "/alerts",
        "/people/alex/plan",
        "/people/alex/plans",
        "/people/alex/plans/1/diff/1",
        "/people/alex/adherence",
        "/people/alex/today",
        "/people/alex/progress",
        "/people/alex/nof1?exposure=melatonin&outcome=sleep_onset_latency",
        "/clinic/overview",
        "/people/alex/calendar.ics",
        "/instruments",
        "/account/tokens",
        "/claims?topic=kratom",
    ],
)
def test_each_answer_is_what_the_openapi_document_says(
    app_client: TestClient, api: Any, path: str
) -> None:
    spec = app_client.get(f"{API}/openapi.json").json()
    answer = app_client.get(API + path, headers=api("cleo"))
    assert answer.status_code == 200, answer.text
    document = Document(spec)
    assert document.problems("get", API + path, answer) == []
    if not answer.headers["content-type"].startswith("application/json"):
        return
    template = document.template("get", API + path)
    schema = _resolve(
        spec,
        spec["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
    )
    assert set(answer.json()) == set(schema["properties"])  # no field the document leaves out
    if "data" in schema["properties"] and answer.json()["data"]:
        item = _resolve(spec, schema["properties"]["data"]["items"])
        assert set(answer.json()["data"][0]) == set(item["properties"])


def test_a_submitted_check_in_answers_with_the_fields_its_schema_documents(
    app_client: TestClient, api: Any
) -> None:
    spec = app_client.get(f"{API}/openapi.json").json()
    operation = spec["paths"][f"{API}/people/{{handle}}/checkins"]["post"]
    schema = _resolve(spec, operation["responses"]["201"]["content"]["application/json"]["schema"])
    body = checkin(idempotency_key="schema-check-0001")
    for status in (201, 200):  # stored, then replayed
        answer = app_client.post(f"{API}/people/alex/checkins", json=body, headers=api("cleo"))
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == set(schema["properties"])
        assert set(schema["required"]) <= set(answer.json())
        assert Document(spec).problems("post", f"{API}/people/alex/checkins", answer) == []


# -- no 500, whatever the input -----------------------------------------------------------

GOOD_TAPER: dict[str, Any] = fast_plan()["taper"]
HUGE_INTEGER = '{"date": "2026-03-14", "responses": {"craving": [1%s, 1]}}' % ("1" * 5000)


MALFORMED: list[Any] = [
    # check-ins
    ("post", "/people/harper/checkins", "{not json"),
    ("post", "/people/harper/checkins", b"\x80{}"),  # not UTF-8 text
    ("post", "/people/harper/checkins", "[1, 2]"),
    ("post", "/people/harper/checkins", '"a string"'),
    ("post", "/people/harper/checkins", "null"),
    ("post", "/people/harper/checkins", HUGE_INTEGER),
    ("post", "/people/harper/checkins", {}),
    ("post", "/people/harper/checkins", {"responses": {"craving": [1, 1]}}),
    ("post", "/people/harper/checkins", checkin(date=20260314)),
    ("post", "/people/harper/checkins", checkin(date="yesterday")),
    ("post", "/people/harper/checkins", checkin(date="9999-12-31")),
    ("post", "/people/harper/checkins", checkin(kind="weekly")),
    ("post", "/people/harper/checkins", checkin(unknown_field=1)),
    ("post", "/people/harper/checkins", checkin(idempotency_key="short")),
    ("post", "/people/harper/checkins", checkin(idempotency_key=12345678)),
    ("post", "/people/harper/checkins", checkin(responses=[1, 2])),
    ("post", "/people/harper/checkins", checkin(responses={"sows": "1,1"})),
    ("post", "/people/harper/checkins", checkin(responses={"sows": [10**30] * 16})),
    ("post", "/people/harper/checkins", checkin(responses={"sows": [True] * 16})),
    ("post", "/people/harper/checkins", checkin(responses={"sows": [1.5] * 16})),
    ("post", "/people/harper/checkins", checkin(responses={"sows": [None] * 16})),
    ("post", "/people/harper/checkins", checkin(responses={"sows": {"sows_1": "x"}})),
    ("post", "/people/harper/checkins", checkin(responses={"no_such_scale": [1]})),
    ("post", "/people/harper/checkins", checkin(responses={"sleep_diary": [1, 2]})),
    ("post", "/people/harper/checkins", checkin(responses={"sleep_diary": {"into_bed": "25:99"}})),
    ("post", "/people/harper/checkins", checkin(responses={}, doses=[], note="")),
    ("post", "/people/harper/checkins", checkin(note="x" * 2001)),
    ("post", "/people/harper/checkins", checkin(red_flags="red_flag.seizure")),
    ("post", "/people/harper/checkins", checkin(red_flags=[10**30])),
    ("post", "/people/harper/checkins", checkin(activities={"exercise_minutes": 10**20})),
    ("post", "/people/harper/checkins", checkin(activities={"counseling": "maybe"})),
    ("post", "/people/harper/checkins", checkin(used_non_prescribed_opioids="often")),
    ("post", "/people/harper/checkins", checkin(doses="2 g")),
    ("post", "/people/harper/checkins", checkin(doses=[{"category": "kratom"}])),
    ("post", "/people/harper/checkins", checkin(doses=[{**kratom(1), "category": "bananas"}])),
    ("post", "/people/harper/checkins", checkin(doses=[{**kratom(1), "unit": "lb"}])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom(-1)])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom("NaN")])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom("Infinity")])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom("0.0001")])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom(1), kratom(1, date=5)])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom(1, date="2026-03-20")])),
    ("post", "/people/harper/checkins", checkin(date="0001-01-01")),
    ("post", "/people/harper/checkins", checkin(doses=[kratom("1e30")])),
    ("post", "/people/harper/checkins", checkin(doses=[kratom(1e300)])),
    ("post", "/people/harper/checkins", checkin(note="a\x00b")),
    # alerts
    ("post", "/alerts/1/acknowledge", {}),
    ("post", "/alerts/1/acknowledge", {"note": "a\x00b"}),
    ("post", "/alerts/1/acknowledge", {"note": 5}),
    ("post", "/alerts/1/acknowledge", {"note": ["a"]}),
    ("post", "/alerts/1/acknowledge", {"note": "x" * 2001}),
    ("post", "/alerts/1/resolve", {"note": "ok", "extra": True}),
    ("post", "/alerts/0/resolve", {"note": "ok"}),
    ("post", "/alerts/-1/resolve", {"note": "ok"}),
    ("post", "/alerts/abc/resolve", {"note": "ok"}),
    ("post", f"/alerts/{10**30}/acknowledge", {"note": "ok"}),
    ("get", "/alerts?status=everything", None),
    ("get", "/people/harper/alerts?status=", None),
    # plans
    ("post", "/people/harper/plans", "[]"),
    ("post", "/people/harper/plans", {"taper": "slowly"}),
    ("post", "/people/harper/plans", {"regimen": [{"category": "melatonin"}]}),
    (
        "post",
        "/people/harper/plans",
        {"regimen": [{"category": "melatonin", "amount": 3, "unit": "mg", "times": []}]},
    ),
    (
        "post",
        "/people/harper/plans",
        {"regimen": [{"category": "melatonin", "amount": 3, "unit": "mg", "times": ["25:00"]}]},
    ),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "method": "halve"}}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "step": 0}}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "step": "Infinity"}}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "method": "percent", "step": 1e300}}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "step_days": 10**12}}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "doses": []}}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "target": {"amount": 1}}}),
    (
        "post",
        "/people/harper/plans",
        {"taper": {**GOOD_TAPER, "target": {"amount": 1, "unit": "capsule"}}},
    ),
    ("post", "/people/harper/plans", {"monitoring": {"weekly_questionnaires_day": "someday"}}),
    ("post", "/people/harper/plans", {"monitoring": {"visits": ["2026-03-30T10:00+02:00"]}}),
    ("post", f"/people/harper/plans?note={'x' * 2001}", {"goals": ["x"]}),
    ("post", "/people/harper/plans?note=a%00b", {"goals": ["x"]}),
    ("post", "/people/harper/plans", {"goals": ["a\x00b"]}),
    ("post", "/people/harper/plans", {"taper": {**GOOD_TAPER, "start": "9999-12-01"}}),
    (
        "post",
        "/people/harper/plans",
        {
            "taper": {
                **GOOD_TAPER,
                "method": "percent",
                "step": 10,
                "current": {"amount": "1e20", "unit": "g"},
                "smallest_step": {"amount": "1e-20", "unit": "g"},
            }
        },
    ),
    ("post", "/people/harper/plans/1/approve", {"acknowledge": "taper.too_fast"}),
    ("post", "/people/harper/plans/1/approve", {"acknowledge": [1, 2]}),
    ("post", f"/people/harper/plans/{10**30}/approve", {"acknowledge": []}),
    ("post", "/people/harper/plans/0/approve", {"acknowledge": []}),
    ("get", f"/people/harper/plans/1/diff/{10**30}", None),
    ("get", "/people/harper/plans/one/diff/two", None),
    # reads with bad parameters
    ("get", "/people/harper/checkins?days=0", None),
    ("get", "/people/harper/checkins?days=-3", None),
    ("get", f"/people/harper/checkins?days={10**30}", None),
    ("get", "/people/harper/checkins?days=two", None),
    ("get", f"/people/harper/adherence?days={10**30}", None),
    ("get", "/people/harper/adherence?days=0", None),
    ("get", f"/people/{'x' * 101}", None),
    ("get", "/people/a%00b/checkins", None),
    # instruments
    ("post", "/instruments/no_such_scale/score", {"answers": [1]}),
    ("post", f"/instruments/{'x' * 51}/score", {"answers": [1]}),
    ("post", "/instruments/phq9/score", {}),
    ("post", "/instruments/phq9/score", {"answers": "0,1,2"}),
    ("post", "/instruments/phq9/score", {"answers": None}),
    ("post", "/instruments/phq9/score", {"answers": [10**30] * 9}),
    ("post", "/instruments/phq9/score", {"answers": [1e300] * 9}),
    ("post", "/instruments/phq9/score", {"answers": [0] * 30}),
    ("post", "/instruments/phq9/score", {"answers": {"phq9_1": "x"}}),
    ("post", "/instruments/cows/score", {"answers": [{"a": 1}] * 11}),
    ("post", "/instruments/sleep_diary/score", {"answers": [1, 2]}),
    ("post", "/instruments/sleep_diary/score", {"answers": {"into_bed": 10**30}}),
    ("post", "/instruments/sleep_diary/score", {"answers": {"into_bed": "99:99"}}),
    # a described situation
    ("post", "/safety/check", {}),
    ("post", "/safety/check", {"today": "soon"}),
    ("post", "/safety/check", {"today": "2026-03-14", "country": "ZZ"}),
    ("post", "/safety/check", {"today": "2026-03-14", "profile": {"conditions": ["nope"]}}),
    ("post", "/safety/check", {"today": "2026-03-14", "event": {"type": "party"}}),
    (
        "post",
        "/safety/check",
        {"today": "2026-03-14", "event": {"type": "checkin", "responses": {"nope": [1]}}},
    ),
    (
        "post",
        "/safety/check",
        {
            "today": "2026-03-14",
            "event": {
                "type": "plan_change",
                "before": {"amount": "1e30", "unit": "g"},
                "after": {"amount": 1, "unit": "capsule"},
                "step_days": 7,
            },
        },
    ),
    (
        "post",
        "/safety/check",
        {"today": "2026-03-14", "history": [{"date": "2026-03-14", "sows": 10**30}]},
    ),
    (
        "post",
        "/safety/check",
        {
            "today": "2026-03-14",
            "plan": {
                "items": [{"category": "kratom", "amount": "1e400", "unit": "g", "times": []}]
            },
        },
    ),
    (
        "post",
        "/safety/check",
        {"today": "0001-01-01", "history": [{"date": "0001-01-01", "sows": 3}]},
    ),
]


def _named(cases: list[Any]) -> list[Any]:
    named = []
    for number, case in enumerate(cases):
        values, marks = (case.values, case.marks) if hasattr(case, "values") else (case, ())
        name = f"{number:03d} {values[0]} {values[1]}"
        named.append(pytest.param(*values, marks=marks, id=name))
    return named


@pytest.mark.parametrize(("method", "path", "body"), _named(MALFORMED))
def test_no_malformed_input_gets_a_500_and_nothing_is_stored(
    app_client: TestClient, api: Any, method: str, path: str, body: Any
) -> None:
    sam = api("sam")
    checkins_before = count_checkins(app_client, sam, "harper")
    versions_before = app_client.get(f"{API}/people/harper/plans", headers=sam).json()["count"]
    if isinstance(body, str | bytes):
        answer = app_client.request(
            method,
            API + path,
            headers={**sam, "content-type": "application/json"},
            content=body,
        )
    else:
        answer = app_client.request(method, API + path, headers=sam, json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/json" and answer.json()["detail"]
    assert openapi(app_client).problems(method, API + path, answer) == []
    assert count_checkins(app_client, sam, "harper") == checkins_before
    assert app_client.get(f"{API}/people/harper/plans", headers=sam).json()["count"] == (
        versions_before
    )
