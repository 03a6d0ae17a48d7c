"""Jinja2 templates and the context every page gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from taperline.web.deps import Viewer

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page, or only its partial for htmx requests that ask for one."""
    context.update(
        viewer=viewer,
        csrf_token=viewer.csrf_token if viewer else "",
        crisis=request.app.state.crisis,
        htmx=request.headers.get("hx-request") == "true",
    )
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
