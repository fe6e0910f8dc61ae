"""Link analysis over the case graph: paths, centrality, brokerage, disruption; time (timelines,
activity, identifier switching, co-location). One module per family of questions."""

from .brokerage import ROLES, BrokerageResult, brokerage, brokerage_roles, structural_holes
from .centrality import (MEASURES, GradingSensitivity, KeyPlayers, betweenness, community_key_players,
                         grading_sensitivity, key_players)
from .disruption import (MODES, STRATEGIES, DisruptionComparison, DisruptionResult, collective_influence,
                         compare_strategies, global_efficiency, simulate_disruption)
from .paths import (ConnectingNetwork, PathResult, common_associates, connecting_network, ego_network, find_paths,
                    hop_evidence)
from .switching import (SwitchProposals, confirm_switch, propose_switches, reject_switch, score_switches,
                        switch_decisions, timing_rules)
from .temporal import (CommunityEvolution, activity, bursts, community_evolution, community_members, detect_bursts,
                       evolution_events, link_spans, timeline, users_of, windows)
from .colocation import co_presence, colocations, presences

__all__ = [
    # paths
    "PathResult", "find_paths", "hop_evidence", "ConnectingNetwork", "connecting_network", "ego_network",
    "common_associates",
    # centrality
    "MEASURES", "KeyPlayers", "key_players", "community_key_players", "betweenness", "GradingSensitivity", "grading_sensitivity",
    # brokerage
    "ROLES", "brokerage_roles", "structural_holes", "BrokerageResult", "brokerage",
    # disruption
    "STRATEGIES", "MODES", "DisruptionResult", "simulate_disruption", "DisruptionComparison", "compare_strategies",
    "collective_influence", "global_efficiency",
    # switching
    "SwitchProposals", "score_switches", "timing_rules", "propose_switches", "confirm_switch", "reject_switch",
    "switch_decisions",
    # temporal
    "timeline", "activity", "link_spans", "detect_bursts", "bursts", "community_evolution", "CommunityEvolution",
    "evolution_events", "windows", "community_members", "users_of",
    # colocation
    "colocations", "co_presence", "presences",
]
