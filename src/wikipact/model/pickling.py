"""Records keep their JSON when pickled: a field left at its default stays the default object.

msgspec's ``omit_defaults`` leaves a field out of the JSON when its value *is* the default
object (an identity test, for speed), not when it is merely equal. A record built in this
process holds its defaults themselves (``Reference.type`` is the interned ``"text"``); pickled
to another process and back (a worker's results, a Ray task's), every value is a new object,
equal but not identical, and the field appeared in the JSON: a record parsed in a worker
encoded differently from one parsed here (``"type":"text"`` in every reference), so outputs
depended on which process did the work.

``keep_defaults`` registers, for each ``omit_defaults`` struct of a module, a pickle reducer
(``copyreg``: used by pickle, multiprocessing and Ray's cloudpickle alike) that leaves out the
fields whose value is the default object, so the unpickled record gets the default object
again and encodes to the same bytes. Fields equal to the default but not identical (a computed
``0.0``) are sent as they are, and keep encoding as they did.
"""

from __future__ import annotations

import copyreg
from collections.abc import Iterable
from typing import Any

import msgspec


def keep_defaults(namespace: Iterable[Any]) -> None:
    """Register the reducer for every ``omit_defaults`` msgspec struct among ``namespace``."""
    for obj in namespace:
        if (
            isinstance(obj, type)
            and issubclass(obj, msgspec.Struct)
            and obj.__struct_config__.omit_defaults
        ):
            copyreg.pickle(obj, _reduce)


def _reduce(record: msgspec.Struct) -> tuple[Any, tuple[Any, ...]]:
    cls = type(record)
    fields = cls.__struct_fields__
    defaults = cls.__struct_defaults__
    first_default = len(fields) - len(defaults)
    names, values = [], []
    for index, name in enumerate(fields):
        value = getattr(record, name)
        if index >= first_default and value is defaults[index - first_default]:
            continue
        names.append(name)
        values.append(value)
    return _rebuild, (cls, tuple(names), tuple(values))


def _rebuild(cls: type[msgspec.Struct], names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return cls(**dict(zip(names, values, strict=True)))
