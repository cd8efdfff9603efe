"""Coverage-guided fuzzing of the dump reader (goal G7): only WikipactError may escape.

python fuzz/fuzz_dump.py -max_total_time=60 -timeout=5 fuzz/corpus/dump
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from wikipact.dumps.reader import open_dump
    from wikipact.errors import WikipactError

_DIR = tempfile.mkdtemp(prefix="wikipact-fuzz-")
_PATH = os.path.join(_DIR, "enwiki-fuzz.xml")
_RANGE_BYTES = 256  # small inputs still make several ranges


def test_one_input(data: bytes) -> None:
    with open(_PATH, "wb") as fh:
        fh.write(data)
    try:
        dump = open_dump(_PATH, project="enwiki")
        for _page in dump.pages(on_error="skip"):
            pass
        for task in dump.tasks(_RANGE_BYTES):  # plain UTF-8 input as workers read it: by ranges
            for _page in dump.task_pages(task, on_error="skip"):
                pass
    except WikipactError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
