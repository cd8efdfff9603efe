"""Run a peer tool (or wikipact) over an XML dump and write one JSON line per article.

Every tool writes ``{"id", "title", "text"}`` per namespace-0 non-redirect page (wikipact adds
``abstract`` and the counts of ``tables``, ``references`` and ``sections`` when its records carry
them). Run it with the peers' virtualenv (``bench/.venv-peers``: wikiextractor, mwparserfromhell,
wikitextparser); the wikipact tool only starts ``.venv/bin/wikipact`` as a subprocess.

    PY=bench/.venv-peers/bin/python
    $PY bench/peers.py wikiextractor DUMP out.jsonl --processes 1
    $PY bench/peers.py hf  DUMP out.jsonl --processes 2
    $PY bench/peers.py wtp DUMP out.jsonl --processes 2
    $PY bench/peers.py mwph-plain DUMP out.jsonl          # quality only: bare strip_code()
    $PY bench/peers.py wikipact DUMP out.jsonl --processes 2
    $PY bench/peers.py collect-wikiextractor OUTDIR out.jsonl
    $PY bench/peers.py convert-wikipact RAW.jsonl out.jsonl

Tools:

* ``wikiextractor``: ``python -m wikiextractor.WikiExtractor DUMP --json -o DIR --processes N``
  with default options, then its ``DIR/AA/wiki_00`` ... files are collected in order; titles are
  HTML-unescaped (WikiExtractor escapes them in its JSON).
* ``hf``: the method of the Hugging Face ``wikimedia/wikipedia`` builder script, re-implemented:
  stdlib ElementTree ``iterparse``, namespace 0, no redirects; ``mwparserfromhell.parse``; per
  section (``get_sections(flat=True, include_lead=True, include_headings=True)``) remove
  File/Image/Media wikilinks (plus the wiki's local names and the builder's aliases for the
  languages benchmarked here) and ``<ref>``/``<table>`` tags, keep category links as their bare
  names (prefix removed, as the builder does), ``strip_code()``, drop ``__MAGIC__`` words,
  sections joined by a blank line; parser errors and empty results are skipped.
* ``wtp``: ``wikitextparser.parse(text).plain_text()`` with its defaults, same page filter.
* ``mwph-plain``: ``mwparserfromhell.parse(text).strip_code()``, same page filter.
* ``wikipact``: ``.venv/bin/wikipact parse DUMP -o RAW --workers N --namespace 0``, then each
  record becomes ``id`` = identifier, ``title`` = name, ``text`` = text, ``abstract`` =
  abstract; records with ``redirect_target`` are skipped. When the records have no ``text``
  yet, the article is written with an empty text and a warning is printed.

``--processes N`` for hf, wtp and mwph-plain: with N = 1 everything runs in one process; with
N >= 2 the reading process feeds a pool of N worker processes (spawn) and writes their results
in dump order.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchcommon import REPO, open_binary, read_siteinfo

WIKIPACT = REPO / ".venv" / "bin" / "wikipact"

# Namespace aliases of the HF builder (MEDIA_ALIASES / CAT_ALIASES) for the languages this
# benchmark covers; the siteinfo's own names for namespaces -2, 6 and 14 are added at run time.
HF_MEDIA_ALIASES: dict[str, list[str]] = {
    "de": ["Medium", "Datei", "Bild"],
    "el": ["Εικόνα", "Αρχείο", "Μέσο", "Μέσον"],
    "es": ["Medio", "Archivo", "Imagen"],
    "fr": ["Média", "Fichier"],
    "it": ["Immagine"],
    "ja": ["メディア", "ファイル", "画像"],
    "mr": ["चित्र", "मिडिया"],
    "nl": ["Bestand", "Afbeelding"],
    "pl": ["Plik", "Grafika"],
    "pt": ["Multimédia", "Ficheiro", "Arquivo", "Imagem"],
    "ru": ["Медиа", "Файл", "Изображение"],
    "uk": ["Медіа", "Медиа", "Файл", "Изображение", "Зображення"],
}
HF_CAT_ALIASES: dict[str, list[str]] = {
    "de": ["Kategorie"],
    "el": ["Κατηγορία"],
    "es": ["CAT", "Categoría"],
    "fr": ["Catégorie"],
    "it": ["CAT", "Categoria"],
    "ja": ["カテゴリ"],
    "mr": ["वर्ग"],
    "nl": ["Categorie"],
    "pl": ["Kategoria"],
    "pt": ["Categoria"],
    "ru": ["Категория", "К"],
    "uk": ["Категория", "Категорія"],
}


# ---------------------------------------------------------------- reading the dump (HF reader)


def hf_pages(path: str) -> Iterator[tuple[str, str, str]]:
    """(id, title, wikitext) of namespace-0 non-redirect pages, as the HF builder reads them."""
    import xml.etree.ElementTree as etree

    with open_binary(path) as fh:
        for _event, elem in etree.iterparse(fh, events=("end",)):
            if not elem.tag.endswith("page"):
                continue
            namespace = elem.tag[:-4]
            title = elem.find(f"./{namespace}title").text  # type: ignore[union-attr]
            ns = elem.find(f"./{namespace}ns").text  # type: ignore[union-attr]
            id_ = elem.find(f"./{namespace}id").text  # type: ignore[union-attr]
            red_ = elem.find(f"./{namespace}redirect")
            if ns != "0":
                elem.clear()
                continue
            raw_content = elem.find(f"./{namespace}revision/{namespace}text").text  # type: ignore[union-attr]
            elem.clear()
            if raw_content is None or red_ is not None:
                continue
            yield id_ or "", title or "", raw_content


# ---------------------------------------------------------------- the text makers (workers)

_CONFIG: dict[str, Any] = {}


def _init_worker(tool: str, media: list[str], cats: list[str]) -> None:
    """Per-process setup: compile the HF filters once."""
    _CONFIG["tool"] = tool
    media_prefixes = "|".join(re.escape(p) for p in media)
    cat_prefixes = "|".join(re.escape(p) for p in cats)
    _CONFIG["rm_magic"] = re.compile("__[A-Z]*__", flags=re.UNICODE)
    _CONFIG["rm_wikilink"] = re.compile(f"^(?:{media_prefixes}):", flags=re.IGNORECASE | re.UNICODE)
    _CONFIG["clean_wikilink"] = re.compile(
        f"^(?:{cat_prefixes}):", flags=re.IGNORECASE | re.UNICODE
    )


def hf_clean(raw_content: str) -> str:
    """The HF builder's ``_parse_and_clean_wikicode``."""
    import mwparserfromhell

    wikicode = mwparserfromhell.parse(raw_content)
    re_rm_magic: re.Pattern[str] = _CONFIG["rm_magic"]
    re_rm_wikilink: re.Pattern[str] = _CONFIG["rm_wikilink"]
    re_clean_wikilink: re.Pattern[str] = _CONFIG["clean_wikilink"]

    def rm_wikilink(obj: Any) -> bool:
        return bool(re_rm_wikilink.match(str(obj.title)))

    def rm_tag(obj: Any) -> bool:
        return str(obj.tag) in {"ref", "table"}

    def is_category(obj: Any) -> bool:
        return bool(re_clean_wikilink.match(str(obj.title)))

    def clean_wikilink(obj: Any) -> None:
        text = obj.__strip__()
        text = re.sub(re_clean_wikilink, "", text)
        obj.text = text

    def try_replace_obj(obj: Any) -> None:
        with contextlib.suppress(ValueError):
            clean_wikilink(obj)

    def try_remove_obj(obj: Any, section: Any) -> None:
        with contextlib.suppress(ValueError):
            section.remove(obj)

    section_text = []
    for section in wikicode.get_sections(flat=True, include_lead=True, include_headings=True):
        for obj in section.ifilter_wikilinks(recursive=True):
            if rm_wikilink(obj):
                try_remove_obj(obj, section)
            elif is_category(obj):
                try_replace_obj(obj)
        for obj in section.ifilter_tags(matches=rm_tag, recursive=True):
            try_remove_obj(obj, section)
        section_text.append(re.sub(re_rm_magic, "", section.strip_code().strip()))
    return "\n\n".join(section_text)


def make_text(item: tuple[str, str, str]) -> tuple[str, str, str] | None:
    """Worker: (id, title, wikitext) -> (id, title, text), or None when the tool drops it."""
    id_, title, raw = item
    tool = _CONFIG["tool"]
    if tool == "hf":
        import mwparserfromhell

        try:
            text = hf_clean(raw)
        except mwparserfromhell.parser.ParserError:
            return None
        if not text:
            return None
    elif tool == "wtp":
        import wikitextparser

        text = wikitextparser.parse(raw).plain_text()
    elif tool == "mwph-plain":
        import mwparserfromhell

        text = mwparserfromhell.parse(raw).strip_code()
    else:
        raise ValueError(tool)
    return id_, title, text


def prefixes(path: str, lang: str | None) -> tuple[str, list[str], list[str]]:
    """The wiki language and the HF media / category prefixes for this dump."""
    site = read_siteinfo(path)
    lang = lang or site.language
    media = ["File", "Image", "Media", *HF_MEDIA_ALIASES.get(lang, [])]
    cats = ["Category", *HF_CAT_ALIASES.get(lang, [])]
    for key, bucket in ((6, media), (-2, media), (14, cats)):
        name = site.namespaces.get(key)
        if name and name not in bucket:
            bucket.append(name)
    return lang, media, cats


def run_python_tool(tool: str, dump: str, out: str, processes: int, lang: str | None) -> int:
    _lang, media, cats = prefixes(dump, lang)
    written = 0
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:

        def emit(result: tuple[str, str, str] | None) -> None:
            nonlocal written
            if result is None:
                return
            id_, title, text = result
            fh.write(json.dumps({"id": id_, "title": title, "text": text}, ensure_ascii=False))
            fh.write("\n")
            written += 1

        if processes <= 1:
            _init_worker(tool, media, cats)
            for item in hf_pages(dump):
                emit(make_text(item))
        else:
            context = multiprocessing.get_context("spawn")
            with context.Pool(
                processes, initializer=_init_worker, initargs=(tool, media, cats)
            ) as pool:
                for result in pool.imap(make_text, hf_pages(dump), chunksize=4):
                    emit(result)
    return written


# ---------------------------------------------------------------- WikiExtractor


def wikiextractor_command(dump: str, outdir: str, processes: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "wikiextractor.WikiExtractor",
        dump,
        "--json",
        "-o",
        outdir,
        "--processes",
        str(processes),
    ]


def collect_wikiextractor(outdir: str, out: str) -> int:
    """WikiExtractor's output files (AA/wiki_00, AA/wiki_01 ... in order) as one JSONL."""
    files = sorted(p for p in Path(outdir).rglob("wiki_*") if p.is_file())
    written = 0
    with open(out, "w", encoding="utf-8") as fh:
        for path in files:
            with open(path, encoding="utf-8") as src:
                for line in src:
                    if not line.strip():
                        continue
                    rec = json.loads(line)
                    row = {
                        "id": str(rec.get("id", "")),
                        "title": html.unescape(rec.get("title", "")),
                        "text": rec.get("text", ""),
                    }
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                    written += 1
    return written


def run_wikiextractor(dump: str, out: str, processes: int, keep_dir: bool) -> int:
    outdir = tempfile.mkdtemp(prefix="wikiextractor-", dir=Path(out).parent)
    try:
        subprocess.run(wikiextractor_command(dump, outdir, processes), check=True)
        return collect_wikiextractor(outdir, out)
    finally:
        if not keep_dir:
            shutil.rmtree(outdir, ignore_errors=True)


# ---------------------------------------------------------------- wikipact


def wikipact_command(dump: str, raw: str, processes: int) -> list[str]:
    return [
        str(WIKIPACT),
        "parse",
        dump,
        "-o",
        raw,
        "--workers",
        str(processes),
        "--namespace",
        "0",
    ]


def _count(value: object) -> int | None:
    if isinstance(value, list | tuple | dict):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def convert_wikipact(raw: str, out: str) -> int:
    """wikipact article records -> {"id", "title", "text", "abstract", counts}; redirects skipped."""
    written = missing_text = 0
    with open(raw, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as fh:
        for line in src:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("redirect_target"):
                continue
            if (rec.get("namespace") or {}).get("identifier", 0) != 0:
                continue
            text = rec.get("text")
            if text is None:
                text = (rec.get("article_body") or {}).get("text")
            if text is None:
                missing_text += 1
                text = ""
            row: dict[str, object] = {
                "id": str(rec.get("identifier", "")),
                "title": rec.get("name", ""),
                "text": text,
            }
            abstract = rec.get("abstract")
            if abstract is not None:
                row["abstract"] = abstract
            for key in ("tables", "references", "sections"):
                count = _count(rec.get(key))
                if count is None:
                    count = _count((rec.get("article_body") or {}).get(key))
                if count is not None:
                    row[f"n_{key}"] = count
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    if missing_text:
        print(
            f"WARNING: {missing_text} of {written} wikipact records have no 'text' field; "
            "they are written (and scored) as empty",
            file=sys.stderr,
        )
    return written


def run_wikipact(dump: str, out: str, processes: int, keep_raw: bool) -> int:
    raw = out + ".raw.jsonl"
    subprocess.run(wikipact_command(dump, raw, processes), check=True)
    try:
        return convert_wikipact(raw, out)
    finally:
        if not keep_raw:
            os.unlink(raw)


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "tool",
        choices=[
            "wikiextractor",
            "hf",
            "wtp",
            "mwph-plain",
            "wikipact",
            "collect-wikiextractor",
            "convert-wikipact",
        ],
    )
    parser.add_argument(
        "source", help="the XML dump (.xml or .xml.bz2); a folder or file to convert"
    )
    parser.add_argument("out", help="JSON-lines file to write")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument(
        "--lang", default=None, help="language for the HF filters (default: dbname)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep WikiExtractor/wikipact raw output"
    )
    args = parser.parse_args(argv)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    runners: dict[str, Callable[[], int]] = {
        "wikiextractor": lambda: run_wikiextractor(
            args.source, args.out, args.processes, args.keep
        ),
        "collect-wikiextractor": lambda: collect_wikiextractor(args.source, args.out),
        "wikipact": lambda: run_wikipact(args.source, args.out, args.processes, args.keep),
        "convert-wikipact": lambda: convert_wikipact(args.source, args.out),
    }
    runner = runners.get(args.tool)
    if runner is None:
        written = run_python_tool(args.tool, args.source, args.out, args.processes, args.lang)
    else:
        written = runner()
    print(f"{args.tool}: {written} documents -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
