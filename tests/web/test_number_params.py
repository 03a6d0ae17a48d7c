"""Numbers in a query or a path are digits only, as the OpenAPI document's integer says:
Python's int() would also read Unicode whitespace, underscores and a plus sign."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login


@pytest.mark.parametrize("offset", ["4\u0085", " 4", "4_0", "+4", "1e3", "NaN", ""])
def test_a_number_that_is_not_digits_is_refused_by_name(
    app_client: TestClient, offset: str
) -> None:
    login(app_client, "cleo")
    answer = app_client.get("/api/v1/alerts", params={"offset": offset})
    assert answer.status_code == 422
    assert answer.json()["field"] == "offset"


def test_digits_are_read(app_client: TestClient) -> None:
    login(app_client, "cleo")
    assert app_client.get("/api/v1/alerts", params={"offset": "0", "limit": "5"}).status_code == 200
