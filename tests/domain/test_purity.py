"""domain/ stays pure: no storage, web, templating, network or wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

import taperline.domain

FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "jinja2",
    "httpx",
    "requests",
    "typer",
    "rich",
    "psycopg",
    "taperline.db",
    "taperline.services",
    "taperline.cli",
)


def test_domain_modules_import_nothing_impure() -> None:
    root = Path(taperline.domain.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"now", "today", "utcnow"}
            ):
                offenders.append(f"{path.name}: calls .{node.func.attr}()")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "open"
            ):
                offenders.append(f"{path.name}: opens a file")
    assert offenders == []
