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

__all__ = ["JitRecommendation", "recommend_jit", "evidence_units", "covered_share"]


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
