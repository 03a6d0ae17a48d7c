"""The JSON API under /api/v1 (to be filled in)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["api"])
