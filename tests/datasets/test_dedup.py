"""Deduplication on real articles: the same page twice, exact copies, near-duplicates (MinHash)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from wikipact.datasets.dedup import (
    Candidate,
    Cluster,
    deduplicate,
    lsh_params,
    normalise,
    signature,
    text_hash,
)
from wikipact.datasets.filters import Filter
from wikipact.datasets.recipe import Dedup, Filters
from wikipact.datasets.record import record_id
from wikipact.dumps.reader import open_dump
from wikipact.model.article import Article
from wikipact.wikitext.parse import parse_article

ALAN_2013 = DATA / "dewiki-20130602-id1.xml"  # "Alan Smithee", revision 115887164
ALAN_2020 = DATA / "dewiki-20200801-id1.xml"  # the same article, revision 200753430
RULES = Dedup()
MEMBER = re.compile(r"^[a-z_]+wiki:\d+@\d+$")


@cache
def _articles(path: Path) -> tuple[Article, ...]:
    dump = open_dump(path)
    return tuple(
        parse_article(p, dump.site)
        for p in dump.pages()
        if p.namespace == 0 and p.redirect_title is None
    )


def _by_title(path: Path, title: str) -> Article:
    return next(a for a in _articles(path) if a.name == title)


def _candidate(
    article: Article, ordinal: int, ident: str | None = None, text: str = ""
) -> Candidate:
    """What the build's per-page step hands to deduplication (see stage.stage_article)."""
    words = normalise(text or article.text or "")
    return Candidate(
        ordinal=ordinal,
        id=ident or record_id(article.is_part_of.identifier, article.identifier),
        revision_id=article.version.identifier,
        date_modified=article.date_modified,
        references=len(article.references),
        text_hash=text_hash(words),
        signature=signature(words, RULES.num_perm, RULES.shingle_words),
    )


def _similarity(a: Candidate, b: Candidate) -> float:
    assert a.signature is not None and b.signature is not None
    return float(np.mean(np.frombuffer(a.signature, "<u4") == np.frombuffer(b.signature, "<u4")))


def _alan_copied() -> list[Candidate]:
    """Alan Smithee in 2013 and, as if the page had been copied to a new id, in 2020."""
    old = _candidate(_articles(ALAN_2013)[0], 0)
    new = _candidate(_articles(ALAN_2020)[0], 1, ident="dewiki:4242")
    return [old, new]


def test_the_alan_smithee_revisions_are_near_duplicates_and_the_newer_is_kept() -> None:
    old, new = _alan_copied()
    assert old.text_hash != new.text_hash  # not exact copies: seven years of edits
    assert 0.8 <= _similarity(old, new) <= 0.9
    result = deduplicate([old, new], RULES)
    assert result.dropped == {0: ("near_duplicate", "dewiki:4242@200753430")}
    assert result.clusters == [
        Cluster(
            "near_duplicate",
            "dewiki:4242@200753430",
            ["dewiki:1@115887164"],
            round(_similarity(old, new), 3),
        )
    ]
    assert result.counts() == {"near_duplicate": 1}


def test_near_duplicates_respect_the_threshold_and_the_switch() -> None:
    pair = _alan_copied()
    assert deduplicate(pair, Dedup(threshold=0.9)).dropped == {}
    assert deduplicate(pair, Dedup(near=False)).dropped == {}
    assert deduplicate(pair, Dedup(threshold=0.7)).counts() == {"near_duplicate": 1}
    # a candidate without a signature (near-duplicate search off when it was staged) is skipped
    unsigned = [dataclasses.replace(c, signature=None) for c in pair]
    assert deduplicate(unsigned, RULES).dropped == {}


def test_distinct_real_articles_are_never_clustered() -> None:
    """No false positives at the default threshold among the articles a build would keep."""
    golden = sorted((DATA / "golden").glob("*.xml"))
    keep = Filter(Filters())
    # a few golden pages are also in the samples: each page once
    articles = list(
        {
            a.key: a
            for p in [ENWIKI_PLAIN, ALAN_2020, MRWIKI_MULTISTREAM, *golden]
            for a in _articles(p)
            if keep.reason(a) is None
        }.values()
    )
    assert len({a.in_language.identifier for a in articles}) > 20
    candidates = [_candidate(a, n) for n, a in enumerate(articles)]
    result = deduplicate(candidates, RULES)
    assert result.dropped == {}
    assert result.clusters == []
    # and not by luck of LSH banding: the estimated similarities of the English pages are all low
    english = [c for c in candidates if c.id.startswith("enwiki:")]
    assert len(english) > 40
    assert max(_similarity(a, b) for a, b in itertools.combinations(english, 2)) < 0.5


def test_identical_text_under_two_ids_is_an_exact_duplicate() -> None:
    anarchism = _by_title(ENWIKI_PLAIN, "Anarchism")
    first = _candidate(anarchism, 0, ident="enwiki:12")
    copy = _candidate(anarchism, 1, ident="enwiki:99999")
    result = deduplicate([copy, first], RULES)
    # same revision and references: the smaller id is kept
    assert result.dropped == {1: ("exact_duplicate", "enwiki:12@469305320")}
    assert [c.kind for c in result.clusters] == ["exact_duplicate"]
    assert result.clusters[0].dropped == ["enwiki:99999@469305320"]
    assert result.clusters[0].similarity is None
    # exact means the normalised words: case, punctuation and spacing do not matter
    text = anarchism.text or ""
    shouted = _candidate(anarchism, 2, ident="enwiki:7", text=" ".join(text.upper().split()))
    assert shouted.text_hash == first.text_hash
    assert deduplicate([first, shouted], RULES).counts() == {"exact_duplicate": 1}
    # with exact matching off, the copy is still caught as a (perfect) near-duplicate
    result = deduplicate([first, copy], Dedup(exact=False))
    assert result.counts() == {"near_duplicate": 1} and result.clusters[0].similarity == 1.0
    # and with both off, nothing is dropped
    assert deduplicate([first, copy], Dedup(exact=False, near=False)).dropped == {}


def test_the_same_page_at_two_revisions_keeps_the_newest() -> None:
    old = _candidate(_articles(ALAN_2013)[0], 0)
    new = _candidate(_articles(ALAN_2020)[0], 1)
    assert old.id == new.id == "dewiki:1"
    for candidates in ([old, new], [new, old]):
        result = deduplicate(candidates, RULES)
        assert result.dropped == {0: ("same_page", "dewiki:1@200753430")}
        assert result.clusters == [
            Cluster("same_page", "dewiki:1@200753430", ["dewiki:1@115887164"])
        ]


def test_the_same_page_in_two_dumps_is_kept_once() -> None:
    """The English sample as plain XML and as multistream: every page is a same_page pair."""
    plain, multistream = _articles(ENWIKI_PLAIN), _articles(ENWIKI_MULTISTREAM)
    candidates = [_candidate(a, n) for n, a in enumerate([*plain, *multistream])]
    result = deduplicate(candidates, RULES)
    assert result.counts() == {"same_page": len(plain)}
    assert {c.kind for c in result.clusters} == {"same_page"}
    assert sorted(c.kept for c in result.clusters) == sorted(
        f"{c.id}@{c.revision_id}" for c in candidates[: len(plain)]
    )


def test_the_best_copy_tie_break_order() -> None:
    """Newest date, then the higher revision id, then more references, then the smaller id."""
    base = _candidate(_articles(ALAN_2020)[0], 0)

    def variant(ordinal: int, **changes: object) -> Candidate:
        return dataclasses.replace(base, ordinal=ordinal, **changes)  # type: ignore[arg-type]

    def kept(*candidates: Candidate) -> str:
        result = deduplicate(list(candidates), RULES)
        (cluster,) = result.clusters
        assert len(result.dropped) == len(candidates) - 1
        return cluster.kept

    # 1. the newer date wins over a higher revision id and more references
    newer = variant(1, date_modified="2020-06-09T00:00:00Z", revision_id=1, references=0)
    assert kept(variant(0, references=500), newer) == "dewiki:1@1"
    # 2. same date: the higher revision id wins over more references
    higher = variant(1, revision_id=base.revision_id + 1, references=0)
    assert kept(variant(0, references=500), higher) == f"dewiki:1@{base.revision_id + 1}"
    # 3. same date and revision: more references win (over the smaller id)
    more = variant(1, id="dewiki:9", references=base.references + 1)
    assert kept(base, more) == f"dewiki:9@{base.revision_id}"
    # 4. all equal: the smaller id wins, whatever the order
    for order in itertools.permutations([variant(0, id="dewiki:2"), variant(1, id="dewiki:1")]):
        assert kept(*order) == f"dewiki:1@{base.revision_id}"


def _mixed() -> list[Candidate]:
    """Real candidates with every kind of duplicate: plain + multistream, two copies."""
    articles = [*_articles(ENWIKI_PLAIN), *_articles(ENWIKI_MULTISTREAM), *_articles(ALAN_2013)]
    candidates = [_candidate(a, n) for n, a in enumerate(articles)]
    n = len(candidates)
    alan = _articles(ALAN_2020)[0]
    merkel = _by_title(ENWIKI_PLAIN, "Angela Merkel")
    candidates += [
        _candidate(alan, n, ident="dewiki:4242"),  # a copy of dewiki:1, edited since
        _candidate(merkel, n + 1, ident="simplewiki:72671"),  # an exact copy
    ]
    return candidates


def test_results_do_not_depend_on_input_order() -> None:
    candidates = _mixed()
    baseline = deduplicate(candidates, RULES)
    assert set(baseline.counts()) == {"same_page", "exact_duplicate", "near_duplicate"}
    rng = random.Random(20240601)
    for _ in range(5):
        shuffled = candidates[:]
        rng.shuffle(shuffled)
        result = deduplicate(shuffled, RULES)
        assert result.dropped == baseline.dropped
        assert result.clusters == baseline.clusters


def test_cluster_members_are_named_id_at_revision() -> None:
    result = deduplicate(_mixed(), RULES)
    assert result.clusters
    for cluster in result.clusters:
        for member in [cluster.kept, *cluster.dropped]:
            assert MEMBER.match(member), member
        if cluster.kind != "same_page":  # a page read from two dumps: twice the same name
            assert cluster.kept not in cluster.dropped
    for reason, kept in result.dropped.values():
        assert MEMBER.match(kept)
        assert any(c.kind == reason and c.kept == kept for c in result.clusters)
    # clusters are listed in a fixed order
    assert result.clusters == sorted(result.clusters, key=lambda c: (c.kind, c.kept))
    near = [c for c in result.clusters if c.kind == "near_duplicate"]
    assert [(c.kept, c.dropped) for c in near] == [
        ("dewiki:4242@200753430", ["dewiki:1@115887164"])
    ]
    exact = [c for c in result.clusters if c.kind == "exact_duplicate"]
    assert [(c.kept, c.dropped) for c in exact] == [
        ("enwiki:72671@1272022165", ["simplewiki:72671@1272022165"])
    ]


def test_normalise_folds_case_width_and_punctuation() -> None:
    anarchism = _by_title(ENWIKI_PLAIN, "Anarchism").text or ""
    words = normalise(anarchism)
    assert words[:3] == ["anarchism", "is", "generally"]
    assert all(w == w.casefold() and (w.isalnum() or "_" in w) for w in words)
    assert normalise("ＡＢＣ　Ｄｅｆ, «Straße»!") == ["abc", "def", "strasse"]


def test_normalise_splits_cjk_text_into_characters() -> None:
    ja = _articles(DATA / "golden" / "jawiki.xml")[0]
    assert ja.name == "吉田秋生"
    words = normalise(ja.text or "")
    # Japanese has no spaces between words: each character counts as a word
    assert words[:4] == ["吉", "田", "秋", "生"]
    assert "の" in words and "漫" in words
    assert all(not w.isspace() for w in words)
    assert len(words) > 1000
    # digits and Latin words in Japanese text stay whole: 1956年8月12日, YASHA-夜叉-
    assert words[10:16] == ["1956", "年", "8", "月", "12", "日"]
    assert "yasha" in words
    zh = _articles(DATA / "golden" / "zhwiki.xml")[0]
    assert normalise(zh.name) == ["柏", "林"]


def test_cjk_characters_do_not_split_the_latin_words_around_them() -> None:
    """The English "Abacus" quotes 算盤 and そろばん: its English words stay words."""
    abacus = _by_title(ENWIKI_PLAIN, "Abacus").text or ""
    assert "算盤" in abacus
    words = normalise(abacus)
    assert {"abacus", "算", "盤"} <= set(words)
    assert "abacus" in words[:5]
    # so an edit that drops the CJK gloss leaves a near-duplicate, not an unrelated text
    article = _by_title(ENWIKI_PLAIN, "Abacus")
    stripped = re.sub(r"[\u3040-\u30ff\u4e00-\u9fff]", "", abacus)
    before = _candidate(article, 0)
    after = _candidate(article, 1, ident="enwiki:4243", text=stripped)
    assert _similarity(before, after) >= RULES.threshold


@pytest.mark.parametrize("words", [[], ["one"], ["one", "two", "three", "four", "five"]])
def test_short_texts_get_a_signature(words: list[str]) -> None:
    sig = signature(words, RULES.num_perm, RULES.shingle_words)
    assert len(sig) == RULES.num_perm * 4
    assert sig == signature(list(words), RULES.num_perm, RULES.shingle_words)


def test_signatures_and_bands_are_pinned() -> None:
    """The MinHash bytes and LSH bands of a fixed text, as datasketch 2 gave them (and as
    test_lsh_params.py checks against it): a numpy whose random streams or integer wraparound
    changed would change every build's near-duplicate verdicts, and fails here first."""
    words = normalise(
        "Anarchism is a political philosophy and movement that is skeptical of all "
        "justifications for authority and seeks to abolish the institutions it claims maintain "
        "unnecessary coercion and hierarchy, typically including the state and capitalism."
    )
    assert signature(words, 16, 5).hex() == (
        "14eb8209c543ec03c1ca6f047986ad07170c2001358943065da80702108bf501"
        "10f21a076c2ffd04b10c8b12ad0aec0628e8b3017bfb290cf59fe51ad861c307"
    )
    digest = hashlib.sha256(signature(words, RULES.num_perm, RULES.shingle_words)).hexdigest()
    assert digest == "1718cfea93537451c2a6411176fe3ea27ec4af7ce9a6ea79f406d86db0f4f733"
    assert lsh_params(0.8, 128, (0.01, 0.99)) == (18, 7)  # the build's default rules
    assert lsh_params(0.8, 128) == (9, 13)
    assert lsh_params(0.5, 256, (0.1, 0.9)) == (42, 4)


def test_a_threshold_of_one_takes_identical_signatures_only() -> None:
    """One band of every row (datasketch's choice there, which its MinHashLSH refused with a
    ValueError, so such a recipe failed its build): identical signatures are near-duplicates,
    the Alan Smithee revisions (0.8 to 0.9 alike) are not."""
    assert lsh_params(1.0, RULES.num_perm, (0.01, 0.99)) == (1, RULES.num_perm)
    rules = Dedup(threshold=1.0, exact=False)
    assert deduplicate(_alan_copied(), rules).dropped == {}
    old, _ = _alan_copied()
    copy = dataclasses.replace(old, ordinal=1, id="dewiki:4242")
    assert deduplicate([old, copy], rules).counts() == {"near_duplicate": 1}
