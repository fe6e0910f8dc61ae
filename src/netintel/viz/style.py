"""The briefing look: one place that sets how every netintel chart looks on a slide.

16:9, a colour-blind-safe palette (Okabe-Ito), the handling caveat banner at top and bottom,
and a source-and-date footer. Chart functions build their axes in :func:`briefing_figure` and
finish with :func:`finish`; they return the Figure and never write files themselves.

Examples
--------
>>> fig, ax = briefing_figure("Records per agency", caveat="TLP:AMBER — releasable to NL, DE")
>>> _ = ax.bar(["NL", "DE"], [3, 5])
>>> fig = finish(fig, source="netintel sample case", date="2026-11-29")
>>> [t.get_text() for t in fig.texts][1:3]
['TLP:AMBER — releasable to NL, DE', 'TLP:AMBER — releasable to NL, DE']
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import matplotlib


import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = [
    "PALETTE", "KIND_COLOURS", "CAVEAT_COLOURS", "briefing_figure", "finish", "save", "colour_for",
    "briefing_style", "LINK_COLOURS", "link_colour",
]

#: Okabe-Ito colour-blind-safe palette, in order of use.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#999999",
)
#: Background colours of the caveat banner by handling code (TLP 2.0 colours; Europol codes greys).
CAVEAT_COLOURS: dict[str, tuple[str, str]] = {
    "TLP:CLEAR": ("#FFFFFF", "#000000"),
    "TLP:GREEN": ("#33FF00", "#000000"),
    "TLP:AMBER": ("#FFC000", "#000000"),
    "TLP:AMBER+STRICT": ("#FFC000", "#000000"),
    "TLP:RED": ("#FF2B2B", "#000000"),
    "H0": ("#DDDDDD", "#000000"),
    "H1": ("#BBBBBB", "#000000"),
    "H2": ("#555555", "#FFFFFF"),
    "H3": ("#000000", "#FFFFFF"),
}
KIND_COLOURS: dict[str, str] = {
    "person": PALETTE[0], "organisation": PALETTE[1], "phone": PALETTE[2], "bank_account": PALETTE[3],
    "crypto_wallet": PALETTE[4], "address": PALETTE[5], "vehicle": PALETTE[8], "vessel": PALETTE[8],
    "domain": PALETTE[6], "ip_address": PALETTE[6], "email": PALETTE[2],
}

#: Colour of each link kind on every chart (static and interactive); kinds without one get a stable extra.
LINK_COLOURS: dict[str, str] = {
    "call": "#0072B2", "message": "#56B4E9", "transfer": "#D55E00", "owns": "#E69F00", "uses": "#999999",
    "member_of": "#CC79A7", "associate_of": "#009E73", "family_of": "#7E2F8E", "directs": "#000000",
    "controls": "#A6761D", "resides_at": "#BBBBBB", "co_located": "#66A61E", "travels_with": "#E7298A",
    "holds_document": "#8C8C8C", "registered_to": "#B3B300",
}
_EXTRA_LINK_COLOURS = ("#1B9E77", "#D95F02", "#7570B3", "#E6AB02", "#666666", "#A6CEE3", "#FB9A99")


def link_colour(kind: str, known=()) -> str:
    """The colour of a link kind (a stable extra colour for kinds without their own).

    >>> link_colour("call"), link_colour("transfer")
    ('#0072B2', '#D55E00')
    """
    if kind in LINK_COLOURS:
        return LINK_COLOURS[kind]
    extra = sorted(set(known) - set(LINK_COLOURS))
    i = extra.index(kind) if kind in extra else sum(map(ord, kind))
    return _EXTRA_LINK_COLOURS[i % len(_EXTRA_LINK_COLOURS)]


_RC = {
    "figure.figsize": (13.333, 7.5),  # 16:9 at slide size
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "font.size": 12,
    "axes.titlesize": 16,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


@contextmanager
def briefing_style() -> Iterator[None]:
    """Matplotlib settings of the briefing look, for code that draws its own figure."""
    with plt.rc_context(_RC):
        yield


def colour_for(i: int) -> str:
    """The i-th palette colour, cycling."""
    return PALETTE[i % len(PALETTE)]


def briefing_figure(title: str | None = None, *, caveat: str | None = None, nrows: int = 1, ncols: int = 1,
                    figsize: tuple[float, float] | None = None, **subplot_kw) -> tuple[Figure, object]:
    """A 16:9 figure with room for the caveat banner and footer; returns (fig, axes)."""
    with plt.rc_context(_RC):
        fig = Figure(figsize=figsize or _RC["figure.figsize"], dpi=_RC["figure.dpi"])
        axes = fig.subplots(nrows, ncols, **subplot_kw)
        fig.subplots_adjust(top=0.84, bottom=0.17, left=0.07, right=0.97)
        if title:
            fig.suptitle(title, fontsize=18, fontweight="bold", y=0.925)
        fig._netintel_caveat = caveat  # type: ignore[attr-defined]
        if caveat:
            _banner(fig, caveat)
        for ax in (axes.flat if hasattr(axes, "flat") else [axes]):
            ax.set_prop_cycle(color=PALETTE)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(True, alpha=0.25)
        return fig, axes


def _banner(fig: Figure, caveat: str) -> None:
    code = caveat.split()[0].rstrip(",;") if caveat else ""
    bg, fg = CAVEAT_COLOURS.get(code, ("#FFC000", "#000000"))
    for y, va in ((0.985, "top"), (0.015, "bottom")):
        fig.text(0.5, y, caveat, ha="center", va=va, fontsize=11, fontweight="bold", color=fg,
                 bbox={"boxstyle": "square,pad=0.35", "facecolor": bg, "edgecolor": "#333333"})


def finish(fig: Figure, *, source: str | None = None, date: str | None = None,
           note: str | None = None) -> Figure:
    """Add the footer (source, date, a note such as 'aggregated: 1,204 entities shown as 37 groups')."""
    parts = [p for p in (f"Source: {source}" if source else None, date, note) if p]
    if parts:
        fig.text(0.07, 0.062, "  ·  ".join(parts), ha="left", va="bottom", fontsize=9, color="#444444")
    return fig


def save(fig: Figure, path: str | Path, *, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write a figure as PNG (300 dpi), SVG and/or PDF; returns the paths written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        target = path.with_suffix("." + fmt)
        with plt.rc_context({"svg.hashsalt": "netintel"}):  # stable SVG ids, run after run
            fig.savefig(target, format=fmt, dpi=300 if fmt == "png" else None, metadata=_metadata(fmt))
        out.append(target)
    return out


def _metadata(fmt: str) -> dict:
    # Fixed metadata so the same chart gives the same bytes run after run (reproducible packs).
    if fmt == "png":
        return {"Software": "netintel"}
    if fmt == "pdf":
        return {"Creator": "netintel", "Producer": "netintel", "CreationDate": None}
    if fmt == "svg":
        return {"Date": None, "Creator": "netintel"}
    return {}
