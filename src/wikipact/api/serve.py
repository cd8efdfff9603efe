"""The app factory uvicorn workers call (``wikipact serve`` passes the database by environment)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from wikipact.api.app import create_app


def app_from_env() -> FastAPI:
    snapshots = os.environ.get("WIKIPACT_SNAPSHOTS")
    return create_app(
        os.environ["WIKIPACT_SERVE_DB"], snapshots_root=Path(snapshots) if snapshots else None
    )
