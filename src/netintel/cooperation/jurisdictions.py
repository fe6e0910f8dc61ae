"""Jurisdictions of a case: which countries a community touches and who holds the evidence.

For a community or a set of targets: the countries involved (nationalities, residences, where its
phones, accounts, companies, domains and servers are registered or located), the agencies that
hold each part of the evidence, the flows of calls and money between countries, and for each key
player the country of residence and the countries of activity (for arrest and extradition planning).

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> ws = demo_workspace()
>>> j = case_jurisdictions(ws)
>>> j.countries[["country", "n_entities"]].to_dict("records")[:3]
[{'country': 'BE', 'n_entities': 3}, {'country': 'DE', 'n_entities': 2}, {'country': 'NL', 'n_entities': 2}]
>>> j.evidence[["agency", "n_records"]].to_dict("records")
[{'agency': 'Politie NL', 'n_records': 7}, {'agency': 'Police BE', 'n_records': 6}, {'agency': 'BKA', 'n_records': 2}]
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..handling import Marking
from ._countries import BASIS_LABELS, country_name, entity_countries
from ._records import CaseRecords, node_kinds, node_labels, scoped_records
from .markings import MarkedResult, banner_html

__all__ = ["Jurisdictions", "case_jurisdictions", "node_countries", "evidence_holders", "country_flows",
           "default_key_players", "FLOW_KINDS"]

#: Link kinds whose records are flows between two ends (calls, messages, payments).
FLOW_KINDS: tuple[str, ...] = ("call", "message", "transfer", "communicates_with")

_BASIS_ORDER = ["nationality", "residence", "phone", "account", "company", "domain", "server", "vehicle",
                "vessel", "document", "location", "actor"]


def node_countries(records: CaseRecords) -> pd.DataFrame:
    """Long table: one row per (entity, country, basis) the records tie together.

    Bases: ``nationality``, ``residence`` (a person's stated country or an address it resides at),
    ``phone`` (E.164 country), ``account`` (IBAN), ``company`` (jurisdiction), ``domain``,
    ``server``, and the like (see ``_countries.BASIS_LABELS``). ``agencies`` are the agencies whose
    records say so.
    """
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    ids: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    e = records.entities
    partners = sorted(records.partners)
    for node, kind, props, agency, rid, origin in zip(e["node"], e["kind"], e["properties"], e["agency"],
                                                      e["entity_id"], e["country"]):
        # a town name found in several countries: the reporting agency's, then the partners', first
        prefer = (origin or "", *partners)
        for cc, basis in entity_countries(kind, props if isinstance(props, dict) else {}, prefer=prefer):
            found[(node, cc, basis)].add(agency)
            ids[(node, cc, basis)].add(rid)
    # Residence through a link to an address (or place) that names its country.
    lk = records.links
    if not lk.empty:
        kinds = node_kinds(records)
        addr = {k[0]: k[1] for k in found if kinds.get(k[0]) in ("address", "location")}
        residence = lk[lk["kind"].isin(["resides_at", "registered_to"])]
        for src, dst, agency, lid in zip(residence["source_node"], residence["target_node"], residence["agency"],
                                         residence["link_id"]):
            if dst in addr and kinds.get(src) in ("person", "organisation"):
                basis = "residence" if kinds.get(src) == "person" else "company"
                found[(src, addr[dst], basis)].add(agency)
                ids[(src, addr[dst], basis)].add(lid)
    rows = [{"node": n, "country": c, "basis": b, "agencies": sorted(a), "record_ids": sorted(ids[(n, c, b)])}
            for (n, c, b), a in found.items()]
    out = pd.DataFrame(rows, columns=["node", "country", "basis", "agencies", "record_ids"])
    return out.sort_values(["node", "country", "basis"]).reset_index(drop=True)


def evidence_holders(records: CaseRecords) -> pd.DataFrame:
    """Which agency holds which part of the evidence, with shares.

    ``n_records`` counts the agency's entity records on the entities in scope and its event records
    (calls, payments, sightings) touching them — what it reported, one row per record;
    ``n_relations`` its other link records (who uses which phone, who owns which account), which
    tie reported entities together; ``share`` is the part of all ``n_records``. ``n_entities`` counts
    the distinct (resolved) entities the agency reports on, ``entity_share`` their part of the
    entities in scope, ``gradings`` the mix of source gradings.
    """
    from ..model import default_model

    model = default_model()
    event_kinds = {k for k, v in model.links.items() if v.event}
    relations = records.links[~records.links["kind"].isin(event_kinds)]
    parts = []
    for name, df, key in (("entity", records.entities, "entity_id"), ("event", records.events, "event_id"),
                          ("relation", relations, "link_id")):
        if not df.empty:
            parts.append(df.groupby(["agency", "country"])[key].count().rename(f"n_{name}_records"))
    cols = ["agency", "country", "n_records", "share", "n_entity_records", "n_event_records", "n_relations",
            "n_entities", "entity_share", "gradings"]
    if not parts:
        return pd.DataFrame(columns=cols)
    t = pd.concat(parts, axis=1).fillna(0).astype(int)
    for name in ("entity", "event", "relation"):
        if f"n_{name}_records" not in t:
            t[f"n_{name}_records"] = 0
    t = t.reset_index().rename(columns={"n_relation_records": "n_relations"})
    t["n_records"] = t["n_entity_records"] + t["n_event_records"]
    total_nodes = max(1, records.entities["node"].nunique())
    ents = records.entities.groupby("agency")["node"].nunique()
    t["n_entities"] = t["agency"].map(ents).fillna(0).astype(int)
    t["share"] = t["n_records"] / max(1, t["n_records"].sum())
    t["entity_share"] = t["n_entities"] / total_nodes
    grades = pd.concat([records.entities[["agency", "grading"]], records.events[["agency", "grading"]],
                        relations[["agency", "grading"]]])
    mix = grades.groupby("agency")["grading"].agg(lambda s: ", ".join(f"{g} {n}" for g, n in
                                                                      s.value_counts().sort_index().items()))
    t["gradings"] = t["agency"].map(mix).fillna("")
    return t[cols].sort_values(["n_records", "agency"], ascending=[False, True]).reset_index(drop=True)


def _home_country(places: pd.DataFrame) -> dict[str, str]:
    """One country per entity for flows: where it is registered, else residence, else nationality."""
    order = {b: i for i, b in enumerate(["phone", "account", "company", "server", "domain", "residence",
                                         "nationality", "location", "vehicle", "vessel", "document", "actor"])}
    if places.empty:
        return {}
    p = places.assign(o=places["basis"].map(order).fillna(99), n=places["agencies"].map(len))
    p = p.sort_values(["node", "o", "n", "country"], ascending=[True, True, False, True])
    return dict(p.drop_duplicates("node")[["node", "country"]].itertuples(index=False, name=None))


def country_flows(records: CaseRecords, places: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calls, messages and money between countries: one row per (from, to, kind).

    An end's country is where the phone or account is registered (else the person's residence or
    nationality). ``count`` sums the link records' event counts; ``amount`` the transferred amounts.
    """
    places = node_countries(records) if places is None else places
    home = _home_country(places)
    lk = records.links[records.links["kind"].isin(FLOW_KINDS)]
    rows = []
    for src, dst, kind, count, amount, currency, lid in zip(
            lk["source_node"], lk["target_node"], lk["kind"], lk["count"], lk["amount"], lk["currency"], lk["link_id"]):
        a, b = home.get(src), home.get(dst)
        if a is None or b is None:
            continue
        rows.append({"from_country": a, "to_country": b, "kind": kind, "count": int(count or 0),
                     "amount": float(amount) if amount is not None and amount == amount else 0.0,
                     "currency": currency if isinstance(currency, str) else "", "link_id": lid})
    cols = ["from_country", "to_country", "kind", "n_links", "count", "amount", "currencies", "link_ids"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    out = df.groupby(["from_country", "to_country", "kind"], sort=True).agg(
        n_links=("link_id", "count"), count=("count", "sum"), amount=("amount", "sum"),
        currencies=("currency", lambda s: ",".join(sorted({c for c in s if c}))),
        link_ids=("link_id", lambda s: sorted(s))).reset_index()
    return out[cols]


def default_key_players(records: CaseRecords, top: int = 5) -> list[str]:
    """The persons (or organisations) tied to the most distinct entities in scope.

    A transparent stand-in when no centrality table is given: pass ``key_players=`` from
    :mod:`netintel.analysis.centrality` for better ones.
    """
    kinds = node_kinds(records)
    lk = records.links
    deg: dict[str, set[str]] = defaultdict(set)
    for s, t in zip(lk["source_node"], lk["target_node"]):
        if s != t:
            deg[s].add(t)
            deg[t].add(s)
    people = [n for n, k in kinds.items() if k == "person"] or [n for n, k in kinds.items() if k == "organisation"]
    return sorted(people, key=lambda n: (-len(deg.get(n, ())), n))[:top]


def _player_table(records: CaseRecords, players: Sequence[str], places: pd.DataFrame) -> pd.DataFrame:
    kinds, labels = node_kinds(records), node_labels(records)
    home = _home_country(places)
    by_node: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for n, c, b in zip(places["node"], places["country"], places["basis"]):
        by_node[n].append((c, b))
    lk = records.links
    rows = []
    for p in players:
        if p not in kinds:
            continue
        own = by_node.get(p, [])
        residence = sorted({c for c, b in own if b == "residence"})
        nationality = sorted({c for c, b in own if b == "nationality"})
        activity: dict[str, set[str]] = defaultdict(set)
        touching = lk[(lk["source_node"] == p) | (lk["target_node"] == p)]
        neighbours = (set(touching["source_node"]) | set(touching["target_node"])) - {p}
        for n in neighbours:
            k = kinds.get(n)
            if k in ("person",):
                continue
            for c, b in by_node.get(n, []):
                activity[c].add(BASIS_LABELS.get(b, b))
        # The far end of the calls and payments of the player's own phones and accounts.
        ident = {n for n in neighbours if kinds.get(n) not in ("person",)} | {p}
        flows = lk[lk["kind"].isin(FLOW_KINDS) & (lk["source_node"].isin(ident) | lk["target_node"].isin(ident))]
        for s, t, kind in zip(flows["source_node"], flows["target_node"], flows["kind"]):
            other = t if s in ident else s
            if other in ident or home.get(other) is None:
                continue
            activity[home[other]].add("counterpart of " + ("payments" if kind == "transfer" else kind + "s"))
        rows.append({"node": p, "label": labels.get(p, p), "kind": kinds.get(p),
                     "residence": residence, "nationality": nationality,
                     "activity_countries": sorted(activity),
                     "activity": "; ".join(f"{c}: {', '.join(sorted(v))}" for c, v in sorted(activity.items())),
                     "agencies": sorted(set(records.entities.loc[records.entities["node"] == p, "agency"]))})
    return pd.DataFrame(rows, columns=["node", "label", "kind", "residence", "nationality", "activity_countries",
                                       "activity", "agencies"])


@dataclass(frozen=True, eq=False)
class Jurisdictions(MarkedResult):
    """The jurisdictions of a community or set of targets.

    Attributes
    ----------
    countries : one row per country: how it is involved (counts by basis), its entities, the agencies
        holding evidence on them
    places : long table (node, country, basis, agencies)
    evidence : one row per agency: records and entities it holds, shares (:func:`evidence_holders`)
    flows : calls/messages/money between countries (:func:`country_flows`)
    players : key players: residence, nationality, countries of activity
    marking, record_ids, recipient : see :class:`~netintel.cooperation.markings.Marked`
    """

    countries: pd.DataFrame
    places: pd.DataFrame
    evidence: pd.DataFrame
    flows: pd.DataFrame
    players: pd.DataFrame
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"countries": self.countries, "evidence": self.evidence, "flows": self.flows.drop(columns="link_ids"),
                "players": self.players}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the marking and every table."""
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "recipient": self.recipient, **self.tables()}

    def flow_matrix(self, kind: str = "calls") -> pd.DataFrame:
        """Country-by-country matrix: ``calls`` (call and message counts), ``money`` (amounts) or ``links``."""
        f = self.flows
        if kind == "money":
            f, value = f[f["kind"] == "transfer"], "amount"
        elif kind == "calls":
            f, value = f[f["kind"].isin(["call", "message", "communicates_with"])], "count"
        else:
            value = "n_links"
        countries = sorted(set(self.flows["from_country"]) | set(self.flows["to_country"]))
        m = f.pivot_table(index="from_country", columns="to_country", values=value, aggfunc="sum", fill_value=0)
        return m.reindex(index=countries, columns=countries, fill_value=0)

    def chart(self, kind: str = "calls", *, title: str | None = None, source: str | None = None,
              date: str | None = None) -> Figure:
        """Country-to-country heatmap of calls (``"calls"``), money (``"money"``) or links, with the banner."""
        from ..viz.style import briefing_figure, finish

        m = self.flow_matrix(kind)
        what = {"calls": "Calls and messages", "money": "Money transferred", "links": "Links"}.get(kind, kind)
        fig, (ax, bx) = briefing_figure(title or f"{what} between countries", caveat=self.caveat, ncols=2,
                                        gridspec_kw={"width_ratios": [1.25, 1]})
        if m.empty:
            ax.text(0.5, 0.5, "no flows between located entities", ha="center", va="center", transform=ax.transAxes)
        else:
            values = m.to_numpy(dtype=float)
            ax.imshow(np.log1p(values), cmap="Blues", aspect="auto")
            ax.set_xticks(range(len(m.columns)), m.columns)
            ax.set_yticks(range(len(m.index)), m.index)
            ax.set_xlabel("to")
            ax.set_ylabel("from")
            ax.grid(False)
            top = values.max() or 1
            for i in range(values.shape[0]):
                for j in range(values.shape[1]):
                    if values[i, j]:
                        text = f"{values[i, j]:,.0f}"
                        ax.text(j, i, text, ha="center", va="center", fontsize=9,
                                color="white" if np.log1p(values[i, j]) > 0.6 * np.log1p(top) else "black")
        ev = self.evidence.groupby("country")["n_records"].sum().sort_values()
        bx.barh([f"{c} ({country_name(c)})" for c in ev.index], ev.to_numpy())
        bx.set_title("Evidence held, records by partner country", fontsize=12)
        bx.grid(axis="y", visible=False)
        fig.subplots_adjust(wspace=0.45, left=0.06)
        return finish(fig, source=source, date=date,
                      note="country of an end: where its phone or account is registered, else residence")

    def __repr__(self) -> str:
        cs = ", ".join(f"{r.country} ({r.n_entities})" for r in self.countries.itertuples())
        holders = ", ".join(f"{r.agency} {r.share:.0%}" for r in self.evidence.itertuples())
        return (f"<Jurisdictions [{self.caveat}]: countries {cs or '-'}; evidence held by {holders or '-'}; "
                f"{len(self.players)} key players>")

    def _repr_html_(self) -> str:
        parts = [banner_html(self.marking, self.recipient), "<h4>Countries involved</h4>",
                 self.countries.to_html(index=False), "<h4>Evidence holders</h4>",
                 self.evidence.to_html(index=False, float_format=lambda x: f"{x:.2f}"),
                 "<h4>Key players: residence and countries of activity</h4>",
                 self.players.drop(columns=["node"]).to_html(index=False)]
        return "\n".join(p if p.startswith("<") else html.escape(p) for p in parts)


def _countries_table(records: CaseRecords, places: pd.DataFrame) -> pd.DataFrame:
    labels = node_labels(records)
    rows = []
    holders_by_node = records.entities.groupby("node")["agency"].agg(lambda s: set(s))
    for cc, g in places.groupby("country", sort=True):
        row: dict[str, Any] = {"country": cc, "name": country_name(cc), "n_entities": g["node"].nunique()}
        for b in _BASIS_ORDER:
            row[b] = int(g.loc[g["basis"] == b, "node"].nunique())
        row["how"] = ", ".join(f"{BASIS_LABELS[b]} ({row[b]})" for b in _BASIS_ORDER if row[b])
        row["entities"] = sorted({labels.get(n, n) for n in g["node"]})
        held = set().union(*[holders_by_node.get(n, set()) for n in g["node"]])
        row["agencies"] = sorted(held)
        rows.append(row)
    cols = ["country", "name", "n_entities", *_BASIS_ORDER, "how", "entities", "agencies"]
    t = pd.DataFrame(rows, columns=cols)
    used = [b for b in _BASIS_ORDER if b in t and t[b].sum() > 0]
    t = t[["country", "name", "n_entities", *used, "how", "entities", "agencies"]]
    return t.sort_values(["n_entities", "country"], ascending=[False, True]).reset_index(drop=True)


def case_jurisdictions(source: Any, members: Iterable[str] | None = None, *, recipient: str | None = None,
                       key_players: Sequence[str] | None = None, expand: bool = True) -> Jurisdictions:
    """The countries and evidence holders of a community or a set of targets.

    Parameters
    ----------
    source : a :class:`~netintel.workspace.Workspace` or :class:`~netintel.cooperation.CaseRecords`
    members : resolved (or record) entity ids of the community or targets; None for the whole case
    recipient : compute only from what this country may receive (the view for that country)
    key_players : entity ids to profile; default the five persons tied to most entities
        (:func:`default_key_players`)
    expand : bring the phones, accounts, companies... the members use into scope

    Returns
    -------
    Jurisdictions
        Tables, a country-to-country chart (:meth:`Jurisdictions.chart`) and the marking.
    """
    records = scoped_records(source, members, recipient=recipient, expand=expand)
    places = node_countries(records)
    if key_players is None:
        players = default_key_players(records)
    else:
        resolved = dict(zip(records.entities["entity_id"], records.entities["node"]))
        players = [resolved.get(p, p) for p in key_players]
    return Jurisdictions(
        countries=_countries_table(records, places), places=places, evidence=evidence_holders(records),
        flows=country_flows(records, places), players=_player_table(records, players, places),
        marking=records.marking(), record_ids=records.record_ids, recipient=records.recipient)
