"""Joint Investigation Team recommendation: the fewest countries that together hold enough evidence.

The evidence on a community is counted in *units*: each distinct (resolved) entity and each
distinct tie between two entities. A country covers a unit when one of its agencies holds a record
of it. The recommendation is the smallest set of countries that together cover at least
``min_share`` of the units — found exactly, by enumerating sets of countries by size, when there
are at most ``max_exact`` candidate countries, greedily beyond — with ranked alternatives and what
each added country brings. ``measure="records"`` counts records instead of distinct units (each
record is held by exactly one agency, so shares then add up).

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> r = recommend_jit(demo_workspace(), min_share=0.8)
>>> r.countries, round(r.share, 3), r.method
(('NL', 'BE'), 0.875, 'exact')
>>> r.steps[["country", "new_units", "cumulative_share"]].round(3).to_dict("records")
[{'country': 'NL', 'new_units': 8, 'cumulative_share': 0.5}, {'country': 'BE', 'new_units': 6, 'cumulative_share': 0.875}]
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Sequence

import pandas as pd
from matplotlib.figure import Figure

from ..handling import Marking
from ._records import CaseRecords, node_kinds, scoped_records
from .markings import MarkedResult, banner_html

__all__ = ["JitRecommendation", "recommend_jit", "evidence_units", "covered_share", "JitFeasibility", "feasible_jit",
           "jit_basis", "JIT_BASES"]


def evidence_units(records: CaseRecords, *, measure: str = "units") -> pd.DataFrame:
    """One row per (unit, holder country): the evidence units and who holds them.

    ``measure="units"``: units are resolved entities (``E:<id>``) and ties (``T:<a>|<b>|<kind>``, ends
    sorted); ``measure="records"``: every entity, link and event record is its own unit.
    """
    if measure not in ("units", "records"):
        raise ValueError("measure must be 'units' or 'records'")
    e, lk, ev = records.entities, records.links, records.events
    if measure == "records":
        frames = [pd.DataFrame({"unit": e["entity_id"], "country": e["country"], "kind": "entity"}),
                  pd.DataFrame({"unit": lk["link_id"], "country": lk["country"], "kind": "link"}),
                  pd.DataFrame({"unit": ev["event_id"], "country": ev["country"], "kind": "event"})]
    else:
        ties = [f"T:{min(s, t)}|{max(s, t)}|{k}" for s, t, k in zip(lk["source_node"], lk["target_node"], lk["kind"])]
        frames = [pd.DataFrame({"unit": "E:" + e["node"].astype(str), "country": e["country"], "kind": "entity"}),
                  pd.DataFrame({"unit": ties, "country": lk["country"], "kind": "link"})]
        # A tie an agency reports is evidence on both its ends too.
        for end in ("source_node", "target_node"):
            frames.append(pd.DataFrame({"unit": "E:" + lk[end].astype(str), "country": lk["country"],
                                        "kind": "entity"}))
    out = pd.concat(frames, ignore_index=True).dropna(subset=["country"]).drop_duplicates()
    return out.sort_values(["unit", "country"]).reset_index(drop=True)


def covered_share(units: pd.DataFrame, countries: Iterable[str]) -> float:
    """Share of the units held by at least one of ``countries`` (the check of a claimed share)."""
    total = units["unit"].nunique()
    if total == 0:
        return 0.0
    cs = {c.upper() for c in countries}
    return units.loc[units["country"].isin(cs), "unit"].nunique() / total


@dataclass(frozen=True, eq=False)
class JitRecommendation(MarkedResult):
    """The recommended team, its alternatives and what each member brings.

    Attributes
    ----------
    countries : the recommended countries, in the order they add most
    share : share of the evidence units they hold together (0..1)
    min_share : the share asked for; ``achieved`` says whether it is reached
    method : ``"exact"`` (every set of countries of each size tried) or ``"greedy"``
    alternatives : ranked sets that reach the target — the smallest size by share, then sets one
        country larger — rank, countries, n_countries, share, n_units
    steps : the recommended countries one by one: new units (entities, ties) and cumulative share
    coverage : each candidate country alone: agencies, units, share
    n_units, measure : how many units, and what a unit is (``units`` or ``records``)
    """

    countries: tuple[str, ...]
    share: float
    min_share: float
    achieved: bool
    method: str
    alternatives: pd.DataFrame
    steps: pd.DataFrame
    coverage: pd.DataFrame
    n_units: int
    measure: str
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "recipient": self.recipient, "countries": list(self.countries), "share": self.share,
                "min_share": self.min_share, "achieved": self.achieved, "method": self.method,
                "measure": self.measure, "n_units": self.n_units, "steps": self.steps,
                "alternatives": self.alternatives, "coverage": self.coverage}

    def chart(self, *, title: str | None = None, source: str | None = None, date: str | None = None) -> Figure:
        """Cumulative share of the evidence as each recommended country joins, against the target."""
        from ..viz.style import PALETTE, briefing_figure, finish

        fig, ax = briefing_figure(title or f"Joint Investigation Team: {', '.join(self.countries) or 'none'}",
                                  caveat=self.caveat)
        s = self.steps
        before = ([0.0] + list(s["cumulative_share"].iloc[:-1]))[:len(s)]
        ax.bar(s["country"], s["cumulative_share"] - pd.Series(before, index=s.index, dtype=float), bottom=before,
               color=PALETTE[0], label="added by this country")
        ax.bar(s["country"], before, color="#cccccc", label="already covered")
        ax.axhline(self.min_share, color=PALETTE[3], ls="--", lw=1.5, label=f"target {self.min_share:.0%}")
        for x, (v, n) in enumerate(zip(s["cumulative_share"], s["new_units"])):
            ax.text(x, v, f"{v:.0%}\n+{n}", ha="center", va="bottom", fontsize=10)
        ax.set_ylim(0, 1.12)
        ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_ylabel(f"share of the evidence ({self.n_units} {self.measure})")
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper left")
        alt = "; ".join(f"{'+'.join(r.countries)} {r.share:.0%}" for r in self.alternatives.iloc[1:4].itertuples())
        return finish(fig, source=source, date=date,
                      note=f"{self.method} search" + (f"; alternatives: {alt}" if alt else ""))

    def __repr__(self) -> str:
        status = "reaches" if self.achieved else "falls short of"
        return (f"<JitRecommendation [{self.caveat}]: {', '.join(self.countries) or '-'} hold {self.share:.1%} "
                f"of the evidence ({status} {self.min_share:.0%}; {self.method}, {self.n_units} {self.measure})>")

    def _repr_html_(self) -> str:
        status = "reaches" if self.achieved else "falls short of"
        return (banner_html(self.marking, self.recipient)
                + f"<h4>Recommended team: {html.escape(', '.join(self.countries))}</h4>"
                + f"<p>{self.share:.1%} of the evidence ({status} the {self.min_share:.0%} asked; {self.method})</p>"
                + self.steps.to_html(index=False, float_format=lambda x: f"{x:.3f}")
                + "<h4>Alternatives</h4>" + self.alternatives.to_html(index=False, float_format=lambda x: f"{x:.3f}"))


def _describe(units: Iterable[str], kinds: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for u in units:
        if u.startswith("E:"):
            k = kinds.get(u[2:], "entity")
        elif u.startswith("T:"):
            k = "tie"
        else:
            k = "record"
        counts[k] = counts.get(k, 0) + 1
    def plural(k: str, n: int) -> str:
        k = k.replace("_", " ")
        return k if n == 1 else (k + "es" if k.endswith(("s", "x", "sh", "ch")) else k + "s")

    return ", ".join(f"{n} {plural(k, n)}" for k, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])))


def recommend_jit(source: Any, members: Iterable[str] | None = None, *, min_share: float = 0.8,
                  recipient: str | None = None, include: Sequence[str] = (), candidates: Sequence[str] | None = None,
                  measure: str = "units", max_exact: int = 15, top: int = 5, expand: bool = True) -> JitRecommendation:
    """The smallest set of countries whose agencies hold at least ``min_share`` of the evidence.

    Parameters
    ----------
    source : a Workspace or :class:`~netintel.cooperation.CaseRecords`
    members : entity ids of the community; None for the whole case
    min_share : the share of the evidence units the team must hold together (0..1)
    recipient : compute only from what this country may receive
    include : countries that are in the team whatever happens (the lead country)
    candidates : the countries that may join (default: every country holding evidence)
    measure : ``"units"`` (distinct entities and ties) or ``"records"``
    max_exact : up to this many candidates the search is exact; beyond it is greedy
    top : how many ranked alternatives to list

    Ties between sets of the same size are broken by the larger share, then alphabetically, so the
    result is the same run after run.
    """
    if not 0 < min_share <= 1:
        raise ValueError("min_share must be in (0, 1]")
    records = scoped_records(source, members, recipient=recipient, expand=expand)
    units = evidence_units(records, measure=measure)
    all_units = sorted(set(units["unit"]))
    index = {u: i for i, u in enumerate(all_units)}
    n_units = len(all_units)
    holders = sorted(set(units["country"]))
    pool = sorted({c.upper() for c in candidates}) if candidates is not None else holders
    forced = tuple(sorted({c.upper() for c in include}))
    pool = sorted(set(pool) | set(forced))
    masks: dict[str, int] = {c: 0 for c in pool}
    for u, c in zip(units["unit"], units["country"]):
        if c in masks:
            masks[c] |= 1 << index[u]
    need = min_share * n_units

    def cover(cs: Iterable[str]) -> int:
        m = 0
        for c in cs:
            m |= masks[c]
        return m

    free = [c for c in pool if c not in forced]
    base = cover(forced)
    found: list[tuple[tuple[str, ...], int]] = []
    method = "exact" if len(free) <= max_exact else "greedy"
    if method == "exact":
        best_k = None
        for k in range(0, len(free) + 1):
            level = []
            for combo in combinations(free, k):
                n = (base | cover(combo)).bit_count()
                level.append((tuple(sorted(forced + combo)), n))
            hits = [x for x in level if x[1] >= need - 1e-9]
            if best_k is None and hits:
                best_k = k
                found.extend(sorted(hits, key=lambda x: (-x[1], x[0])))
            elif best_k is not None:  # next size up: the sets that reach the target too
                found.extend(sorted(hits, key=lambda x: (-x[1], x[0])))
            if best_k is not None and (len(found) >= top or k > best_k):
                break
        if best_k is None:  # even everyone together falls short
            found = [(tuple(sorted(pool)), cover(pool).bit_count())]
    else:
        starts = sorted(free, key=lambda c: (-(base | masks[c]).bit_count(), c))[:max(1, top)]
        for first in starts:
            team, m = list(forced) + [first], base | masks[first]
            while m.bit_count() < need - 1e-9:
                rest = [c for c in free if c not in team]
                if not rest:
                    break
                nxt = max(rest, key=lambda c: ((m | masks[c]).bit_count(), [-ord(ch) for ch in c]))
                team.append(nxt)
                m |= masks[nxt]
            found.append((tuple(sorted(team)), m.bit_count()))
        found = sorted(set(found), key=lambda x: (len(x[0]), -x[1], x[0]))
    best, best_n = found[0]
    alternatives = pd.DataFrame(
        [{"rank": i + 1, "countries": list(cs), "n_countries": len(cs), "share": n / max(1, n_units),
          "n_units": n, "reaches_target": n >= need - 1e-9} for i, (cs, n) in enumerate(found[:top])],
        columns=["rank", "countries", "n_countries", "share", "n_units", "reaches_target"])

    # What each member brings, in the order that adds most (forced members first).
    kinds = node_kinds(records)
    agencies = units.merge(
        pd.concat([records.entities[["country", "agency"]], records.links[["country", "agency"]]]).drop_duplicates(),
        on="country").groupby("country")["agency"].agg(lambda s: sorted(set(s)))
    order: list[str] = []
    m = 0
    remaining = list(best)
    steps = []
    while remaining:
        pick_from = [c for c in remaining if c in forced] or remaining
        nxt = min(pick_from, key=lambda c: (-(m | masks[c]).bit_count(), c))
        remaining.remove(nxt)
        new = (m | masks[nxt]) & ~m
        new_units = [all_units[i] for i in range(n_units) if new >> i & 1]
        m |= masks[nxt]
        order.append(nxt)
        steps.append({"step": len(order), "country": nxt, "agencies": agencies.get(nxt, []),
                      "new_units": len(new_units), "brings": _describe(new_units, kinds),
                      "cumulative_units": m.bit_count(), "cumulative_share": m.bit_count() / max(1, n_units)})
    steps_df = pd.DataFrame(steps, columns=["step", "country", "agencies", "new_units", "brings", "cumulative_units",
                                            "cumulative_share"])
    coverage = pd.DataFrame(
        [{"country": c, "agencies": agencies.get(c, []), "n_units": masks[c].bit_count(),
          "share": masks[c].bit_count() / max(1, n_units)} for c in pool],
        columns=["country", "agencies", "n_units", "share"]).sort_values(
        ["n_units", "country"], ascending=[False, True]).reset_index(drop=True)
    return JitRecommendation(
        countries=tuple(order), share=best_n / max(1, n_units), min_share=min_share, achieved=best_n >= need - 1e-9,
        method=method, alternatives=alternatives, steps=steps_df, coverage=coverage, n_units=n_units,
        measure=measure, marking=records.marking(), record_ids=records.record_ids, recipient=records.recipient)


# -- legal feasibility -----------------------------------------------------------------------------

#: Instruments that give a standing legal basis for a JIT between two countries, most specific first.
JIT_BASES: tuple[str, ...] = ("eu_jit_fd", "eu_no_is_mla", "ets182", "eu_us_mla")
#: Instruments under which a JIT needs an agreement made for the case (UNTOC art. 19).
JIT_AD_HOC: tuple[str, ...] = ("untoc",)


def jit_basis(a: str, b: str, *, reference: Any = None) -> tuple[str, str | None]:
    """The legal basis for ``a`` and ``b`` to be in one JIT: ``(status, instrument)``.

    ``status`` is ``"in force"`` (a standing basis: the EU framework decision, the EU-Iceland/Norway
    agreement, ETS 182 art. 20, the EU-US agreement art. 5), ``"ad hoc agreement"`` (only UNTOC art.
    19: possible by an agreement made for the case), ``"unknown"`` (a basis may exist but is not
    established) or ``"none known"``.

    >>> jit_basis("NL", "BE"), jit_basis("NL", "CH"), jit_basis("NL", "CO")
    (('in force', 'eu_jit_fd'), ('in force', 'ets182'), ('ad hoc agreement', 'untoc'))
    """
    from .legal import legal_reference

    ref = reference or legal_reference()
    a, b = a.upper(), b.upper()
    if a == b:
        return "in force", None
    if ref.country(a) is None or ref.country(b) is None:
        return "none known", None  # not in the reference data: nothing is known about it
    unknown = None
    for iid in JIT_BASES:
        inst = ref.instruments.get(iid)
        bound = inst.binds(a, b) if inst is not None else False
        if bound:
            return "in force", iid
        if bound is None and unknown is None:
            unknown = iid
    for iid in JIT_AD_HOC:
        inst = ref.instruments.get(iid)
        if inst is not None and inst.binds(a, b):
            return "ad hoc agreement", iid
    return ("unknown", unknown) if unknown else ("none known", None)


@dataclass(frozen=True, eq=False)
class JitFeasibility(MarkedResult):
    """The JIT recommendation with the law applied, beside the unconstrained optimum.

    Attributes
    ----------
    feasible : the best team whose every pair of members has a standing legal basis (None if none)
    with_agreement : the best team when pairs that need an ad hoc agreement (UNTOC art. 19) are allowed,
        when it differs from ``feasible``; ``needs`` says which agreements it would take
    unconstrained : :func:`recommend_jit` with the law ignored
    comparison : one row per option: option, countries, share, reaches_target, legal (what it needs)
    pairs : the legal basis of every pair of candidate countries (a, b, status, instrument)
    members : each country of the unconstrained team: whether it can join the others and how
    """

    feasible: JitRecommendation | None
    with_agreement: JitRecommendation | None
    needs: tuple[str, ...]
    unconstrained: JitRecommendation
    comparison: pd.DataFrame
    pairs: pd.DataFrame
    members: pd.DataFrame
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    @property
    def countries(self) -> tuple[str, ...]:
        """The recommended (legally feasible) team; empty when no team can be formed."""
        return self.feasible.countries if self.feasible is not None else ()

    def to_dict(self) -> dict[str, Any]:
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "recipient": self.recipient, "countries": list(self.countries),
                "feasible": self.feasible.to_dict() if self.feasible is not None else None,
                "with_agreement": self.with_agreement.to_dict() if self.with_agreement is not None else None,
                "needs": list(self.needs), "unconstrained": self.unconstrained.to_dict(),
                "comparison": self.comparison, "pairs": self.pairs, "members": self.members}

    def __repr__(self) -> str:
        f = self.feasible
        legal = (f"{', '.join(f.countries)} hold {f.share:.1%}" if f is not None else "no legally feasible team")
        return (f"<JitFeasibility [{self.caveat}]: {legal}; law ignored {', '.join(self.unconstrained.countries)} "
                f"hold {self.unconstrained.share:.1%}>")

    def _repr_html_(self) -> str:
        return (banner_html(self.marking, self.recipient)
                + f"<h4>Legally feasible team: {html.escape(', '.join(self.countries) or 'none')}</h4>"
                + self.comparison.to_html(index=False, escape=True, float_format=lambda x: f"{x:.3f}")
                + "<h4>Members of the unconstrained team</h4>" + self.members.to_html(index=False, escape=True))


def _cliques(countries: Sequence[str], ok: dict[tuple[str, str], bool], forced: Sequence[str]) -> list[tuple[str, ...]]:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(countries)
    g.add_edges_from((a, b) for (a, b), v in ok.items() if v)
    found = sorted({tuple(sorted(c)) for c in nx.find_cliques(g) if set(forced) <= set(c)})
    return found


def _team_rank(r: JitRecommendation) -> tuple:
    """Better teams sort first: reaching the target with the fewest countries, then the largest share."""
    return (0, len(r.countries), -r.share) if r.achieved else (1, -r.share, len(r.countries))


def _best_in(records: CaseRecords, groups: list[tuple[str, ...]], kw: dict[str, Any]) -> JitRecommendation | None:
    """The best recommendation within any one group: reaching the target with the fewest countries, then
    the largest share; short of it, the largest share. A team has at least two countries."""
    best = None
    for group in groups:
        if len(group) < 2:
            continue
        r = recommend_jit(records, candidates=list(group), **kw)
        key = (*_team_rank(r), r.countries)
        if best is None or key < best[0]:
            best = (key, r)
    return best[1] if best else None


def feasible_jit(source: Any, members: Iterable[str] | None = None, *, min_share: float = 0.8,
                 recipient: str | None = None, include: Sequence[str] = (), measure: str = "units",
                 max_exact: int = 15, top: int = 5, expand: bool = True, reference: Any = None) -> JitFeasibility:
    """:func:`recommend_jit` among countries that can legally form a team together.

    A team is feasible when every pair of its members has a standing legal basis (:func:`jit_basis`).
    The search runs :func:`recommend_jit` within each largest group of mutually compatible countries
    (holding evidence, and containing ``include``) and keeps the team that reaches ``min_share`` with
    the fewest countries, then the largest share. The same search allowing pairs that need an ad hoc
    agreement (UNTOC art. 19) is reported beside it when it does better, with the agreements it
    needs, and the unconstrained optimum with every member's legal status.

    Examples
    --------
    >>> from netintel.cooperation._demo import demo_workspace
    >>> f = feasible_jit(demo_workspace(), min_share=0.8)
    >>> f.countries, f.comparison["option"].tolist()
    (('NL', 'BE'), ['legally feasible', 'law ignored'])
    """
    from .legal import legal_reference

    ref = reference or legal_reference()
    records = scoped_records(source, members, recipient=recipient, expand=expand)
    kw = dict(min_share=min_share, include=include, measure=measure, max_exact=max_exact, top=top)
    unconstrained = recommend_jit(records, **kw)
    forced = sorted({c.upper() for c in include})
    pool = sorted(set(unconstrained.coverage["country"]) | set(forced))
    pair_rows, standing, agreed = [], {}, {}
    for a, b in combinations(pool, 2):
        status, inst = jit_basis(a, b, reference=ref)
        pair_rows.append({"a": a, "b": b, "status": status, "instrument": inst})
        standing[(a, b)] = status == "in force"
        agreed[(a, b)] = status in ("in force", "ad hoc agreement")
    pairs = pd.DataFrame(pair_rows, columns=["a", "b", "status", "instrument"])
    feasible = _best_in(records, _cliques(pool, standing, forced), kw)
    with_agreement = _best_in(records, _cliques(pool, agreed, forced), kw)
    needs: tuple[str, ...] = ()
    if with_agreement is not None:
        team = sorted(with_agreement.countries)
        needs = tuple(f"{a}-{b}: ad hoc JIT agreement under UNTOC art. 19" for a, b in combinations(team, 2)
                      if not standing[(a, b)])
        if not needs or (feasible is not None and _team_rank(feasible) <= _team_rank(with_agreement)):
            with_agreement, needs = None, ()

    def status_of(team: Sequence[str]) -> str:
        problems = []
        for a, b in combinations(sorted(team), 2):
            status, inst = jit_basis(a, b, reference=ref)
            if status != "in force":
                problems.append(f"{a}-{b} {status}" + (f" ({inst})" if inst else ""))
        return "standing legal basis between every pair" if not problems else "; ".join(problems)

    options = [("legally feasible", feasible), ("with ad hoc agreements", with_agreement),
               ("law ignored", unconstrained)]
    comparison = pd.DataFrame(
        [{"option": name, "countries": list(r.countries), "n_countries": len(r.countries), "share": r.share,
          "reaches_target": r.achieved, "legal": status_of(r.countries)} for name, r in options if r is not None],
        columns=["option", "countries", "n_countries", "share", "reaches_target", "legal"])
    member_rows = []
    for c in unconstrained.countries:
        others = [o for o in unconstrained.countries if o != c]
        bases = [(o, *jit_basis(c, o, reference=ref)) for o in others]
        worst = max((b[1] for b in bases), key=["in force", "ad hoc agreement", "unknown", "none known"].index,
                    default="in force")
        member_rows.append({"country": c, "status": worst,
                            "with": "; ".join(f"{o}: {s}" + (f" ({i})" if i else "") for o, s, i in bases)})
    members_df = pd.DataFrame(member_rows, columns=["country", "status", "with"])
    return JitFeasibility(feasible, with_agreement, needs, unconstrained, comparison, pairs, members_df,
                          records.marking(), records.record_ids, records.recipient)
