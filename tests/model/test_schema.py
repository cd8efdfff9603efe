"""The article model: frozen records, JSON round trip, JSON Schema with a version."""

import json

import msgspec
import pytest

from tests.conftest import ENWIKI_PLAIN
from wikipact import SCHEMA_VERSION, Article, open_dump
from wikipact.model.codec import article_json_schema, from_json, to_json
from wikipact.wikitext import parse_article


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    dump = open_dump(ENWIKI_PLAIN)
    return [parse_article(page, dump.site) for page in dump.pages()]


def test_records_are_frozen(articles: list[Article]) -> None:
    with pytest.raises(AttributeError):
        articles[0].name = "changed"  # type: ignore[misc]


def test_json_round_trip_is_exact(articles: list[Article]) -> None:
    for article in articles:
        assert from_json(to_json(article), Article) == article


def test_required_fields_carry_enterprise_names(articles: list[Article]) -> None:
    record = msgspec.to_builtins(articles[0])
    for name in (
        "name",
        "identifier",
        "url",
        "date_modified",
        "namespace",
        "in_language",
        "is_part_of",
        "version",
        "license",
        "article_body",
        "provenance",
        "schema_version",
    ):
        assert name in record, name
    assert record["license"][0]["identifier"] == "CC-BY-SA-4.0"
    assert record["is_part_of"]["identifier"] == "enwiki"
    assert len(record["provenance"]["content_sha256"]) == 64


def test_schema_is_versioned_and_validates_records(articles: list[Article]) -> None:
    schema = article_json_schema()
    assert schema["x-schema-version"] == SCHEMA_VERSION
    assert "Article" in schema["$defs"]
    props = schema["$defs"]["Article"]["properties"]
    assert {"name", "identifier", "article_body", "redirect_target", "provenance"} <= set(props)
    jsonschema = pytest.importorskip("jsonschema")
    for article in articles[:10]:
        jsonschema.validate(json.loads(to_json(article)), schema)
