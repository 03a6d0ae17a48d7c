"""Map domain errors to HTTP: InvalidInput → 422 naming the field; Forbidden → 403;
NotFound → 404; no login → 401 or a redirect to /login. Never a 500 for bad input."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from taperline.db.gate import GateTimeout
from taperline.domain.errors import Forbidden, InvalidInput, NotFound
from taperline.web.deps import CsrfFailed, LoginRequired
from taperline.web.templating import render


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


_FRAMEWORK_MESSAGES = {
    404: "There is nothing at this address. Check it, or start again from the home page.",
    405: "This address does not take that kind of request.",
}


def _methods_for(app: FastAPI, path: str) -> set[str]:
    from fastapi.routing import APIRoute

    methods: set[str] = set()
    for entry in app.routes:
        included = getattr(entry, "include_context", None)
        pairs = (
            [(included.prefix, r) for r in included.included_router.routes]
            if included
            else [("", entry)]
        )
        for prefix, route in pairs:
            if not isinstance(route, APIRoute):
                continue
            if prefix and not path.startswith(prefix):
                continue
            if route.path_regex.match(path[len(prefix) :] if prefix else path):
                methods |= set(route.methods or ())
    return methods


def install(app: FastAPI) -> None:
    def problem(request: Request, status: int, field: str | None, message: str) -> Response:
        if wants_json(request):
            body: dict[str, object] = {"detail": message}
            if field:
                body["field"] = field
            return JSONResponse(body, status_code=status)
        return render(
            request,
            "pages/error.html",
            None,
            status_code=status,
            status=status,
            field=field,
            message=message,
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        # What the framework itself refuses (no such address, a method the address does not
        # take, a body it could not read) in the same shape and words as everything else.
        if error.status_code == 400:  # a body that is not UTF-8 text: it is not JSON either
            return problem(request, 422, "body", "body: is not valid JSON (send UTF-8 JSON)")
        message = _FRAMEWORK_MESSAGES.get(error.status_code, str(error.detail))
        response = problem(request, error.status_code, None, message)
        response.headers.update(error.headers or {})
        if error.status_code == 405:  # every method this address takes, over all its routes
            allowed = _methods_for(app, request.url.path)
            if allowed:
                response.headers["Allow"] = ", ".join(sorted(allowed))
        return response

    @app.exception_handler(InvalidInput)
    async def invalid(request: Request, error: InvalidInput) -> Response:
        return problem(request, 422, error.field, f"{error.field}: {error.problem}")

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        if first.get("type") == "json_invalid":
            return problem(request, 422, "body", "body: is not valid JSON")
        location = ".".join(
            str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")
        )
        message = str(first.get("msg", "is not valid"))
        return problem(request, 422, location or None, f"{location or 'input'}: {message}")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return problem(request, 403, None, str(error))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return problem(request, 404, None, str(error))

    @app.exception_handler(CsrfFailed)
    async def csrf(request: Request, error: CsrfFailed) -> Response:
        return problem(request, 403, "csrf_token", str(error))

    @app.exception_handler(GateTimeout)
    @app.exception_handler(OperationalError)
    async def busy(request: Request, error: OperationalError | GateTimeout) -> Response:
        # SQLite's single writer was busy for longer than busy_timeout: say so, never a 500.
        if isinstance(error, OperationalError) and "database is locked" not in str(error.orig):
            raise error
        response = problem(
            request, 503, None, "Taperline is busy right now; please try again in a moment."
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"detail": str(error)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
