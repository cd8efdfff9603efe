"""Deterministic train / validation / test assignment by a hash of the record id.

A record keeps its split across builds and recipes (as long as the fractions stay the same), so
an evaluation set never leaks into a later training set.
"""

from __future__ import annotations

import hashlib

from wikipact.datasets.recipe import Splits

SPLITS = ("train", "validation", "test")


def split_of(record_id: str, fractions: Splits) -> str:
    """The split of ``record_id``: the first 8 bytes of its sha256 as a point in [0, 1)."""
    digest = hashlib.sha256(record_id.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    if point < fractions.train:
        return "train"
    if point < fractions.train + fractions.validation:
        return "validation"
    return "test" if fractions.test > 0 else ("validation" if fractions.validation else "train")
