"""Wikitext tables (``{| ... |}``): taken out of the text, kept as headers, rows and cells."""

from __future__ import annotations

import re

from wikipact.model.article import Table
from wikipact.wikitext.context import Context
from wikipact.wikitext.inline import clean_fragment
from wikipact.wikitext.split import split_outside

TABLE_OPEN = "\ue004"
TABLE_CLOSE = "\ue005"
TABLE_MARKER = re.compile("\ue004(\\d+)\ue005")
_ATTRS = re.compile(r"""^\s*(?:[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s|]+)\s*)+$""")


def extract_tables(text: str, ctx: Context, tables: list[Table]) -> str:
    """Replace each top-level table by a marker line; nested tables are parsed with their parent."""
    if "{|" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    depth = 0
    current: list[str] = []
    for line in lines:
        stripped = line.lstrip(" :")
        if stripped.startswith("{|"):
            depth += 1
            current.append(line)
            continue
        if depth:
            current.append(line)
            if stripped.startswith("|}"):
                depth -= 1
                if depth == 0 and _is_layout(current):
                    out.extend(_unwrap(current))  # a table used for layout: its text is prose
                    current = []
                    continue
                if depth == 0:
                    table = _parse(current, ctx, len(tables))
                    if table is not None:
                        tables.append(table)
                        out.append(f"{TABLE_OPEN}{len(tables) - 1}{TABLE_CLOSE}")
                    current = []
            continue
        out.append(line)
    if current:  # unclosed table: parse what there is
        ctx.warn("unclosed_table")
        table = _parse(current, ctx, len(tables))
        if table is not None:
            tables.append(table)
            out.append(f"{TABLE_OPEN}{len(tables) - 1}{TABLE_CLOSE}")
    return "\n".join(out)


def _is_layout(lines: list[str]) -> bool:
    """A table that only lays out lists or paragraphs side by side: no header cells, few rows,
    and list items inside its cells."""
    rows = sum(1 for line in lines if line.strip().startswith("|-"))
    if rows > 3:
        return False
    if any(line.strip().startswith("!") for line in lines):
        return False
    return any(line.lstrip().startswith(("*", "#")) for line in lines[1:-1])


def _unwrap(lines: list[str]) -> list[str]:
    out: list[str] = [""]
    for line in lines[1:-1]:
        stripped = line.strip()
        if stripped.startswith(("|-", "|+", "{|", "|}")):
            continue
        if stripped.startswith("|"):
            for cell in _split_cells(stripped[1:], "||"):
                bar = cell.find("|")
                head = cell[:bar]
                if bar >= 0 and "[[" not in head and (not head.strip() or _ATTRS.match(head)):
                    cell = cell[bar + 1 :]  # "| a || b", "|| a": MediaWiki drops the bar
                out.extend(["", cell.strip()])
            continue
        out.append(line)
    out.append("")
    return out


def _cell_text(raw: str, ctx: Context) -> str:
    bar = raw.find("|")
    if bar >= 0 and "[[" not in raw[:bar] and "{{" not in raw[:bar]:
        head = raw[:bar]
        if not head.strip() or _ATTRS.match(head):
            raw = raw[bar + 1 :]
    text, _ = clean_fragment(raw, ctx, 1)
    return text


def _split_cells(line: str, sep: str) -> list[str]:
    if sep not in line:
        return [line]
    if "[[" not in line:
        return line.split(sep)
    return split_outside(line, sep)


def _parse(lines: list[str], ctx: Context, index: int) -> Table | None:
    caption: str | None = None
    rows: list[list[tuple[bool, str]]] = []
    row: list[tuple[bool, str]] = []
    nested = 0
    for line in lines[1:]:
        stripped = line.strip()
        if nested:
            if stripped.startswith("|}"):
                nested -= 1
            continue
        if stripped.startswith("{|"):
            nested += 1
            continue
        if stripped.startswith("|}"):
            break
        if stripped.startswith("|+"):
            caption = _cell_text(stripped[2:], ctx) or None
        elif stripped.startswith("|-"):
            if row:
                rows.append(row)
            row = []
        elif stripped.startswith("!"):
            for cell in _split_cells(stripped[1:], "!!"):
                for part in _split_cells(cell, "||"):
                    row.append((True, part))
        elif stripped.startswith("|"):
            for cell in _split_cells(stripped[1:], "||"):
                row.append((False, cell))
        elif row:  # continuation of the last cell
            header, text = row[-1]
            row[-1] = (header, text + "\n" + line)
    if row:
        rows.append(row)
    if not rows:
        return None
    headers: list[tuple[str, ...]] = []
    body: list[tuple[str, ...]] = []
    for cells in rows:
        texts = tuple(_cell_text(text, ctx) for _, text in cells)
        if all(header for header, _ in cells) and not body:
            headers.append(texts)
        else:
            body.append(texts)
    return Table(
        identifier=f"table-{index + 1}",
        caption=caption,
        headers=tuple(headers),
        rows=tuple(body),
    )
