"""Which articles a dataset keeps: each rule drops a record for one named reason.

``Filter(recipe.filters).reason(article)`` is the first reason that drops the article, or None to
keep it. Reasons are stable strings (they are counted in the dataset card and written to the
exclusion file): ``blocklist``, ``project``, ``language``, ``namespace``, ``redirect``,
``disambiguation``, ``list_page``, ``stub``, ``too_short``, ``low_reference_density``,
``citation_needed``. The blocklist is checked first, so a takedown always wins.
"""

from __future__ import annotations

from wikipact.datasets.recipe import Filters
from wikipact.model.article import Article, Signals
from wikipact.wikitext.signals import count_words

REASONS = (
    "blocklist",
    "project",
    "language",
    "namespace",
    "redirect",
    "disambiguation",
    "list_page",
    "stub",
    "too_short",
    "low_reference_density",
    "citation_needed",
)

# Titles of list and index pages, by language: (prefixes, suffixes). Other languages fall back to
# English, which many wikis also use for such titles.
LIST_TITLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("List of ", "Lists of ", "Index of ", "Outline of ", "Timeline of "), ()),
    "simple": (("List of ", "Lists of ", "Index of "), ()),
    "de": (("Liste ", "Listen "), ()),
    "fr": (("Liste ", "Listes "), ()),
    "es": (("Anexo:", "Lista de ", "Listas de "), ()),
    "it": (("Lista di ", "Liste di ", "Lista dei ", "Lista delle ", "Lista degli "), ()),
    "pt": (("Lista de ", "Lista da ", "Lista do ", "Lista dos ", "Lista das "), ()),
    "ca": (("Llista de ", "Llista d'", "Llista dels ", "Llista de les "), ()),
    "gl": (("Lista de ", "Lista das ", "Lista dos "), ()),
    "nl": (("Lijst van ",), ()),
    "af": (("Lys van ",), ()),
    "pl": (("Lista ",), ()),
    "nn": (("Liste over ",), ()),
    "eo": (("Listo de ", "Listo da "), ()),
    "br": (("Roll ",), ()),
    "uk": (("Список ", "Перелік "), ()),
    "ru": (("Список ",), ()),
    "bg": (("Списък ",), ()),
    "el": (("Κατάλογος ", "Λίστα "), ()),
    "hy": (("Ցանկ ",), (" ցանկ",)),
    "vi": (("Danh sách ",), ()),
    "ja": ((), ("一覧", "の一覧")),
    "zh": ((), ("列表", "一覽", "一览")),
    "ko": ((), ("목록",)),
    "mr": ((), ("यादी", "सूची")),
    "bn": ((), ("তালিকা",)),
    "kn": ((), ("ಪಟ್ಟಿ",)),
}


def is_list_title(title: str, language: str) -> bool:
    prefixes, suffixes = LIST_TITLES.get(language, LIST_TITLES["en"])
    return title.startswith(prefixes) or (bool(suffixes) and title.endswith(suffixes))


class Blocklist:
    """Pages that must never appear: ``project:page id``, ``project:Title`` or a bare ``Title``."""

    def __init__(self, entries: list[str]) -> None:
        self.ids: set[tuple[str, int]] = set()
        self.titles: set[tuple[str, str]] = set()
        self.anywhere: set[str] = set()
        for entry in entries:
            entry = entry.strip()
            project, sep, rest = entry.partition(":")
            if sep and project and project.isascii() and project.islower() and rest:
                if rest.isdigit():
                    self.ids.add((project, int(rest)))
                else:
                    self.titles.add((project, _title(rest)))
            elif entry:
                self.anywhere.add(_title(entry))

    def blocks(self, project: str, page_id: int, title: str) -> bool:
        title = _title(title)
        return (
            (project, page_id) in self.ids
            or (project, title) in self.titles
            or title in self.anywhere
        )

    def __len__(self) -> int:
        return len(self.ids) + len(self.titles) + len(self.anywhere)


def _title(title: str) -> str:
    title = title.replace("_", " ").strip()
    return title[:1].upper() + title[1:]


class Filter:
    """The recipe's filters, ready to apply to parsed articles."""

    def __init__(self, rules: Filters) -> None:
        self.rules = rules
        self.blocklist = Blocklist(rules.blocklist)
        self.namespaces = frozenset(rules.namespaces)
        self.projects = frozenset(rules.projects)
        self.languages = frozenset(rules.languages)

    def reason(self, article: Article) -> str | None:
        """Why the article is dropped, or None to keep it."""
        return self.early(
            project=article.is_part_of.identifier,
            language=article.in_language.identifier,
            page_id=article.identifier,
            title=article.name,
            namespace=article.namespace.identifier,
            is_redirect=article.redirect_target is not None,
        ) or (None if article.redirect_target is not None else self.late(article))

    def early(
        self,
        *,
        project: str,
        language: str,
        page_id: int,
        title: str,
        namespace: int,
        is_redirect: bool,
    ) -> str | None:
        """The rules that need no parsing (so dropped pages are never parsed)."""
        if self.blocklist and self.blocklist.blocks(project, page_id, title):
            return "blocklist"
        if self.projects and project not in self.projects:
            return "project"
        if self.languages and language not in self.languages:
            return "language"
        if self.namespaces and namespace not in self.namespaces:
            return "namespace"
        if is_redirect and self.rules.drop_redirects:
            return "redirect"
        return None

    def late(self, article: Article) -> str | None:
        """The rules that judge the parsed text and its signals (not for kept redirects)."""
        rules = self.rules
        if rules.drop_disambiguation and article.is_disambiguation:
            return "disambiguation"
        if rules.drop_lists and is_list_title(article.name, article.in_language.identifier):
            return "list_page"
        signals = article.signals or Signals(version="")
        if rules.drop_stubs and signals.is_stub:
            return "stub"
        words = signals.words if article.signals else count_words(article.text or "")
        if words < rules.min_words:
            return "too_short"
        if signals.references_per_1000_words < rules.min_references_per_1000_words:
            return "low_reference_density"
        if (
            rules.max_citation_needed is not None
            and signals.citation_needed_count > rules.max_citation_needed
        ):
            return "citation_needed"
        return None
