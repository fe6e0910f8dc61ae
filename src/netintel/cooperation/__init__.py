"""Cross-border cooperation: markings that follow the analysis, jurisdictions, pooling gain,
Joint Investigation Team recommendation (and which teams can legally be formed), mutual legal
assistance annex, legal routes per country, surrender planning and prioritisation.

Every function takes a :class:`~netintel.workspace.Workspace` (or records loaded once with
:func:`load_records`), optionally the entity ids of a community or of a set of targets, and
``recipient=`` to compute the view for one country from only what it may receive. Every result
carries the marking of what it was computed from (``.marking``, ``.record_ids``) and shows it.

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> ws = demo_workspace()
>>> recommend_jit(ws, min_share=0.8).countries
('NL', 'BE')
>>> case_jurisdictions(ws, recipient="NL").marking.banner
'TLP:AMBER+STRICT — releasable to NL — NOT FOR USE AS EVIDENCE IN COURT'
"""

from ._records import CaseRecords, load_records
from .analysis import CaseAnalysis, analyse_case
from .jit import JitFeasibility, JitRecommendation, covered_share, evidence_units, feasible_jit, jit_basis, recommend_jit
from .jurisdictions import Jurisdictions, case_jurisdictions, country_flows, evidence_holders, node_countries
from .markings import (Marked, ReleasabilityError, assert_releasable, community_markings, mark, mark_graph_result,
                       marking_of, releasable_record_ids, view_for)
from .legal import LegalReference, legal_reference
from .mla import MlaAnnex, mla_annex
from .pooling import PoolingGain, pooling_gain
from .priorities import Priorities, PriorityWeights, priority_scores
from .routes import LegalRoutes, Route, legal_route, legal_routes
from .surrender import SurrenderPlan, SurrenderRoute, surrender_plan, surrender_route

__all__ = [
    "CaseRecords", "load_records", "view_for", "CaseAnalysis", "analyse_case",
    "Marked", "mark", "marking_of", "mark_graph_result", "community_markings", "assert_releasable",
    "releasable_record_ids", "ReleasabilityError",
    "Jurisdictions", "case_jurisdictions", "node_countries", "evidence_holders", "country_flows",
    "PoolingGain", "pooling_gain",
    "JitRecommendation", "recommend_jit", "evidence_units", "covered_share",
    "JitFeasibility", "feasible_jit", "jit_basis",
    "LegalReference", "legal_reference", "Route", "LegalRoutes", "legal_route", "legal_routes",
    "SurrenderRoute", "SurrenderPlan", "surrender_route", "surrender_plan",
    "MlaAnnex", "mla_annex",
    "Priorities", "PriorityWeights", "priority_scores",
]
