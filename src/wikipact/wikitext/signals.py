"""Quality signals computed locally from one revision (recipe ``SIGNALS_VERSION``)."""

from __future__ import annotations

import re
from datetime import datetime

from wikipact.model.article import Signals

SIGNALS_VERSION = "signals-v1"
STUB_WORDS = 150


_CJK_CHARS = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CHARS}]")
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
# a word that does not start with a CJK character: it runs on over letters and digits of any
# script, CJK included (no underscore)
_RUN = re.compile(rf"[^\W_{_CJK_CHARS}][^\W_]*")


def count_words(text: str) -> int:
    r"""Words, counting each CJK character as one (those scripts do not separate words).

    That is the number of matches of ``[CJK]|[^\W_]+`` scanned left to right: every CJK
    character is a word, except those a word started by another letter or digit runs on over;
    counted from runs of characters rather than one match per character.
    """
    if not _CJK.search(text):
        return len(text.split())
    runs = _RUN.findall(text)
    cjk = sum(map(len, _CJK_RUN.findall(text)))
    absorbed = sum(map(len, _CJK_RUN.findall("".join(runs))))
    return len(runs) + cjk - absorbed


def compute(
    *,
    text: str,
    sentences: int,
    cited_sentences: int,
    references: int,
    maintenance: dict[str, int],
    sections: int,
    infoboxes: int,
    tables: int,
    lists: int,
    images: int,
    stub_template: bool,
    date_modified: str | None,
    as_of: datetime | None,
) -> Signals:
    words = count_words(text)
    age = None
    if as_of is not None and date_modified:
        try:
            modified = datetime.fromisoformat(date_modified.replace("Z", "+00:00"))
            age = max((as_of - modified).days, 0)
        except ValueError:
            age = None
    return Signals(
        version=SIGNALS_VERSION,
        characters=len(text),
        words=words,
        sentences=sentences,
        references=references,
        references_per_1000_words=round(references * 1000 / words, 2) if words else 0.0,
        sentences_with_citation=cited_sentences,
        sentences_without_citation=max(sentences - cited_sentences, 0),
        citation_needed_count=maintenance.get("citation_needed", 0),
        pov_count=maintenance.get("pov", 0),
        clarification_needed_count=maintenance.get("clarification_needed", 0),
        update_count=maintenance.get("update", 0),
        sections=sections,
        infoboxes=infoboxes,
        tables=tables,
        lists=lists,
        images=images,
        is_stub=stub_template or words < STUB_WORDS,
        last_revision_age_days=age,
    )
