"""The partner delivery API (FastAPI): a thin layer over ``access``, ``store``, ``search`` and
``snapshots``. ``create_app(db_path)`` builds it; ``wikipact serve`` runs it with uvicorn."""

from wikipact.api.app import create_app

__all__ = ["create_app"]
