"""A revision fetched from a wiki, as the raw page the parser and the store take.

The Action API gives a page's title with its namespace prefix, as dumps do, and no redirect
target: a redirect is read from the wikitext (``#REDIRECT [[Target]]`` in any language), as
for old exports that carry no ``<redirect>`` element.
"""

from __future__ import annotations

from wikipact.dumps.xmlpages import redirect_target_of
from wikipact.follow.fetch import FetchedRevision
from wikipact.model.raw import Contributor, RawPage, RawRevision


def raw_page(fetched: FetchedRevision) -> RawPage:
    """The one-revision page of ``fetched`` (whose text must not be hidden)."""
    if fetched.text is None:
        raise ValueError(f"revision {fetched.revision_id} of {fetched.wiki} has no text")
    contributor = None
    if fetched.editor is not None or fetched.editor_hidden:
        is_ip = fetched.editor is not None and not fetched.editor_id
        contributor = Contributor(
            identifier=fetched.editor_id or None,
            name=None if is_ip else fetched.editor,
            ip=fetched.editor if is_ip else None,
            deleted=fetched.editor_hidden,
        )
    revision = RawRevision(
        identifier=fetched.revision_id,
        timestamp=fetched.timestamp,
        text=fetched.text,
        parent_identifier=fetched.parent_id or None,
        contributor=contributor,
        comment=None if fetched.comment_hidden else fetched.comment,
        minor=fetched.minor,
        model=fetched.content_model,
        sha1=base36_sha1(fetched.sha1) if fetched.sha1 else None,
    )
    redirect = redirect_target_of(fetched.text) if fetched.redirect is not False else None
    return RawPage(
        title=fetched.title,
        namespace=fetched.namespace,
        identifier=fetched.page_id,
        revisions=(revision,),
        redirect_title=redirect,
    )


def base36_sha1(hex_digest: str) -> str:
    """The API's hexadecimal SHA-1 as dumps write it: base 36, 31 digits (MediaWiki's
    ``rev_sha1``), so that revisions from dumps and from the stream compare equal."""
    value = int(hex_digest, 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while value:
        value, rest = divmod(value, 36)
        out.append(digits[rest])
    return "".join(reversed(out)).rjust(31, "0")
