"""wikipact's settings, read once: command-line options over ``WIKIPACT_*`` variables over defaults.

======================  ================================  ====================================
setting                 variable                          default
======================  ================================  ====================================
``db``                  ``WIKIPACT_DB``                   ``sqlite:///<user data>/wikipact.db``
``snapshots``           ``WIKIPACT_SNAPSHOTS``            ``<user data dir>/snapshots``
``snapshots_redirect``  ``WIKIPACT_SNAPSHOTS_REDIRECT``   ``0``: stream downloads
``signing_dir``         ``WIKIPACT_SIGNING_DIR``          ``<user config dir>/signing``
======================  ================================  ====================================

``snapshots`` is a folder or an object storage URL (``s3://bucket/snapshots``: endpoint and
credentials from the standard ``AWS_*`` variables). With object storage and
``snapshots_redirect`` above 0, the API answers a download with a redirect to a presigned URL
of the object that lasts that many seconds (metered when issued) instead of streaming it.

``db`` is a URL: ``sqlite:///relative.db``, ``sqlite:////absolute.db`` (or a plain path), or
``postgresql://user@host:5432/database``. ``Backends`` (``backends.py``) are built from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wikipact.errors import ConfigError


def _data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("wikipact", appauthor=False))


def default_db() -> str:
    return "sqlite:///" + str(_data_dir() / "wikipact.db")


SCHEMES = ("sqlite://", "postgresql://", "postgres://")


class Settings(BaseSettings):
    """What wikipact runs against. ``Settings()`` reads the environment once."""

    model_config = SettingsConfigDict(env_prefix="WIKIPACT_", extra="ignore", frozen=True)

    db: str = ""
    snapshots: str | None = None
    snapshots_redirect: int = 0
    signing_dir: Path | None = None

    @field_validator("db")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if "://" in value and not value.startswith(SCHEMES):
            raise ValueError(
                f"unsupported database URL {value!r}: use sqlite:///path.db or "
                "postgresql://user@host/database"
            )
        return value

    @property
    def db_url(self) -> str:
        return self.db or default_db()

    @field_validator("snapshots")
    @classmethod
    def _root(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None

    @field_validator("snapshots_redirect")
    @classmethod
    def _seconds(cls, value: int) -> int:
        if not 0 <= value <= 7 * 24 * 3600:  # S3 presigned URLs last at most 7 days
            raise ValueError("seconds a presigned URL lasts: 0 (stream) to 604800 (7 days)")
        return value

    @property
    def snapshots_root(self) -> Path | str:
        """The snapshots folder (a ``Path``) or object storage URL (a string)."""
        from wikipact import storage

        if self.snapshots and storage.is_url(self.snapshots):
            return self.snapshots.rstrip("/")
        return (Path(self.snapshots) if self.snapshots else _data_dir() / "snapshots").expanduser()


def load_settings(**options: Any) -> Settings:
    """The environment's settings with a command's options on top; a bad value is a
    ``ConfigError`` naming the variable or option."""
    from pydantic import ValidationError

    given = {k: str(v) if isinstance(v, Path) else v for k, v in options.items() if v is not None}
    try:
        return Settings(**given)  # options first, then the environment, then the defaults
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"settings: {problems} (WIKIPACT_* variables or options)") from None
