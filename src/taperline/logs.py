"""Logging for the server and the worker: plain text for a terminal, JSON lines for a log
collector (TAPERLINE_LOG_FORMAT=json). One access line per request (`taperline.access`)."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from taperline.config import Settings

TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("taperline.access").disabled = not settings.access_log
