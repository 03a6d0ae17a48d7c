"""Real-browser tests: Debian's Chromium, driven by Playwright, against a live Taperline server.

The server is the real app (`create_app`) run by uvicorn in a background thread on a free
port, with a fresh migrated database holding the demo clinic and the clock fixed at `NOW`.
Chromium is /usr/bin/chromium (install it with scripts/ensure-browser); Playwright never
downloads a browser. See docs/decisions/0008-browser-tests.md.

Fixtures: `live_app` (module; the app, e.g. to hook its engine), `live_url` (module; its base
URL), `browser` (module; Chromium), `page` (a desktop page; indirect True for a phone) and
`open_page` (a factory: `open_page(mobile, **options)`; every page it made is closed after).
Every test in this folder is marked `browser` (see `pytest_collection_modifyitems`).

Helpers, for the test modules:

- `new_page(browser, mobile)`: a page in a fresh context (390x844 for people, 1280x800 for
  clinicians). CSP stays enforced unless `bypass_csp=True`.
- `login(page, base, handle)`: log in through the real form.
- `screenshot(page, name)`: a full-page PNG in artifacts/screenshots/ (git-ignored).
- `axe(page)`: run the vendored axe-core on a page whose context bypasses CSP;
  `axe_twin(page, mobile)` does it on a twin of a CSP-enforcing page (same cookies, same URL).
- `assert_no_serious_violations(violations, where)`.
- `CspWatcher(page)`: collects console messages about Content Security Policy violations.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from taperline import demo
from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.domain.access import Actor
from taperline.services.uow import unit_of_work
from tests.web.conftest import NOW, PASSWORD, web_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Session-wide hook: mark only the items under this folder.
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- the live server -------------------------------------------------------------------------


def _seeded_database(folder: Path) -> str:
    from tests.databases import create_database

    url = create_database(folder)
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        actor = Actor.operator("tests")
        demo.seed(session, clock, actor)
        demo.set_passwords(session, clock, web_settings(url), actor)
    engine.dispose()
    return url


def _wait_until_healthy(base: str, thread: threading.Thread, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the live server stopped while starting; see the log above")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the live server did not answer {base}/healthz within {seconds} s")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real app on a fresh database with the demo clinic, its clock fixed at NOW."""
    from taperline.web.app import create_app
    from tests.databases import drop_database

    url = _seeded_database(tmp_path_factory.mktemp("browser"))
    app = create_app(web_settings(url), clock=FixedClock(NOW))
    yield app
    app.state.engine.dispose()
    drop_database(url)


@pytest.fixture(scope="module")
def live_url(live_app: FastAPI) -> Iterator[str]:
    """Base URL of `live_app` served by uvicorn in a thread; shared by a module's tests."""
    import uvicorn

    # Bind the socket here and hand it to uvicorn: the port is ours before the thread starts.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(live_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="taperline-live", daemon=True
    )
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, thread)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    assert not thread.is_alive(), "the live server did not shut down"


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-browser (as root) first")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


def new_page(
    browser: Browser,
    mobile: bool,
    *,
    bypass_csp: bool = False,
    storage_state: Any = None,
) -> Page:
    """A page in a fresh context: 390x844 (a phone, for people) or 1280x800 (clinicians).

    Close it with `page.context.close()`. `bypass_csp` is only for injecting axe-core.
    """
    context = browser.new_context(
        viewport=MOBILE if mobile else DESKTOP,
        is_mobile=mobile,
        has_touch=mobile,
        bypass_csp=bypass_csp,
        storage_state=storage_state,
        locale="en-US",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A desktop page; parametrize indirectly with True for a phone-sized one."""
    opened = new_page(browser, mobile=bool(getattr(request, "param", False)))
    yield opened
    opened.context.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Factory for several pages in one test (e.g. a person and a clinician); all closed after."""
    opened: list[Page] = []

    def factory(mobile: bool, **options: Any) -> Page:
        created = new_page(browser, mobile, **options)
        opened.append(created)
        return created

    yield factory
    for created in opened:
        created.context.close()


# --- helpers ---------------------------------------------------------------------------------


def login(page: Page, base: str, handle: str, password: str = PASSWORD) -> None:
    """Log in through the real form (labels "Your handle" and "Password", button "Log in")."""
    page.goto(f"{base}/login")
    page.get_by_label("Your handle", exact=True).fill(handle)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    try:
        page.wait_for_url(lambda url: "/login" not in url)
    except PlaywrightTimeoutError:
        shown = "; ".join(page.locator('main [role="alert"]').all_inner_texts())
        why = shown or "no error shown: was the session saved before the redirect was followed?"
        raise AssertionError(f"logging in as {handle} ended on {page.url}: {why}") from None


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG in artifacts/screenshots/ named after `name`; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; returns its violations.

    The app's CSP forbids inline scripts, and add_script_tag inlines the file, so the page's
    context must have been created with bypass_csp=True (see `axe_twin`).
    """
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )
    return violations


def axe_twin(page: Page, mobile: bool) -> list[dict[str, Any]]:
    """Run axe on the same URL in a twin context that bypasses CSP and shares the cookies.

    The page under test keeps its CSP enforced (so CSP violations show up); only the twin,
    used for nothing but axe, bypasses it.
    """
    browser = page.context.browser
    assert browser is not None
    twin = new_page(browser, mobile, bypass_csp=True, storage_state=page.context.storage_state())
    try:
        twin.goto(page.url)
        return axe(twin)
    finally:
        twin.context.close()


def assert_no_serious_violations(violations: list[dict[str, Any]], where: str) -> None:
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    details = "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}; targets: {', '.join(v['targets'])}"
        for v in blocking
    )
    assert not blocking, f"axe found serious or critical violations on {where}:\n{details}"


class CspWatcher:
    """Collects the console's Content Security Policy violation messages for a page."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._seen)

    def _seen(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.messages.append(message.text)

    def assert_none(self, where: str) -> None:
        assert not self.messages, f"CSP violations on {where}:\n" + "\n".join(self.messages)


def assert_answered(status: int | None, what: str) -> None:
    """Every page the tests visit is built: anything but 200 fails, naming the page."""
    assert status == 200, f"{what} answered {status}"
