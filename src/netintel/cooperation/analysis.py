"""The analysis a cooperation output starts from: graph, communities, typologies, key players.

:func:`analyse_case` runs the link-analysis steps of netintel (:func:`netintel.graph.build_graph`,
:func:`netintel.communities.detect_communities`, :func:`netintel.typology.classify_communities`,
:func:`netintel.analysis.centrality.key_players`) for the originators or for one recipient country
— with ``recipient=`` the graph holds only what that country may receive, so the communities,
typologies and key players are recomputed from it — and keeps the results together, each marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import NetintelError
from ..handling import Marking

__all__ = ["CaseAnalysis", "analyse_case"]


@dataclass(frozen=True, eq=False)
class CaseAnalysis:
    """Graph, communities, typologies and key players of a case, for one view.

    Attributes
    ----------
    graph : :class:`~netintel.graph.CaseGraph` (``recipient``'s view when given)
    communities : :class:`~netintel.communities.CommunityResult`
    typologies : one row per community: ``community, size, typology, probability, indicators...``
        (empty when no typology model is available)
    key_players : ``rank, id, kind, label, ...`` centrality table of the person view
    recipient : the country the analysis was computed for, or None
    """

    graph: Any
    communities: Any
    typologies: pd.DataFrame
    key_players: pd.DataFrame
    recipient: str | None = None

    @property
    def marking(self) -> Marking:
        return self.graph.marking

    @property
    def membership(self) -> pd.DataFrame:
        """``id, community`` of every entity placed in a community."""
        return self.communities.membership[["id", "community"]]

    def members(self, community: Any) -> list[str]:
        m = self.communities.membership
        return sorted(m.loc[m["community"] == community, "id"])

    def key_players_of(self, community: Any, top: int = 5) -> list[str]:
        """The ``top`` key players (by the centrality table's ranking) among a community's persons."""
        members = set(self.members(community))
        t = self.key_players
        t = t[t["id"].isin(members)]
        if "kind" in t:
            t = t[t["kind"].isin(["person", "organisation"])]
        return list(t.sort_values("rank")["id"].head(top))

    def typology_of(self, community: Any) -> str | None:
        t = self.typologies
        if t.empty or "typology" not in t:
            return None
        row = t[t["community"] == community]
        return None if row.empty else str(row.iloc[0]["typology"])

    def __repr__(self) -> str:
        who = f" for {self.recipient}" if self.recipient else ""
        return (f"<CaseAnalysis{who} [{self.marking.banner}]: {len(self.graph.nodes)} entities, "
                f"{self.communities.n_communities} communities>")


def analyse_case(ws: Any, *, recipient: str | None = None, seed: int = 0, min_size: int = 3) -> CaseAnalysis:
    """Graph, communities (seeded Leiden on the person view), typologies and key players.

    ``min_size``: communities with fewer persons are kept in the membership but left out of
    :attr:`CaseAnalysis.typologies` (singletons and pairs are background, not networks).
    """
    from ..analysis.centrality import key_players
    from ..communities import detect_communities
    from ..graph import build_graph

    from ..releasability import view_for_recipient

    ws = view_for_recipient(ws, recipient)  # restrict first: typologies read the recipient's records only
    graph = build_graph(ws, recipient=recipient)
    communities = detect_communities(graph, seed=seed)
    try:
        from ..typology import classify_communities

        sizes = communities.membership.groupby("community").size()
        keep = sizes[sizes >= min_size].index
        membership = communities.membership[communities.membership["community"].isin(keep)]
        typologies = classify_communities(membership, ws) if len(membership) else pd.DataFrame()
    except (ImportError, NetintelError):  # no typology model in this install
        typologies = pd.DataFrame(columns=["community", "typology", "probability"])
    players = key_players(graph.person_view(), seed=seed).table
    return CaseAnalysis(graph, communities, typologies, players, recipient.upper() if recipient else None)
