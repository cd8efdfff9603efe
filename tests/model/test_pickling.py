"""A record pickled to another process and back encodes to the same bytes.

msgspec leaves a field out of the JSON only when it holds the default object itself; without
``model/pickling.py`` a record parsed in a worker (every value a new object after pickling)
wrote ``"type":"text"`` into each of its references where one parsed in the main process did
not, so an ingest's stored JSON depended on which process parsed the page.
"""

from __future__ import annotations

import pickle

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from wikipact import open_dump
from wikipact.model.codec import to_json
from wikipact.run.ingest import to_store_item


def test_records_encode_the_same_after_a_round_trip_through_pickle() -> None:
    checked = with_references = 0
    for path in (ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM):
        dump = open_dump(path)
        for page in list(dump.pages())[:150]:
            raw, article = to_store_item(page, dump.site)
            back_raw, back = pickle.loads(pickle.dumps((raw, article)))
            assert back == article and back_raw == raw
            assert to_json(back) == to_json(article), page.title
            checked += 1
            with_references += bool(article.references)
    assert checked > 200 and with_references > 50
    assert b'"type":"text"' not in to_json(article)  # the default stays out, as before
