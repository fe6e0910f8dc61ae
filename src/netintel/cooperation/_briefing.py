"""The legal tables of the briefing pack: routes, the legally feasible JIT and the surrender table."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from .jit import feasible_jit
from .jurisdictions import case_jurisdictions
from .routes import legal_routes
from .surrender import surrender_plan

__all__ = ["legal_tables"]


def legal_tables(ws: Any, members: Sequence[str], *, recipient: str | None, min_share: float,
                 requesting: str | None = None, key_players: Sequence[str] | None = None,
                 graph: Any = None) -> dict[str, pd.DataFrame]:
    """``legal_routes``, ``jit_feasibility`` and ``surrender`` tables for one network, from only what
    ``recipient`` may receive. ``requesting`` defaults to the recipient, else the country holding most
    of the evidence on the network."""
    jur = case_jurisdictions(ws, members, recipient=recipient)
    lead = (requesting or recipient or (jur.evidence["country"].iloc[0] if len(jur.evidence) else None))
    if lead is None:
        return {}
    routes = legal_routes(lead, [c for c in jur.countries["country"] if c != lead.upper()])
    feasible = feasible_jit(ws, members, min_share=min_share, recipient=recipient)
    plan = surrender_plan(ws, members, requesting=lead, key_players=key_players, recipient=recipient, graph=graph)
    return {
        "legal_routes": routes.table[["requested", "requested_name", "status", "instrument", "form", "channel",
                                      "police_channel", "duration", "reference"]].assign(requesting=routes.requesting),
        "jit_feasibility": feasible.comparison,
        "surrender": plan.players.drop(columns=["node"]).merge(
            plan.sequence[["label", "step"]].rename(columns={"step": "arrest_step"}), on="label", how="left")
        .assign(requesting=plan.requesting),
    }
