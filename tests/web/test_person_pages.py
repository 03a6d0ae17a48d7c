"""The person's pages through the real ASGI app: today, the multi-step check-in, plan and
calendar, history, and who can see the record."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import User
from taperline.domain.access import Actor
from taperline.domain.errors import Forbidden
from taperline.domain.types import Role
from taperline.knowledge import load
from taperline.services import accounts, checkins, people, plans, safety
from taperline.services.uow import unit_of_work
from tests.web.conftest import NOW, PASSWORD, login, web_settings

TODAY = "2026-03-14"  # in every demo person's zone at the app's fixed clock
PAGES = ("/me/today", "/me/checkin", "/me/plan", "/me/history", "/me/access")


@contextmanager
def services(demo_url: str) -> Iterator[Session]:
    engine = make_engine(demo_url)
    try:
        with unit_of_work(make_sessionmaker(engine), FixedClock(NOW)) as session:
            yield session
    finally:
        engine.dispose()


def as_user(session: Session, handle: str) -> Actor:
    user = session.scalar(select(User).where(User.handle == handle))
    assert user is not None
    return Actor(
        label=f"user:{handle}",
        source="tests",
        user_id=user.id,
        role=Role(user.role),
        clinic_id=user.clinic_id,
    )


class FormReader(HTMLParser):
    """The hidden inputs, filled-in values and checked radios of a page's forms."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        found = {key: value or "" for key, value in attrs}
        name, kind = found.get("name", ""), found.get("type", "text")
        if kind == "hidden":
            self.hidden[name] = found.get("value", "")
        elif kind == "radio":
            if "checked" in found:
                self.values[name] = found.get("value", "")
        elif found.get("value"):
            self.values[name] = found["value"]


def read_form(page: str) -> FormReader:
    reader = FormReader()
    reader.feed(page)
    return reader


def next_step(client: TestClient, page: Response, answers: dict[str, str]) -> Response:
    """Send a step the way a browser without JavaScript does: hidden inputs plus answers."""
    data = read_form(page.text).hidden | answers | {"go": "next"}
    return client.post("/me/checkin", data=data)


def step_of(page: Response) -> str:
    found = re.search(r'name="step" value="([a-z]+)"', page.text)
    assert found, page.text
    return found.group(1)


CRAVING = {"craving_1": "5", "craving_2": "2"}
SOWS = {f"sows_{n}": "1" for n in range(1, 17)}
SLEEP = {
    "sleep_into_bed": "23:00",
    "sleep_tried_to_sleep": "23:15",
    "sleep_sleep_onset_minutes": "20",
    "sleep_awakenings": "1",
    "sleep_awake_minutes": "15",
    "sleep_final_awakening": "06:45",
    "sleep_out_of_bed": "07:00",
    "sleep_quality": "3",
}
ACTIVITIES = {"exercise_minutes": "30", "counseling": "no"}


def safety_answers(opioids: str = "no") -> dict[str, str]:
    answers = {
        "flag_" + flag.rule.id.removeprefix("red_flag.").replace(".", "_"): "no"
        for flag in load().red_flags
    }
    return answers | {"used_non_prescribed_opioids": opioids}


def assert_no_inline_code(page: Response) -> None:
    """CSP forbids inline scripts and styles: only the vendored htmx tag may appear."""
    assert "style=" not in page.text
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ['<script src="/static/vendor/htmx.min.js" defer>'], scripts
    assert not re.search(r"\son[a-z]+\s*=", page.text)


def test_pages_need_a_login(app_client: TestClient) -> None:
    for path in PAGES:
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_today_shows_what_is_due_and_the_latest_safety_messages(app_client: TestClient) -> None:
    login(app_client, "alex")
    page = app_client.get("/me/today")
    assert page.status_code == 200
    assert "<h1>Today, Saturday 14 March</h1>" in page.text
    assert 'href="/me/checkin"' in page.text and "Check in again" in page.text
    # Due items come from the approved plan: taper doses, the check-in, activities.
    assert "Kratom (leaf powder) 2 g" in page.text and "Daily check-in" in page.text
    assert "Meditation: 10 minutes" in page.text
    # The latest check-in's messages, labelled by severity in words.
    assert "Messages from your check-in on Saturday 14 March" in page.text
    assert "Information" in page.text and "naloxone" in page.text.lower()
    # Plain information comes after what is due; warnings come first (Devon missed check-ins).
    assert page.text.index('id="due"') < page.text.index('id="messages"')
    app_client.cookies.clear()
    login(app_client, "devon")
    devon = app_client.get("/me/today").text
    assert devon.index('id="messages"') < devon.index('id="due"')
    assert re.search(r'<span class="badge (warning|urgent)">(Warning|Urgent)</span>', devon)


def test_today_for_a_person_without_a_plan_says_so_kindly(
    app_client: TestClient, demo_url: str
) -> None:
    with services(demo_url) as session:
        clinic = people.find_user(session, "cleo").clinic
        people.add_account(
            session,
            FixedClock(NOW),
            Actor.operator("tests"),
            handle="jordan",
            display_name="Jordan New",
            role=Role.PERSON,
            clinic=clinic,
            timezone="America/New_York",
            clinician_handles=("cleo",),
        )
        user = people.find_user(session, "jordan")
        accounts.set_password(
            session,
            FixedClock(NOW),
            web_settings(demo_url),
            user,
            PASSWORD,
            Actor.operator("tests"),
        )
    login(app_client, "jordan")
    page = app_client.get("/me/today")
    assert page.status_code == 200
    assert "Your clinician has not set up your plan yet" in page.text
    assert "Check in now" in page.text
    plan = app_client.get("/me/plan")
    assert plan.status_code == 200 and "has not set up your plan yet" in plan.text
    assert app_client.get("/me/plan.ics").status_code == 404


def test_the_plan_page_marks_the_current_step_and_the_calendar_downloads(
    app_client: TestClient,
) -> None:
    login(app_client, "gray")
    page = app_client.get("/me/plan")
    assert page.status_code == 200
    assert "<h1>My plan</h1>" in page.text
    assert "Magnesium (glycinate) 200 mg at 22:00" in page.text
    assert "Levothyroxine 75 mcg at 07:00" in page.text
    current = re.search(
        r'<tr class="current">\s*<th scope="row">(\d+) <span[^>]*>\(now\)', page.text
    )
    assert current, "the current taper step is marked in words"
    assert "Taper off kratom safely" in page.text  # goals
    assert "Exercise: 150 minutes a week" in page.text  # activities
    assert 'href="/me/plan.ics"' in page.text and "Download my calendar (.ics)" in page.text

    ics = app_client.get("/me/plan.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    disposition = ics.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert 'filename="taperline-plan-gray.ics"' in disposition
    calendar = Calendar.from_ical(ics.content)
    events = list(calendar.walk("VEVENT"))
    assert events and any("Kratom" in str(e.get("SUMMARY")) for e in events)


def test_history_shows_the_last_days_as_a_table(app_client: TestClient, demo_url: str) -> None:
    login(app_client, "frankie")
    with services(demo_url) as session:
        expected = checkins.history(session, FixedClock(NOW), Actor.operator("tests"), "frankie")
    page = app_client.get("/me/history")
    assert page.status_code == 200
    headers = re.findall(r'<th scope="col">([^<]+)</th>', page.text)
    assert headers == ["Date", "Kratom", "SOWS", "Craving", "Sleep", "PHQ-9", "GAD-7", "Flags"]
    rows = re.findall(r'<th scope="row">', page.text)
    assert len(rows) == len(expected) and expected
    assert f'<time datetime="{TODAY}">Sat 14 Mar</time>' in page.text
    assert "% of time in bed" in page.text  # the sleep diary's efficiency
    week = app_client.get("/me/history?days=3")
    assert len(re.findall(r'<th scope="row">', week.text)) < len(rows)
    partial = app_client.get("/me/history?days=7", headers={"hx-request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'id="history-table"' in partial.text
    for bad in ("0", "91", "soon"):
        assert app_client.get(f"/me/history?days={bad}").status_code == 422


def test_a_check_in_step_by_step_with_a_mistake_then_stored_once(
    app_client: TestClient, demo_url: str
) -> None:
    """Devon has no PHQ-9 in the last 7 days, so the weekly questionnaires are asked."""
    with services(demo_url) as session:
        operator = Actor.operator("tests")
        before = checkins.history(session, FixedClock(NOW), operator, "devon", days=1)
    login(app_client, "devon")
    page = app_client.get("/me/checkin")
    assert page.status_code == 200 and "Step 1 of 7" in page.text
    assert f'value="{TODAY}"' in page.text  # today, in Devon's zone

    page = next_step(
        app_client,
        page,
        {
            "date": TODAY,
            "kratom_1_form": "leaf_powder",
            "kratom_1_amount": "2.5",
            "kratom_1_unit": "g",
            "kratom_1_time": "08:00",
            "melatonin_amount": "3",
            "melatonin_time": "21:30",
        },
    )
    assert page.status_code == 200 and step_of(page) == "craving"
    assert "How strong has your craving for kratom been in the past 24 hours?" in page.text
    page = next_step(app_client, page, CRAVING)
    assert step_of(page) == "sows"
    assert "Choose the answer that best fits the way you feel now." in page.text
    assert "Quite a bit" in page.text

    # A mistake: item 3 left out. The same step comes back, the item named, nothing lost.
    wrong = {k: v for k, v in SOWS.items() if k != "sows_3"} | {"sows_1": "2"}
    mistake = next_step(app_client, page, wrong)
    assert mistake.status_code == 422 and step_of(mistake) == "sows"
    assert "Item 3: is missing" in mistake.text
    assert 'id="sows_3-error"' in mistake.text and 'aria-describedby="sows_3-error"' in mistake.text
    form = read_form(mistake.text)
    assert form.values["sows_1"] == "2" and form.values["sows_16"] == "1"
    assert form.hidden["kratom_1_amount"] == "2.5" and form.hidden["craving_1"] == "5"
    assert form.hidden["melatonin_time"] == "21:30"

    page = next_step(app_client, mistake, SOWS | {"sows_1": "2"})
    assert step_of(page) == "sleep"
    page = next_step(app_client, page, SLEEP)
    assert step_of(page) == "activities"
    page = next_step(app_client, page, ACTIVITIES)
    assert step_of(page) == "safety"
    shown = html.unescape(page.text)
    assert all(flag.question in shown for flag in load().red_flags)
    assert "any opioid that was not prescribed to you" in page.text
    page = next_step(app_client, page, safety_answers())
    assert page.status_code == 200 and step_of(page) == "weekly"
    assert "Step 7 of 7" in page.text and "PHQ-9" in page.text and "GAD-7" in page.text

    missing = next_step(app_client, page, {f"phq9_{n}": "0" for n in range(1, 10)})
    assert missing.status_code == 422 and "GAD-7 item 1: is missing" in missing.text
    weekly = {f"phq9_{n}": "1" if n == 9 else "0" for n in range(1, 10)}
    weekly |= {f"gad7_{n}": "1" for n in range(1, 8)}
    final = read_form(page.text).hidden | weekly | {"go": "next"}
    thanks = app_client.post("/me/checkin", data=final)
    assert thanks.status_code == 200, thanks.text
    assert "Thank you for checking in" in thanks.text
    assert "988" in thanks.text and "Urgent" in thanks.text
    assert 'href="/help"' in thanks.text and "Get help now" in thanks.text
    assert "Your clinician will see this today." in thanks.text
    assert_no_inline_code(thanks)
    first_urgent = thanks.text.index('class="finding urgent"')
    assert all(
        thanks.text.index(f'class="finding {s}"') > first_urgent
        for s in ("warning", "caution", "info")
        if f'class="finding {s}"' in thanks.text
    )

    again = app_client.post("/me/checkin", data=final)  # a double submit
    assert again.status_code == 200 and "already saved" in again.text and "988" in again.text

    with services(demo_url) as session:
        after = checkins.history(session, FixedClock(NOW), operator, "devon", days=1)
        alerts = safety.list_alerts(session, FixedClock(NOW), operator, person="devon")
    assert len(after) == len(before) + 1
    stored = after[0]
    assert stored.score("phq9") is not None and stored.score("gad7") is not None
    assert stored.score("sleep_diary") is not None
    assert [str(a) for a in stored.kratom_totals] == ["2.5 g"]
    sows = stored.score("sows")
    assert sows is not None and sows.total == 17
    assert any(
        a.rule_id == "red_flag.suicidal_thoughts" and a.status == "open" and a.severity == "urgent"
        for a in alerts
    )


def test_a_check_in_without_weekly_questionnaires_ends_at_the_safety_step(
    app_client: TestClient, demo_url: str
) -> None:
    """Emery answered a PHQ-9 this week and today is not the plan's day for it."""
    login(app_client, "emery")
    page = app_client.get("/me/checkin")
    assert "Step 1 of 6" in page.text
    # A capsule count given in grams is refused on its own step, the row named.
    wrong = next_step(
        app_client,
        page,
        {"date": TODAY, "kratom_1_form": "capsules", "kratom_1_amount": "4", "kratom_1_unit": "g"},
    )
    assert wrong.status_code == 422 and step_of(wrong) == "doses"
    assert (
        "Kratom dose 1, unit: kratom capsules is logged in capsule" in wrong.text
        and 'aria-invalid="true"' in wrong.text
    )
    assert read_form(wrong.text).values["kratom_1_amount"] == "4"
    future = next_step(app_client, page, {"date": "2026-03-20"})
    assert future.status_code == 422 and "is in the future" in future.text

    page = next_step(app_client, page, {"date": TODAY})
    page = next_step(app_client, page, CRAVING)
    page = next_step(app_client, page, SOWS)
    assert step_of(page) == "sleep" and "leave this step empty" in page.text
    partly = next_step(app_client, page, {"sleep_quality": "4"})
    assert partly.status_code == 422 and "Into bed: is missing" in partly.text
    page = next_step(app_client, page, {})  # the diary may be left out as a whole
    assert page.status_code == 200 and step_of(page) == "activities"
    page = next_step(app_client, page, ACTIVITIES)
    assert step_of(page) == "safety" and "Send my check-in" in page.text
    unanswered = next_step(app_client, page, {"used_non_prescribed_opioids": "no"})
    assert unanswered.status_code == 422 and "please answer yes or no" in unanswered.text
    back = app_client.post("/me/checkin", data=read_form(page.text).hidden | {"go": "back"})
    assert back.status_code == 200 and step_of(back) == "activities"
    assert read_form(back.text).values["exercise_minutes"] == "30"
    thanks = next_step(app_client, page, safety_answers())
    assert thanks.status_code == 200 and "Thank you for checking in" in thanks.text
    with services(demo_url) as session:
        stored = checkins.history(
            session, FixedClock(NOW), Actor.operator("tests"), "emery", days=1
        )[0]
    assert stored.score("phq9") is None and stored.score("sleep_diary") is None
    assert stored.score("sows") is not None and stored.score("craving") is not None


def test_access_shows_who_can_see_and_who_looked_and_revoking_ends_access(
    app_client: TestClient, demo_url: str
) -> None:
    with services(demo_url) as session:
        sam = as_user(session, "sam")
        plans.show(session, FixedClock(NOW), sam, "harper")  # Sam looks at Harper's plan
    csrf = login(app_client, "harper")
    page = app_client.get("/me/access")
    assert page.status_code == 200
    assert "Sam Rivera, NP" in page.text
    assert "Remove Sam Rivera, NP's access to my record" in html.unescape(page.text)
    assert "Looked at your plan" in page.text

    refused = app_client.post(
        "/me/access/revoke", data={"clinician": "sam", "csrf_token": "forged"}
    )
    assert refused.status_code == 403
    done = app_client.post(
        "/me/access/revoke", data={"clinician": "sam", "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/me/access?removed=sam"
    page = app_client.get(done.headers["location"])
    assert "can no longer see your record" in page.text
    assert "Remove Sam Rivera, NP" not in page.text
    assert "No clinician can see your record now" in page.text

    with pytest.raises(Forbidden), services(demo_url) as session:
        people.show_person(session, FixedClock(NOW), as_user(session, "sam"), "harper")
    page = app_client.get("/me/access")
    assert "Refused" in page.text  # Sam's refused attempt is shown to Harper
    again = app_client.post("/me/access/revoke", data={"clinician": "sam", "csrf_token": csrf})
    assert again.status_code == 404


@pytest.mark.parametrize("handle", ["cleo", "ada"])
def test_clinicians_and_admins_have_no_person_pages(app_client: TestClient, handle: str) -> None:
    csrf = login(app_client, handle)
    for path in PAGES + ("/me/plan.ics",):
        assert app_client.get(path).status_code == 403, path
    posted = app_client.post(
        "/me/checkin", data={"csrf_token": csrf, "step": "doses", "date": TODAY, "go": "next"}
    )
    assert posted.status_code == 403
    revoke = app_client.post("/me/access/revoke", data={"csrf_token": csrf, "clinician": "sam"})
    assert revoke.status_code == 403


@pytest.mark.parametrize(
    ("step", "answers"),
    [
        ("doses", {"date": "0001-01-01"}),
        ("doses", {"date": TODAY, "kratom_1_amount": "1e999999"}),
        ("doses", {"date": TODAY, "kratom_1_amount": "NaN"}),
        ("doses", {"date": TODAY, "kratom_1_amount": "0.0001"}),
        ("doses", {"date": TODAY, "kratom_1_amount": "2", "kratom_1_form": "dried"}),
        ("doses", {"date": TODAY, "melatonin_amount": "3", "melatonin_time": "25:00"}),
        ("doses", {"date": TODAY, "magnesium_amount": "200", "magnesium_form": "x" * 500}),
        ("craving", {"date": TODAY, "craving_1": "²", "craving_2": "1"}),
        ("craving", {"date": TODAY, "craving_1": "-1", "craving_2": "11"}),
        ("sleep", {"date": TODAY} | SLEEP | {"sleep_awakenings": "²"}),
        ("sleep", {"date": TODAY} | SLEEP | {"sleep_into_bed": "٢٣:٠٠"}),
        ("sleep", {"date": TODAY} | SLEEP | {"sleep_out_of_bed": "23:00"}),
        ("activities", {"date": TODAY, "exercise_minutes": "²", "counseling": "maybe"}),
        ("safety", {"date": TODAY, "used_non_prescribed_opioids": "yes"}),
        ("weekly", {"date": TODAY}),
        ("nonsense", {"date": TODAY}),
    ],
)
def test_odd_answers_are_named_never_a_server_error(
    app_client: TestClient, step: str, answers: dict[str, str]
) -> None:
    csrf = login(app_client, "blair")
    data = {"csrf_token": csrf, "step": step, "idempotency_key": "short", "go": "next"} | answers
    answer = app_client.post("/me/checkin", data=data)
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 422:
        assert "Please check this answer" in answer.text


def test_no_page_has_inline_styles_or_scripts(app_client: TestClient) -> None:
    login(app_client, "casey")
    pages = [app_client.get(p) for p in ("/me/today", "/me/plan", "/me/history", "/me/access")]
    step = app_client.get("/me/checkin")
    pages.append(step)
    pages.append(next_step(app_client, step, {"date": "not a date"}))  # an error page too
    for page in pages:
        assert page.status_code in (200, 422)
        assert_no_inline_code(page)
