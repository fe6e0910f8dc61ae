"""Prioritisation: a transparent harm and threat score per community.

Scarce resources go to the highest-impact targets. The score is a weighted mean of components
between 0 and 1 — the kind of crime (typology weight x classifier probability), size (persons),
reach (countries involved), money moved, and indicators of violence and of exploitation — and every
component, weight and contribution is shown beside the score. Weights live in
``schema/priorities.yaml`` and round-trip through :class:`PriorityWeights`.

Examples
--------
>>> w = PriorityWeights.load()
>>> w.weights["typology"], w.typology_weights["human_smuggling"]
(0.3, 1.0)
>>> round(w.component("size", 50), 3), round(w.component("reach", 1), 3), round(w.component("reach", 6), 3)
(1.0, 0.0, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import yaml
from matplotlib.figure import Figure

from .._text import word_matcher
from .._text import words as tokens
from ..errors import SchemaError
from ..handling import Marking
from ._records import IDENTIFIER_KINDS, CaseRecords, marking_of_frames, node_kinds, scoped_records
from .jurisdictions import node_countries
from .markings import MarkedResult, banner_html

__all__ = ["PriorityWeights", "Priorities", "priority_scores", "COMPONENTS"]

COMPONENTS: tuple[str, ...] = ("typology", "size", "reach", "money", "violence", "exploitation")


@dataclass(frozen=True)
class PriorityWeights:
    """The weights, typology weights, caps and indicator words of the priority score."""

    weights: Mapping[str, float]
    typology_weights: Mapping[str, float]
    caps: Mapping[str, float]
    indicators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PriorityWeights":
        errors = {}
        weights = {k: float(v) for k, v in (data.get("weights") or {}).items()}
        for k in weights:
            if k not in COMPONENTS:
                errors[f"weights.{k}"] = f"unknown component; use {', '.join(COMPONENTS)}"
        for k, v in weights.items():
            if v < 0:
                errors[f"weights.{k}"] = "must be >= 0"
        if weights and sum(weights.values()) <= 0:
            errors["weights"] = "at least one weight must be positive"
        caps = {k: float(v) for k, v in (data.get("caps") or {}).items()}
        for k, v in caps.items():
            if v <= 0 or (k == "reach" and v <= 1):
                errors[f"caps.{k}"] = "must be positive (reach: more than 1 country)"
        if errors:
            raise SchemaError("invalid priority settings", errors)
        return cls({c: weights.get(c, 0.0) for c in COMPONENTS},
                   {k: float(v) for k, v in (data.get("typology_weights") or {}).items()},
                   {"size": 50, "reach": 6, "money": 1e7, "violence": 3, "exploitation": 3, **caps},
                   {k: tuple(str(x).lower() for x in v) for k, v in (data.get("indicators") or {}).items()})

    @classmethod
    def load(cls, path: str | Path | None = None) -> "PriorityWeights":
        """The packaged settings, or a YAML file of the same shape."""
        text = Path(path).read_text("utf-8") if path else (
            resources.files("netintel") / "schema" / "priorities.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text) or {})

    def to_dict(self) -> dict[str, Any]:
        return {"weights": dict(self.weights), "typology_weights": dict(self.typology_weights),
                "caps": dict(self.caps), "indicators": {k: list(v) for k, v in self.indicators.items()}}

    def save(self, path: str | Path) -> Path:
        """Write the settings as YAML (they load back equal)."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path

    def with_weights(self, **weights: float) -> "PriorityWeights":
        """A copy with some component weights changed: ``w.with_weights(money=0.4)``."""
        return PriorityWeights.from_dict({**self.to_dict(), "weights": {**self.weights, **weights}})

    def component(self, name: str, value: float) -> float:
        """The 0..1 component of a raw value (log scale for size and money, linear otherwise)."""
        cap = float(self.caps[name])
        if value is None or value != value or value <= 0:
            return 0.0
        if name in ("size", "money"):
            return min(1.0, math.log1p(value) / math.log1p(cap))
        if name == "reach":
            return min(1.0, max(0.0, (value - 1) / (cap - 1)))
        return min(1.0, value / cap)


@dataclass(frozen=True, eq=False)
class Priorities(MarkedResult):
    """Scores per community, with raw values, components and contributions.

    ``table`` columns: ``rank, community, score`` (0-100), the raw values (``typology, probability,
    persons, countries, money, violence_records, exploitation_records``), one ``c_<component>`` (0..1)
    and one ``w_<component>`` (points it contributes to the score) per component, and the
    indicator words found.
    """

    table: pd.DataFrame
    settings: PriorityWeights
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "recipient": self.recipient, "weights": self.settings.to_dict(), "priorities": self.table}

    def chart(self, *, top: int = 15, title: str = "Priority: harm and threat score by community",
              source: str | None = None, date: str | None = None) -> Figure:
        """Stacked bars of each component's contribution to the score, highest priority at the top."""
        from ..viz.style import PALETTE, briefing_figure, finish

        t = self.table.head(top).iloc[::-1]
        fig, ax = briefing_figure(title, caveat=self.caveat)
        if t.empty:
            ax.text(0.5, 0.5, "no community to score", ha="center", va="center", transform=ax.transAxes)
            return finish(fig, source=source, date=date)
        left = pd.Series(0.0, index=t.index)
        names = [f"community {c}" + (f" · {str(ty).replace('_', ' ')}" if isinstance(ty, str) and ty else "")
                 for c, ty in zip(t["community"], t["typology"])]
        for i, comp in enumerate(COMPONENTS):
            vals = t[f"w_{comp}"].astype(float)
            ax.barh(names, vals, left=left, color=PALETTE[i % len(PALETTE)],
                    label=f"{comp} (weight {self.settings.weights[comp]:g})")
            left += vals
        for y, v in enumerate(t["score"]):
            ax.text(v, y, f" {v:.0f}", va="center", fontsize=10, fontweight="bold")
        ax.set_xlim(0, 105)
        ax.set_xlabel("score (0-100)")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", fontsize=9)
        fig.subplots_adjust(left=0.25)
        return finish(fig, source=source, date=date, note="weights: schema/priorities.yaml, settable")

    def __repr__(self) -> str:
        rows = ", ".join(f"{r.community}: {r.score:.0f}" for r in self.table.head(5).itertuples())
        return f"<Priorities [{self.caveat}]: {rows}>"

    def _repr_html_(self) -> str:
        w = ", ".join(f"{k} {v:g}" for k, v in self.settings.weights.items())
        return (banner_html(self.marking, self.recipient) + f"<p>Weights: {w}</p>"
                + self.table.to_html(index=False, float_format=lambda x: f"{x:.2f}"))


#: Property names whose values are ids or type codes, not text (``stix_type: threat-actor`` is no threat).
_CODE_SUFFIXES = ("_id", "_ids", "_type", "_schema", "_ref", "_refs")


def _text_of(props: Any) -> list[str]:
    return [str(v) for k, v in (props or {}).items() if not str(k).endswith(_CODE_SUFFIXES)]


def _record_tokens(records: CaseRecords) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``record, node, tokens`` of every entity record and ``record, tokens`` of every link record, once.

    Labels and property values are read; kinds, property names and id or type-code properties
    (``stix_type``, ``ftm_schema``, ``..._id``) are not text: the kind ``threat_actor`` is no threat.
    """
    e, lk = records.entities, records.links
    ent = pd.DataFrame({"record": e["entity_id"], "node": e["node"],
                        "tokens": [tokens(" ".join([str(label or ""), *_text_of(props)]))
                                   for label, props in zip(e["label"], e["properties"])]})
    links = pd.DataFrame({"record": lk["link_id"], "tokens": [tokens(" ".join(_text_of(props)))
                                                              for props in lk["properties"]]})
    return ent, links


def _scopes(records: CaseRecords, membership: pd.DataFrame, expand: bool) -> pd.DataFrame:
    """``node, community``: each community's members and (with ``expand``) the identifiers linked to them.

    One pass over the links for all communities (:meth:`CaseRecords.within` per community scans
    every record once per community).
    """
    e = records.entities
    by_record = dict(zip(e["entity_id"], e["node"]))
    known = set(e["node"])
    members = pd.DataFrame({"node": [by_record.get(m, m) for m in membership["id"].astype(str)],
                            "community": membership["community"].to_numpy()})
    members = members[members["node"].isin(known)].drop_duplicates()
    if not expand or records.links.empty or members.empty:
        return members
    kinds = node_kinds(records)
    lk = records.links[["source_node", "target_node"]]
    pairs = pd.concat([lk.rename(columns={"source_node": "node", "target_node": "other"}),
                       lk.rename(columns={"target_node": "node", "source_node": "other"})], ignore_index=True)
    pairs = pairs[pairs["other"].map(kinds).isin(IDENTIFIER_KINDS)]
    extra = pairs.merge(members, on="node")[["other", "community"]].rename(columns={"other": "node"})
    return pd.concat([members, extra], ignore_index=True).drop_duplicates().reset_index(drop=True)


def _by_community(members: pd.DataFrame, id_col: str, hits: pd.DataFrame) -> dict[Any, pd.DataFrame]:
    """Community -> the rows of ``hits`` (one per record, ``record`` = ``id_col``) of its members."""
    if members.empty or hits.empty:
        return {}
    joined = members[["community", id_col]].drop_duplicates().merge(hits, left_on=id_col, right_on="record")
    return dict(list(joined.groupby("community", sort=True)))


def priority_scores(source: Any, membership: pd.DataFrame, *, typologies: pd.DataFrame | None = None,
                    weights: PriorityWeights | str | Path | None = None, recipient: str | None = None,
                    expand: bool = True) -> Priorities:
    """Score every community of ``membership`` (``id, community``).

    Parameters
    ----------
    source : a Workspace or :class:`~netintel.cooperation.CaseRecords`
    membership : one row per entity: ``id`` (resolved id) and ``community``
    typologies : ``community, typology, probability`` (from :mod:`netintel.typology`); without it
        the typology component uses ``other``'s weight
    weights : :class:`PriorityWeights`, a YAML path, or None for the packaged settings
    recipient : compute only from what this country may receive
    expand : the identifiers (phones, accounts, companies...) linked to members count with them

    Notes
    -----
    Indicator words are matched against the words of each record's label and property values
    (:func:`netintel._text.words`), never as substrings and never against kinds. All communities are scored in
    one grouped pass over the records.
    """
    settings = weights if isinstance(weights, PriorityWeights) else PriorityWeights.load(weights)
    records = scoped_records(source, None, recipient=recipient)
    typ = {}
    if typologies is not None and len(typologies):
        for r in typologies.itertuples():
            typ[r.community] = (str(r.typology), float(getattr(r, "probability", 1.0)))
    total_w = sum(settings.weights.values()) or 1.0
    scope = _scopes(records, membership, expand)
    e, lk, ev = records.entities, records.links, records.events
    ent_c = e.merge(scope, on="node")
    link_c = (lk.merge(scope.rename(columns={"node": "source_node"}), on="source_node")
              .merge(scope.rename(columns={"node": "target_node", "community": "_t"}), on="target_node"))
    link_c = link_c[link_c["community"] == link_c["_t"]].drop(columns="_t")
    ev_c = pd.concat([ev.merge(scope.rename(columns={"node": "source_node"}), on="source_node"),
                      ev.merge(scope.rename(columns={"node": "target_node"}), on="target_node")])
    ev_c = ev_c.drop_duplicates(["event_id", "community"]) if "event_id" in ev_c else ev_c
    ent_tok, link_tok = _record_tokens(records)
    match = {name: word_matcher(settings.indicators.get(name, ())) for name in ("violence", "exploitation")}
    hits = {name: [m(t) for t in ent_tok["tokens"]] for name, m in match.items()}
    link_hits = {name: [m(t) for t in link_tok["tokens"]] for name, m in match.items()}
    ent_hits = pd.DataFrame({"record": ent_tok["record"], **hits})
    lhits = pd.DataFrame({"record": link_tok["record"], **link_hits})
    countries = node_countries(records).merge(scope, on="node") if len(scope) else None
    kinds = node_kinds(records)
    rows, frames = [], []
    ids: set[str] = set()
    ent_groups = dict(list(ent_c.groupby("community", sort=True)))
    link_groups = dict(list(link_c.groupby("community", sort=True)))
    ev_groups = dict(list(ev_c.groupby("community", sort=True)))
    country_groups = dict(list(countries.groupby("community"))) if countries is not None and len(countries) else {}
    # each community's indicator hits in one grouped pass (not a scan of every record per community)
    ent_hit_groups = _by_community(ent_c, "entity_id", ent_hits)
    link_hit_groups = _by_community(link_c, "link_id", lhits)
    for community in sorted(ent_groups):
        pe = ent_groups[community]
        pl = link_groups.get(community, lk.iloc[:0])
        pv = ev_groups.get(community, ev.iloc[:0])
        frames += [pe, pl, pv]
        ids |= set(pe["entity_id"]) | set(pl["link_id"]) | set(pv.get("event_id", []))
        nodes = set(pe["node"])
        persons = sum(1 for n in nodes if kinds.get(n) == "person")
        found_countries = sorted(set(country_groups[community]["country"])) if community in country_groups else []
        transfers = pl[pl["kind"] == "transfer"]
        money = float(pd.to_numeric(transfers["amount"], errors="coerce").fillna(0).sum())
        found = {}
        eh, lh = ent_hit_groups.get(community, ent_hits.iloc[:0]), link_hit_groups.get(community, lhits.iloc[:0])
        for name in ("violence", "exploitation"):
            per_record = [h for h in eh[name] if h] + [h for h in lh[name] if h]
            found[name] = (len(per_record), sorted(set().union(*per_record)) if per_record else [])
        (n_violence, violence_words), (n_exploit, exploit_words) = found["violence"], found["exploitation"]
        typology, probability = typ.get(community, ("other", 1.0))
        comps = {
            "typology": settings.typology_weights.get(typology, settings.typology_weights.get("other", 0.0)) * probability,
            "size": settings.component("size", persons), "reach": settings.component("reach", len(found_countries)),
            "money": settings.component("money", money), "violence": settings.component("violence", n_violence),
            "exploitation": settings.component("exploitation", n_exploit)}
        contrib = {c: 100.0 * settings.weights[c] * comps[c] / total_w for c in COMPONENTS}
        rows.append({"community": community, "score": sum(contrib.values()), "typology": typology,
                     "probability": probability, "persons": persons, "entities": len(nodes),
                     "countries": found_countries, "money": money, "violence_records": n_violence,
                     "exploitation_records": n_exploit,
                     **{f"c_{c}": comps[c] for c in COMPONENTS}, **{f"w_{c}": contrib[c] for c in COMPONENTS},
                     "indicators": violence_words + exploit_words})
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["score", "community"], ascending=[False, True]).reset_index(drop=True)
        table.insert(0, "rank", range(1, len(table) + 1))
    marking = marking_of_frames(*frames, partners=records.partners)
    return Priorities(table, settings, marking, frozenset(ids), records.recipient)
