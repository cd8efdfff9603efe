"""Deduplication in stages of tasks over files: ``dedup.deduplicate``'s verdict, in bounded memory.

``dedup.deduplicate`` holds every candidate of a build in one process (~810 bytes per kept
article: ~6 GB for English Wikipedia). ``deduplicate_sharded`` reaches the very same verdict
(the same ``dropped``, even in the same order, and the same ``clusters``) for any number of
partitions and workers. It runs stages of tasks through an executor (``run/executor.py``). Each
task reads its inputs from files under ``work`` and writes its output as one file
(``storage.put_bytes``: whole or absent), so a task never holds more than its partition, the
driver holds only the verdict it returns, and a relaunch redoes only the tasks whose output is
missing.

A candidate is named by a *key* inside the tasks: its stage file's number in the bits above
``KEY_BITS`` and its position in that file below them. Keys sort as the build's ordinals do
(positions among all staged records, stage files in order) and are known without reading the
files before; the driver turns them into ordinals at the end.

Files under ``work`` (P = ``partitions``; each ``.bin`` is a list of sections, ``_pack``, so a
task reads only its own section of a file):

0. ``plan.json``: the partitions, rules and stage file names these files were made for;
1. ``candidates/NNNNNN.bin``, a task per stage file: its candidates (the records no filter
   dropped) in P sections by blake2b(id), then the file's count of records;
2. ``same_page/PPPPPP.bin``, a task per id partition: one record per id (``same_page``); the
   survivors in P sections by blake2b(text hash), then this partition's clusters;
3. ``exact/PPPPPP.bin``, a task per text-hash partition: one record per text
   (``exact_duplicate``); the LSH band keys of the survivors with a signature in P sections by
   a hash of (band, band key), so each bucket lands whole in one partition; this partition's
   clusters; and a table of those survivors (keys, what the best copy is chosen by, and
   signatures in fixed-size rows, read by row);
4. ``proposed/PPPPPP.bin``, a task per bucket partition: the pairs the banding proposes (as
   ``dedup._proposed_pairs``: every pair of a bucket, a chain and a star for more than 32
   members), in P sections by the text-hash partition of the pair's first member;
5. ``joined/PPPPPP.bin``, a task per text-hash partition: its pairs (each once) with the first
   member's signature from the partition's table, in P sections by the second member's
   partition;
6. ``confirmed/PPPPPP.bin``, a task per text-hash partition: the pairs whose similarity on the
   signatures reaches the threshold, with what the best copy of each member is chosen by;
7. ``near.bin``, one task: the connected components of the confirmed pairs (union-find), each
   one's best copy and lowest similarity (``near_duplicate``).

Memory: a task of stage 1 holds one stage file's candidates; of stages 2 to 6 one partition's
candidates, band keys or pairs (about 1/P of the corpus's, and only the proposed pairs of it);
stage 7 and the driver hold the near-duplicates' pairs and the verdict, which is the output.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec
import numpy as np

from wikipact import storage
from wikipact.datasets.dedup import (
    Candidate,
    Cluster,
    DedupResult,
    _best_first,
    _fmix32,
    _member,
    connected_groups,
    lsh_params,
)
from wikipact.datasets.recipe import Dedup
from wikipact.datasets.stage import read_exactly, read_stage
from wikipact.run.executor import Executor, map_ordered

PARTITIONS = 16  # default: English Wikipedia's ~6 GB of candidates in ~400 MB per task
KEY_BITS = 40  # a record's position in its stage file below, the file's number above
CROWDED = 32  # dedup._proposed_pairs: a bucket of more members is a chain and a star
BANDING_WEIGHTS = (0.01, 0.99)  # dedup._proposed_pairs: tuned for recall
PLAN_VERSION = 1
CANDIDATES, SAME_PAGE, EXACT = "candidates", "same_page", "exact"
PROPOSED, JOINED, CONFIRMED, NEAR = "proposed", "joined", "confirmed", "near.bin"

Meta = tuple[str, int, str, int]  # id, revision_id, date_modified, references: the best copy's


class _Row(msgspec.Struct, array_like=True, frozen=True):
    """A candidate on its way through the partitions (``key``: see the module docstring)."""

    key: int
    id: str
    revision_id: int
    date_modified: str
    references: int
    text_hash: bytes
    signature: bytes | None

    def meta(self) -> Meta:
        return (self.id, self.revision_id, self.date_modified, self.references)


class _Group(msgspec.Struct, array_like=True, frozen=True):
    """A cluster, with what the driver needs to list its dropped members as the single pass."""

    kind: str
    kept: str
    dropped: list[str]
    similarity: float | None
    first: int  # the group's smallest key: the single pass met its groups in this order
    dropped_keys: list[int]  # best first, as the single pass dropped them


class _Table(msgspec.Struct, array_like=True):
    """A text-hash partition's survivors with a signature, in key order."""

    keys: bytes  # int64
    signatures: bytes  # one row of num_perm uint32 per key
    meta: list[Meta]


class _Joined(msgspec.Struct, array_like=True):
    """Proposed pairs with their first member's signature and metadata."""

    pairs: bytes  # _PAIR rows
    signatures: bytes
    meta: list[Meta]


class _Confirmed(msgspec.Struct, array_like=True):
    pairs: list[tuple[int, int, float]]  # first key, second key, similarity
    meta: dict[int, Meta]


class _Task(NamedTuple):
    """What a task is given: plain values, so it runs in a spawned process or on Ray."""

    work: str
    rules: Dedup
    partitions: int
    files: int  # how many stage files
    part: int  # the stage file's number or the partition this task is for
    source: str = ""  # the stage file (stage 1 only)


_PAIR = np.dtype([("a", "<i8"), ("b", "<i8")])
_PROPOSED = np.dtype([("a", "<i8"), ("b", "<i8"), ("part_a", "<u4"), ("part_b", "<u4")])
_encoder = msgspec.msgpack.Encoder()
_rows = msgspec.msgpack.Decoder(list[_Row])
_groups = msgspec.msgpack.Decoder(list[_Group])
_table = msgspec.msgpack.Decoder(_Table)
_joined = msgspec.msgpack.Decoder(_Joined)
_confirmed = msgspec.msgpack.Decoder(_Confirmed)


def deduplicate_sharded(
    stage_files: list[str],
    rules: Dedup,
    work: str,
    executor: Executor | None = None,
    *,
    partitions: int = PARTITIONS,
    progress: Callable[[int], None] | None = None,
) -> DedupResult:
    """``dedup.deduplicate`` of the candidates of ``stage_files`` (build order), in tasks.

    ``work`` is a folder (a path or a URL) for this step's files, kept between launches: a
    relaunch reuses every task output already there. ``executor`` runs the tasks (None: in
    this process). ``progress`` is called with 1 as each task ends.
    """
    if partitions < 1:
        raise ValueError(f"partitions must be 1 or more, not {partitions}")
    _check_plan(work, stage_files, rules, partitions)

    sources = [str(s) for s in stage_files]
    per_file = [_Task(work, rules, partitions, len(sources), n, s) for n, s in enumerate(sources)]
    per_part = [_Task(work, rules, partitions, len(sources), p) for p in range(partitions)]
    counts = _run(executor, _extract, per_file, progress)
    same_page = [g for groups in _run(executor, _same_page, per_part, progress) for g in groups]
    exact = [g for groups in _run(executor, _exact, per_part, progress) for g in groups]
    near: list[_Group] = []
    if rules.near:
        for stage in (_propose, _join, _confirm):
            _run(executor, stage, per_part, progress)
        (near,) = _run(executor, _near, per_part[:1], progress)
    return _verdict(counts, [same_page, exact, near])


def _run(
    executor: Executor | None,
    fn: Callable[[_Task], Any],
    tasks: list[_Task],
    progress: Callable[[int], None] | None,
) -> list[Any]:
    """One stage: every task through the executor, their results in order."""
    results = []
    for result in map_ordered(executor, fn, tasks):
        results.append(result)
        if progress is not None:
            progress(1)
    return results


def _check_plan(work: str, stage_files: list[str], rules: Dedup, partitions: int) -> None:
    """Task outputs mean something only for the plan that wrote them: refuse another one."""
    plan = msgspec.json.encode(
        {
            "version": PLAN_VERSION,
            "partitions": partitions,
            "rules": rules,
            "stage_files": [storage.name_of(s) for s in stage_files],
        }
    )
    location = storage.join(work, "plan.json")
    if not storage.exists(location):
        storage.put_bytes(location, plan)
    elif storage.get_bytes(location) != plan:
        raise ValueError(
            f"{work} holds deduplication files of other stage files, rules or partitions; "
            "remove it or give another folder"
        )


def _verdict(counts: list[int], passes: list[list[_Group]]) -> DedupResult:
    """The result as the single pass makes it: pass after pass, each pass's groups in the order
    of their first member, each group's dropped members best first; keys become ordinals."""
    starts = list(itertools.accumulate(counts, initial=0))
    mask = (1 << KEY_BITS) - 1
    result = DedupResult()
    for groups in passes:
        for group in sorted(groups, key=lambda g: g.first):
            for key in group.dropped_keys:
                result.dropped[starts[key >> KEY_BITS] + (key & mask)] = (group.kind, group.kept)
            result.clusters.append(Cluster(group.kind, group.kept, group.dropped, group.similarity))
    result.clusters.sort(key=lambda c: (c.kind, c.kept))
    return result


# -- files -------------------------------------------------------------------------------------


def _location(work: str, stage: str, part: int) -> str:
    return storage.join(work, stage, f"{part:06d}.bin")


def _pack(sections: list[bytes]) -> bytes:
    """Sections behind a header: their count, then where each starts and the last one ends."""
    bounds = list(itertools.accumulate(map(len, sections), initial=8 * (len(sections) + 2)))
    return struct.pack(f"<{len(bounds) + 1}Q", len(sections), *bounds) + b"".join(sections)


def _sections(location: str, wanted: list[int]) -> list[bytes]:
    """Some sections of a ``_pack`` file, read by position (a URL: by byte ranges)."""
    with storage.open_read(location) as fh:
        count = int.from_bytes(read_exactly(fh, 8), "little")
        bounds = struct.unpack(f"<{count + 1}Q", read_exactly(fh, 8 * (count + 1)))
        out = []
        for section in wanted:
            fh.seek(bounds[section])
            out.append(read_exactly(fh, bounds[section + 1] - bounds[section]))
    return out


def _section(location: str, section: int) -> bytes:
    return _sections(location, [section])[0]


def _partition_of(data: bytes, partitions: int) -> int:
    """A stable hash (never ``hash()``: salted per process) into ``partitions``."""
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return int.from_bytes(digest, "little") % partitions


# -- 1. candidates, by id ----------------------------------------------------------------------


def _extract(task: _Task) -> int:
    """The stage file's candidates, by id partition; returns its count of records."""
    out = _location(task.work, CANDIDATES, task.part)
    if storage.exists(out):
        return int(msgspec.msgpack.decode(_section(out, task.partitions)))
    parts: list[list[_Row]] = [[] for _ in range(task.partitions)]
    count = 0
    for position, staged in enumerate(read_stage(task.source)):
        count += 1
        if staged.reason is not None:
            continue
        row = _Row(
            key=task.part << KEY_BITS | position,
            id=staged.id,
            revision_id=staged.revision_id,
            date_modified=staged.date_modified,
            references=staged.references,
            text_hash=staged.text_hash,
            signature=staged.signature,
        )
        parts[_partition_of(staged.id.encode(), task.partitions)].append(row)
    if count >> KEY_BITS or task.part >> (63 - KEY_BITS):
        raise ValueError(f"{task.source}: too many records or stage files for 64-bit keys")
    storage.put_bytes(out, _pack([*map(_encoder.encode, parts), _encoder.encode(count)]))
    return count


# -- 2. same page ------------------------------------------------------------------------------


def _same_page(task: _Task) -> list[_Group]:
    """One record per id; the survivors go on by text hash."""
    out = _location(task.work, SAME_PAGE, task.part)
    if storage.exists(out):
        return _groups.decode(_section(out, task.partitions))
    rows = _partition_rows(task, CANDIDATES, task.files)
    survivors, groups = _collapse(rows, lambda r: r.id, "same_page")
    parts: list[list[_Row]] = [[] for _ in range(task.partitions)]
    for row in survivors:
        parts[_partition_of(row.text_hash, task.partitions)].append(row)
    storage.put_bytes(out, _pack([*map(_encoder.encode, parts), _encoder.encode(groups)]))
    return groups


def _partition_rows(task: _Task, stage: str, files: int) -> list[_Row]:
    """This task's partition of the rows in the ``files`` files of an earlier ``stage``."""
    return [
        row
        for f in range(files)
        for row in _rows.decode(_section(_location(task.work, stage, f), task.part))
    ]


def _collapse(
    rows: list[_Row], key: Callable[[_Row], object], kind: str
) -> tuple[list[_Row], list[_Group]]:
    """``dedup._collapse`` of a partition: each group's best copy survives (in key order)."""
    rows = sorted(rows, key=lambda r: r.key)
    by_value: dict[object, list[_Row]] = {}
    for row in rows:
        by_value.setdefault(key(row), []).append(row)
    survivors, groups = [], []
    for group in by_value.values():
        if len(group) == 1:
            survivors.append(group[0])
            continue
        best, *rest = _best_first(_candidate(row.key, row.meta()) for row in group)
        survivors.extend(row for row in group if row.key == best.ordinal)
        groups.append(
            _Group(
                kind,
                _member(best),
                sorted(_member(c) for c in rest),
                None,
                group[0].key,
                [c.ordinal for c in rest],
            )
        )
    survivors.sort(key=lambda r: r.key)
    return survivors, groups


def _candidate(key: int, meta: Meta) -> Candidate:
    """What ``dedup._best_first`` compares; the key stands for the ordinal (it sorts the same)."""
    ident, revision_id, date_modified, references = meta
    return Candidate(key, ident, revision_id, date_modified, references, b"", None)


# -- 3. exact copies, and band keys ------------------------------------------------------------


def _exact(task: _Task) -> list[_Group]:
    """One record per text; the band keys of the survivors with a signature, by bucket."""
    out = _location(task.work, EXACT, task.part)
    if storage.exists(out):
        return _groups.decode(_section(out, task.partitions))
    rows = _partition_rows(task, SAME_PAGE, task.partitions)
    if task.rules.exact:
        survivors, groups = _collapse(rows, lambda r: r.text_hash, "exact_duplicate")
    else:
        survivors, groups = sorted(rows, key=lambda r: r.key), []
    signed = [r for r in survivors if r.signature is not None] if task.rules.near else []
    width = 4 * task.rules.num_perm
    for row in signed:
        if len(row.signature or b"") != width:
            raise ValueError(
                f"{row.id}: a signature of {len(row.signature or b'')} bytes, the rules' "
                f"num_perm={task.rules.num_perm} makes {width}"
            )
    keys = np.array([r.key for r in signed], dtype="<i8")
    signatures = np.frombuffer(b"".join(r.signature or b"" for r in signed), "<u4")
    signatures = signatures.reshape(len(signed), task.rules.num_perm)
    buckets = _bucket_sections(keys, signatures, task)
    table = _Table(keys.tobytes(), signatures.tobytes(), [r.meta() for r in signed])
    sections = [*buckets, _encoder.encode(groups), _encoder.encode(table)]
    storage.put_bytes(out, _pack(sections))
    return groups


def _entry_dtype(rules: Dedup) -> np.dtype[Any]:
    """A band key of a candidate: (band, the band's bytes) names its bucket."""
    _, rows = lsh_params(rules.threshold, rules.num_perm, BANDING_WEIGHTS)
    return np.dtype([("band", "<u4"), ("key", f"V{4 * rows}"), ("member", "<i8"), ("part", "<u4")])


def _bucket_sections(keys: np.ndarray, signatures: np.ndarray, task: _Task) -> list[bytes]:
    """Every band key of the signatures, in sections by a hash of (band, band key)."""
    bands, rows = lsh_params(task.rules.threshold, task.rules.num_perm, BANDING_WEIGHTS)
    entries = np.empty(len(keys) * bands, _entry_dtype(task.rules))
    bucket = np.empty(len(entries), np.uint32)
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        at = slice(band * len(keys), (band + 1) * len(keys))
        entries["band"][at] = band
        entries["key"][at] = block.view(entries.dtype["key"]).ravel()
        entries["member"][at] = keys
        entries["part"][at] = task.part
        bucket[at] = _bucket_hash(band, block)
    bucket %= np.uint32(task.partitions)
    return [entries[bucket == q].tobytes() for q in range(task.partitions)]


def _bucket_hash(band: int, block: np.ndarray) -> np.ndarray:
    """A stable uint32 hash of (band, band key) per row (MurmurHash3's finalizer, chained)."""
    h = np.full(len(block), band, dtype=np.uint32)
    for column in block.T:
        h = _fmix32((h * np.uint32(0x9E3779B1)) ^ column)
    return h


# -- 4. proposed pairs -------------------------------------------------------------------------


def _propose(task: _Task) -> None:
    """The pairs of the partition's buckets, by the text-hash partition of their first member."""
    out = _location(task.work, PROPOSED, task.part)
    if storage.exists(out):
        return
    dtype = _entry_dtype(task.rules)
    entries = np.concatenate(
        [
            np.frombuffer(_section(_location(task.work, EXACT, p), task.part), dtype)
            for p in range(task.partitions)
        ]
    )
    pairs = _bucket_pairs(entries)
    parts = [pairs[pairs["part_a"] == p].tobytes() for p in range(task.partitions)]
    storage.put_bytes(out, _pack(parts))


def _bucket_pairs(entries: np.ndarray) -> np.ndarray:
    """``dedup._proposed_pairs`` over whole buckets: members in key order (the single pass's
    index order); every pair of up to 32 members, else a chain and a star; each pair once."""
    if len(entries) < 2:
        return np.empty(0, _PROPOSED)
    width = 4 + entries.dtype["key"].itemsize  # band and band key: the bucket
    raw = np.ascontiguousarray(entries.view(np.uint8).reshape(len(entries), -1)[:, :width])
    _, bucket = np.unique(raw.view(f"V{width}").ravel(), return_inverse=True)
    order = np.lexsort((entries["member"], bucket))
    starts = np.flatnonzero(np.r_[True, np.diff(bucket[order]) != 0])
    sizes = np.diff(np.r_[starts, len(order)])
    firsts, seconds = [], []
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        members = order[start : start + size]
        if size <= CROWDED:
            i, j = np.triu_indices(size, 1)
        else:  # as dedup._proposed_pairs: the chain, then the star from the first member
            i = np.r_[np.arange(size - 1), np.zeros(size - 2, dtype=np.int64)]
            j = np.r_[np.arange(1, size), np.arange(2, size)]
        firsts.append(members[i])
        seconds.append(members[j])
    if not firsts:
        return np.empty(0, _PROPOSED)
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    pairs = np.empty(len(first), _PROPOSED)
    pairs["a"], pairs["part_a"] = entries["member"][first], entries["part"][first]
    pairs["b"], pairs["part_b"] = entries["member"][second], entries["part"][second]
    return np.unique(pairs)  # a pair proposed by several bands once


# -- 5. the first member's signature -----------------------------------------------------------


def _join(task: _Task) -> None:
    """The partition's pairs (each once) with the first member's signature, by second member."""
    out = _location(task.work, JOINED, task.part)
    if storage.exists(out):
        return
    proposed = np.unique(
        np.concatenate(
            [
                np.frombuffer(_section(_location(task.work, PROPOSED, q), task.part), _PROPOSED)
                for q in range(task.partitions)
            ]
        )
    )
    keys, signatures, meta = _load_table(task, task.part)
    rows = _rows_of(keys, proposed["a"])
    sections = []
    for p in range(task.partitions):
        chosen = np.flatnonzero(proposed["part_b"] == p)
        pairs = np.empty(len(chosen), _PAIR)
        pairs["a"], pairs["b"] = proposed["a"][chosen], proposed["b"][chosen]
        joined = _Joined(
            pairs.tobytes(),
            signatures[rows[chosen]].tobytes(),
            [meta[r] for r in rows[chosen].tolist()],
        )
        sections.append(_encoder.encode(joined))
    storage.put_bytes(out, _pack(sections))


def _load_table(task: _Task, part: int) -> tuple[np.ndarray, np.ndarray, list[Meta]]:
    table = _table.decode(_section(_location(task.work, EXACT, part), task.partitions + 1))
    keys = np.frombuffer(table.keys, "<i8")
    signatures = np.frombuffer(table.signatures, "<u4").reshape(len(keys), task.rules.num_perm)
    return keys, signatures, table.meta


def _rows_of(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each wanted key is in ``keys`` (ascending); every one is there."""
    rows = np.searchsorted(keys, wanted)
    assert np.array_equal(keys[rows], wanted), "a proposed pair names an unknown candidate"
    return rows


# -- 6. confirmed pairs ------------------------------------------------------------------------


def _confirm(task: _Task) -> None:
    """The pairs whose share of equal signature values reaches the threshold."""
    out = _location(task.work, CONFIRMED, task.part)
    if storage.exists(out):
        return
    joined = [
        _joined.decode(_section(_location(task.work, JOINED, p), task.part))
        for p in range(task.partitions)
    ]
    pairs = np.concatenate([np.frombuffer(j.pairs, _PAIR) for j in joined])
    num_perm = task.rules.num_perm
    first = np.frombuffer(b"".join(j.signatures for j in joined), "<u4").reshape(-1, num_perm)
    first_meta = [m for j in joined for m in j.meta]
    keys, signatures, meta = _load_table(task, task.part)
    rows = _rows_of(keys, pairs["b"])
    # as dedup._near's np.mean: the count of equal values over num_perm, in float64
    similarity = (first == signatures[rows]).sum(axis=1) / num_perm
    confirmed = _Confirmed([], {})
    for n in np.flatnonzero(similarity >= task.rules.threshold).tolist():
        a, b = int(pairs["a"][n]), int(pairs["b"][n])
        confirmed.pairs.append((a, b, float(similarity[n])))
        confirmed.meta[a] = first_meta[n]
        confirmed.meta[b] = meta[int(rows[n])]
    storage.put_bytes(out, _encoder.encode(confirmed))


# -- 7. near-duplicate clusters ----------------------------------------------------------------


def _near(task: _Task) -> list[_Group]:
    """Connected components of the confirmed pairs, as ``dedup._near`` finds them."""
    out = storage.join(task.work, NEAR)
    if storage.exists(out):
        return _groups.decode(storage.get_bytes(out))
    pairs: list[tuple[int, int, float]] = []
    meta: dict[int, Meta] = {}
    for p in range(task.partitions):
        confirmed = _confirmed.decode(storage.get_bytes(_location(task.work, CONFIRMED, p)))
        pairs.extend(confirmed.pairs)
        meta.update(confirmed.meta)
    groups = []
    for root, keys, lowest in connected_groups(sorted(meta), pairs):
        best, *rest = _best_first(_candidate(key, meta[key]) for key in keys)
        groups.append(
            _Group(
                "near_duplicate",
                _member(best),
                sorted(_member(c) for c in rest),
                round(lowest, 3),
                root,
                [c.ordinal for c in rest],
            )
        )
    storage.put_bytes(out, _encoder.encode(groups))
    return groups
