"""Deduplication: the same page twice, exact copies, and near-duplicates (MinHash LSH).

Three passes over the candidates that survived the filters, each keeping the *best* copy of a group
and dropping the others with a reason:

1. ``same_page``: one record per id (project + page id), e.g. a page in two dumps at two revisions;
2. ``exact_duplicate``: identical normalised text (Unicode NFKC, case-folded, words only);
3. ``near_duplicate``: estimated Jaccard similarity of word shingles at or above the threshold,
   found with MinHash LSH and confirmed on the signatures; groups are the connected components
   of confirmed pairs.

The MinHash signatures and the LSH bands and rows are datasketch's (version 2, "affine32"
scheme), computed here with numpy: the same bytes and the same choice (tests/datasets compares
both with datasketch itself), without importing datasketch: it pulls in scipy.integrate, and
cost every build process ~1 s more than numpy alone (``import datasketch`` 1.2 s, ``import numpy``
0.2 s, measured).

The best copy is the newest revision (``date_modified``, then revision id), then the one with more
references, then the smaller id, so the choice never depends on input order.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from wikipact.datasets.recipe import Dedup

SCHEME = "affine32"  # datasketch 2 hashing scheme; signatures are only comparable within one
SEED = 1  # the seed of the permutations (datasketch's MinHash(seed=1))
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
# a CJK letter on its own, or a run of other word characters
_WORD = re.compile(rf"(?=\w)[{_CJK_CHARS}]|[^\W{_CJK_CHARS}]+")


def normalise(text: str) -> list[str]:
    """Words of the text, NFKC-normalised and case-folded (each CJK character counts as a word;
    the Latin words of an English page that quotes a Chinese name stay words)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(text)


def text_hash(words: list[str]) -> bytes:
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).digest()


def signature(words: list[str], num_perm: int, shingle: int) -> bytes:
    """The MinHash signature of the text's ``shingle``-word shingles, as little-endian uint32.

    The bytes of datasketch 2's ``MinHash(num_perm, seed=1, scheme="affine32")`` after
    ``update_batch`` of the shingles (UTF-8): each shingle's hash is the first 4 bytes of its
    SHA-1 (little-endian), mixed with MurmurHash3's 32-bit finalizer, then put through
    ``num_perm`` permutations ``a * h + b mod 2**32``; the signature is each one's minimum.
    """
    if len(words) <= shingle:
        shingles = [" ".join(words).encode("utf-8")]
    else:
        shingles = [
            " ".join(words[i : i + shingle]).encode("utf-8")
            for i in range(len(words) - shingle + 1)
        ]
    digests = b"".join(hashlib.sha1(s).digest()[:4] for s in shingles)
    hashes = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
    a, b = _permutations(num_perm, SEED)
    permuted = hashes[:, np.newaxis] * a + b  # uint32: the wraparound is the modulo 2**32
    return permuted.min(axis=0).astype("<u4").tobytes()


@functools.lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations: ``a`` odd (a bijection), drawn before ``b``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = b.flags.writeable = False  # shared by every call: never changed
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection on uint32; multiplications wrap)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


@functools.lru_cache(maxsize=32)
def lsh_params(
    threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)
) -> tuple[int, int]:
    """Bands and rows per band for LSH at ``threshold``: datasketch's choice, computed here.

    As datasketch 2's ``MinHashLSH(threshold, num_perm, weights).b, .r``
    (``datasketch.lsh._optimal_param``): of every ``b * r <= num_perm`` (``b`` the outer loop,
    then ``r``, both rising), the first that minimises ``fp_weight * FP + fn_weight * FN``, where
    FP is the integral of ``1 - (1 - s**r)**b`` over similarities ``s`` in [0, threshold] (pairs
    proposed below it) and FN that of ``(1 - s**r)**b`` over [threshold, 1] (pairs missed above).
    datasketch integrates with scipy's ``quad``; the integrands are polynomials of degree
    ``b * r <= num_perm``, which Gauss-Legendre quadrature with ``num_perm // 2 + 1`` points
    integrates exactly (to rounding), so no scipy (nor datasketch, which imports it: ~1 s in
    every build process, measured) is needed. Unlike ``MinHashLSH``, which refused its own
    choice of ``b == 1`` (one band of every row, chosen at high thresholds: 1.0 with the build's
    weights) with a ValueError, this returns it: the banding works with one band.
    """
    b, r, fp, fn = _lsh_errors(threshold, num_perm)
    fp_weight, fn_weight = weights
    best = int(np.argmin(fp * fp_weight + fn * fn_weight))  # the first minimum, as datasketch's "<"
    return int(b[best]), int(r[best])


@functools.lru_cache(maxsize=8)
def _lsh_errors(threshold: float, num_perm: int) -> tuple[np.ndarray, ...]:
    """Every (b, r) in datasketch's loop order (b = 1, 2 ..., and for each r = 1 ... num_perm // b)
    with its FP and FN integrals (see ``lsh_params``), whatever the weights."""
    nodes, node_weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = (nodes + 1) * (threshold / 2)  # [-1, 1] -> [0, threshold]
    above = threshold + (nodes + 1) * ((1 - threshold) / 2)  # -> [threshold, 1]
    per_band = num_perm // np.arange(1, num_perm + 1)
    b = np.repeat(np.arange(1, num_perm + 1), per_band)
    r = np.concatenate([np.arange(1, n + 1) for n in per_band])
    bands, rows = b.astype(np.float64)[:, np.newaxis], r.astype(np.float64)[:, np.newaxis]
    # sums, not a matrix product: no BLAS threads, the same rounding on every machine
    fp = ((1 - (1 - below**rows) ** bands) * node_weights).sum(axis=1) * (threshold / 2)
    fn = (((1 - above**rows) ** bands) * node_weights).sum(axis=1) * ((1 - threshold) / 2)
    for array in (b, r, fp, fn):
        array.flags.writeable = False  # cached: shared by every call
    return b, r, fp, fn


@dataclass(frozen=True, slots=True)
class Candidate:
    """What deduplication needs of one kept record; ``ordinal`` is its position in the build."""

    ordinal: int
    id: str
    revision_id: int
    date_modified: str
    references: int
    text_hash: bytes
    signature: bytes | None


@dataclass
class Cluster:
    """One group of duplicates; members are named ``id@revision`` (``enwiki:12@716551092``)."""

    kind: str  # same_page | exact_duplicate | near_duplicate
    kept: str
    dropped: list[str]
    similarity: float | None = None  # lowest confirmed similarity in a near-duplicate cluster


@dataclass
class DedupResult:
    dropped: dict[int, tuple[str, str]] = field(default_factory=dict)  # ordinal -> (reason, kept)

    clusters: list[Cluster] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for reason, _ in self.dropped.values():
            out[reason] = out.get(reason, 0) + 1
        return out


def _proposed_pairs(signatures: np.ndarray, rules: Dedup) -> set[tuple[int, int]]:
    """Pairs that share a band of their signatures (LSH banding), as (smaller, larger) index.

    The bands and rows for the threshold are datasketch's choice (``lsh_params``); the banding
    is done here with numpy over the signature matrix (512 bytes per record at 128
    permutations), because datasketch's in-memory index held ~6 KB per record and rebuilt a
    MinHash object (with its permutations) for every insert and query: 3.7 ms per record,
    measured. LSH only proposes pairs; each is confirmed on the signatures. It is tuned for
    recall: with equal weights a pair right at the threshold was proposed only 40% of the time
    (0.8, 128 permutations).
    """
    bands, rows = lsh_params(rules.threshold, rules.num_perm, (0.01, 0.99))
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.itemsize * rows))).ravel()
        _, inverse = np.unique(keys, return_inverse=True)
        shared = np.flatnonzero(np.bincount(inverse)[inverse] > 1)  # rows whose key recurs
        if not len(shared):
            continue
        order = shared[np.argsort(inverse[shared], kind="stable")]
        groups = np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1)
        for group in groups:
            members = sorted(int(i) for i in group)
            if len(members) <= 32:
                pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
            else:  # a crowded bucket: a chain and a star keep it linear; union-find joins them
                pairs.update(itertools.pairwise(members))
                pairs.update((members[0], b) for b in members[2:])
    return pairs


def _member(c: Candidate) -> str:
    return f"{c.id}@{c.revision_id}"


def _best_first(group: Iterable[Candidate]) -> list[Candidate]:
    """Newest revision first, then most references, then the smaller id (stable sorts); between
    identical copies (one page read from two dumps) the first read, so input order never counts."""
    by_id = sorted(group, key=lambda c: (c.id, c.ordinal))
    return sorted(by_id, key=lambda c: (c.date_modified, c.revision_id, c.references), reverse=True)


def deduplicate(candidates: Iterable[Candidate], rules: Dedup) -> DedupResult:
    result = DedupResult()
    alive = _collapse(list(candidates), lambda c: c.id, "same_page", result)
    if rules.exact:
        alive = _collapse(alive, lambda c: c.text_hash, "exact_duplicate", result)
    if rules.near:
        _near(alive, rules, result)
    result.clusters.sort(key=lambda c: (c.kind, c.kept))
    return result


def _collapse(
    items: list[Candidate], key: Callable[[Candidate], object], reason: str, result: DedupResult
) -> list[Candidate]:
    groups: dict[object, list[Candidate]] = {}
    for c in items:
        groups.setdefault(key(c), []).append(c)
    alive = []
    for group in groups.values():
        if len(group) == 1:
            alive.append(group[0])
            continue
        best, *rest = _best_first(group)
        alive.append(best)
        for c in rest:
            result.dropped[c.ordinal] = (reason, _member(best))
        result.clusters.append(Cluster(reason, _member(best), sorted(_member(c) for c in rest)))
    alive.sort(key=lambda c: c.ordinal)
    return alive


def _near(items: list[Candidate], rules: Dedup, result: DedupResult) -> None:
    items = [c for c in items if c.signature is not None]
    if len(items) < 2:
        return
    signatures = np.stack([np.frombuffer(c.signature, dtype="<u4") for c in items])  # type: ignore[arg-type]
    pairs = []
    for n, m in sorted(_proposed_pairs(signatures, rules)):
        similarity = float(np.mean(signatures[n] == signatures[m]))
        if similarity >= rules.threshold:
            pairs.append((n, m, similarity))
    for _, group, lowest in connected_groups(range(len(items)), pairs):
        best, *rest = _best_first(items[i] for i in group)
        for c in rest:
            result.dropped[c.ordinal] = ("near_duplicate", _member(best))
        result.clusters.append(
            Cluster(
                "near_duplicate",
                _member(best),
                sorted(_member(c) for c in rest),
                round(lowest, 3),
            )
        )


def connected_groups(
    keys: Iterable[int], pairs: list[tuple[int, int, float]]
) -> list[tuple[int, list[int], float]]:
    """The groups of two or more ``keys`` that the confirmed ``pairs`` (a, b, similarity) join:
    (root, members in the order of ``keys``, lowest similarity of the group's pairs), by
    union-find, a group's root being its smallest key; in the order of the roots in ``keys``
    (ascending keys give ascending roots)."""
    parent = {key: key for key in keys}

    def find(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b, _ in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    members: dict[int, list[int]] = {}
    for key in parent:
        members.setdefault(find(key), []).append(key)
    lowest: dict[int, float] = {}
    for a, _, similarity in pairs:
        root = find(a)
        lowest[root] = min(lowest.get(root, 1.0), similarity)
    return [(root, group, lowest[root]) for root, group in members.items() if len(group) > 1]
