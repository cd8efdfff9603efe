"""Templates: find them in linear time, render the common inline ones, collect the rest.

``expand(text, ctx)`` replaces every top-level ``{{...}}`` by what a reader would see where
wikipact knows the template (dates, conversions, language tags, interlanguage links ...), by
nothing otherwise, and records on the way infoboxes, maintenance tags, short citations,
disambiguation and stub markers, and every template's name. Nested templates are expanded when
the outer one needs their text, so each character is visited at most once per nesting level, and
nesting deeper than ``MAX_DEPTH`` is cut off (and reported) rather than followed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from wikipact.model.article import Infobox, Part
from wikipact.wikitext import langdata
from wikipact.wikitext.context import MAX_DEPTH, Context
from wikipact.wikitext.markers import QUOTE_BREAK, ref_marker
from wikipact.wikitext.split import split_outside
from wikipact.wikitext.tags import RawRef
from wikipact.wikitext.typography import title_bars

# Opening and closing braces are found by two searches for a literal, which the
# regular-expression engine runs several times faster than one search for either (``{{|}}``).
_OPEN_BRACES = re.compile(r"\{\{")
_CLOSE_BRACES = re.compile(r"\}\}")
_SPACES = re.compile(r"[\s_]+")
_QID = re.compile(r"^Q\d+$")

MONTHS: dict[str, list[str]] = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "ru": [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],  # genitive: 5 марта 1950
    "uk": [
        "січня",
        "лютого",
        "березня",
        "квітня",
        "травня",
        "червня",
        "липня",
        "серпня",
        "вересня",
        "жовтня",
        "листопада",
        "грудня",
    ],
    "pl": [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
}
_ONE_ARG_DATE = re.compile(r"^\s*\d{1,4}[\s/.\-]+\w+[\s/.\-]+\d{1,4}\s*$")
MONTHS["simple"] = MONTHS["en"]  # Simple English writes dates as English does
_ORDINAL = re.compile(r"^\d+(?:e|er|re|es|ers|res|ème|ᵉ|er|nd|rd|th|st)$")


class Template:
    """A template call split into its name and parameters (values still raw wikitext)."""

    __slots__ = ("key", "name", "named", "positional")

    def __init__(self, name: str, positional: list[str], named: dict[str, str]) -> None:
        self.name = name
        self.key = name.casefold()
        self.positional = positional
        self.named = named

    def arg(self, index: int, default: str = "") -> str:
        """Positional parameter ``index`` (1-based), or the named parameter "1", "2" ..."""
        value = self.named.get(str(index))
        if value is not None:
            return value
        return self.positional[index - 1] if 0 < index <= len(self.positional) else default

    def get(self, *names: str) -> str | None:
        for name in names:
            value = self.named.get(name)
            if value is not None and value.strip():
                return value
        return None


def scan(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Top-level ``{{...}}`` spans and the spans of unmatched braces, each in text order."""
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    stray: list[tuple[int, int]] = []
    for pos in _brace_positions(text):
        if text[pos] == "{":
            stack.append(pos)
        elif stack:
            pairs.append((stack.pop(), pos + 2))
        else:
            stray.append((pos, pos + 2))
    stray.extend((pos, pos + 2) for pos in stack)
    pairs.sort()
    top: list[tuple[int, int]] = []
    end = -1
    for start, stop in pairs:
        if start >= end:
            top.append((start, stop))
            end = stop
    if stray:
        stray = [s for s in stray if not _inside(s[0], top)]
    return top, sorted(stray)


def _brace_positions(text: str) -> list[int]:
    """Start of every ``{{`` and ``}}`` token, in text order (each found left to right without
    overlap, as one search for ``{{|}}`` finds them: the two kinds of token cannot overlap)."""
    opens = [match.start() for match in _OPEN_BRACES.finditer(text)]
    if "}}" not in text:
        return opens
    closes = [match.start() for match in _CLOSE_BRACES.finditer(text)]
    return sorted(opens + closes) if opens else closes


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    lo, hi = 0, len(spans)
    while lo < hi:
        mid = (lo + hi) // 2
        if spans[mid][1] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(spans) and spans[lo][0] <= pos < spans[lo][1]


def split_params(inner: str) -> list[str]:
    """Split a template's inside at the ``|`` that are not inside nested templates or links."""
    if "|" not in inner:
        return [inner]
    if "{{" not in inner and "[[" not in inner:  # nothing nested: every bar separates
        return inner.split("|")
    return split_outside(inner, "|")


def parse_call(inner: str) -> tuple[str, list[str]]:
    parts = split_params(inner)
    return parts[0], parts[1:]


def make_template(name: str, params: list[str]) -> Template:
    positional: list[str] = []
    named: dict[str, str] = {}
    for part in params:
        key, eq, value = part.partition("=")
        # named: text before the first "=", when there is some and it opens no template or link
        if eq and key and "{{" not in key and "[[" not in key:
            named[key.strip().casefold()] = value.strip()
        else:
            positional.append(part)
    return Template(name, positional, named)


def normalize_name(raw: str, ctx: Context) -> str:
    """A template's name as written in a call, as a page name: spaces collapsed, ``subst:``
    and the template namespace prefix dropped, first letter upper case."""
    return _normalize_name(raw, ctx.template_prefixes)


@lru_cache(maxsize=16384)
def _normalize_name(raw: str, template_prefixes: frozenset[str]) -> str:
    """Worked out once per distinct name as written (the same few hundred recur everywhere)."""
    name = _SPACES.sub(" ", raw).strip()
    lower = name.casefold()
    for prefix in ("subst:", "safesubst:", "msgnw:"):
        if lower.startswith(prefix):
            name = name[len(prefix) :].strip()
            lower = name.casefold()
    prefix, colon, rest = name.partition(":")
    if colon and prefix.strip().casefold() in template_prefixes:
        name = rest.strip()
    return name[:1].upper() + name[1:] if name else name


def expand(text: str, ctx: Context, depth: int = 0) -> str:
    """``text`` with every template replaced by its rendering (or nothing)."""
    if "{{" not in text and "}}" not in text:
        return text
    top, stray = scan(text)
    if stray:
        ctx.warn("unbalanced_braces", len(stray))
    events = sorted([(s, e, True) for s, e in top] + [(s, e, False) for s, e in stray])
    out: list[str] = []
    last = 0
    for start, end, is_template in events:
        if start < last:
            continue
        out.append(text[last:start])
        if is_template:
            rendered = render(text[start + 2 : end - 2], ctx, depth)
            if not rendered and text[start - 2 : start] == "''" and text[end : end + 2] == "''":
                rendered = QUOTE_BREAK  # the quote marks around it must not run together
            out.append(rendered)
        last = end
    out.append(text[last:])
    return "".join(out)


def render(inner: str, ctx: Context, depth: int) -> str:
    if depth >= MAX_DEPTH:
        ctx.warn("template_nesting_too_deep")
        return ""
    raw_name, params = parse_call(inner)
    if "{{" in raw_name:  # a computed name: expand it first
        raw_name = expand(raw_name, ctx, depth + 1)
    stripped = raw_name.strip()
    if stripped.startswith("#") or (":" in stripped and _is_function(stripped, ctx)):
        return _parser_function(stripped, params, ctx, depth)
    name = normalize_name(raw_name, ctx)
    if not name:
        return ""
    ctx.templates[name] = ctx.templates.get(name, 0) + 1
    call = make_template(name, params)
    return _dispatch(call, ctx, depth)


def _is_function(name: str, ctx: Context) -> bool:
    head = name.split(":", 1)[0].strip()
    return head.casefold() not in ctx.template_prefixes and (
        head.isupper() or head.casefold() in _FUNCTIONS or head.casefold() in ctx.function_names
    )


_FUNCTIONS = {"lc", "uc", "lcfirst", "ucfirst", "formatnum", "padleft", "padright", "int", "ns"}


def _parser_function(name: str, params: list[str], ctx: Context, depth: int) -> str:
    head, _, first = name.partition(":")
    key = head.strip().casefold()
    key = ctx.function_names.get(key, key)  # the wiki's own name: {{#thẻ:ref}}, {{KLEIN:x}}
    arg = expand(first, ctx, depth + 1).strip()
    if key == "#tag" and arg.casefold() == "ref" and params:
        call = make_template("ref", params)
        content = call.arg(1)
        ref_name = _unquote(call.named.get("name")) or None
        return _cite(RawRef(ref_name, _unquote(call.named.get("group")), content or None), ctx)
    if key in ("lc", "uc", "lcfirst", "ucfirst"):
        return {
            "lc": arg.lower(),
            "uc": arg.upper(),
            "lcfirst": arg[:1].lower() + arg[1:],
            "ucfirst": arg[:1].upper() + arg[1:],
        }[key]
    if key == "formatnum":
        return group_digits(arg, ctx.language)
    if key in ("pagename", "fullpagename", "pagenamee", "basepagename"):
        return ctx.title
    if key in ("defaultsort", "displaytitle", "defaultsortkey"):
        return ""
    ctx.dropped[head.strip()] = ctx.dropped.get(head.strip(), 0) + 1
    return ""


classify = lru_cache(maxsize=16384)(langdata.classify_template)
canonical_parameter = lru_cache(maxsize=8192)(langdata.canonical_citation_parameter)
lookup_key = lru_cache(maxsize=16384)(langdata.normalize_template_name)
inline_renderer = lru_cache(maxsize=16384)(langdata.inline_renderer)


# Templates that langdata renders but whose text is page furniture, not prose.
_NOT_PROSE = frozenset({"sous-titre", "titre en italique", "italic title", "displaytitle"})


def _dispatch(call: Template, ctx: Context, depth: int) -> str:
    key = lookup_key(call.name)
    if key in _NOT_PROSE:
        ctx.dropped[call.name] = ctx.dropped.get(call.name, 0) + 1
        return ""
    kind = classify(call.name, ctx.language)
    if kind == "span":
        _count_maintenance(key, ctx)
        return _span(call, ctx, depth)
    if kind == "infobox" or (kind is None and _looks_like_infobox(call)):
        _collect_infobox(call, ctx, depth)
        return ""
    if kind == "maintenance":
        _count_maintenance(key, ctx)
        # a tag around a passage shows the passage: {{update after|2024|11|text=...}},
        # frwiki's {{refsou|...}}
        passage = call.get("text", "texte")
        if passage is None and key in _PASSAGE_FIRST and call.positional:
            passage = call.positional[0]
        return expand(passage, ctx, depth + 1).strip() if passage else ""
    if kind == "disambiguation":
        ctx.disambiguation = True
        return ""
    if kind == "stub":
        ctx.stub = True
        return ""
    renderer = _renderer_for(key, ctx.language)
    if renderer is not None:
        return renderer(call, ctx, depth)
    if kind == "citation":
        return render_citation(call, ctx, depth)
    if call.named and ctx.wikidata is None:
        qid = call.get("wikidata", "qid")
        if qid and _QID.match(qid.strip()):
            ctx.wikidata = qid.strip()
    ctx.dropped[call.name] = ctx.dropped.get(call.name, 0) + 1
    return ""


# frwiki's tags whose first argument is the passage they question: {{refnec|passage}}
_PASSAGE_FIRST = frozenset(
    [
        "référence nécessaire",
        "refnec",
        "ref nec",
        "ref nécessaire",
        "référence souhaitée",
        "ref souhaitée",
        "refsou",
    ]
)


def _count_maintenance(key: str, ctx: Context) -> None:
    tag = langdata.MAINTENANCE_TEMPLATES.get(key)
    if tag:
        ctx.maintenance[tag] = ctx.maintenance.get(tag, 0) + 1


def _span(call: Template, ctx: Context, depth: int) -> str:
    """A maintenance tag around a passage (counted by the caller): the passage stays."""
    passage = call.get("text", "1") or call.arg(1)
    return expand(passage, ctx, depth + 1).strip() if passage else ""


def _looks_like_infobox(call: Template) -> bool:
    return lookup_key(call.name).startswith(langdata.INFOBOX_PREFIXES)


# -- infoboxes ---------------------------------------------------------------------------------

_IMAGE_FIELDS = {
    "image",
    "image_name",
    "imagen",
    "bild",
    "image file",
    "image_file",
    "img",
    "photo",
    "immagine",
    "imagem",
    "afbeelding",
    "зображення",
    "изображение",
    "画像",
    "εικόνα",
    "चित्र",
    "logo",
    "image_skyline",
    "image_map",
    "map_image",
}


def _collect_infobox(call: Template, ctx: Context, depth: int) -> None:
    from wikipact.wikitext.inline import clean_fragment

    fields: list[Part] = []
    for key, raw in call.named.items():
        if not raw.strip():
            continue
        value, links = clean_fragment(raw, ctx, depth + 1)
        if key in _IMAGE_FIELDS and ctx.infobox_image is None:
            image = _image_name(raw, ctx)
            if image:
                ctx.infobox_image = image
        if key in ("wikidata", "qid") and _QID.match(value.strip()):
            ctx.wikidata = value.strip()
        if value:
            fields.append(Part(type="field", name=key, value=value, links=tuple(links)))
    ctx.infoboxes.append(
        Infobox(name=call.name, has_parts=(Part(type="section", has_parts=tuple(fields)),))
    )


_FILE_EXT = re.compile(
    r"[^|\[\]{}<>\n]+\.(?:jpe?g|png|gif|svg|tiff?|webp|xcf|pdf|djvu|ogv|webm)", re.I
)


def _image_name(raw: str, ctx: Context) -> str | None:
    match = _FILE_EXT.search(raw)
    if not match:
        return None
    name = match.group(0).strip()
    prefix, colon, rest = name.partition(":")
    if colon and prefix.strip().casefold() in ctx.file_prefixes:
        name = rest.strip()
    return name.replace("_", " ") or None


# -- citations ---------------------------------------------------------------------------------


_LITERAL_FIELDS = frozenset(
    {"url", "archive_url", "doi", "isbn", "date", "access_date", "archive_date", "pages"}
)


# editor-last, editor1-last, editor-surname2, editor2 (an editor's name), not editor-first/link
_EDITOR_LAST = re.compile(r"^editor(\d*)(?:[-_ ]?(?:last|surname)(\d*))?$")


def citation_metadata(call: Template, ctx: Context, depth: int) -> dict[str, str]:
    return citation_source(call, ctx, depth)[0]


def citation_source(call: Template, ctx: Context, depth: int) -> tuple[dict[str, str], str]:
    """A citation template's metadata and its CITEREF anchor ("" when it has none), the
    target of short citations: ``ref=`` ({{sfnref}}, {{harvid}}, a name), else up to four
    authors' last names and the year, as Module:Citation/CS1 makes it."""
    from wikipact.wikitext.inline import clean_fragment

    metadata: dict[str, str] = {}
    authors: list[str] = []
    lasts: list[tuple[int, str]] = []
    firsts: dict[str, str] = {}
    editors: list[tuple[int, str]] = []
    for key, raw in call.named.items():
        canonical = canonical_parameter(key)
        if canonical is None and key.startswith("editor") and raw.strip():
            match = _EDITOR_LAST.match(key)
            if match:
                number = match.group(1) or match.group(2)
                editors.append((int(number) if number else 1, _plain(raw, ctx, depth)))
        if canonical is None or not raw.strip():
            continue
        if canonical in _LITERAL_FIELDS and "{{" not in raw and "[[" not in raw:
            value = raw.strip()  # URLs, identifiers and dates are taken as written
        else:
            value, _ = clean_fragment(raw, ctx, depth + 1)
        if not value:
            continue
        if canonical == "author":
            base = key.rstrip("0123456789")
            if base.endswith(("first", "prénom", "vorname", "nombre", "nome", "given")):
                firsts[key[len(base) :] or "1"] = value
            else:
                authors.append(value)
                number = key[len(base) :]
                lasts.append((int(number) if number else 1, value))
            continue
        metadata.setdefault(canonical, value)
    if authors:
        if firsts and len(authors) <= len(firsts) + 1:
            authors = [
                f"{last}, {firsts[str(i + 1)]}" if str(i + 1) in firsts else last
                for i, last in enumerate(authors)
            ]
        metadata["authors"] = "; ".join(authors)
    return metadata, _anchor(call, ctx, depth, lasts or editors, metadata.get("date", ""))


def _anchor(
    call: Template, ctx: Context, depth: int, lasts: list[tuple[int, str]], date: str
) -> str:
    ref = call.named.get("ref")
    if ref is not None and ref.strip() and ref.strip().casefold() != "harv":
        value = ref.strip()
        if value.casefold() == "none":
            return ""
        if value.startswith("{{") and value.endswith("}}"):
            name, params = parse_call(value[2:-2])
            if lookup_key(normalize_name(name, ctx)) in ("sfnref", "harvid"):
                parts = [expand(p, ctx, depth + 1).strip() for p in params if "=" not in p]
                return "CITEREF" + "".join(parts)
        return expand(value, ctx, depth + 1).strip()
    if not lasts:
        return ""
    year = _YEAR_IN_DATE.search(date)
    return (
        "CITEREF" + "".join(name for _, name in sorted(lasts)[:4]) + (year.group(0) if year else "")
    )


def render_citation(call: Template, ctx: Context, depth: int) -> str:
    """A citation template as readable text: authors (date). title. work. publisher."""
    metadata, anchor = citation_source(call, ctx, depth)
    if anchor:
        ctx.sources.setdefault(anchor_key(anchor), metadata)
    return format_citation(metadata)


def format_citation(meta: dict[str, str]) -> str:
    pieces = [
        meta.get("authors", ""),
        f"({meta['date']})" if meta.get("date") else "",
        f"“{title_bars(meta['title'])}”" if meta.get("title") else "",
        meta.get("work", ""),
        meta.get("publisher", ""),
    ]
    text = " ".join(p for p in pieces if p)
    return text + "." if text else ""


# -- inline renderers -------------------------------------------------------------------------

Renderer = Callable[[Template, Context, int], str]


# Templates this module renders itself, whatever langdata says.
_LOCAL_ALIASES = {
    "efn": "note",
    "efn2": "note",
    "refnest": "note",
    "ref+": "note",
    "efn-ua": "note",
    "efn-lr": "note",
    "efn-lg": "note",
    "refn": "note",
    "notetag": "note",
    "note": "note",
    "sfnp": "sfn",
    "sfnm": "sfn",
    "sfnmp": "sfn",
    "sfn": "sfn",
}


@lru_cache(maxsize=16384)
def _renderer_for(key: str, language: str) -> Renderer | None:
    canonical = _LOCAL_ALIASES.get(key) or inline_renderer(key, language)
    if canonical is None:
        if (len(key) == 1 and not key.isalnum()) or key in _TABLE_SYMBOLS:
            return _symbol
        if _ORDINAL.match(key):
            return _ordinal
        return None
    return _RENDERERS.get(canonical)


def _x(call: Template, ctx: Context, depth: int, index: int) -> str:
    return expand(call.arg(index), ctx, depth + 1).strip()


def _first(call: Template, ctx: Context, depth: int) -> str:
    return _x(call, ctx, depth, 1)


def _last(call: Template, ctx: Context, depth: int) -> str:
    if not call.positional:
        return ""
    return expand(call.positional[-1], ctx, depth + 1).strip()


def _nothing(call: Template, ctx: Context, depth: int) -> str:
    return ""


def _passthrough(call: Template, ctx: Context, depth: int) -> str:
    for raw in reversed(call.positional):
        value = expand(raw, ctx, depth + 1).strip()
        if value:
            return value
    return ""


def _literal(call: Template, ctx: Context, depth: int) -> str:
    fixed = langdata.INLINE_LITERAL_TEXT.get(lookup_key(call.name), "")
    rest = " ".join(expand(p, ctx, depth + 1).strip() for p in call.positional)
    return f"{fixed} {rest}".strip() if rest else fixed


def _positionals(call: Template, ctx: Context, depth: int) -> list[str]:
    return [expand(p, ctx, depth + 1).strip() for p in call.positional]


def _list(call: Template, ctx: Context, depth: int) -> str:
    return ", ".join(item for item in _positionals(call, ctx, depth) if item)


def _ref(call: Template, ctx: Context, depth: int) -> str:
    """``{{r|name}}`` cites a named reference again; other footnote templates vanish."""
    names = [p.strip() for p in call.positional if p.strip()]
    if names and lookup_key(call.name) == "r":
        return "".join(_cite(RawRef(name, "", None), ctx) for name in names)
    return ""


def _cite(ref: RawRef, ctx: Context) -> str:
    """Record a reference met in the text; its marker stands where it was."""
    ctx.refs.append(ref)
    return ref_marker(len(ctx.refs) - 1)


# Templates that stand for table markup, so that a table can be written inside a template's
# argument; MediaWiki expands them before it reads tables, and so does wikipact
_TABLE_SYMBOLS = {"(!": "{|", "!)": "|}", "!!": "||", "!-": "|-", "!+": "|+", "(!-": "{|"}


def _symbol(call: Template, ctx: Context, depth: int) -> str:
    symbol = _TABLE_SYMBOLS.get(call.key)
    if symbol is not None:
        return symbol
    return {"!": "|", "=": "=", "'": "'", "-": "", "·": "·", "•": " • ", ",": ", "}.get(
        call.key, ""
    )


def _ordinal(call: Template, ctx: Context, depth: int) -> str:
    return call.name  # {{23e}}, {{1er}}: French ordinals render as themselves


def _lang(call: Template, ctx: Context, depth: int) -> str:
    """{{lang|fr|texte}}, {{langue|en|texte=...}}, {{lang3|fr|en|texte}}: the text."""
    named = call.get("text", "texte", "tekst")
    if named:
        return expand(named, ctx, depth + 1).strip()
    if len(call.positional) >= 2:
        return _last(call, ctx, depth)
    return _first(call, ctx, depth)


def _lang_xx(call: Template, ctx: Context, depth: int) -> str:
    """{{lang-fr|texte}}: the text; on enwiki "French: texte" as the template shows it."""
    code = lookup_key(call.name).partition("-")[2]
    return _lang_with_name(call, ctx, depth, code, 1)


def _langx(call: Template, ctx: Context, depth: int) -> str:
    """{{langx|fr|texte}}: enwiki's successor of {{lang-fr|texte}}."""
    return _lang_with_name(call, ctx, depth, _first(call, ctx, depth).casefold(), 2)


def _lang_with_name(call: Template, ctx: Context, depth: int, code: str, index: int) -> str:
    text = call.get("text") or call.arg(index)
    shown = expand(text, ctx, depth + 1).strip() if text else ""
    if ctx.language not in ("en", "simple") or not shown:
        return shown
    name = langdata.LANGUAGE_NAMES_EN.get(code.split("-")[0])
    if name is None:
        return shown
    translit = call.get("translit", "tr") or call.arg(index + 1)
    literal = call.get("lit") or call.arg(index + 2)
    if translit and translit.strip():
        shown += f", romanized: {expand(translit, ctx, depth + 1).strip()}"
    if literal and literal.strip():
        shown += f", lit. ‘{expand(literal, ctx, depth + 1).strip()}’"
    return f"{name}: {shown}"


_IPA_LABELS_EN = {"lang": "{}: ", "pron": "pronounced ", "local": "locally ", "": "", "-": ""}
_IPAC_LABELS = {
    "lang": "English: ", "pron": "pronounced ", "local": "locally ", "us": "US: ",
    "uk": "UK: ", "ipa": "", "icon": "", "audio": "", "am": "US: ", "br": "UK: ",
}  # fmt: skip
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]+)*$")


def _ipa(call: Template, ctx: Context, depth: int) -> str:
    """A pronunciation as the reader sees it. {{IPA|/ˈæ/}} "/ˈæ/"; {{IPA-de|ˈbɛʁlin}}
    "[ˈbɛʁlin]", on enwiki with its label ("German pronunciation: [...]", "German: [...]" with
    ``lang``, "pronounced [...]" with ``pron``); {{IPAc-en|ˈ|æ|n}} "/ˈæn/"."""
    key = lookup_key(call.name)
    if key == "ipac-en":
        return _ipac_en(call, ctx, depth)
    english = ctx.language in ("en", "simple")
    if key.startswith("ipa-") and key not in ("ipa-all",):
        code, transcription, label = key[4:], _first(call, ctx, depth), call.arg(2, "?").strip()
    elif key == "ipa" and len(call.positional) >= 2 and _LANGUAGE_CODE.match(call.arg(1).strip()):
        code = call.arg(1).strip()
        transcription, label = _x(call, ctx, depth, 2), call.arg(3, "?").strip()
    else:
        return _first(call, ctx, depth)
    if not transcription:
        return ""
    if transcription[0] not in "/[":
        transcription = f"[{transcription}]"
    if not english:
        return transcription
    name = langdata.LANGUAGE_NAMES_EN.get(code.split("-")[0], "")
    prefix = _IPA_LABELS_EN.get(label.casefold())
    if prefix is None:  # no label (or a file name): the default one
        prefix = f"{name} pronunciation: " if name else ""
    return prefix.format(name) + transcription if name or "{}" not in prefix else transcription


def _ipac_en(call: Template, ctx: Context, depth: int) -> str:
    """{{IPAc-en|lang|ˈ|æ|n}}: "English: /ˈæn/"; "," or ";" separate pronunciations."""
    groups: list[str] = []
    label = ""
    pieces: list[str] = []
    for raw in [*call.positional, ","]:
        piece = raw.strip()
        lowered = piece.casefold()
        if not pieces and lowered in _IPAC_LABELS:
            label += _IPAC_LABELS[lowered]
        elif piece in (",", ";", "or"):
            if pieces:
                groups.append(label + "/" + "".join(pieces) + "/")
            pieces, label = [], ""
        elif piece:
            pieces.append(" " if piece == "_" else expand(piece, ctx, depth + 1).strip())
    return ", ".join(groups)


def _audio(call: Template, ctx: Context, depth: int) -> str:
    return _x(call, ctx, depth, 2) if call.key in ("audio", "audio-ipa") else ""


def _respell(call: Template, ctx: Context, depth: int) -> str:
    return "-".join(p.replace("_", " ") for p in _positionals(call, ctx, depth) if p)


def _ill(call: Template, ctx: Context, depth: int) -> str:
    shown = call.get("lt", "display", "текст", "نص", "عر")
    if shown:
        return expand(shown, ctx, depth + 1).strip()
    return _x(call, ctx, depth, 1)


def _number(text: str) -> str:
    return text.strip().replace(" ", "")


def _convert(call: Template, ctx: Context, depth: int) -> str:
    values = [expand(p, ctx, depth + 1).strip() for p in call.positional]
    if not values:
        return ""
    if len(values) >= 4 and values[1] in ("to", "-", "–", "and", "&", "or", "by", "x", "×", "+"):
        sep = {"-": "–", "x": "×"}.get(values[1], values[1])
        join = "" if sep == "–" else " "
        return f"{_number(values[0])}{join}{sep}{join}{_number(values[2])} {values[3]}".strip()
    return f"{_number(values[0])} {values[1] if len(values) > 1 else ''}".strip()


_EXPONENT = re.compile(r"^[-−+]?\d{1,2}$")
_SUPERSCRIPTS = str.maketrans("0123456789-−+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺")


# Thousands separator, decimal mark and the fewest digits before the first separator of the
# wikis whose numbers are not written 1,234.5 (MediaWiki's $separatorTransformTable and
# $minimumGroupingDigits of each language); narrow and no-break spaces become spaces later.
_NUMBER_FORMATS: dict[str, tuple[str, str, int]] = {
    **dict.fromkeys(
        ["de", "nl", "it", "el", "id", "tr", "da", "vi", "ca", "ro", "sl", "hr", "sr", "is"],
        (".", ",", 1),
    ),
    **dict.fromkeys(
        [
            "fr",
            "pt",
            "ru",
            "uk",
            "cs",
            "sk",
            "sv",
            "fi",
            "nb",
            "nn",
            "no",
            "hu",
            "bg",
            "et",
            "lt",
            "lv",
            "be",
            "kk",
        ],
        ("\u00a0", ",", 1),
    ),
    **dict.fromkeys(["es", "pl"], ("\u00a0", ",", 2)),
}
_PLAIN_NUMBER = re.compile(r"^([-−]?)(\d+)(?:\.(\d+))?$")


def group_digits(number: str, language: str) -> str:
    """``{{formatnum:1234567.5}}`` as the wiki shows it: "1,234,567.5" on enwiki, "1 234 567,5"
    on ptwiki; anything but a plain number is returned as it is."""
    match = _PLAIN_NUMBER.match(number.strip())
    if match is None:
        return number
    sign, whole, fraction = match.groups()
    thousands, decimal, minimum = _NUMBER_FORMATS.get(language, (",", ".", 1))
    if len(whole) > 3 and len(whole) - 3 >= minimum:
        head = len(whole) % 3 or 3
        whole = thousands.join(
            [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
        )
    return f"{sign}{whole}{decimal}{fraction}" if fraction else f"{sign}{whole}"


def _formatnum(call: Template, ctx: Context, depth: int) -> str:
    """ptwiki's {{fmtn|3319|km}}, frwiki's {{nombre|37920|signatures}}: the number with the
    wiki's digit grouping, then its unit."""
    values = _positionals(call, ctx, depth)
    if not values:
        return ""
    return " ".join(v for v in [group_digits(values[0], ctx.language), *values[1:2]] if v)


def _unit(call: Template, ctx: Context, depth: int) -> str:
    values = _positionals(call, ctx, depth)
    if values and ctx.language != "en":
        values[0] = group_digits(values[0], ctx.language)
    if call.key in ("unité", "unit"):
        # frwiki {{unité|892|km|2}}: the value, then units each with an optional exponent
        shown = values[:1]
        for value in values[1:]:
            if _EXPONENT.match(value) and len(shown) > 1:
                shown[-1] += value.translate(_SUPERSCRIPTS)
            elif value:
                shown.append(value)
        return " ".join(v for v in shown if v)
    return " ".join(v for v in values[:2] if v)


def _date_parts(call: Template, ctx: Context, depth: int, offset: int = 0) -> str:
    """A date from year|month|day (en templates) or day|month|year (fr, de, es ... templates)."""
    parts = [_x(call, ctx, depth, i) for i in range(1 + offset, 4 + offset)]
    if parts[0] and not parts[1] and _ONE_ARG_DATE.match(parts[0]):  # "17 11 1994", "1994-11-17"
        parts = re.split(r"[\s/.\-]+", parts[0].strip())[:3]
    first, month, last = [*parts, "", "", ""][:3]
    if len(last) == 4 and last.lstrip("-").isdigit() and not (len(first) == 4 and first.isdigit()):
        day, year = first, last
    else:
        year, day = first, last
    if not year.lstrip("-").isdigit():
        return " ".join(p for p in parts if p)
    language = ctx.site.language.split("-")[0]
    names = MONTHS.get(language)
    if month.isdigit() and 1 <= int(month) <= 12:
        if names is None:
            return (
                f"{year}-{int(month):02d}-{int(day):02d}"
                if day.isdigit()
                else f"{year}-{int(month):02d}"
            )
        month = names[int(month) - 1]
    elif not month:
        return year
    if not day.isdigit():
        return f"{month} {year}"
    if language in ("en", "simple") and call.get("mf", "md") in ("y", "yes"):
        return f"{month} {int(day)}, {year}"
    if language == "de":
        return f"{int(day)}. {month} {year}"
    if language in ("es", "pt"):
        return f"{int(day)} de {month} de {year}"
    return f"{int(day)} {month} {year}"


def _birth_death(call: Template, ctx: Context, depth: int) -> str:
    return _date_parts(call, ctx, depth)


def _date(call: Template, ctx: Context, depth: int) -> str:
    first = _x(call, ctx, depth, 1)
    if first.lstrip("-").isdigit() and len(call.positional) >= 2:
        return _date_parts(call, ctx, depth)
    rest = [_x(call, ctx, depth, i) for i in range(2, len(call.positional) + 1)]
    return " ".join(p for p in [first, *rest] if p)


# -- short citations: {{sfn}}, {{sfnm}}, the {{harv}} family (Module:Footnotes) --------------

# A year as short citations write it: "2001", "2001a", "c. 1900", "1998–1999", "n.d.".
_YEAR_ARG = re.compile(
    r"^(?:c\.\s*)?\d{1,4}[a-z]?(?:\s*[–-]\s*\d{1,4}[a-z]?)?$|^n\.\s?d\.?[a-z]?$|^nd[a-z]?$", re.I
)
_YEAR_IN_DATE = re.compile(r"(?<!\d)\d{4}(?!\d)[a-z]?(?![^\W\d_])")
_ANCHOR_SPACES = re.compile(r"[\s_]+")


def _short_names(names: list[str]) -> str:
    """Module:Footnotes' name list: "A", "A & B", "A, B & C", "A et al." (four or more)."""
    names = [n for n in names if n]
    if len(names) >= 4:
        return f"{names[0]} et al."
    if len(names) == 3:
        return f"{names[0]}, {names[1]} & {names[2]}"
    return " & ".join(names)


def _short_pages(page: str, pages: str, loc: str, colon: bool) -> str:
    """ ", p. 5" / ", pp. 4–5" / ", loc" (or ":5" in the colon styles of {{harvcol}})."""
    text = ""
    if page or pages:
        text = (":" if colon else (", p. " if page else ", pp. ")) + (page or pages)
    if loc:
        text += loc if colon and not text else f", {loc}"
        if colon and text.startswith(", "):
            text = ":" + text[2:]
    return text


def anchor_key(anchor: str) -> str:
    """A CITEREF anchor compared loosely: case, spaces and underscores do not matter."""
    return _ANCHOR_SPACES.sub("", anchor).casefold()


class _Short:
    """One source of a short citation: names, year, page(s), location (already expanded)."""

    __slots__ = ("loc", "names", "page", "pages", "year")

    def __init__(self, names: list[str], year: str, page: str, pages: str, loc: str) -> None:
        self.names = names
        self.year = year
        self.page = page
        self.pages = pages
        self.loc = loc

    def anchor(self) -> str:
        return "CITEREF" + "".join(self.names[:4]) + self.year

    def text(self, style: str) -> str:
        """``style``: "nb" (Smith 2001, p. 5), "paren" ((Smith 2001, p. 5)), "year" (Smith
        (2001), p. 5), "txt" (Smith (2001, p. 5)); with "col" the page follows a colon."""
        colon = style.endswith("col")
        style = style[:-3] if colon else style
        names = _short_names(self.names)
        where = _short_pages(self.page, self.pages, self.loc, colon)
        if style == "txt":
            inside = (self.year + where).lstrip(", ")
            return f"{names} ({inside})" if inside else names
        if style == "year":
            year = f"({self.year})" if self.year else ""
            return " ".join(p for p in (names, year) if p) + where
        text = " ".join(p for p in (names, self.year) if p) + where
        return f"({text})" if style == "paren" else text


def _short_source(call: Template, ctx: Context, depth: int) -> _Short:
    values = [_plain(p, ctx, depth) for p in call.positional]
    values = [v for v in values if v]
    year = values.pop() if values and _YEAR_ARG.match(values[-1]) else ""
    if not values:  # {{harvs|last=..|year=..}} and named forms
        values = [
            _plain(v, ctx, depth)
            for k in ("last", "last1", "author", "author1", "last2", "last3", "last4")
            if (v := call.named.get(k))
        ]
        year = year or _named(call, ctx, depth, "year")
    return _Short(
        values[:5],
        year,
        _named(call, ctx, depth, "p", "page"),
        _named(call, ctx, depth, "pp", "pages"),
        _named(call, ctx, depth, "loc", "at"),
    )


def _named(call: Template, ctx: Context, depth: int, *names: str) -> str:
    raw = call.get(*names)
    return _plain(raw, ctx, depth) if raw else ""


def _plain(raw: str, ctx: Context, depth: int) -> str:
    """A parameter as text: templates rendered, links and formatting gone."""
    if "[" not in raw and "'" not in raw and "<" not in raw:
        return expand(raw, ctx, depth + 1).strip()
    from wikipact.wikitext.inline import clean_fragment

    saved = ctx.collect_links
    ctx.collect_links = False
    try:
        return clean_fragment(raw, ctx, depth + 1)[0].strip()
    finally:
        ctx.collect_links = saved


def _sfnm_sources(call: Template, ctx: Context, depth: int) -> list[_Short]:
    """{{sfnm|1a1=Smith|1y=2001|1p=23|2a1=Jones|2y=1999|2pp=4–5}}: sources 1, 2 ... The
    short form gives each source's names then year unnamed: {{sfnm|Smith|2001|1p=23|...}}."""
    unnamed: list[tuple[list[str], str]] = []
    names: list[str] = []
    for raw in call.positional:
        value = _plain(raw, ctx, depth)
        if not value:
            continue
        if _YEAR_ARG.match(value):
            unnamed.append((names, value))
            names = []
        else:
            names.append(value)
    if names:
        unnamed.append((names, ""))
    numbers = {
        int(digits)
        for key in call.named
        if (digits := key[: len(key) - len(key.lstrip("0123456789"))])
    }
    numbers.update(range(1, len(unnamed) + 1))
    sources: list[_Short] = []
    for n in sorted(numbers)[:20]:
        prefix = str(n)
        given = [_named(call, ctx, depth, f"{prefix}a{i}") for i in range(1, 5)]
        authors = [name for name in given if name]
        year = _named(call, ctx, depth, f"{prefix}y")
        if n <= len(unnamed):
            authors = authors or unnamed[n - 1][0]
            year = year or unnamed[n - 1][1]
        sources.append(
            _Short(
                authors,
                year,
                _named(call, ctx, depth, f"{prefix}p"),
                _named(call, ctx, depth, f"{prefix}pp"),
                _named(call, ctx, depth, f"{prefix}loc"),
            )
        )
    return [s for s in sources if s.names or s.year]


def _postscript(call: Template, ctx: Context, depth: int) -> str:
    raw = call.named.get("ps")
    if raw is None:
        return "."
    value = expand(raw, ctx, depth + 1).strip()
    return "" if value.casefold() == "none" else value


def _sfn(call: Template, ctx: Context, depth: int) -> str:
    """A short footnote: a reference whose text is "Smith 2001, p. 23." (sfnp: "Smith (2001),
    p. 23."; sfnm: its sources joined by "; "), linked later to the page's full citation."""
    multi = call.key in ("sfnm", "sfnmp")
    sources = _sfnm_sources(call, ctx, depth) if multi else [_short_source(call, ctx, depth)]
    style = "year" if call.key in ("sfnp", "sfnmp") else "nb"
    text = "; ".join(s.text(style) for s in sources)
    if text:
        text += _postscript(call, ctx, depth)
    names = [n for s in sources for n in s.names]
    metadata = {"authors": "; ".join(names)} if names else {}
    years = [s.year for s in sources if s.year]
    if years:
        metadata["date"] = "; ".join(years)
    pages = "; ".join(p for s in sources if (p := s.page or s.pages or s.loc))
    if pages:
        metadata["pages"] = pages
    metadata[SHORT_ANCHORS] = " ".join(anchor_key(s.anchor()) for s in sources)
    if multi:  # MediaWiki's name: every source's names, year and page
        key = "FOOTNOTE" + "".join(
            "".join(s.names) + s.year + (s.page or s.pages or s.loc) for s in sources
        )
    else:  # MediaWiki's anchor
        key = (
            "FOOTNOTE"
            + "".join(expand(p, ctx, depth + 1).strip() for p in call.positional)
            + metadata.get("pages", "")
        )
    return _cite(RawRef(key, "", text or None, kind="short", metadata=metadata), ctx)


#: Metadata key of a short citation's CITEREF anchors (space-separated), removed on output.
SHORT_ANCHORS = "_anchors"

_HARV_STYLES = {
    "harv": "paren",
    "harvard citation": "paren",
    "harvnb": "nb",
    "harvard citation no brackets": "nb",
    "harvp": "year",
    "harvtxt": "txt",
    "harvt": "txt",
    "harvard citation text": "txt",
    "harvcol": "parencol",
    "harvcolnb": "nbcol",
    "harvcoltxt": "txtcol",
    "harvsp": "nb",
}


def _harv(call: Template, ctx: Context, depth: int) -> str:
    """The in-text short citation: "(Smith & Jones 2001, p. 5)" ({{harv}}), "Smith & Jones
    2001, p. 5" ({{harvnb}}), "Smith (2001, p. 5)" ({{harvtxt}}), "Smith 2001:5" ({{harvcolnb}})."""
    key = lookup_key(call.name)
    if key == "harvs":
        style = "txt" if "txt" in [p.strip() for p in call.positional] else "nb"
        if "paren" in [p.strip() for p in call.positional]:
            style = "paren"
        call = Template(call.name, [], call.named)
        source = _short_source(call, ctx, depth)
        more = [_named(call, ctx, depth, f"year{i}") for i in range(2, 5)]
        source.year = ", ".join(y for y in (source.year, *more) if y)
        return source.text(style)
    return _short_source(call, ctx, depth).text(_HARV_STYLES.get(key, "paren"))


def _unquote(value: str | None) -> str:
    return (value or "").strip().strip("\"'").strip()


def _note(call: Template, ctx: Context, depth: int) -> str:
    content = call.arg(1) or call.get("text") or ""
    name = _unquote(call.named.get("name")) or None
    group = _unquote(call.named.get("group")) or "note"
    return _cite(RawRef(name, group, content if content.strip() else None, kind="note"), ctx)


def _footnote(call: Template, ctx: Context, depth: int) -> str:
    """A template that is a ``<ref>`` (hewiki's ``{{הערה|text|שם=name}}``): a reference."""
    content = call.arg(1) or call.get("text", "תוכן") or ""
    name = _unquote(call.named.get("name") or call.named.get("שם")) or None
    return _cite(RawRef(name, "", content if content.strip() else None), ctx)


def _nihongo(call: Template, ctx: Context, depth: int) -> str:
    english, kanji, romaji = (_x(call, ctx, depth, i) for i in (1, 2, 3))
    extra = ", ".join(p for p in (kanji, romaji) if p)
    return f"{english} ({extra})" if english and extra else english or extra


def _as_of(call: Template, ctx: Context, depth: int) -> str:
    return (
        f"As of {_date_parts(call, ctx, depth)}"
        if ctx.site.language == "en"
        else _first(call, ctx, depth)
    )


def _circa(call: Template, ctx: Context, depth: int) -> str:
    return f"c. {_first(call, ctx, depth)}".strip()


def _frac(call: Template, ctx: Context, depth: int) -> str:
    parts = [_x(call, ctx, depth, i) for i in (1, 2, 3)]
    if parts[2]:
        return f"{parts[0]} {parts[1]}/{parts[2]}"
    if parts[1]:
        return f"{parts[0]}/{parts[1]}"
    return f"1/{parts[0]}" if parts[0] else ""


def _sortname(call: Template, ctx: Context, depth: int) -> str:
    return f"{_x(call, ctx, depth, 1)} {_x(call, ctx, depth, 2)}".strip()


def _fr_quote(call: Template, ctx: Context, depth: int) -> str:
    """frwiki ``{{citation|texte}}``: an inline quotation between guillemets, « texte »."""
    text = _quote(call, ctx, depth)
    return f"« {text} »" if text else ""


def _quote(call: Template, ctx: Context, depth: int) -> str:
    text = expand(call.get("text", "quote") or call.arg(1), ctx, depth + 1).strip()
    # dewiki's {{Zitat|Text=...|Übersetzung=...}} shows the translation under the original
    translation = call.get("übersetzung", "translation")
    if translation:
        return f"{text} {expand(translation, ctx, depth + 1).strip()}".strip()
    return text


def _century(call: Template, ctx: Context, depth: int) -> str:
    if ctx.language == "fr":
        return _fr_century(call, ctx, depth)
    roman = _first(call, ctx, depth)
    if call.key == "siglo" and "s" in _x(call, ctx, depth, 3).casefold():
        return f"siglo {roman}"  # eswiki {{siglo|XIX|d|s}}
    return roman


_ROMAN_NUMERAL = re.compile(r"^[IVXLCDM]+$")


def _fr_century(call: Template, ctx: Context, depth: int) -> str:
    """frwiki's centuries, linked ("-" after the name) or not: {{s|XII}} and {{s-|XII}}
    "XIIe siècle"; {{-s|V}} "Ve siècle av. J.-C."; {{s2|XIX|XX}} "XIXe et XXe siècles";
    {{sp-|XVIII|-|XXI}} "XVIIIe-XXIe siècles". A given ordinal suffix ({{s-|XIX|e}}) is kept."""
    key = lookup_key(call.name).strip("-")
    centuries: list[str] = []
    separators: list[str] = []
    for value in _positionals(call, ctx, depth):
        if not value:
            continue
        if _ROMAN_NUMERAL.match(value.upper()) and value.upper() == value:
            centuries.append(value)
            separators.append("")
        elif centuries and value in ("e", "er", "re", "ème", "ᵉ") and not separators[-1]:
            centuries[-1] = centuries[-1] + ("e" if value == "ᵉ" else value)
            separators[-1] = " "  # the suffix is taken: what follows separates
        elif centuries:
            separators[-1] = value
        else:
            centuries.append(value)  # not a Roman numeral: shown as written
            separators.append("")
    if not centuries:
        return "siècle" if key in ("s", "siècle") else ""
    shown = [
        c if c[-1:].isalpha() and not _ROMAN_NUMERAL.match(c) else _fr_ordinal(c) for c in centuries
    ]
    if len(shown) == 1:
        text = f"{shown[0]} siècle"
    else:
        between = [separators[i].strip() for i in range(len(shown) - 1)]
        default = " et " if key.startswith("s2") else "-"
        text = shown[0]
        for sep, century in zip(between, shown[1:], strict=True):
            if not sep:
                sep = default
            elif sep not in ("-", "–", "/"):
                sep = f" {sep} "
            text += sep + century
        text += " siècles"
    if call.key.startswith("-"):
        text += " av. J.-C."
    return text


def _fr_century_ordinal(call: Template, ctx: Context, depth: int) -> str:
    """frwiki ``{{s|XX}}``: "XXe"; the first one is "Ier"."""
    roman = _first(call, ctx, depth)
    return _fr_ordinal(roman) if roman else ""


def _fr_ordinal(roman: str) -> str:
    return f"{roman}{'er' if roman.upper() == 'I' else 'e'}"


def _fr_time(call: Template, ctx: Context, depth: int) -> str:
    """frwiki ``{{heure|4|30}}``: "4 h 30" (hours, minutes, seconds)."""
    hours, minutes, seconds = (_x(call, ctx, depth, i) for i in (1, 2, 3))
    text = f"{hours} h" if hours else ""
    if minutes:
        text = f"{text} {minutes}" if not seconds else f"{text} {minutes} min {seconds} s"
    return text.strip()


_CURRENCY_SIGNS = {
    "us$": "US$", "usd": "US$", "gbp": "£", "£": "£", "€": "€", "eur": "€", "euro": "€",
    "jpy": "¥", "¥": "¥", "yen": "¥", "inr": "₹", "₹": "₹", "a$": "A$", "aud": "A$",
    "cad": "C$", "c$": "C$", "nzd": "NZ$", "chf": "CHF ", "cny": "CN¥", "rmb": "CN¥",
    "रुपया": "₹", "रुपये": "₹",
}  # fmt: skip


def _currency(call: Template, ctx: Context, depth: int) -> str:
    """``{{US$|5 million}}``: the sign and the amount; alone (``{{रुपया}}``), the sign."""
    return f"{_CURRENCY_SIGNS.get(call.key, '')}{_first(call, ctx, depth)}"


def _currency_code(call: Template, ctx: Context, depth: int) -> str:
    """enwiki ``{{Currency|11|EUR}}``: "€11"; a code without a sign follows the amount."""
    amount, code = _first(call, ctx, depth), _x(call, ctx, depth, 2)
    sign = _CURRENCY_SIGNS.get(code.casefold())
    if sign:
        return f"{sign}{amount}"
    return f"{amount} {code}".strip()


def _range(call: Template, ctx: Context, depth: int) -> str:
    return "–".join(part for part in _positionals(call, ctx, depth) if part)


def _us_patent(call: Template, ctx: Context, depth: int) -> str:
    number = _first(call, ctx, depth)
    if number.isdigit():
        number = f"{int(number):,}"
    return f"U.S. patent {number}" if number else ""


def _red_link(call: Template, ctx: Context, depth: int) -> str:
    return _x(call, ctx, depth, 3) or _first(call, ctx, depth)


def _join(call: Template, ctx: Context, depth: int) -> str:
    return "".join(_positionals(call, ctx, depth))


def _gaps(call: Template, ctx: Context, depth: int) -> str:
    return " ".join(_positionals(call, ctx, depth))


def _lit(call: Template, ctx: Context, depth: int) -> str:
    quoted = _quoted(call, ctx, depth)
    return f"lit. {quoted}" if quoted else ""


def _zh_life(call: Template, ctx: Context, depth: int) -> str:
    """zhwiki ``{{bd|1950年|3月5日|2020年|4月5日}}``: "1950年3月5日—2020年4月5日"."""
    born = _x(call, ctx, depth, 1) + _x(call, ctx, depth, 2)
    died = _x(call, ctx, depth, 3) + _x(call, ctx, depth, 4)
    return f"{born}—{died}" if born or died else ""


def _quoted(call: Template, ctx: Context, depth: int) -> str:
    text = _first(call, ctx, depth)
    return f"“{text}”" if text else ""


def _tsl(call: Template, ctx: Context, depth: int) -> str:
    return _x(call, ctx, depth, 4) or _x(call, ctx, depth, 3) or _x(call, ctx, depth, 2)


_UNO = re.compile(r"^(?:z|gn|ps|pn|x|y|s[^aeiouàèéìòù\s]|i[aeiou])", re.I)
_VOWEL = re.compile(r"^[aeiouàèéìòùh]", re.I)


def _bio(call: Template, ctx: Context, depth: int) -> str:
    """itwiki's ``{{Bio}}`` writes the biography's first sentence from its parameters:
    "Mario Rossi (Roma, 3 marzo 1950 – Milano, 5 aprile 2020) è stato un calciatore italiano."
    """

    def value(*names: str) -> str:
        raw = call.get(*names)
        return expand(raw, ctx, depth + 1).strip() if raw else ""

    name = " ".join(v for v in (value("titolo"), value("nome"), value("cognome")) if v)
    if value("postcognomevirgola"):
        name += ", " + value("postcognomevirgola")
    elif value("postcognome"):
        name += " " + value("postcognome")

    def life(place: str, day: str, year: str, note: str) -> str:
        when = " ".join(v for v in (value(day), value(year)) if v) + value(note)
        return ", ".join(v for v in (value(place), when) if v)

    born = life("luogonascita", "giornomesenascita", "annonascita", "notenascita")
    died = life("luogomorte", "giornomesemorte", "annomorte", "notemorte")
    dates = f" ({born} – {died})" if died else f" ({born})" if born else ""
    ending = value("fineincipit")
    if not ending:
        activities = [a for a in (value("attività"), value("attività2"), value("attività3")) if a]
        if len(activities) > 1:
            jobs = ", ".join(activities[:-1]) + " e " + activities[-1]
        else:
            jobs = activities[0] if activities else ""
        female = value("sesso").upper().startswith("F")
        dead = bool(value("annomorte"))
        verb = ("è stata" if female else "è stato") if dead else "è"
        if female:
            article = "un'" if _VOWEL.match(jobs) else "una "
        else:
            article = "uno " if _UNO.match(jobs) else "un "
        nationality = value("nazionalità")
        ending = f"{verb} {article}{jobs}".rstrip() + (f" {nationality}" if nationality else "")
        ending += value("postnazionalità")
    return f"{name}{dates} {ending}.".strip()


_RENDERERS: dict[str, Renderer] = {
    "convert": _convert,
    "unit": _unit,
    "lang": _lang,
    "lang_xx": _lang_xx,
    "langx": _langx,
    "audio": _audio,
    "respell": _respell,
    "nowrap": _first,
    "nobr": _first,
    "small": _first,
    "abbr": _first,
    "sic": _last,
    "vanchor": _first,
    "ruby": _first,
    "transl": _last,
    "flag": _first,
    "formatnum": _formatnum,
    "date": _date,
    "start_date": _birth_death,
    "end_date": _birth_death,
    "birth_date": _birth_death,
    "death_date": _birth_death,
    "age": _nothing,
    "ipa": _ipa,
    "ill": _ill,
    "sfn": _sfn,
    "harv": _harv,
    "note": _note,
    "nihongo": _nihongo,
    "native_name": _first,
    "as_of": _as_of,
    "circa": _circa,
    "frac": _frac,
    "sortname": _sortname,
    "quote": _quote,
    "fr_quote": _fr_quote,
    "fr_quote_open": lambda call, ctx, depth: "« ",
    "fr_quote_close": lambda call, ctx, depth: " »",
    "coord": _nothing,
    "nbsp": lambda call, ctx, depth: " ",
    "spaces": lambda call, ctx, depth: " ",
    "ndash": lambda call, ctx, depth: "–",
    "snd": lambda call, ctx, depth: " – ",
    "mdash": lambda call, ctx, depth: "—",
    "century": _century,
    "passthrough": _passthrough,
    "literal": _literal,
    "ordinal": _ordinal,
    "fr_time": _fr_time,
    "fr_century_ordinal": _fr_century_ordinal,
    "list": _list,
    "pagename": lambda call, ctx, depth: ctx.title,
    "ref": _ref,
    "number": _first,
    "color": _last,
    "bio": _bio,
    "footnote": _footnote,
    "currency": _currency,
    "currency_code": _currency_code,
    "range": _range,
    "us_patent": _us_patent,
    "red_link": _red_link,
    "join": _join,
    "gaps": _gaps,
    "lit": _lit,
    "tsl": _tsl,
    "quoted": _quoted,
    "zh_life": _zh_life,
}
