"""The request body Wikimedia Enterprise's clients POST to every listing and metadata route
(``fields``, ``filters``, ``limit``, and for the realtime stream ``since``, ``parts``,
``offsets``, ``since_per_partition``), and how it applies to a list of JSON records."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from wikipact.api.projection import matches, project

MAX_LIST = 10_000


class FilterItem(BaseModel):
    field: str = Field(max_length=200)
    value: str | int | float | bool = Field(description="Compared as text for non-string fields")


class ListQuery(BaseModel):
    """Enterprise's ``Request``: what to return of a list and which items."""

    fields: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Dot paths to return (`x.*` for a whole object), e.g. name,is_part_of.*",
    )
    filters: list[FilterItem] = Field(default_factory=list, max_length=20)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIST)


def filter_pairs(filters: list[FilterItem]) -> list[tuple[str, Any]]:
    return [(f.field, f.value) for f in filters]


def apply(items: list[dict[str, Any]], query: ListQuery | None) -> list[dict[str, Any]]:
    """Filter, cut to ``limit`` and project the items (in that order)."""
    if query is None:
        return items
    pairs = filter_pairs(query.filters)
    kept = [i for i in items if not pairs or matches(i, pairs)]
    if query.limit is not None:
        kept = kept[: query.limit]
    return [project(i, query.fields) for i in kept]


def apply_one(item: dict[str, Any], query: ListQuery | None) -> dict[str, Any]:
    """Project one item (filters and limit do not apply to a single item)."""
    return project(item, query.fields) if query is not None else item


def from_params(
    fields: list[str] | None, filters: list[str] | None, limit: int | None = None
) -> ListQuery:
    """The same query from GET parameters: ``fields=a,b`` and ``filters=field:value``."""
    items = []
    for raw in filters or ():
        field, sep, value = raw.partition(":")
        if not sep:
            raise RequestValidationError(
                [{"loc": ("query", "filters"), "msg": f"{raw!r}: use field:value", "type": "value"}]
            )
        items.append(validated(FilterItem, field=field, value=value))
    wanted = [p for v in fields or () for p in v.split(",") if p]
    return validated(ListQuery, fields=wanted, filters=items, limit=limit)


Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], **values: Any) -> Model:
    """``model(**values)``, refused as invalid parameters (422) rather than failing (500)."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
