"""Data rights over HTTP: a person downloads their data from the account page and the API; an
admin erases a person with a confirmation; nobody else can do either for someone else."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from tests.web.conftest import login


def test_a_person_downloads_their_data(app_client: TestClient) -> None:
    login(app_client, "frankie")
    page = app_client.get("/account")
    assert 'href="/me/export.json"' in page.text
    download = app_client.get("/me/export.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    body = download.json()
    assert body["person"] == "frankie" and body["tables"]["checkins"]
    assert "password_hash" not in download.text
    assert app_client.get("/api/v1/me/export").json()["person"] == "frankie"


def test_a_person_downloads_data_record_and_report_in_one_zip(app_client: TestClient) -> None:
    login(app_client, "frankie")
    assert 'href="/me/export.zip"' in app_client.get("/account").text
    for address in ("/me/export.zip", "/api/v1/me/export.zip"):
        download = app_client.get(address)
        assert download.status_code == 200, address
        assert download.headers["content-type"] == "application/zip"
        files = zipfile.ZipFile(io.BytesIO(download.content))
        names = {name.split("/", 1)[1]: name for name in files.namelist()}
        assert set(names) == {"README.txt", "data.json", "fhir-bundle.json", "progress-report.pdf"}
        data = json.loads(files.read(names["data.json"]))
        assert data["person"] == "frankie" and data["tables"]["checkins"]
        assert "password_hash" not in files.read(names["data.json"]).decode()
        bundle = json.loads(files.read(names["fhir-bundle.json"]))
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
        assert files.read(names["progress-report.pdf"]).startswith(b"%PDF-")


def test_a_clinician_has_no_export_of_their_own(app_client: TestClient) -> None:
    login(app_client, "sam")
    assert app_client.get("/api/v1/me/export").status_code == 403
    assert app_client.get("/api/v1/me/export.zip").status_code == 403


def test_an_admin_erases_with_a_confirmation_and_nobody_else_can(app_client: TestClient) -> None:
    csrf = login(app_client, "sam")
    refused = app_client.post(
        "/api/v1/people/harper/erase", headers={"x-csrf-token": csrf}, json={"confirm": "harper"}
    )
    assert refused.status_code == 403
    app_client.cookies.clear()
    csrf = login(app_client, "ada")
    unconfirmed = app_client.post(
        "/api/v1/people/harper/erase", headers={"x-csrf-token": csrf}, json={"confirm": "harp"}
    )
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    done = app_client.post(
        "/api/v1/people/harper/erase", headers={"x-csrf-token": csrf}, json={"confirm": "harper"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["rows_scrubbed"] > 0
    assert app_client.get("/api/v1/people/harper").status_code == 404
