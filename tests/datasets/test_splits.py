"""Split assignment: a deterministic hash of the record id, in the recipe's proportions."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from tests.conftest import ENWIKI_PLAIN
from wikipact.datasets.recipe import Splits
from wikipact.datasets.splits import SPLITS, split_of
from wikipact.dumps.reader import open_dump

IDS = [f"enwiki:{n}" for n in range(20_000)]


def _counts(fractions: Splits, ids: list[str] = IDS) -> Counter[str]:
    return Counter(split_of(i, fractions) for i in ids)


def test_the_split_is_a_function_of_the_id_alone() -> None:
    fractions = Splits()
    first = [split_of(i, fractions) for i in IDS]
    assert first == [split_of(i, Splits()) for i in IDS]
    assert set(first) == set(SPLITS)
    # the point is the first 8 bytes of the id's sha256: pinned, so splits never move by accident
    for ident in ("enwiki:12", "dewiki:1", "mrwiki:1", IDS[-1]):
        point = _point(ident)
        expected = "train" if point < 0.98 else "validation" if point < 0.99 else "test"
        assert split_of(ident, fractions) == expected


def test_the_real_sample_pages_have_stable_splits() -> None:
    ids = [f"enwiki:{p.identifier}" for p in open_dump(ENWIKI_PLAIN).pages()]
    even = Splits(train=0.5, validation=0.25, test=0.25)
    assignment = {i: split_of(i, even) for i in ids}
    assert assignment == {i: split_of(i, even) for i in reversed(ids)}
    assert len(set(assignment.values())) == 3
    # the same page id in another project is a different record, hashed independently
    assert [split_of(i, even) for i in ids] != [split_of(i.replace("en", "de"), even) for i in ids]


@pytest.mark.parametrize(
    ("train", "validation", "test"),
    [(0.98, 0.01, 0.01), (0.8, 0.1, 0.1), (0.5, 0.3, 0.2), (0.9, 0.1, 0.0), (1.0, 0.0, 0.0)],
)
def test_the_fractions_are_respected(train: float, validation: float, test: float) -> None:
    counts = _counts(Splits(train=train, validation=validation, test=test))
    for name, fraction in zip(SPLITS, (train, validation, test), strict=True):
        # binomial standard deviation is at most 0.0035 here: allow about three of them
        assert abs(counts[name] / len(IDS) - fraction) < 0.01, (name, counts)
        if fraction == 0:
            assert counts[name] == 0


def test_a_zero_test_fraction_sends_nothing_to_test() -> None:
    assert "test" not in _counts(Splits(train=0.9, validation=0.1, test=0.0))
    assert _counts(Splits(train=1.0, validation=0.0, test=0.0)) == {"train": len(IDS)}
    only_validation = _counts(Splits(train=0.0, validation=1.0, test=0.0))
    assert only_validation == {"validation": len(IDS)}
    assert _counts(Splits(train=0.0, validation=0.0, test=1.0)) == {"test": len(IDS)}


def _point(ident: str) -> float:
    return int.from_bytes(hashlib.sha256(ident.encode()).digest()[:8], "big") / 2**64


def test_a_point_past_the_last_nonempty_split_falls_back_to_it() -> None:
    # validate() lets fractions add up to 1 within 1e-9, so with no test split, train + validation
    # may end just short of a record's point: it goes to the last non-empty split, never to test
    last = max(IDS, key=_point)
    short = _point(last) - 1e-12
    assert split_of(last, Splits(train=0.5, validation=short - 0.5, test=0.0)) == "validation"
    assert split_of(last, Splits(train=short, validation=0.0, test=0.0)) == "train"
    assert split_of(last, Splits(train=0.5, validation=short - 0.5, test=1e-12)) == "test"


def test_moving_validation_and_test_never_moves_a_training_record() -> None:
    before = {i: split_of(i, Splits(train=0.9, validation=0.05, test=0.05)) for i in IDS}
    after = {i: split_of(i, Splits(train=0.9, validation=0.1, test=0.0)) for i in IDS}
    assert {i for i, s in before.items() if s == "train"} == {
        i for i, s in after.items() if s == "train"
    }
    # growing the training set only takes records from the other splits
    grown = {i: split_of(i, Splits(train=0.95, validation=0.025, test=0.025)) for i in IDS}
    assert all(grown[i] == "train" for i, s in before.items() if s == "train")
