"""Arrow schema of the dataset record, derived from its msgspec definition (never written by hand).

Every shard of every build gets exactly this schema, so empty lists and absent optional columns
never change a column's type between shards, and readers can concatenate shards blindly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import msgspec.inspect as mi
import pyarrow as pa

from wikipact.datasets.record import OPTIONAL_COLUMNS, RECORD_VERSION, DatasetRecord


def arrow_type(info: mi.Type) -> pa.DataType:
    """The Arrow type of one msgspec type (structs, lists, str-keyed dicts, scalars, optionals)."""
    if isinstance(info, mi.UnionType):
        members = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(members) != 1:
            raise TypeError(f"no Arrow type for the union {info}")
        return arrow_type(members[0])
    if isinstance(info, mi.StrType):
        return pa.string()
    if isinstance(info, mi.IntType):
        return pa.int64()
    if isinstance(info, mi.FloatType):
        return pa.float64()
    if isinstance(info, mi.BoolType):
        return pa.bool_()
    if isinstance(info, (mi.ListType, mi.VarTupleType)):
        return pa.list_(arrow_type(info.item_type))
    if isinstance(info, mi.DictType):
        return pa.map_(arrow_type(info.key_type), arrow_type(info.value_type))
    if isinstance(info, mi.StructType):
        return pa.struct([_field(f) for f in info.fields])
    raise TypeError(f"no Arrow type for {info}")


def _field(field: mi.Field) -> pa.Field:
    nullable = isinstance(field.type, mi.UnionType)
    return pa.field(field.encode_name, arrow_type(field.type), nullable=nullable)


def record_schema(columns: Iterable[str] = ()) -> pa.Schema:
    """The schema of a shard holding the base columns plus the chosen optional ``columns``."""
    chosen = set(columns)
    info = mi.type_info(DatasetRecord)
    assert isinstance(info, mi.StructType)
    fields = [
        _field(f)
        for f in info.fields
        if f.encode_name not in OPTIONAL_COLUMNS or f.encode_name in chosen
    ]
    return pa.schema(fields, metadata={b"wikipact.record_version": RECORD_VERSION.encode()})


def to_table(records: Sequence[DatasetRecord], schema: pa.Schema) -> pa.Table:
    """Records as an Arrow table of ``schema`` (maps become key/value pairs, as Arrow wants)."""
    rows = [plain(r) for r in records]
    map_columns = _map_paths(schema)
    if map_columns:
        for row in rows:
            _maps_to_pairs(row, map_columns)
    return pa.Table.from_pylist(rows, schema=schema)


def plain(value: Any) -> Any:
    """Builtins of a record with every field written (``to_builtins`` would omit defaults)."""
    if isinstance(value, msgspec.Struct):
        return {k: plain(v) for k, v in msgspec.structs.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _map_paths(schema: pa.Schema) -> dict[str, Any]:
    """Which nested fields are maps: {column: True | nested description}."""

    def describe(t: pa.DataType) -> Any:
        if pa.types.is_map(t):
            return True
        if pa.types.is_list(t):
            inner = describe(t.value_type)
            return ("list", inner) if inner else None
        if pa.types.is_struct(t):
            nested = {t.field(i).name: describe(t.field(i).type) for i in range(t.num_fields)}
            nested = {k: v for k, v in nested.items() if v}
            return ("struct", nested) if nested else None
        return None

    out = {}
    for f in schema:
        d = describe(f.type)
        if d:
            out[f.name] = d
    return out


def _convert(value: Any, how: Any) -> Any:
    if value is None:
        return None
    if how is True:
        return list(value.items())
    kind, inner = how
    if kind == "list":
        return [_convert(v, inner) for v in value]
    for key, sub in inner.items():
        value[key] = _convert(value.get(key), sub)
    return value


def _maps_to_pairs(row: dict[str, Any], paths: dict[str, Any]) -> None:
    for key, how in paths.items():
        row[key] = _convert(row.get(key), how)
