"""Frozen, typed records: what dumps say (raw) and what wikipact delivers (article)."""

from wikipact.model.article import (
    SCHEMA_VERSION,
    Article,
    ArticleBody,
    Editor,
    Language,
    License,
    NamespaceRef,
    PageRef,
    Project,
    Provenance,
    Size,
    Version,
)
from wikipact.model.raw import Contributor, Namespace, RawPage, RawRevision, SiteInfo, SourceRef

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "ArticleBody",
    "Contributor",
    "Editor",
    "Language",
    "License",
    "Namespace",
    "NamespaceRef",
    "PageRef",
    "Project",
    "Provenance",
    "RawPage",
    "RawRevision",
    "SiteInfo",
    "Size",
    "SourceRef",
    "Version",
]
