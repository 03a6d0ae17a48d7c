"""Pydantic edge models: what the CLI (and later the web) accept and return."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from taperline.domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """Validate input; the first problem becomes an InvalidInput naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise problem_of(error) from None


def problem_of(error: ValidationError) -> InvalidInput:
    """The first problem of a failed validation, naming the field."""
    first = error.errors()[0]
    location = _location(first.get("loc", ()))
    message = str(first.get("msg", "is not valid"))
    if first.get("type") == "missing":
        message = "is missing"
    elif first.get("type") == "extra_forbidden":
        message = "is not a field Taperline knows here"
    return InvalidInput(location or "input", _lower_first(message))


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
