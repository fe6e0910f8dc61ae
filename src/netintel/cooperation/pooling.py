"""Pooling gain: what each agency sees alone against what the partners see together.

The argument a briefing makes for a Joint Investigation Team: alone, each partner holds a
fragment of the network — a few entities, fewer links, a piece of it connected — and misses some
key players; pooled (and resolved across agencies), the network appears whole.

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> g = pooling_gain(demo_workspace())
>>> g.table[["holder", "n_entities", "n_links", "largest_connected"]].to_dict("records")
... # doctest: +NORMALIZE_WHITESPACE
[{'holder': 'all partners', 'n_entities': 8, 'n_links': 8, 'largest_connected': 8},
 {'holder': 'Police BE', 'n_entities': 4, 'n_links': 3, 'largest_connected': 4},
 {'holder': 'Politie NL', 'n_entities': 4, 'n_links': 4, 'largest_connected': 4},
 {'holder': 'BKA', 'n_entities': 2, 'n_links': 1, 'largest_connected': 2}]
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import networkx as nx
import pandas as pd
from matplotlib.figure import Figure

from ..handling import Marking
from ._records import CaseRecords, node_labels, scoped_records
from .jurisdictions import default_key_players
from .markings import MarkedResult, banner_html

__all__ = ["PoolingGain", "pooling_gain"]

TOGETHER = "all partners"


def _ties(records: CaseRecords) -> set[tuple[str, str, str]]:
    lk = records.links
    return {(min(s, t), max(s, t), k) for s, t, k in zip(lk["source_node"], lk["target_node"], lk["kind"]) if s != t}


def _largest(nodes: set[str], ties: set[tuple[str, str, str]]) -> int:
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from((a, b) for a, b, _ in ties)
    return max((len(c) for c in nx.connected_components(g)), default=0)


@dataclass(frozen=True, eq=False)
class PoolingGain(MarkedResult):
    """Each agency's view of a community against the pooled view.

    ``table`` has one row per holder (``all partners`` first): ``n_entities`` and ``n_links``
    (distinct resolved entities and ties it reports), ``entity_share`` and ``link_share`` of the
    pooled totals, ``largest_connected`` (entities in the largest connected piece it can see on its
    own records) and its ``connected_share``, ``key_players_seen`` of ``n_key_players``, and the
    names of the key players it ``misses``.
    """

    table: pd.DataFrame
    key_players: tuple[str, ...]
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "recipient": self.recipient, "key_players": list(self.key_players), "pooling": self.table}

    def chart(self, *, title: str = "What each partner sees alone, and together", source: str | None = None,
              date: str | None = None) -> Figure:
        """Grouped bars per holder: share of entities, of links and of the largest connected piece."""
        from ..viz.style import PALETTE, briefing_figure, finish

        t = self.table.iloc[::-1].reset_index(drop=True)
        fig, ax = briefing_figure(title, caveat=self.caveat)
        h = 0.26
        ys = range(len(t))
        for i, (col, name) in enumerate([("entity_share", "entities"), ("link_share", "links"),
                                         ("connected_share", "largest connected piece")]):
            ax.barh([y + (1 - i) * h for y in ys], t[col].astype(float), height=h, color=PALETTE[i], label=name)
        labels = [f"{r.holder}\nkey players {r.key_players_seen}/{r.n_key_players}" for r in t.itertuples()]
        ax.set_yticks(list(ys), labels)
        ax.set_xlim(0, 1.05)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_xlabel("share of the pooled picture")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        fig.subplots_adjust(left=0.2)
        return finish(fig, source=source, date=date, note="entities resolved across agencies")

    def __repr__(self) -> str:
        parts = [f"{r.holder} {r.entity_share:.0%}" for r in self.table.itertuples()]
        return f"<PoolingGain [{self.caveat}]: entities seen — {', '.join(parts)}>"

    def _repr_html_(self) -> str:
        return (banner_html(self.marking, self.recipient) + "<h4>Pooling gain</h4>"
                + self.table.to_html(index=False, float_format=lambda x: f"{x:.2f}") + html.escape(""))


def pooling_gain(source: Any, members: Iterable[str] | None = None, *, recipient: str | None = None,
                 key_players: Sequence[str] | None = None, by: str = "agency", expand: bool = True) -> PoolingGain:
    """What each agency (or country, ``by="country"``) sees alone against everyone together.

    Parameters
    ----------
    source : a Workspace or :class:`~netintel.cooperation.CaseRecords`
    members : entity ids of the community or targets; None for the whole case
    recipient : compute only from what this country may receive
    key_players : entity ids of the key players; default :func:`~netintel.cooperation.jurisdictions.default_key_players`
    by : ``"agency"`` or ``"country"`` (the agencies of one country pooled)
    """
    if by not in ("agency", "country"):
        raise ValueError("by must be 'agency' or 'country'")
    records = scoped_records(source, members, recipient=recipient, expand=expand)
    labels = node_labels(records)
    resolved = dict(zip(records.entities["entity_id"], records.entities["node"]))
    players = tuple(resolved.get(p, p) for p in key_players) if key_players is not None else tuple(
        default_key_players(records))
    all_nodes = set(records.entities["node"])
    all_ties = _ties(records)
    total_largest = _largest(all_nodes, all_ties)

    def row(holder: str, country: str, part: CaseRecords) -> dict[str, Any]:
        nodes = set(part.entities["node"])
        ties = _ties(part)
        # A tie an agency reports makes both ends known to it, even without an entity record.
        nodes |= {a for a, _, _ in ties} | {b for _, b, _ in ties}
        largest = _largest(nodes, ties)
        seen = [p for p in players if p in nodes]
        return {"holder": holder, "country": country, "n_entities": len(nodes), "n_links": len(ties),
                "entity_share": len(nodes) / max(1, len(all_nodes)), "link_share": len(ties) / max(1, len(all_ties)),
                "largest_connected": largest, "connected_share": largest / max(1, total_largest),
                "key_players_seen": len(seen), "n_key_players": len(players),
                "misses": [labels.get(p, p) for p in players if p not in nodes]}

    rows = [row(TOGETHER, "", records)]
    groups = records.entities[["agency", "country"]].drop_duplicates()
    groups = pd.concat([groups, records.links[["agency", "country"]].drop_duplicates()]).drop_duplicates()
    if by == "country":
        for cc in sorted(set(groups["country"])):
            rows.append(row(cc, cc, records.held_by([cc])))
    else:
        for agency, cc in sorted(set(map(tuple, groups.to_numpy()))):
            part = CaseRecords(records.entities[records.entities["agency"] == agency],
                               records.links[records.links["agency"] == agency],
                               records.events[records.events["agency"] == agency], records.partners, records.recipient)
            rows.append(row(agency, cc, part))
    table = pd.DataFrame(rows)
    head, rest = table.iloc[:1], table.iloc[1:].sort_values(["n_entities", "holder"], ascending=[False, True])
    table = pd.concat([head, rest]).reset_index(drop=True)
    return PoolingGain(table, players, records.marking(), records.record_ids, records.recipient)
