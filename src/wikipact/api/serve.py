"""Running the partner API under uvicorn.

``run(settings, ...)`` starts N worker processes that each build the app from the very
``Settings`` the command resolved: the settings travel to the workers pickled with uvicorn's
config (its workers are spawned), so nothing is handed over by editing environment variables.
``app_from_env`` is for running under another process manager (``uvicorn
wikipact.api.serve:app_from_env --factory``, gunicorn's uvicorn worker): each process reads the
``WIKIPACT_*`` variables the deployment set, once.
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from wikipact.api.app import create_app
from wikipact.backends import Backends, open_backends
from wikipact.settings import Settings


def app_for(settings: Settings) -> FastAPI:
    """The app over the backends these settings name (called in each worker process)."""
    return create_app(Backends(settings))


def app_from_env() -> FastAPI:
    """The app over the settings in the environment (``WIKIPACT_*``)."""
    return create_app(open_backends())


def run(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    access_log: bool = True,
    log_level: str = "info",
) -> None:
    """Serve until interrupted: ``workers`` processes sharing one listening socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        partial(app_for, settings),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    socket = config.bind_socket()
    try:
        Multiprocess(config, sockets=[socket]).run()
    finally:
        socket.close()
