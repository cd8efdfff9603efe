"""The dataset record and its Arrow schema, on real parsed articles."""

from __future__ import annotations

from functools import cache

import msgspec
import pyarrow as pa
import pytest

from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact.datasets.arrow import arrow_type, plain, record_schema, to_table
from wikipact.datasets.record import (
    OPTIONAL_COLUMNS,
    RECORD_VERSION,
    DatasetRecord,
    record_id,
    to_record,
)
from wikipact.datasets.stage import decode_record
from wikipact.dumps.reader import open_dump
from wikipact.model.article import Article
from wikipact.wikitext.parse import parse_article

BASE_COLUMNS = [
    "id",
    "url",
    "title",
    "text",
    "abstract",
    "language",
    "project",
    "revision_id",
    "date_modified",
    "license",
    "attribution",
    "tokens",
    "signals",
]
ALL = frozenset(OPTIONAL_COLUMNS)


@cache
def _article(title: str) -> Article:
    dump = open_dump(ENWIKI_PLAIN)
    return parse_article(next(p for p in dump.pages() if p.title == title), dump.site)


@cache
def _alan() -> Article:
    dump = open_dump(DATA / "dewiki-20200801-id1.xml")
    return parse_article(next(iter(dump.pages())), dump.site)


def test_a_record_of_a_real_article_without_optional_columns() -> None:
    anarchism = _article("Anarchism")
    record = to_record(anarchism, 12345, frozenset())
    assert record.id == record_id("enwiki", 12) == "enwiki:12"
    assert record.url == "https://en.wikipedia.org/wiki/Anarchism"
    assert record.title == "Anarchism" and record.project == "enwiki" and record.language == "en"
    assert record.revision_id == 469305320 and record.date_modified == "2012-01-03T12:05:52Z"
    assert record.text == anarchism.text and record.text.startswith("Anarchism is generally")
    assert record.abstract == anarchism.abstract
    lead = record.abstract.split("\n")
    assert len(lead) > 1 and all(paragraph in record.text for paragraph in lead)
    assert record.license == "CC-BY-SA-4.0"
    assert "Anarchism" in record.attribution and "enwiki" in record.attribution
    assert record.tokens == 12345
    assert record.signals == anarchism.signals and record.signals.words == 7511
    assert (record.sections, record.claims, record.infoboxes, record.references) == (None,) * 4


def test_a_record_of_a_real_article_with_every_optional_column() -> None:
    anarchism = _article("Anarchism")
    record = to_record(anarchism, 1, ALL)
    # sections in reading order, the lead first, subsections one level deeper
    assert record.sections is not None
    assert record.sections[0].name == "Abstract" and record.sections[0].level == 1
    assert [s.name for s in record.sections if s.level == 1][:3] == [
        "Abstract",
        "Etymology and terminology",
        "History",
    ]
    assert {s.level for s in record.sections} >= {1, 2}
    assert record.sections[0].text.split("\n")[0] in record.abstract
    # claims point into the text
    assert record.claims is not None and len(record.claims) == len(anarchism.claims) > 100
    for claim in record.claims:
        assert record.text[claim.start : claim.end] == claim.text
    # references with their metadata as name/value pairs
    assert record.references is not None and len(record.references) == 229
    first = record.references[0]
    assert first.identifier == "cite_note-definition" and first.type == "journal"
    assert {f.name: f.value for f in first.metadata}["title"] == "Towards Anarchism"
    assert first.text is not None and first.text.startswith("Malatesta, Errico")
    assert record.infoboxes == []  # Anarchism has none; Alabama has one
    alabama = to_record(_article("Alabama"), 1, frozenset({"infoboxes"}))
    assert alabama.claims is None and alabama.references is None
    assert alabama.infoboxes is not None
    assert [box.name for box in alabama.infoboxes] == [
        "Infobox U.S. state",
        "Infobox U.S. state symbols",
    ]
    fields = alabama.infoboxes[0].fields
    assert [(f.name, f.value) for f in fields[:2]] == [
        ("name", "Alabama"),
        ("fullname", "State of Alabama"),
    ]
    assert {f.name: f.value for f in fields}["capital"] == "Montgomery"
    # every infobox of the sample keeps its fields
    for title in ("Albert Einstein", "Bodmin", "Julia Kristeva"):
        boxes = to_record(_article(title), 1, frozenset({"infoboxes"})).infoboxes
        assert boxes and all(box.fields for box in boxes), title


def test_a_claims_citations_carry_the_reference_metadata() -> None:
    anarchism = _article("Anarchism")
    record = to_record(anarchism, 1, frozenset({"claims"}))
    refs = {r.identifier: r for r in anarchism.references}
    assert record.claims is not None
    first = record.claims[0].citations[0]
    assert first.identifier == "cite_note-definition" and first.type == "journal"
    assert first.title == "Towards Anarchism"
    assert first.url == "http://www.marxists.org/archive/malatesta/1930s/xx/toanarchy.htm"
    citations = [c for claim in record.claims for c in claim.citations]
    assert len(citations) > 100
    for citation in citations:
        ref = refs[citation.identifier]
        assert citation.type == ref.type
        assert citation.title == ref.metadata.get("title")
        assert citation.url == ref.metadata.get("url")
    assert sum(c.url is not None for c in citations) > 50


def test_a_citation_of_a_missing_reference_is_unknown_not_an_error() -> None:
    # e.g. a claim citing a named reference defined nowhere in the article
    anarchism = _article("Anarchism")
    orphan = msgspec.structs.replace(anarchism, references=())
    record = to_record(orphan, 1, frozenset({"claims"}))
    assert record.claims is not None
    citation = record.claims[0].citations[0]
    assert (citation.type, citation.title, citation.url) == ("unknown", None, None)


def test_the_schema_has_the_base_columns_and_the_chosen_optional_ones() -> None:
    base = record_schema()
    assert base.names == BASE_COLUMNS
    assert record_schema(ALL).names == [*BASE_COLUMNS, *OPTIONAL_COLUMNS]
    assert record_schema(["references", "sections"]).names == [
        *BASE_COLUMNS,
        "sections",
        "references",
    ]
    assert base.metadata == {b"wikipact.record_version": RECORD_VERSION.encode()}
    assert base.field("revision_id").type == pa.int64()
    assert not base.field("id").nullable and not base.field("signals").nullable
    signals = base.field("signals").type
    assert signals.field("references_per_1000_words").type == pa.float64()
    assert signals.field("is_stub").type == pa.bool_()
    assert signals.field("last_revision_age_days").nullable


def _types(t: pa.DataType):  # type: ignore[no-untyped-def]
    yield t
    for i in range(t.num_fields):
        yield from _types(t.field(i).type)


def test_the_schema_has_no_maps_anywhere() -> None:
    """Hugging Face datasets cannot read Arrow maps: records use lists of name/value structs."""
    schema = record_schema(ALL)
    types = [t for field in schema for t in _types(field.type)]
    assert not any(pa.types.is_map(t) for t in types)
    assert any(pa.types.is_list(t) for t in types) and any(pa.types.is_struct(t) for t in types)
    metadata = schema.field("references").type.value_type.field("metadata").type
    assert metadata == pa.list_(
        pa.struct([pa.field("name", pa.string(), False), pa.field("value", pa.string(), False)])
    )

    class WithMap(msgspec.Struct):
        counts: dict[str, int]

    with pytest.raises(TypeError, match="no maps"):
        arrow_type(msgspec.inspect.type_info(WithMap))


def test_datasets_reads_the_schema() -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features.from_arrow_schema(record_schema(ALL))
    assert list(features) == [*BASE_COLUMNS, *OPTIONAL_COLUMNS]


def test_to_table_round_trips_records_and_keeps_zeros() -> None:
    # Alexander Y-type: no references, no citation needed; Alan Smithee: German
    articles = [_article("Anarchism"), _article("Alexander Y-type"), _alan()]
    for columns in (frozenset(), ALL):
        schema = record_schema(columns)
        records = [to_record(a, n + 1, columns) for n, a in enumerate(articles)]
        table = to_table(records, schema)
        assert table.schema == schema and table.num_rows == 3
        rows = table.to_pylist()
        # absent optional columns are left out, not written as nulls
        assert rows == [{k: v for k, v in plain(r).items() if k in schema.names} for r in records]
        for row, record in zip(rows, records, strict=True):
            assert msgspec.convert(row, DatasetRecord) == record
        signals = rows[1]["signals"]
        assert signals["references"] == 0 and signals["references_per_1000_words"] == 0.0
        assert signals["citation_needed_count"] == 0 and signals["is_stub"] is False
        assert signals["last_revision_age_days"] is None  # optional: null when unknown
        assert None not in [v for k, v in signals.items() if k != "last_revision_age_days"]
        assert table.column("signals").combine_chunks().field("tables").null_count == 0


def test_the_worker_encoding_round_trips_zeros_too() -> None:
    record = to_record(_article("Alexander Y-type"), 7, ALL)
    assert record.signals.references == 0
    decoded = decode_record(msgspec.msgpack.encode(record))
    assert decoded == record
    assert plain(decoded)["signals"]["references"] == 0


def test_an_article_without_signals_or_text_makes_a_complete_record() -> None:
    bare = msgspec.structs.replace(_alan(), signals=None, text=None, abstract=None, license=())
    record = to_record(bare, 0, ALL)
    assert (record.text, record.abstract, record.license) == ("", "", "")
    assert record.signals.words == 0 and record.signals.version == ""
    table = to_table([record], record_schema(ALL))
    assert table.to_pylist()[0]["signals"]["words"] == 0
