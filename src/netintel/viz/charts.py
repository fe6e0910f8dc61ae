"""Briefing charts that summarise tables: key players, community overview.

Each function takes a tidy table (as the analysis functions return it) and returns a Figure.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"label": ["Ann", "Bob", "Cem"], "betweenness": [0.5, 0.2, 0.1],
...                   "countries": [["NL"], ["TR", "BG"], []]})
>>> fig = key_player_bars(t, score="betweenness", caveat="TLP:AMBER")
>>> [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
['Cem', 'Bob (TR,BG)', 'Ann (NL)']
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import PALETTE, briefing_figure, finish

__all__ = ["key_player_bars", "community_overview"]

TYPOLOGY_COLOURS: dict[str, str] = {
    "drug_trafficking": PALETTE[3], "human_smuggling": PALETTE[1], "cybercrime": PALETTE[0],
    "money_laundering": PALETTE[2], "other": PALETTE[8],
}


def _name(row: pd.Series, pseudonyms: Mapping[Any, str] | None) -> str:
    name = (pseudonyms or {}).get(row.get("id"), row.get("label") or row.get("id"))
    cc = row.get("countries")
    if isinstance(cc, (list, tuple, np.ndarray)) and len(cc):
        return f"{name} ({','.join(map(str, list(cc)[:2]))})"
    return str(name)


def key_player_bars(table: pd.DataFrame, *, score: str, top: int = 15, title: str | None = None,
                    caveat: str | None = None, source: str | None = None, date: str | None = None,
                    pseudonyms: Mapping[Any, str] | None = None) -> Figure:
    """Horizontal bars of the ``top`` entities by ``score``, best at the top, country beside the name."""
    t = table.sort_values(score, ascending=False).head(top).iloc[::-1]
    fig, ax = briefing_figure(title or f"Key players by {score.replace('_', ' ')}", caveat=caveat)
    names = [_name(r, pseudonyms) for _, r in t.iterrows()]
    colours = [TYPOLOGY_COLOURS.get(str(r.get("typology")), PALETTE[0]) for _, r in t.iterrows()]
    ax.barh(names, t[score].astype(float), color=colours)
    longest = max((len(n) for n in names), default=10)
    fig.subplots_adjust(left=min(0.4, 0.03 + 0.0085 * longest))
    ax.set_xlabel(score.replace("_", " "))
    ax.grid(axis="y", visible=False)
    for y, v in enumerate(t[score].astype(float)):
        ax.text(v, y, f" {v:.3g}", va="center", fontsize=9)
    note = f"top {len(t)} of {len(table)} entities" if len(table) > top else None
    return finish(fig, source=source, date=date, note=note)


def community_overview(summary: pd.DataFrame, *, title: str = "Networks found", caveat: str | None = None,
                       source: str | None = None, date: str | None = None, top: int = 20) -> Figure:
    """Bars of community sizes coloured by typology, with the typology probability written on each.

    ``summary`` has ``community, size`` and optionally ``typology, probability, priority``.
    """
    order = "priority" if "priority" in summary else "size"
    t = summary.sort_values(order, ascending=False).head(top).iloc[::-1]
    fig, ax = briefing_figure(title, caveat=caveat)
    labels = [f"community {c}" for c in t["community"]]
    typ = t["typology"] if "typology" in t else pd.Series(["other"] * len(t), index=t.index)
    ax.barh(labels, t["size"], color=[TYPOLOGY_COLOURS.get(str(x), PALETTE[8]) for x in typ])
    for y, (_, r) in enumerate(t.iterrows()):
        text = str(r.get("typology", "")).replace("_", " ")
        if "probability" in r and r["probability"] == r["probability"]:
            text += f" ({float(r['probability']):.0%})"
        ax.text(r["size"], y, f"  {text}", va="center", fontsize=9)
    ax.set_xlabel("entities")
    ax.grid(axis="y", visible=False)
    note = f"top {len(t)} of {len(summary)} communities by {order}" if len(summary) > top else None
    return finish(fig, source=source, date=date, note=note)
