"""``fields`` (dot paths) and ``filters`` (``{field, value}``) on article JSON, Enterprise style."""

from __future__ import annotations

from typing import Any

MAX_FIELDS = 100


def get_path(value: Any, path: list[str]) -> list[Any]:
    """Every value at ``path`` (lists along the way are fanned out)."""
    if not path:
        return value if isinstance(value, (list, tuple)) else [value]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in get_path(item, path)]
    if isinstance(value, dict) and path[0] in value:
        return get_path(value[path[0]], path[1:])
    return []


def matches(record: dict[str, Any], filters: list[tuple[str, Any]]) -> bool:
    """True when every filter's field holds its value (any element, for lists)."""
    for field, wanted in filters:
        found = get_path(record, field.split("."))
        if not any(_same(v, wanted) for v in found):
            return False
    return True


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, (dict, list, tuple)):
        return False
    if isinstance(wanted, str) and not isinstance(value, str):
        return (
            str(value).lower() == wanted.lower()
            if isinstance(value, bool)
            else str(value) == wanted
        )
    return bool(value == wanted)


def project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the given dot paths of ``record`` (unknown paths are left out, not errors);
    ``event.*`` is the whole ``event`` object, as Enterprise's wildcard says."""
    if not fields:
        return record
    out: dict[str, Any] = {}
    for field in fields[:MAX_FIELDS]:
        path = field.removesuffix(".*").split(".")
        if path and path != ["*"]:
            _copy(record, out, path)
        elif path == ["*"]:
            return record
    return out


def _copy(source: Any, target: dict[str, Any], path: list[str]) -> None:
    if not isinstance(source, dict) or path[0] not in source:
        return
    key, rest = path[0], path[1:]
    value = source[key]
    if not rest:
        target[key] = value
    elif isinstance(value, dict):
        _copy(value, target.setdefault(key, {}), rest)
    elif isinstance(value, (list, tuple)):
        existing = target.get(key)
        items = list(existing) if isinstance(existing, (list, tuple)) else [{} for _ in value]
        for item, src in zip(items, value, strict=False):
            _copy(src, item, rest)
        target[key] = items
