"""JSON in and out for every record, and the JSON Schema derived from the model."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from wikipact.model.article import SCHEMA_VERSION, Article

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


def to_json(record: msgspec.Struct) -> bytes:
    return _encoder.encode(record)


def to_builtins(record: msgspec.Struct) -> Any:
    return msgspec.to_builtins(record)


def from_json(data: bytes | str, type_: type[T]) -> T:
    return msgspec.json.decode(data, type=type_)


def article_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of the article record, with its schema version."""
    schema = msgspec.json.schema(Article)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wikipact article"
    schema["description"] = (
        f"wikipact article record, schema version {SCHEMA_VERSION}. Field names follow "
        "Wikimedia Enterprise's data dictionary where one exists."
    )
    schema["x-schema-version"] = SCHEMA_VERSION
    return schema
