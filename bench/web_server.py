"""The web benchmark's server: the real app under uvicorn, in this process, in its own process,
or as the shipped `taperline serve --workers N`; and the server errors it logged."""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from taperline.clock import FixedClock
from taperline.web.app import create_app, settle_heap
from web_seed import BENCH_INSTANT, web_settings

# -- 2. the server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_config(log_file: Path) -> dict[str, Any]:
    """uvicorn's error log (the app's unhandled exceptions) into a file, read after the run."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s %(message)s"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(log_file),
                "formatter": "plain",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["file"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
        },
    }


def make_server(database_url: str, port: int, log_file: Path) -> uvicorn.Server:
    app = create_app(web_settings(database_url), clock=FixedClock(BENCH_INSTANT))
    settle_heap()  # as `taperline serve` does
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=log_config(log_file),
        access_log=False,
        workers=1,
    )
    return uvicorn.Server(config)


def serve_in_process(database_url: str, port: int, log_file: str) -> None:
    make_server(database_url, port, Path(log_file)).run()


def wait_for_port(port: int, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server stopped before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("uvicorn did not start within 60 s")


@contextmanager
def serve_command(database_url: str, log_file: Path, workers: int) -> Iterator[str]:
    """`taperline serve --workers N`, the command as shipped, in a process of its own; yields
    its base URL. Its settings come from the environment, as in production."""
    port = free_port()
    environment = {
        **os.environ,
        "TAPERLINE_DATABASE_URL": database_url,
        "TAPERLINE_PASSWORD_TIME_COST": "1",
        "TAPERLINE_PASSWORD_MEMORY_KIB": "8",
    }
    command = [
        sys.executable,
        "-m",
        "taperline",
        "--today",
        BENCH_INSTANT.date().isoformat(),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log_file.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603 - our own command
            command, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, lambda: child.poll() is None)
            yield f"http://127.0.0.1:{port}"
        finally:
            child.terminate()  # SIGTERM: uvicorn stops its workers gracefully
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextmanager
def serve(database_url: str, log_file: Path, *, process: bool) -> Iterator[str]:
    """The real app under uvicorn (one worker); yields its base URL.

    By default in a background thread of this process (so the load generator shares the
    GIL with it); with process=True in a child process of its own.
    """
    port = free_port()
    if process:
        child = multiprocessing.get_context("spawn").Process(
            target=serve_in_process, args=(database_url, port, str(log_file)), daemon=True
        )
        child.start()
        try:
            wait_for_port(port, child.is_alive)
            yield f"http://127.0.0.1:{port}"
        finally:
            child.terminate()  # SIGTERM: uvicorn shuts down gracefully
            child.join(timeout=30)
        return
    server = make_server(database_url, port, log_file)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_for_port(port, thread.is_alive)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        server.config.app.state.engine.dispose()


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\b.*$")


def server_errors(log_file: Path) -> tuple[int, Counter[str]]:
    """How many unhandled exceptions the server logged, and their final lines (by kind)."""
    if not log_file.exists():
        return 0, Counter()
    text_ = log_file.read_text(encoding="utf-8", errors="replace")
    unhandled = text_.count("Exception in ASGI application")
    kinds: Counter[str] = Counter()
    for block in re.split(r"ERROR:?\s+Exception in ASGI application", text_)[1:]:
        finals = [line for line in block.splitlines() if EXCEPTION_LINE.match(line)]
        statements = [line for line in block.splitlines() if line.startswith("[SQL: ")]
        if finals:
            where = f"  <- {statements[-1][:90]}" if statements else ""
            kinds[finals[-1][:110] + where] += 1
    return unhandled, kinds
