"""The timeline chart: one lane per entity, events as marks, links between lanes where two interact.

In the manner of i2's timeline and theme-line charts: time runs left to right, each entity has its
lane, a call or payment between two entities in view is a thin vertical line joining their lanes
(coloured by kind), and one-sided events (sightings, contact with someone out of view) are marks
on the lane alone. ``since``/``until`` zoom to a window; lanes beyond ``max_lanes`` are left out
and the footer says how many (legibility first).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"time": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 10:00", "2026-01-09 12:00"]),
...                   "entity": ["A", "B", "A"], "entity_label": ["Ann", "Bob", "Ann"],
...                   "kind": ["call", "call", "sighting"], "direction": ["out", "in", "at"],
...                   "counterpart": ["B", "A", None]})
>>> fig = timeline_chart(t, caveat="TLP:AMBER")
>>> [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
['Ann', 'Bob']
>>> len(fig.axes[0].collections[0].get_segments())  # one line joins Ann's and Bob's lanes
1
"""

from __future__ import annotations

from typing import Any, Iterable

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import PALETTE, briefing_figure, finish

__all__ = ["timeline_chart", "KIND_STYLE", "caveat_of"]

#: Mark and colour per event kind.
KIND_STYLE: dict[str, tuple[str, str]] = {
    "call": ("o", PALETTE[0]), "message": ("^", PALETTE[5]), "transfer": ("s", PALETTE[3]),
    "sighting": ("D", PALETTE[2]), "meeting": ("*", PALETTE[4]),
}
_OTHER = ("P", PALETTE[8])


def caveat_of(table: pd.DataFrame) -> str | None:
    """The banner for a chart of these rows: strictest handling and the releasability they share.

    Needs ``handling`` (and, for releasability, ``releasable_to`` and ``country``) columns.
    """
    if "handling" not in table or table["handling"].dropna().empty:
        return None
    from ..handling import combine, handling_rank
    if {"releasable_to", "country"} <= set(table.columns):
        rows = table.drop_duplicates("event_id") if "event_id" in table else table
        marking = combine((h, list(r) if r is not None and not isinstance(r, float) else [], c or "")
                          for h, r, c in zip(rows["handling"].fillna("TLP:AMBER"), rows["releasable_to"],
                                             rows["country"]))
        return marking.banner
    codes = sorted(set(table["handling"].dropna()), key=handling_rank)
    return codes[-1]


def _short(text: Any, width: int = 26) -> str:
    s = str(text)
    return s if len(s) <= width else s[: width - 1] + "…"


def timeline_chart(table: pd.DataFrame, *, since: Any = None, until: Any = None, max_lanes: int = 16,
                   lanes: Iterable[str] | None = None, title: str | None = None, caveat: str | None = None,
                   source: str | None = None, date: str | None = None,
                   annotations: Iterable[tuple[Any, str, str]] = ()) -> Figure:
    """Draw a :func:`~netintel.analysis.temporal.timeline` table as a lane chart.

    Parameters
    ----------
    table : tidy timeline (``time, entity, entity_label, kind, direction, counterpart``).
    since, until : zoom to this window (``until`` exclusive).
    max_lanes : most active entities shown; the footer counts the rest.
    lanes : the entities to show, in this order (overrides ``max_lanes``).
    title, caveat, source, date : briefing furniture; ``caveat`` defaults to the strictest
        handling code of the rows shown.
    annotations : ``(time, entity, text)`` notes to pin on a lane (e.g. "switches to new phone").

    Returns
    -------
    matplotlib Figure (nothing is written).
    """
    t = table.copy()
    t["time"] = pd.to_datetime(t["time"])
    if since is not None:
        t = t[t["time"] >= pd.Timestamp(since)]
    if until is not None:
        t = t[t["time"] < pd.Timestamp(until)]
    if caveat is None:
        caveat = caveat_of(t)
    fig, ax = briefing_figure(title or "Timeline", caveat=caveat)
    if t.empty:
        ax.text(0.5, 0.5, "no events in this window", ha="center", va="center", transform=ax.transAxes,
                fontsize=14, color="#666666")
        ax.set_yticks([])
        return finish(fig, source=source, date=date)
    counts = t.groupby("entity").size()
    if lanes is not None:
        order = [e for e in lanes if e in counts.index]
    else:
        busiest = counts.sort_values(ascending=False, kind="stable")
        chosen = set(busiest.index[:max_lanes])
        firsts = t[t["entity"].isin(chosen)].groupby("entity")["time"].min()
        order = sorted(chosen, key=lambda e: (firsts[e], str(e)))
    hidden = [e for e in counts.index if e not in set(order)]
    y_of = {e: i for i, e in enumerate(order)}
    shown = t[t["entity"].isin(y_of)]
    n_lanes = len(order)
    x0, x1 = shown["time"].min(), shown["time"].max()
    pad = max((x1 - x0) * 0.02, pd.Timedelta(hours=1))

    # links between lanes: one line per two-sided event, drawn from its outgoing row
    inter = shown[(shown["direction"] == "out") & shown["counterpart"].isin(y_of)]
    for kind, g in inter.groupby("kind", sort=True):
        colour = KIND_STYLE.get(kind, _OTHER)[1]
        xs = mdates.date2num(g["time"].to_numpy())
        segs = [[(x, y_of[a]), (x, y_of[b])] for x, a, b in zip(xs, g["entity"], g["counterpart"])]
        dense = len(segs) > 400
        ax.add_collection(LineCollection(segs, colors=colour, linewidths=0.5 if dense else 0.8,
                                         alpha=0.2 if dense else 0.35 if len(segs) > 50 else 0.6, zorder=1))
    if inter.empty:
        ax.add_collection(LineCollection([], zorder=1))
    # marks: filled when the lane's entity acts (out, at), hollow when it receives
    size = 40 if len(shown) < 300 else 22 if len(shown) < 2000 else 12
    handles = []
    for kind, g in shown.groupby("kind", sort=True):
        marker, colour = KIND_STYLE.get(kind, _OTHER)
        ys = g["entity"].map(y_of).to_numpy(dtype=float)
        xs = mdates.date2num(g["time"].to_numpy())
        acts = g["direction"].isin(["out", "at"]).to_numpy()
        ax.scatter(xs[acts], ys[acts], marker=marker, s=size, color=colour, alpha=0.8, linewidths=0, zorder=3)
        ax.scatter(xs[~acts], ys[~acts], marker=marker, s=size, facecolors="white", edgecolors=colour,
                   linewidths=0.9, alpha=0.9, zorder=2)
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="", markersize=8,
                              label=kind))
    handles.append(Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="#555555", linestyle="",
                          markersize=8, label="received"))
    for when, entity, text in annotations:
        if entity not in y_of:
            continue
        x = mdates.date2num(pd.Timestamp(when))
        ax.axvline(x, ymin=0, ymax=1, color="#444444", linewidth=0.8, linestyle=":", zorder=0)
        ax.annotate(text, (x, y_of[entity]), xytext=(4, 9), textcoords="offset points", fontsize=10,
                    fontweight="bold", color="#222222",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "#888888", "alpha": 0.9},
                    zorder=5)
    labels = dict(zip(shown["entity"], shown.get("entity_label", shown["entity"])))
    ax.set_yticks(range(n_lanes))
    ax.set_yticklabels([_short(labels.get(e, e)) for e in order], fontsize=11 if n_lanes <= 12 else 9)
    ax.set_ylim(n_lanes - 0.5, -0.5)
    for y in range(n_lanes):
        ax.axhline(y, color="#DDDDDD", linewidth=0.6, zorder=0)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(mdates.date2num(x0 - pad), mdates.date2num(x1 + pad))
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=11)
    longest = max((len(_short(labels.get(e, e))) for e in order), default=10)
    fig.subplots_adjust(left=min(0.3, 0.04 + 0.0085 * longest), right=0.84)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10, title="events",
              title_fontsize=10)
    span = f"{x0:%d %b %Y} – {x1:%d %b %Y}"
    note = span
    if hidden:
        n_hidden = int(t[t["entity"].isin(hidden)].shape[0])
        what = "entity" if len(hidden) == 1 else "entities"
        note += f"  ·  {len(hidden)} less active {what} not shown ({n_hidden} event rows)"
    return finish(fig, source=source, date=date, note=note)
