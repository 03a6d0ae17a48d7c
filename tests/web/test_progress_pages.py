"""Progress pages, reports and the clinic overview through the real ASGI app (demo clinic)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import pypdf
from fastapi.testclient import TestClient

from tests.web.conftest import login


def svgs(html: str) -> list[str]:
    return [
        base64.b64decode(found).decode()
        for found in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    ]


def test_a_person_sees_their_progress_in_kind_words_with_plots_and_text_alternatives(
    app_client: TestClient,
) -> None:
    login(app_client, "alex")
    page = app_client.get("/me/progress")
    assert page.status_code == 200
    html = page.text
    assert "<h1>My progress</h1>" in html and "Since you started" in html
    assert "Relapse-risk" not in html  # the person sees kind words, not a score
    images = svgs(html)
    assert len(images) == 3 and all(svg.lstrip().startswith("<?xml") for svg in images)
    alts = re.findall(r'<img src="data:image/svg\+xml[^>]+alt="([^"]+)"', html)
    assert len(alts) == 3 and all(len(alt) > 60 for alt in alts)
    assert "Kratom logged each day against the taper target" in alts[0]
    assert "<script" not in "".join(images)


def test_the_nof1_form_works_without_javascript_and_names_bad_fields(
    app_client: TestClient,
) -> None:
    login(app_client, "alex")
    page = app_client.get(
        "/me/progress", params={"exposure": "exercise", "threshold": "30", "outcome": "craving"}
    )
    assert page.status_code == 200
    assert "95% interval" in page.text and "not what caused it" in page.text
    assert len(svgs(page.text)) == 4  # the comparison plot too
    bad = app_client.get("/me/progress", params={"exposure": "exercise", "threshold": "lots"})
    assert bad.status_code == 422 and "threshold: &#39;lots&#39; is not a number" in bad.text
    bad = app_client.get("/me/progress", params={"exposure": "coffee"})
    assert bad.status_code == 422 and "exposure:" in bad.text
    assert app_client.get("/me/progress", params={"days": "5"}).status_code == 422


def test_a_clinician_sees_the_signal_the_within_step_comparison_and_reports(
    app_client: TestClient,
) -> None:
    login(app_client, "cleo")
    caseload = app_client.get("/caseload").text
    assert "Relapse-risk signal" in caseload and 'href="/people/blair/progress"' in caseload
    page = app_client.get(
        "/people/blair/progress",
        params={"exposure": "meditation", "threshold": "5", "outcome": "sleep_efficiency"},
    )
    assert page.status_code == 200
    assert "Relapse-risk signal:" in page.text and "not a validated prediction model" in page.text
    assert "Within taper steps" in page.text and "Permutation p-value" in page.text

    pdf = app_client.get("/people/blair/report", params={"kind": "visit", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Visit summary: Blair Okafor" in text
    html = app_client.get("/people/blair/report", params={"kind": "visit", "format": "html"})
    assert html.status_code == 200 and "script-src" not in html.headers["content-security-policy"]
    assert "default-src 'none'" in html.headers["content-security-policy"]
    bad = app_client.get("/people/blair/report", params={"format": "docx"})
    assert bad.status_code == 422 and "format" in bad.text
    # sam does not care for blair
    app_client.cookies.clear()
    login(app_client, "sam")
    assert app_client.get("/people/blair/report").status_code == 403
    assert app_client.get("/people/blair/progress").status_code == 403


def test_the_json_api_gives_series_comparisons_and_the_overview(app_client: TestClient) -> None:
    login(app_client, "cleo")
    body = app_client.get("/api/v1/people/alex/progress", params={"days": 30}).json()
    assert len(body["days"]) == 30 and body["risk"]["level"] in ("low", "raised", "high")
    assert "sleep_efficiency" in body["days"][-1]["values"]
    compared = app_client.get(
        "/api/v1/people/alex/nof1",
        params={"exposure": "kratom_above", "threshold": 7, "outcome": "sows"},
    )
    assert compared.status_code == 200
    result = compared.json()
    assert result["exposure"] == "kratom_above" and result["exposed_days"] > 0
    assert result["within_taper_steps"] is None or "p_value" in result["within_taper_steps"]
    for params, field in (
        ({"exposure": "coffee"}, "exposure"),
        ({"exposure": "melatonin", "outcome": "mood"}, "outcome"),
        ({"exposure": "exercise", "threshold": 10_000, "outcome": "sows"}, "threshold"),
        ({"exposure": "exercise", "threshold": "nan", "outcome": "sows"}, "threshold"),
        ({"exposure": "exercise", "threshold": "many", "outcome": "sows"}, "threshold"),
        ({"exposure": "melatonin", "outcome": "sows", "days": 1}, "days"),
    ):
        answer = app_client.get("/api/v1/people/alex/nof1", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["field"] == field
    overview = app_client.get("/api/v1/clinic/overview").json()
    assert overview["people"] == 8 and sum(overview["phases"].values()) == 8
    assert dt.datetime.fromisoformat(overview["as_of"]).tzinfo is not None
    app_client.cookies.clear()
    login(app_client, "alex")
    assert app_client.get("/api/v1/clinic/overview").status_code == 403
    app_client.cookies.clear()
    login(app_client, "ada")
    page = app_client.get("/clinic/overview")
    assert page.status_code == 200 and "People per taper phase" in page.text
    # ada's view reads the snapshot cleo's API call kept a moment ago, and says when it is from
    as_of = dt.datetime.fromisoformat(overview["as_of"])
    assert f'<time datetime="{as_of.isoformat()}">{as_of:%H:%M} UTC</time>' in page.text


def test_the_caseload_risk_column_says_what_each_persons_page_says(demo_url: str) -> None:
    """The caseload computes the signal for everyone at once from a narrower read; it must
    agree with the person's own progress page, factor for factor."""
    from taperline.clock import FixedClock
    from taperline.db.engine import make_engine, make_sessionmaker
    from taperline.services import caseload, progress
    from taperline.services.uow import unit_of_work
    from tests.factories import actor_for
    from tests.web.conftest import NOW

    engine = make_engine(demo_url)
    clock = FixedClock(NOW)
    try:
        with unit_of_work(make_sessionmaker(engine), clock) as session:
            from sqlalchemy import select

            from taperline.db.models import User

            compared = 0
            for handle in ("cleo", "sam"):
                clinician = session.scalar(select(User).where(User.handle == handle))
                assert clinician is not None
                actor = actor_for(clinician)
                for row in caseload.caseload(session, clock, actor):
                    page = progress.progress(session, clock, actor, row.handle).risk
                    assert row.risk == page, row.handle
                    compared += 1
            assert compared == 8  # every demo person
    finally:
        engine.dispose()
