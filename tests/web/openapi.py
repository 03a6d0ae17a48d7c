"""Hold a real answer to what the OpenAPI document says of it: its status code is documented
for that operation, and its body is valid against the documented schema, formats included
(JSON Schema 2020-12, as OpenAPI 3.1 uses it)."""

from __future__ import annotations

from typing import Any

import httpx
from jsonschema import Draft202012Validator


class Document:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def template(self, method: str, path: str) -> str:
        """The documented path that a concrete path (no query) is an instance of."""
        found = [
            template
            for template, operations in self.spec["paths"].items()
            if method.lower() in operations and _matches(template, path.split("?")[0])
        ]
        assert found, f"{method.upper()} {path} is not in the OpenAPI document"
        # A literal segment beats a parameter: /plans/pause before /plans/{number}.
        return max(found, key=lambda t: sum(not part.startswith("{") for part in t.split("/")))

    def problems(self, method: str, path: str, answer: httpx.Response) -> list[str]:
        """What in the answer the document does not say; empty when it conforms."""
        where = f"{method.upper()} {path} → {answer.status_code}"
        operation = self.spec["paths"][self.template(method, path)][method.lower()]
        documented = operation["responses"].get(str(answer.status_code))
        if documented is None:
            return [f"{where}: the status is not documented ({sorted(operation['responses'])})"]
        content = documented.get("content") or {}
        media_type = answer.headers.get("content-type", "").split(";")[0].strip()
        if not content:
            return []
        if media_type not in content:
            return [f"{where}: {media_type!r} is not documented ({sorted(content)})"]
        if media_type != "application/json":
            return []
        schema = {**content[media_type]["schema"], "components": self.spec["components"]}
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [
            f"{where}: at /{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(answer.json())
        ]


def _matches(template: str, path: str) -> bool:
    parts, concrete = template.split("/"), path.split("/")
    return len(parts) == len(concrete) and all(
        a == b or a.startswith("{") for a, b in zip(parts, concrete, strict=True)
    )
