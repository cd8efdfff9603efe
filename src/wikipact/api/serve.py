"""The app factory uvicorn's workers call: each reads the settings (``WIKIPACT_*``) once."""

from __future__ import annotations

from fastapi import FastAPI

from wikipact.api.app import create_app
from wikipact.backends import open_backends


def app_from_env() -> FastAPI:
    return create_app(open_backends())
