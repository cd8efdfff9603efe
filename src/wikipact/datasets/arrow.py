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
        # Hugging Face datasets cannot read Arrow maps: records use lists of name/value structs
        raise TypeError("no maps in dataset records: use a list of name/value structs")
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
    """Records as an Arrow table of ``schema``."""
    return pa.Table.from_pylist([plain(r) for r in records], schema=schema)


def plain(value: Any) -> Any:
    """Builtins of a record with every field written (``to_builtins`` would omit defaults)."""
    if isinstance(value, msgspec.Struct):
        return {k: plain(v) for k, v in msgspec.structs.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
