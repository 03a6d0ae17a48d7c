"""The web fixtures (a demo database and an app client) for the interop HTTP tests."""

from tests.web.conftest import app_client, demo_url  # noqa: F401 - fixtures
