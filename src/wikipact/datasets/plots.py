"""The dataset card's plots: words and tokens per record, records per language (PNG, reproducible).

``write_plots(root, stats)`` draws three PNGs into ``root/plots/`` and returns their paths relative
to ``root``. The same stats always give byte-identical files: figures are made without pyplot (no
global state), at a fixed size and resolution, and saved without the ``Software`` text chunk (the
only metadata Matplotlib's PNG writer adds). Labels are ASCII, so no font ever lacks a glyph.
Files are written atomically (temp file, fsync, ``os.replace``) and readable by all (0644).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wikipact.datasets.signing import write_atomic
from wikipact.datasets.stats import BuildStats

if TYPE_CHECKING:  # matplotlib is imported when plotting, not when the CLI starts
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PLOTS_DIR = "plots"
FIGSIZE = (8.0, 5.0)  # inches
DPI = 100
BINS = 40
MAX_LANGUAGES = 30  # bars in languages.png; the rest are summed into one "other" bar
_COLOR = "#3366cc"


def write_plots(root: Path, stats: BuildStats) -> list[str]:
    """Draw ``words.png``, ``tokens.png`` and ``languages.png`` into ``root/plots/``.

    Returns the paths written, relative to ``root`` (``plots/words.png`` …), in that order.
    Stats with no records give plots that say so instead of failing.
    """
    directory = Path(root) / PLOTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    figures = {
        "words.png": _histogram(
            stats.words_per_record,
            title="Words per record",
            xlabel="words (log scale)",
        ),
        "tokens.png": _histogram(
            stats.tokens_per_record,
            title=f"Tokens per record ({_ascii(stats.tokenizer)})",
            xlabel="tokens (log scale)",
        ),
        "languages.png": _languages(stats),
    }
    written = []
    for name, figure in figures.items():
        write_atomic(directory / name, _png(figure))
        written.append(f"{PLOTS_DIR}/{name}")
    return written


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    return figure, figure.add_subplot()


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes, with no metadata that varies between runs or versions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _no_records(ax: Axes, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "no records", ha="center", va="center", fontsize=16, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _histogram(values: Sequence[int], *, title: str, xlabel: str) -> Figure:
    """A histogram over logarithmic bins (counts below 1 are drawn in the first bin)."""
    import numpy as np

    figure, ax = _figure()
    if not values:
        _no_records(ax, title)
        return figure
    data = np.maximum(np.asarray(values, dtype=np.float64), 1.0)
    low, high = float(data.min()), float(data.max())
    if high <= low:  # one distinct value: a bin around it
        low, high = low / 1.5, high * 1.5
    bins = np.geomspace(low, high, BINS + 1)
    ax.hist(data, bins=bins, color=_COLOR, edgecolor="white", linewidth=0.5)
    ax.set_xscale("log")
    median = float(np.median(data))
    ax.axvline(median, color="#cc3311", linestyle="--", linewidth=1, label=f"median {median:,.0f}")
    ax.legend(loc="upper right")
    ax.set_title(f"{title}: {len(values):,} records")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("records")
    return figure


def _languages(stats: BuildStats) -> Figure:
    """Horizontal bars of kept records per language, the largest at the top."""
    figure, ax = _figure()
    title = "Records per language"
    counts = sorted(
        ((language, n) for language, n in stats.by_language().items() if n > 0),
        key=lambda item: (-item[1], item[0]),
    )
    if not counts:
        _no_records(ax, title)
        return figure
    if len(counts) > MAX_LANGUAGES:
        head, rest = counts[: MAX_LANGUAGES - 1], counts[MAX_LANGUAGES - 1 :]
        counts = [*head, (f"{len(rest)} others", sum(n for _, n in rest))]
    labels = [_ascii(language) for language, _ in reversed(counts)]
    values = [n for _, n in reversed(counts)]
    ax.barh(range(len(values)), values, color=_COLOR)
    ax.set_yticks(range(len(values)), labels)
    ax.set_title(f"{title}: {len(stats.by_language())} languages")
    ax.set_xlabel("records")
    ax.set_ylabel("language")
    return figure


def _ascii(text: str) -> str:
    """Text safe for the default font and free of machine paths (a tokenizer file's name only)."""
    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    return name.encode("ascii", "replace").decode("ascii")
