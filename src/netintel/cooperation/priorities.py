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

from ..errors import SchemaError
from ..handling import Marking
from ._records import CaseRecords, marking_of_frames, node_kinds, scoped_records
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


def _texts(records: CaseRecords) -> list[tuple[str, str]]:
    """(record id, lower-case text) of every entity and link record."""
    out = []
    for rid, label, props, kind in zip(records.entities["entity_id"], records.entities["label"],
                                       records.entities["properties"], records.entities["kind"]):
        out.append((rid, " ".join([str(label or ""), kind, *map(str, (props or {}).values())]).lower()))
    for rid, kind, props in zip(records.links["link_id"], records.links["kind"], records.links["properties"]):
        out.append((rid, " ".join([kind.replace("_", " "), *map(str, (props or {}).values())]).lower()))
    return out


def _indicators(texts: list[tuple[str, str]], words: Iterable[str]) -> tuple[int, list[str]]:
    words = list(words)
    hit_records, found = 0, set()
    for _, text in texts:
        hits = [w for w in words if w in text]
        if hits:
            hit_records += 1
            found.update(hits)
    return hit_records, sorted(found)


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
    """
    settings = weights if isinstance(weights, PriorityWeights) else PriorityWeights.load(weights)
    records = scoped_records(source, None, recipient=recipient)
    typ = {}
    if typologies is not None and len(typologies):
        for r in typologies.itertuples():
            typ[r.community] = (str(r.typology), float(getattr(r, "probability", 1.0)))
    total_w = sum(settings.weights.values()) or 1.0
    rows, frames = [], []
    ids: set[str] = set()
    for community, group in membership.groupby("community", sort=True):
        part = records.within(group["id"], expand=expand)
        if part.entities.empty:
            continue
        frames += [part.entities, part.links, part.events]
        ids |= part.record_ids
        kinds = node_kinds(part)
        persons = sum(1 for k in kinds.values() if k == "person")
        countries = sorted(set(node_countries(part)["country"]))
        transfers = part.links[part.links["kind"] == "transfer"]
        money = float(pd.to_numeric(transfers["amount"], errors="coerce").fillna(0).sum())
        texts = _texts(part)
        n_violence, violence_words = _indicators(texts, settings.indicators.get("violence", ()))
        n_exploit, exploit_words = _indicators(texts, settings.indicators.get("exploitation", ()))
        typology, probability = typ.get(community, ("other", 1.0))
        comps = {
            "typology": settings.typology_weights.get(typology, settings.typology_weights.get("other", 0.0)) * probability,
            "size": settings.component("size", persons), "reach": settings.component("reach", len(countries)),
            "money": settings.component("money", money), "violence": settings.component("violence", n_violence),
            "exploitation": settings.component("exploitation", n_exploit)}
        contrib = {c: 100.0 * settings.weights[c] * comps[c] / total_w for c in COMPONENTS}
        rows.append({"community": community, "score": sum(contrib.values()), "typology": typology,
                     "probability": probability, "persons": persons, "entities": len(kinds),
                     "countries": countries, "money": money, "violence_records": n_violence,
                     "exploitation_records": n_exploit,
                     **{f"c_{c}": comps[c] for c in COMPONENTS}, **{f"w_{c}": contrib[c] for c in COMPONENTS},
                     "indicators": violence_words + exploit_words})
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["score", "community"], ascending=[False, True]).reset_index(drop=True)
        table.insert(0, "rank", range(1, len(table) + 1))
    marking = marking_of_frames(*frames, partners=records.partners)
    return Priorities(table, settings, marking, frozenset(ids), records.recipient)
