"""dedup.py's MinHash signatures and LSH bands are datasketch's, computed without datasketch.

wikipact no longer imports datasketch in a build (it pulled in scipy.integrate: ~1 s per
process); these tests hold its own computation to the very choice and the very bytes of the
datasketch version installed here (uv.lock's), over the whole grid of thresholds (0.05 to 0.99 in
steps of 0.01), permutation counts and weights, and over real article texts.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.conftest import DATA, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from wikipact.datasets.dedup import SCHEME, SEED, lsh_params, normalise, signature
from wikipact.dumps.reader import open_dump

datasketch = pytest.importorskip("datasketch")
lsh = pytest.importorskip("datasketch.lsh")

THRESHOLDS = [round(0.05 + i / 100, 2) for i in range(95)]  # 0.05, 0.06, ... 0.99
NUM_PERMS = (16, 32, 64, 128, 256)
WEIGHTS = [(0.5, 0.5), (0.01, 0.99), (0.1, 0.9)]


def test_the_grid_is_the_one_asked_for() -> None:
    assert THRESHOLDS[0] == 0.05 and THRESHOLDS[-1] == 0.99 and len(set(THRESHOLDS)) == 95


@pytest.mark.parametrize("num_perm", NUM_PERMS)
def test_lsh_params_are_datasketchs_choice(num_perm: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # datasketch's own integrals, each computed once for the three weight pairs (they are pure
    # functions of threshold, b and r): its _optimal_param loop runs unchanged, three times
    # faster
    for name in ("_false_positive_probability", "_false_negative_probability"):
        monkeypatch.setattr(lsh, name, functools.cache(getattr(lsh, name)))
    differ = []
    for threshold in THRESHOLDS:
        for weights in WEIGHTS:
            expected = lsh._optimal_param(threshold, num_perm, *weights)
            if lsh_params(threshold, num_perm, weights) != expected:
                differ.append((threshold, weights, lsh_params(threshold, num_perm, weights)))
            if expected[0] >= 2:  # MinHashLSH refuses fewer than two bands
                index = datasketch.MinHashLSH(
                    threshold=threshold, num_perm=num_perm, weights=weights
                )
                assert (index.b, index.r) == expected
    assert differ == [], f"num_perm={num_perm}: (threshold, weights, ours) differ: {differ}"


def test_the_build_rules_get_the_bands_they_had() -> None:
    """The default recipe (0.8, 128 permutations), tuned for recall as the build asks."""
    index = datasketch.MinHashLSH(threshold=0.8, num_perm=128, weights=(0.01, 0.99))
    assert lsh_params(0.8, 128, (0.01, 0.99)) == (index.b, index.r)


@functools.cache
def _texts() -> list[list[str]]:
    """Normalised words of real pages in many scripts, and a few short and odd ones."""
    texts = [[], ["one"], ["one", "two", "three", "four", "five"], ["x"] * 7]
    for path in (ENWIKI_PLAIN, MRWIKI_MULTISTREAM, *sorted((DATA / "golden").glob("*.xml"))):
        for n, page in enumerate(open_dump(path).pages()):
            if n >= 12:
                break
            texts.append(normalise(page.revisions[-1].text or ""))
    return texts


@pytest.mark.parametrize(("num_perm", "shingle"), [(128, 5), (16, 5), (256, 3), (64, 1)])
def test_signatures_are_datasketchs_bytes(num_perm: int, shingle: int) -> None:
    texts = _texts()
    assert len(texts) > 40 and max(map(len, texts)) > 5000
    for words in texts:
        if len(words) <= shingle:
            shingles = [" ".join(words).encode("utf-8")]
        else:
            shingles = [
                " ".join(words[i : i + shingle]).encode("utf-8")
                for i in range(len(words) - shingle + 1)
            ]
        minhash = datasketch.MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)
        minhash.update_batch(shingles)
        expected = np.asarray(minhash.hashvalues, dtype="<u4").tobytes()
        assert signature(words, num_perm, shingle) == expected, words[:20]
