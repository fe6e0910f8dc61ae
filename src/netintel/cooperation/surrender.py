"""Surrender planning: who can arrest and surrender each key player, and in which order to arrest.

For each key player, the countries that could arrest them are where the records place them:
their residence, the countries whose networks their handsets used (the mobile country code of the
cells in their call records: an operator's call record carries the calling handset's cell) and
their nationality (a national may return home). For each such country netintel says how the
person would reach the requesting country:

* arrested in the requesting country: no surrender needed (``domestic``);
* between EU states: a European Arrest Warrant (FD 2002/584/JHA); nationality is no ground for
  refusal, though return to serve the sentence may be required (art. 5(3));
* otherwise the first instrument that binds both of :data:`SURRENDER_ORDER` (EU-Iceland/Norway
  surrender agreement, EU-UK TCA, the 1957 European Convention on Extradition, the EU-US
  agreement). When the person is a national of the arresting country, that country's rule on
  extraditing its nationals (``schema/legal_countries.yaml``) decides: ``barred`` and
  ``treaty_only`` are never planned on, ``conditional`` is planned with its condition, ``unknown``
  is never planned on.

The **arrest sequence** takes the key players some country can act on and arrests them in the
order that breaks the network most at each step: each candidate's arrest is simulated with
:func:`netintel.analysis.disruption.simulate_disruption` and the one leaving the smallest largest
connected component (then the lowest global efficiency, then the smallest id) goes next. The same
search over every key player, the law ignored, is shown beside it (``unconstrained``) so the cost
of the legal constraints is visible.

Examples
--------
>>> surrender_route("DE", "NL", nationalities=["DE"]).status
'possible'
>>> r = surrender_route("TR", "NL", nationalities=["TR"])
>>> r.status, r.instrument
('barred', 'ets024')
>>> surrender_route("TR", "NL", nationalities=["NL"]).status
'possible'
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd
import yaml
from matplotlib.figure import Figure

from ..errors import NetintelError
from ..handling import Marking
from ._records import CaseRecords, node_kinds, node_labels, scoped_records
from .jurisdictions import default_key_players, node_countries
from .legal import LegalReference, legal_reference
from .markings import MarkedResult, banner_html
from .routes import _code

__all__ = ["SurrenderRoute", "SurrenderPlan", "surrender_route", "surrender_plan", "SURRENDER_ORDER", "ACTIONABLE",
           "cell_country"]

#: Surrender instruments, most integrated first (the EAW is tried before them).
SURRENDER_ORDER: tuple[str, ...] = ("eaw", "eu_no_is_surrender", "eu_uk_tca", "ets024", "eu_us_extradition")
#: Statuses a plan may act on.
ACTIONABLE: tuple[str, ...] = ("domestic", "possible", "conditional")
_STATUS_RANK = {"domestic": 0, "possible": 1, "conditional": 2, "unknown": 3, "barred": 4, "no route known": 5}
_BASIS_RANK = {"residence": 0, "handset seen": 1, "nationality": 2}


@lru_cache(maxsize=1)
def _mcc() -> dict[str, str]:
    path = Path(__file__).resolve().parent.parent / "schema" / "mcc.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    return {str(k): str(v) for k, v in data["mcc"].items()}


def cell_country(cell: Any) -> str | None:
    """ISO2 country of a cell id from its mobile country code (``"20408-6429-40051"`` -> ``"NL"``).

    >>> cell_country("20408-6429-40051"), cell_country("286-01-2"), cell_country("cell 7")
    ('NL', 'TR', None)
    """
    if not isinstance(cell, str) or len(cell) < 3 or not cell[:3].isdigit():
        return None
    return _mcc().get(cell[:3])


@dataclass(frozen=True)
class SurrenderRoute:
    """How a person arrested in ``custodial`` reaches ``requesting``.

    ``status``: ``domestic``, ``possible``, ``conditional`` (planned on, with ``reason`` saying the
    condition), ``barred`` (a nationality bar), ``unknown`` (an instrument or the bar is not
    established) or ``no route known``.
    """

    custodial: str
    requesting: str
    national: bool
    status: str
    instrument: str | None
    mechanism: str
    reason: str
    source: str
    duration: str

    @property
    def actionable(self) -> bool:
        return self.status in ACTIONABLE


def surrender_route(custodial: str, requesting: str, *, nationalities: Iterable[str] = (),
                    reference: LegalReference | None = None) -> SurrenderRoute:
    """The surrender route from ``custodial`` (where the person is arrested) to ``requesting``.

    Parameters
    ----------
    custodial, requesting : ISO2 codes
    nationalities : the person's nationalities (ISO2); decide whether a nationality bar applies
    reference : the legal reference data (default: the packaged files)
    """
    ref = reference or legal_reference()
    c, r = _code(custodial, "custodial"), _code(requesting, "requesting")
    nationalities = [str(n).upper() for n in nationalities]
    national = c in nationalities
    if c == r:
        return SurrenderRoute(c, r, national, "domestic", None, "arrest in the requesting country",
                              f"{ref.name(r)} arrests and prosecutes under its own law", "", "")
    chosen, unknown = None, []
    for iid in SURRENDER_ORDER:
        inst = ref.instruments.get(iid)
        if inst is None:
            continue
        bound = inst.binds(c, r)
        if bound:
            chosen = inst
            break
        if bound is None:
            unknown.append(iid)
    if chosen is None:
        if unknown:
            return SurrenderRoute(c, r, national, "unknown", None, "not established",
                                  f"whether {', '.join(unknown)} binds {ref.name(c)} and {ref.name(r)} is not "
                                  "established in the reference data", "", "unknown")
        return SurrenderRoute(c, r, national, "no route known", None, "none known",
                              f"no extradition instrument binding {ref.name(c)} and {ref.name(r)} is known; ask the "
                              "central authority about a bilateral treaty or extradition on reciprocity", "",
                              "unknown")
    mechanism = chosen.form
    duration = chosen.duration
    if chosen.nationals == "surrendered" or not national:
        reason = (f"{chosen.title}: nationality is no ground for refusal; return to serve the sentence may be "
                  "required (art. 5(3))" if national and chosen.id == "eaw" else f"{chosen.title}")
        if chosen.nationals != "surrendered" and not nationalities and ref.nationals_rule(c) != "none":
            reason += (f"; nationality not on record: if the person is a national of {ref.name(c)}, "
                       f"its rule applies ({ref.nationals_rule(c)})")
        return SurrenderRoute(c, r, national, "possible", chosen.id, mechanism, reason, chosen.source, duration)
    law = ref.country(c)
    rule = law.nationals_outside_eaw if law else "unknown"
    cited = law.source if law else "not in the reference data"
    name = ref.name(c)
    alternative = (f"; ask {name} to prosecute its national itself (ETS 024 art. 6(2)) or transfer the proceedings"
                   if chosen.id == "ets024" else f"; ask {name} to prosecute its national itself")
    if rule == "none":
        return SurrenderRoute(c, r, national, "possible", chosen.id, mechanism,
                              f"{name} extradites its nationals ({cited})", chosen.source, duration)
    if rule == "conditional":
        return SurrenderRoute(c, r, national, "conditional", chosen.id, mechanism,
                              f"{name} extradites its nationals only on conditions: {cited}", chosen.source, duration)
    if rule == "barred":
        return SurrenderRoute(c, r, national, "barred", chosen.id, mechanism,
                              f"{name} does not extradite its nationals outside the EAW: {cited}" + alternative,
                              law.source if law else "", duration)
    if rule == "treaty_only":
        return SurrenderRoute(c, r, national, "barred", chosen.id, mechanism,
                              f"{name} extradites its nationals only where a treaty expressly provides ({cited}); "
                              f"not established for {chosen.id}" + alternative, law.source if law else "", duration)
    return SurrenderRoute(c, r, national, "unknown", chosen.id, mechanism,
                          f"whether {name} extradites its nationals is not established ({cited})" + alternative,
                          law.source if law else "", duration)


def _presence(records: CaseRecords, players: Sequence[str], places: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per player: country -> how the records place the player there (residence, handset seen, nationality)."""
    kinds = node_kinds(records)
    lk, ev = records.links, records.events
    out: dict[str, dict[str, list[str]]] = {p: defaultdict(list) for p in players}
    for n, c, b in zip(places["node"], places["country"], places["basis"]):
        if n in out and b in ("residence", "nationality"):
            out[n][c].append(b)
    uses = lk[lk["kind"].isin(["uses", "owns"]) & lk["source_node"].isin(players)]
    phones: dict[str, set[str]] = defaultdict(set)
    for s, t in zip(uses["source_node"], uses["target_node"]):
        if kinds.get(t) == "phone":
            phones[t].add(s)
    if len(ev) and "place" in ev:
        calls = ev[ev["kind"].eq("call") & ev["source_node"].isin(list(phones))]
        seen: dict[tuple[str, str], int] = Counter()
        for phone, place in zip(calls["source_node"], calls["place"]):
            cc = cell_country(place)
            if cc:
                for p in phones[phone]:
                    seen[(p, cc)] += 1
        for (p, cc), n in sorted(seen.items()):
            out[p][cc].append(f"handset seen ({n} call{'s' if n > 1 else ''})")
    return {p: {c: "; ".join(sorted(set(b), key=lambda x: _BASIS_RANK.get(x.split(" (")[0], 9)))
                for c, b in d.items()} for p, d in out.items()}


@dataclass(frozen=True, eq=False)
class SurrenderPlan(MarkedResult):
    """Who can arrest and surrender each key player, and the arrest sequence.

    Attributes
    ----------
    requesting : the country that wants the players surrendered (issues the warrants)
    options : one row per (player, country that could arrest): basis, national, status, instrument,
        mechanism, reason, source
    players : one row per key player: nationality, where the records place them, the countries
        that can act (``can_act``), the best option (``arrest_in``, ``mechanism``, ``status``)
    sequence : the arrest order among players some country can act on: step, node, label,
        arrest_in, status, lcc_size, lcc_fraction, efficiency_fraction after the arrest
    unconstrained : the same search over every key player, the law ignored
    not_actionable : players no country can act on
    """

    requesting: str
    options: pd.DataFrame
    players: pd.DataFrame
    sequence: pd.DataFrame
    unconstrained: pd.DataFrame
    not_actionable: tuple[str, ...]
    strategy_note: str
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "recipient": self.recipient, "requesting": self.requesting, "players": self.players,
                "options": self.options, "sequence": self.sequence, "unconstrained": self.unconstrained,
                "not_actionable": list(self.not_actionable), "method": self.strategy_note}

    def chart(self, *, title: str | None = None, source: str | None = None, date: str | None = None) -> Figure:
        """What is left of the network (largest component) after each arrest: legal plan against law ignored."""
        from ..viz.style import PALETTE, briefing_figure, finish

        fig, ax = briefing_figure(title or f"Arrest sequence (surrender to {self.requesting})", caveat=self.caveat)
        for frame, label, colour, style in ((self.unconstrained, "law ignored", "#999999", "--"),
                                            (self.sequence, "legally feasible", PALETTE[0], "-")):
            steps = [0] + list(frame["step"])
            values = [1.0] + list(frame["lcc_fraction"])
            ax.plot(steps, values, style, marker="o", color=colour, lw=2, label=label)
        for row in self.sequence.itertuples():
            ax.annotate(f"{row.label} ({row.arrest_in})", (row.step, row.lcc_fraction), textcoords="offset points",
                        xytext=(4, 6), fontsize=9)
        ax.set_ylim(0, 1.08)
        ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_xlabel("arrests")
        ax.set_ylabel("largest connected part left")
        ax.legend(loc="upper right")
        note = f"{len(self.not_actionable)} key player(s) no country can act on" if self.not_actionable else None
        return finish(fig, source=source, date=date, note=note)

    def __repr__(self) -> str:
        last = self.sequence["lcc_fraction"].iloc[-1] if len(self.sequence) else 1.0
        return (f"<SurrenderPlan to {self.requesting} [{self.caveat}]: {len(self.players)} key players, "
                f"{len(self.sequence)} arrestable, {len(self.not_actionable)} not; the sequence leaves "
                f"{last:.0%} of the largest component>")

    def _repr_html_(self) -> str:
        cols = ["label", "nationality", "placed_in", "can_act", "arrest_in", "mechanism", "status"]
        return (banner_html(self.marking, self.recipient)
                + f"<h4>Surrender to {html.escape(self.requesting)}</h4>"
                + self.players[cols].to_html(index=False, escape=True)
                + "<h4>Arrest sequence</h4>"
                + self.sequence.to_html(index=False, escape=True, float_format=lambda x: f"{x:.3f}"))


def _states(graph: Any) -> Callable[[set[str]], tuple[int, float]]:
    """(largest component, global efficiency) of ``graph`` without a set of persons, as the
    disruption simulation measures its intact network; the graph is converted once and each
    state is an induced subgraph of it (the same vertices in the same order as converting the
    narrowed graph, so the same sampled sources)."""
    from ..analysis.disruption import network_state

    base = graph.to_igraph()
    index = {name: i for i, name in enumerate(base.vs["name"])}

    def state(removed: set[str]) -> tuple[int, float]:
        gone = sorted({index[r] for r in removed if r in index})
        g = base.copy()
        g.delete_vertices(gone)  # the others keep their order
        return network_state(g)

    return state


def _sequence(graph: Any, candidates: Sequence[str], where: dict[str, tuple[str, str]],
              labels: dict[str, str]) -> pd.DataFrame:
    state = _states(graph)
    lcc0, eff0 = state(set())
    removed: set[str] = set()
    left = [c for c in candidates if c in set(graph.ids)]
    rows = []
    while left:
        scored = []
        for c in left:
            lcc, eff = state(removed | {c})
            scored.append((lcc, round(eff, 10), c))
        lcc, eff, pick = min(scored)
        removed.add(pick)
        left.remove(pick)
        country, status = where.get(pick, ("", ""))
        rows.append({"step": len(rows) + 1, "node": pick, "label": labels.get(pick, pick), "arrest_in": country,
                     "status": status, "lcc_size": lcc, "lcc_fraction": lcc / lcc0 if lcc0 else 0.0,
                     "efficiency_fraction": eff / eff0 if eff0 else 0.0})
    return pd.DataFrame(rows, columns=["step", "node", "label", "arrest_in", "status", "lcc_size", "lcc_fraction",
                                       "efficiency_fraction"])


def surrender_plan(source: Any, members: Iterable[str] | None = None, *, requesting: str,
                   key_players: Sequence[str] | None = None, graph: Any = None, recipient: str | None = None,
                   top: int = 5, expand: bool = True, reference: LegalReference | None = None) -> SurrenderPlan:
    """Surrender options for each key player and an arrest sequence some country can carry out.

    Parameters
    ----------
    source : a Workspace or :class:`~netintel.cooperation.CaseRecords`
    members : entity ids of the community; None for the whole case
    requesting : ISO2 of the country that wants the players surrendered
    key_players : entity ids to plan for (default: :func:`default_key_players`, ``top`` of them)
    graph : the person graph the arrests are simulated on, narrowed to ``members`` when given
        (default: ``build_graph(ws).person_view()``; required when ``source`` is CaseRecords)
    recipient : compute only from what this country may receive
    reference : the legal reference data (default: the packaged files)
    """
    requesting = _code(requesting, "requesting")
    ref = reference or legal_reference()
    records = scoped_records(source, members, recipient=recipient, expand=expand)
    places = node_countries(records)
    resolved = dict(zip(records.entities["entity_id"], records.entities["node"]))
    players = ([resolved.get(p, p) for p in key_players] if key_players is not None
               else default_key_players(records, top))
    kinds, labels = node_kinds(records), node_labels(records)
    players = [p for p in dict.fromkeys(players) if p in kinds]
    presence = _presence(records, players, places)
    nats: dict[str, set[str]] = {p: set() for p in players}
    for n, c, b in zip(places["node"], places["country"], places["basis"]):
        if n in nats and b == "nationality":
            nats[n].add(c)
    nationality = {p: sorted(v) for p, v in nats.items()}
    option_rows, player_rows = [], []
    best: dict[str, tuple[str, str]] = {}
    for p in players:
        opts = []
        for country, basis in sorted(presence[p].items()):
            route = surrender_route(country, requesting, nationalities=nationality[p], reference=ref)
            opts.append((route, basis))
            option_rows.append({"node": p, "label": labels.get(p, p), "country": country, "basis": basis,
                                **{k: v for k, v in asdict(route).items() if k not in ("custodial", "requesting")}})
        opts.sort(key=lambda x: (_STATUS_RANK[x[0].status], _BASIS_RANK.get(x[1].split(";")[0].split(" (")[0], 9),
                                 x[0].custodial))
        can_act = sorted({r.custodial for r, _ in opts if r.actionable})
        top_route = opts[0][0] if opts else None
        if top_route is not None and top_route.actionable:
            best[p] = (top_route.custodial, top_route.status)
        player_rows.append({
            "node": p, "label": labels.get(p, p), "nationality": nationality[p],
            "placed_in": "; ".join(f"{c}: {b}" for c, b in sorted(presence[p].items())),
            "can_act": can_act,
            "arrest_in": top_route.custodial if top_route is not None and top_route.actionable else None,
            "mechanism": top_route.mechanism if top_route is not None and top_route.actionable else None,
            "status": (top_route.status if top_route is not None and top_route.actionable
                       else ("no country can act" if opts else "not located"))})
    options = pd.DataFrame(option_rows, columns=["node", "label", "country", "basis", "national", "status",
                                                 "instrument", "mechanism", "reason", "source", "duration"])
    player_table = pd.DataFrame(player_rows, columns=["node", "label", "nationality", "placed_in", "can_act",
                                                      "arrest_in", "mechanism", "status"])
    if graph is None:
        if isinstance(source, CaseRecords):
            raise NetintelError("surrender_plan needs graph= (the person view the arrests are simulated on) when "
                                "given CaseRecords; pass build_graph(ws).person_view()")
        from ..graph import build_graph

        graph = build_graph(source, recipient=recipient).person_view()
    from ..analysis._graphs import as_case_graph

    graph = as_case_graph(graph)
    if members is not None:  # the network in scope, not the whole case
        wanted = set(records.nodes)
        graph = graph.subgraph([n for n in graph.ids if n in wanted])
    actionable = [p for p in players if p in best]
    sequence = _sequence(graph, actionable, best, labels)
    unconstrained = _sequence(graph, players, {p: best.get(p, ("-", "not actionable")) for p in players}, labels)
    note = ("greedy: at each step the arrest leaving the smallest largest connected component (then the lowest "
            "global efficiency, then the smallest id), each simulated with simulate_disruption")
    return SurrenderPlan(requesting, options, player_table, sequence, unconstrained,
                         tuple(p for p in players if p not in best), note, records.marking(), records.record_ids,
                         records.recipient)
