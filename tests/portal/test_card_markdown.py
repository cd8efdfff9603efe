"""A dataset card's Markdown as the catalogue renders it (markdown-it-py): headings under the
page's own, tables with no style attributes (the portal's CSP allows none), and nothing a card
could use to run script or reach another site: raw HTML escaped, images as their alt text,
``javascript:`` links refused."""

from __future__ import annotations

from wikipact.portal.catalogue import card_of

CARD = """---
license: cc-by-sa-4.0
---
# wikipact-sample

A dataset of <b>Wikipedia</b> articles. <script>alert(1)</script>

![Records per language](plots/languages.png)

## Counts per language and split

| | train | test |
|---|--:|:-:|
| en | 50 | 5 |

[a link](https://en.wikipedia.org/wiki/Anarchism) and [a trap](javascript:alert(1))
"""


def test_a_card_is_rendered_safely() -> None:
    card = card_of(CARD)
    assert card.front_matter == "license: cc-by-sa-4.0"
    html = card.html
    assert "<h3>wikipact-sample</h3>" in html and "<h4>Counts per language and split</h4>" in html
    assert "&lt;script&gt;" in html and "<script" not in html and "<b>" not in html
    assert "<img" not in html and "<em>[Records per language]</em>" in html
    assert "style=" not in html
    assert '<th class="num">train</th>' in html and '<th class="center">test</th>' in html
    assert "<td></td>" in html  # the empty header cell: a data cell, not an unnamed header
    assert '<a href="https://en.wikipedia.org/wiki/Anarchism">a link</a>' in html
    assert 'href="javascript' not in html
