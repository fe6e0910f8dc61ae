"""Charts of analysis results: key players and simulated disruption.

The analysis modules return data (tables, frozen results); drawing them is done here, so that
analysis never imports matplotlib.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from ..errors import NetintelError
from .charts import key_player_bars
from .style import briefing_figure, colour_for, finish

__all__ = ["key_players_chart", "plot_disruption"]


def key_players_chart(players: Any, *, top: int = 15, by: str | None = None, title: str | None = None,
                      source: str | None = None) -> Figure:
    """Horizontal bars of the top entities of a :class:`~netintel.analysis.KeyPlayers` result.

    >>> import networkx as nx
    >>> from netintel.analysis import key_players
    >>> fig = key_players_chart(key_players(nx.karate_club_graph()), top=5)
    >>> len(fig.axes[0].patches)
    5
    """
    t = players.table.copy()
    t["countries"] = [[c] if isinstance(c, str) else [] for c in t["country"]]
    return key_player_bars(t, score=by or players.by, top=top, title=title, caveat=players.marking.banner,
                           source=source, date=None)


def plot_disruption(results: Any, *, title: str | None = None, source: str | None = None,
                    date: str | None = None) -> Figure:
    """LCC fraction and global efficiency against removals, one line per strategy and mode.

    ``results``: a :class:`~netintel.analysis.DisruptionComparison` or a list of
    :class:`~netintel.analysis.DisruptionResult`.

    Returns a matplotlib Figure in the briefing style (caveat banner = the graph's marking).

    >>> import networkx as nx
    >>> from netintel.analysis import simulate_disruption
    >>> fig = plot_disruption([simulate_disruption(nx.path_graph(5), steps=2)])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['largest component (fraction of original)', 'global efficiency (fraction of original)']
    """
    runs = list(getattr(results, "results", results))  # a DisruptionComparison or a list of results
    if not runs:
        raise NetintelError("nothing to plot: pass at least one DisruptionResult")
    caveat = runs[0].marking.banner
    fig, (ax1, ax2) = briefing_figure(title or "Simulated arrests: what is left of the network", caveat=caveat,
                                      ncols=2)
    styles = {"sequential": "-", "block": "--"}
    strategies = list(dict.fromkeys(r.strategy for r in runs))
    for r in runs:
        colour = colour_for(strategies.index(r.strategy))
        label = f"{r.strategy.replace('_', ' ')} ({r.mode})"
        ax1.plot(r.steps["step"], r.steps["lcc_fraction"], styles.get(r.mode, "-"), color=colour, marker="o",
                 markersize=3, label=label)
        ax2.plot(r.steps["step"], r.steps["efficiency_fraction"], styles.get(r.mode, "-"), color=colour, marker="o",
                 markersize=3, label=label)
    for ax, ylabel in ((ax1, "largest component (fraction of original)"),
                       (ax2, "global efficiency (fraction of original)")):
        ax.set_xlabel("entities removed")
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1.05)
    # one legend for both panels, beside them: inside an axis it hid the curves it names
    handles, labels = ax1.get_legend_handles_labels()
    fig.subplots_adjust(right=0.8, wspace=0.28)
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.81, 0.5), fontsize=9, frameon=False,
               title="strategy (removal)", title_fontsize=10)
    return finish(fig, source=source, date=date,
                  note=f"{runs[0].steps['n_remaining'].iloc[0]} entities; {runs[0].method}")
