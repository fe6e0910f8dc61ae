"""Mutual legal assistance annex: what to ask each foreign jurisdiction for, and why.

For a requested country, every phone, account, company, domain, server, vehicle and resident
person of the case that is registered or located there becomes a numbered request (subscriber
data, statements, register extracts, logs, identity checks), each with the facts that tie it to the
case, their originating agency and source grading. The annex is written as Markdown and HTML, ready
to edit: fields the analyst must fill in are marked in square brackets (``[EIO reference]``).

Releasability is respected for the requested country: a fact it may not receive is never quoted —
the annex says "restricted, available through the originator" and names the originating agency, and
an item known only from such material is not named at all. Material marked RED (or H3) is for
named recipients only: the annex does not mention it.

The form follows the legal route (:func:`netintel.cooperation.routes.legal_route`) from the
``requesting`` to the requested country: between states bound by the EIO directive, the annex is
laid out as Annex A of Directive 2014/41/EU (sections A to L); otherwise it is a request under the
instrument that applies (ETS 030, the 2000 EU convention, UNTOC art. 18, ...), named in its header,
and when no instrument is known the annex says so at the top. ``annex.route`` is the route.

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> annex = mla_annex(demo_workspace(), country="DE")
>>> annex.requests[["number", "kind", "item"]].to_dict("records")
[{'number': 1, 'kind': 'bank_account', 'item': 'DE89370400440532013000'}, {'number': 2, 'kind': 'organisation', 'item': 'Nordhandel GmbH'}]
>>> "[EIO reference]" in annex.markdown
True
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..errors import NetintelError
from ..handling import Marking, country_code, court_usable, handling_rank, may_receive
from ._countries import country_name
from ._records import CaseRecords, marking_of_frames, node_kinds, node_labels, scoped_records
from .jurisdictions import node_countries
from .markings import MarkedResult, banner_html

__all__ = ["MlaAnnex", "mla_annex", "MEASURES", "RESTRICTED"]

RESTRICTED = "restricted, available through the originator"
_RED = handling_rank("TLP:RED")

#: What to request per kind of item: (basis that ties it to the requested country, title, measure).
MEASURES: dict[str, tuple[str, str, str]] = {
    "phone": ("phone", "Subscriber data and traffic data for the telephone number {item}",
              "Identity and address of the subscriber and of any user known to the operator, activation date, "
              "payment method, IMEI/IMSI of the devices used; call detail records with cell locations for {period}."),
    "bank_account": ("account", "Account information and statements for the account {item}",
                     "Identity of the account holder and of every person authorised on the account, account "
                     "opening documents and customer due diligence (KYC) file; statements of account with the "
                     "counterparties of every transaction for {period}."),
    "organisation": ("company", "Company register extract for {item}",
                     "Registration data, registered office, directors, shareholders and beneficial owners (current "
                     "and past), annual accounts, and the bank accounts known to the register."),
    "domain": ("domain", "Registration data and logs for the domain {item}",
               "Registrant data, registration and payment history, DNS records, and the access logs of the "
               "registrar's customer account for {period}."),
    "ip_address": ("server", "Hosting customer data and logs for the server {item}",
                   "Identity of the hosting customer, payment data, connection and access logs for {period}, "
                   "and preservation of the server's content pending a request for seizure."),
    "infrastructure": ("server", "Hosting customer data and logs for {item}",
                       "Identity of the customer, payment data, connection and access logs for {period}."),
    "vehicle": ("vehicle", "Registration holder of the vehicle {item}",
                "Registered keeper and owner, registration history, and any recorded border crossings for {period}."),
    "person": ("residence", "Identity and address check of {item}",
               "Confirmation of identity and current address, identity documents issued, criminal record extract, "
               "and whether the person is subject of proceedings in your country."),
}
#: Persons who are nationals of the requested country without living there.
NATIONAL_MEASURE = ("Criminal record and identity of {item}",
                    "Criminal record extract, identity documents issued and the last known address of this national "
                    "of your country, and whether the person is subject of proceedings in your country.")

_VERBS = {
    "uses": "uses", "owns": "owns", "controls": "controls", "directs": "directs", "employs": "employs",
    "member_of": "is a member of", "associate_of": "is an associate of", "family_of": "is family of",
    "resides_at": "resides at", "registered_to": "is registered to", "travels_with": "travels with",
    "co_located": "was seen with", "hosts": "hosts", "resolves_to": "resolves to",
    "communicates_with": "communicates with", "attributed_to": "is attributed to", "indicates": "indicates",
    "related_to": "is related to", "holds_document": "holds", "targets": "targets", "sighting": "was sighted at",
}


_NOUNS = {"phone": "telephone number", "bank_account": "bank account", "organisation": "company",
          "domain": "domain", "ip_address": "server address", "infrastructure": "server", "vehicle": "vehicle",
          "person": "person"}


def _fmt_date(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    try:
        return pd.Timestamp(v).strftime("%d %B %Y").lstrip("0")
    except (ValueError, TypeError):
        return None


def _period(first: Any, last: Any) -> str | None:
    a, b = _fmt_date(first), _fmt_date(last)
    if a and b:
        return a if a == b else f"{a} to {b}"
    return a or b


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_|<>])", r"\\\1", str(text))


@dataclass(frozen=True, eq=False)
class MlaAnnex(MarkedResult):
    """The annex for one requested country.

    Attributes
    ----------
    country : ISO2 of the requested country (the recipient of the annex)
    requests : one row per numbered request: number, kind, item, title, measure, period, n_facts,
        agencies, gradings
    facts : one row per fact quoted: request, text, agency, country, grading, handling, record_id
    restricted : what is held but may not be quoted: request (or None for unnamed items), agency,
        n_records, what
    markdown, html : the document
    """

    country: str
    requests: pd.DataFrame
    facts: pd.DataFrame
    restricted: pd.DataFrame
    markdown: str
    html: str
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None
    route: Any = None

    @property
    def form(self) -> str:
        """The form the annex is written in (``EIO Annex A ...``, a letter rogatory, ...)."""
        return self.route.form if self.route is not None else "MLA / EIO annex (no requesting country given)"

    def save(self, path: str | Path) -> list[Path]:
        """Write ``<path>.md`` and ``<path>.html``; returns the paths written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        out = []
        for suffix, text in ((".md", self.markdown), (".html", self.html)):
            target = path.with_suffix(suffix)
            target.write_text(text, encoding="utf-8")
            out.append(target)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"marking": {"handling": self.marking.handling, "releasable_to": list(self.marking.releasable_to)},
                "country": self.country, "requests": self.requests, "facts": self.facts,
                "restricted": self.restricted, "markdown": self.markdown,
                "route": self.route.to_dict() if self.route is not None else None}

    def __repr__(self) -> str:
        form = f"; {self.route.instrument or 'no instrument known'}" if self.route is not None else ""
        return (f"<MlaAnnex to {self.country} [{self.caveat}]: {len(self.requests)} requests, {len(self.facts)} facts "
                f"quoted, {int(self.restricted['n_records'].sum()) if len(self.restricted) else 0} restricted "
                f"records{form}>")

    def _repr_html_(self) -> str:
        return self.html


class _Doc:
    """A small document model rendered to both Markdown and HTML."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, Any]] = []

    def add(self, kind: str, content: Any) -> None:
        self.blocks.append((kind, content))

    def markdown(self) -> str:
        out = []
        for kind, c in self.blocks:
            if kind in ("h1", "h2", "h3"):
                out.append("#" * int(kind[1]) + " " + c)
            elif kind == "p":
                out.append(c)
            elif kind == "note":
                out.append("> " + c)
            elif kind == "ol":
                out.append("\n".join(f"{i}. {x}" for i, x in enumerate(c, start=1)))
            elif kind == "ul":
                out.append("\n".join(f"- {x}" for x in c))
            elif kind == "fields":
                out.append("| | |\n|---|---|\n" + "\n".join(f"| **{k}** | {v} |" for k, v in c))
            elif kind == "table":
                head, rows = c
                out.append("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n"
                           + "\n".join("| " + " | ".join(map(str, r)) + " |" for r in rows))
        return "\n\n".join(out) + "\n"

    def html(self, banner: str) -> str:
        def inline(text: str) -> str:
            # The Markdown source is escaped for Markdown; undo that, escape for HTML, keep **bold**
            # and mark the [fields to fill in].
            t = re.sub(r"\\([\\`*_|<>])", r"\1", text)
            t = _html.escape(t, quote=False)
            t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
            return re.sub(r"(\[[^\]]+\])", r"<mark>\1</mark>", t)

        out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'><title>MLA annex</title>",
               "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.4}"
               "table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 8px;text-align:left}"
               "mark{background:#fff3a0}blockquote{color:#444;border-left:3px solid #ccc;margin-left:0;"
               "padding-left:1em}</style></head><body>", banner]
        for kind, c in self.blocks:
            if kind in ("h1", "h2", "h3"):
                out.append(f"<{kind}>{inline(c)}</{kind}>")
            elif kind == "p":
                out.append(f"<p>{inline(c)}</p>")
            elif kind == "note":
                out.append(f"<blockquote>{inline(c)}</blockquote>")
            elif kind in ("ol", "ul"):
                out.append(f"<{kind}>" + "".join(f"<li>{inline(x)}</li>" for x in c) + f"</{kind}>")
            elif kind == "fields":
                out.append("<table>" + "".join(f"<tr><th>{inline(k)}</th><td>{inline(v)}</td></tr>" for k, v in c)
                           + "</table>")
            elif kind == "table":
                head, rows = c
                out.append("<table><tr>" + "".join(f"<th>{inline(h)}</th>" for h in head) + "</tr>"
                           + "".join("<tr>" + "".join(f"<td>{inline(str(x))}</td>" for x in r) + "</tr>" for r in rows)
                           + "</table>")
        out += [banner, "</body></html>"]
        return "\n".join(out) + "\n"


def _releasable(df: pd.DataFrame, country: str, partners: Iterable[str], *, court: bool = True) -> pd.Series:
    """Rows the annex may quote: releasable to ``country`` and, unless ``court`` is False (an
    override), usable as evidence in court (Europol H1 material is not)."""
    partners = set(partners)
    return pd.Series([may_receive(country, origin=o or "", handling=h, releasable_to=list(r) if r is not None else [],
                                  partners=partners) and (not court or court_usable(h))
                      for o, h, r in zip(df["country"], df["handling"], df["releasable_to"])], index=df.index, dtype=bool)


def _record_court_override(source: Any, reason: str, country: str, rows: pd.DataFrame) -> None:
    """The audit entry of quoting not-for-court material: who, when, why, which records."""
    from ..workspace import Workspace

    if not isinstance(source, Workspace):
        raise NetintelError("a court-use override must be recorded: give the workspace (not loaded records) "
                            "to mla_annex(..., court_override=...)")
    if not str(reason or "").strip():
        raise NetintelError("court_override needs the reason (for example the originator's permission and its "
                            "reference): it is recorded in the audit log")
    try:
        source.audit("court_use_override", {"output": "mla_annex", "country": country, "reason": str(reason),
                                            "record_ids": sorted(set(rows["id"]))})
    except Exception as exc:  # a read-only workspace cannot record it: then the override is refused
        raise NetintelError(f"{source.path or 'workspace'}: the court-use override cannot be recorded ({exc}); "
                            "open the workspace writable") from exc


def _link_fact(kind: str, a: str, b: str, count: Any, amount: Any, currency: Any, first: Any, last: Any) -> str:
    period = _period(first, last)
    when = f" ({period})" if period else ""
    n = int(count) if count is not None and count == count else 1
    if kind in ("call", "message"):
        what = "call" if kind == "call" else "message"
        return f"{n} {what}{'s' if n != 1 else ''} from {a} to {b}{when}"
    if kind == "transfer":
        money = ""
        if amount is not None and amount == amount:
            cur = currency if isinstance(currency, str) and currency else ""
            money = f" totalling {cur + ' ' if cur else ''}{float(amount):,.2f}"
        return f"{n} transfer{'s' if n != 1 else ''}{money} from {a} to {b}{when}"
    return f"{a} {_VERBS.get(kind, kind.replace('_', ' '))} {b}{when}"


def mla_annex(source: Any, members: Iterable[str] | None = None, *, country: str, requesting: str | None = None,
              typology: str | None = None, case_title: str | None = None, max_facts: int = 8,
              expand: bool = True, court_override: str | None = None) -> MlaAnnex:
    """The MLA / EIO annex for the requested ``country``.

    Parameters
    ----------
    source : a Workspace or :class:`~netintel.cooperation.CaseRecords` (the originators' view: the
        annex itself decides, fact by fact, what the requested country may receive)
    members : entity ids of the community or targets; None for the whole case
    country : ISO2 of the requested country
    requesting : ISO2 of the requesting country (named in the header; items there are not requested)
    typology : the suspected kind of crime, for the summary (e.g. from :mod:`netintel.typology`)
    case_title : a title for the summary; a placeholder otherwise
    max_facts : facts quoted per request (the strongest: most events, best graded)
    court_override : material whose handling bars its use as evidence in court (Europol H1) is
        never quoted, only referred to its originator, unless this gives the reason it may be (the
        originator's permission and its reference); the override is recorded in the workspace's
        audit log (a workspace opened writable is then needed) and the annex's marking keeps the
        restriction
    """
    country = country_code(country, what="requested country")
    requesting = country_code(requesting, what="requesting country") if requesting else None
    if requesting and requesting.upper() == country:
        raise NetintelError(f"{country} is the requesting country; an MLA annex goes to a foreign jurisdiction: "
                            "give the requested country with --country / country=")
    records = scoped_records(source, members, recipient=None, expand=expand)
    if records.recipient is not None:
        raise ValueError("give the originators' view (load_records(ws)); the annex filters for the requested country")
    partners = records.partners
    ent, lk = records.entities, records.links
    court = court_override is None
    ent_ok = _releasable(ent, country, partners, court=court) if len(ent) else pd.Series(dtype=bool)
    lk_ok = _releasable(lk, country, partners, court=court) if len(lk) else pd.Series(dtype=bool)
    if not court:
        barred = [f[~f["handling"].map(court_usable)].rename(columns={key: "id"})[["id"]]
                  for f, key in ((ent, "entity_id"), (lk, "link_id")) if len(f)]
        _record_court_override(source, court_override, country,
                               pd.concat(barred) if barred else pd.DataFrame(columns=["id"]))
    visible = ent[ent_ok] if len(ent) else ent
    # Labels the requested country may read: from releasable records only.
    vis_labels = node_labels(CaseRecords(visible, lk.iloc[0:0], records.events.iloc[0:0], partners, None))
    kinds = node_kinds(records)
    places = node_countries(CaseRecords(visible, lk[lk_ok] if len(lk) else lk, records.events.iloc[0:0],
                                        partners, None))
    all_places = node_countries(records)
    requests, facts, restricted = [], [], []
    quoted_extra: set[str] = set()

    targets = []
    for node, kind in sorted(kinds.items(), key=lambda x: (list(MEASURES).index(x[1]) if x[1] in MEASURES else 99,
                                                          str(vis_labels.get(x[0], "~")), x[0])):
        if kind not in MEASURES:
            continue
        bases = (MEASURES[kind][0], "nationality") if kind == "person" else (MEASURES[kind][0],)
        there = all_places[(all_places["node"] == node) & (all_places["country"] == country)
                           & all_places["basis"].isin(bases)]
        if there.empty:
            continue
        seen = places[(places["node"] == node) & (places["country"] == country) & places["basis"].isin(bases)]
        if seen.empty or node not in vis_labels:
            # RED / H3 material is for named recipients only: not even its existence is mentioned.
            held = ent[(ent["node"] == node) & ~ent_ok & (ent["handling"].map(handling_rank) < _RED)]
            for agency, g in held.groupby("agency"):
                restricted.append({"request": None, "agency": agency, "n_records": len(g),
                                   "what": f"a further {kind.replace('_', ' ')} in {country_name(country)}"})
            continue
        if kind == "person" and vis_labels[node] == node:
            continue  # a person no releasable record names cannot be the subject of a request
        targets.append((node, kind, set(seen["basis"])))

    for number, (node, kind, bases_seen) in enumerate(targets, start=1):
        item = vis_labels[node]
        node_rows = ent[(ent["node"] == node)]
        ok_rows = node_rows[ent_ok.loc[node_rows.index]]
        item_facts = []
        own_ids: list[str] = []
        for (agency, origin, grading, handling), g in ok_rows.groupby(["agency", "country", "grading", "handling"],
                                                                      sort=True):
            where = "; ".join(sorted({str(x) for x in g["locator"] if isinstance(x, str) and x}))
            n = len(g)
            text = (f"Recorded as a {_NOUNS.get(kind, kind)}" + (f" in {n} records" if n > 1 else "")
                    + (f" ({where})" if where else ""))
            item_facts.append({"text": text, "agency": agency, "country": origin, "grading": grading,
                               "handling": handling, "record_id": g["entity_id"].iloc[0], "weight": 0})
            own_ids += list(g["entity_id"])
        touching = lk[(lk["source_node"] == node) | (lk["target_node"] == node)]
        # the period to ask for: the calls and payments if there are any, else every dated link
        active = touching[touching["kind"].isin(["call", "message", "transfer"])]
        active = active if len(active) else touching
        first, last = active["first_seen"].min() if len(active) else None, \
            active["last_seen"].max() if len(active) else None
        hidden: dict[str, int] = {}
        for idx, r in touching.iterrows():
            other = r["target_node"] if r["source_node"] == node else r["source_node"]
            if not lk_ok.loc[idx] or other not in vis_labels:
                if handling_rank(r["handling"]) < _RED:
                    hidden[r["agency"]] = hidden.get(r["agency"], 0) + 1
                continue
            a = item if r["source_node"] == node else vis_labels[other]
            b = vis_labels[other] if r["source_node"] == node else item
            other_kind = kinds.get(other, "entity").replace("_", " ")
            a = a if r["source_node"] == node else f"{other_kind} {a}"
            b = f"{other_kind} {b}" if r["source_node"] == node else b
            item_facts.append({"text": _link_fact(r["kind"], a, b, r["count"], r["amount"], r["currency"],
                                                  r["first_seen"], r["last_seen"]),
                               "agency": r["agency"], "country": r["country"], "grading": r["grading"],
                               "handling": r["handling"], "record_id": r["link_id"],
                               "weight": float(r["count"] or 0) if r["count"] == r["count"] else 0.0})
        n_own = ok_rows.groupby(["agency", "country", "grading", "handling"]).ngroups if len(ok_rows) else 0
        own, linked = item_facts[:n_own], item_facts[n_own:]
        linked.sort(key=lambda f: (-f["weight"], f["grading"] or "Z9", f["text"]))
        quoted = own + linked[:max_facts]
        if len(linked) > max_facts:
            more = linked[max_facts:]
            quoted.append({"text": f"{len(more)} further fact(s) on file, available on request", "agency": "",
                           "country": "", "grading": "", "handling": "", "record_id": None, "weight": 0})
        for f in quoted:
            facts.append({"request": number, **{k: v for k, v in f.items() if k != "weight"}})
        quoted_extra.update(own_ids)
        for agency, n in sorted(hidden.items()):
            restricted.append({"request": number, "agency": agency, "n_records": n,
                               "what": f"{n} fact(s) on {item}"})
        period = _period(first, last)
        _, title, measure = MEASURES[kind]
        if kind == "person" and "residence" not in bases_seen:
            title, measure = NATIONAL_MEASURE
        requests.append({
            "number": number, "kind": kind, "item": item, "node": node,
            "title": title.format(item=item), "measure": measure.format(period=period or "[period]"),
            "period": period or "", "n_facts": sum(1 for f in quoted if f["record_id"]),
            "agencies": sorted({f["agency"] for f in quoted if f["agency"]}),
            "gradings": sorted({f["grading"] for f in quoted if f["grading"]})})

    req_df = pd.DataFrame(requests, columns=["number", "kind", "item", "node", "title", "measure", "period", "n_facts",
                                             "agencies", "gradings"])
    facts_df = pd.DataFrame(facts, columns=["request", "text", "agency", "country", "grading", "handling", "record_id"])
    restr_df = pd.DataFrame(restricted, columns=["request", "agency", "n_records", "what"])
    # Marking: of everything quoted, plus what the summary says (the persons it names, the countries
    # it lists), all from records the requested country may receive.
    quoted_ids = set(facts_df["record_id"].dropna()) | quoted_extra
    named = _summary_persons(visible, kinds, vis_labels, facts_df, req_df)
    summary_ids = set(visible.loc[visible["node"].isin(named), "entity_id"])
    summary_ids |= {rid for ids in places["record_ids"] for rid in ids}
    used = quoted_ids | summary_ids
    quoted_frames = [ent[ent["entity_id"].isin(used) & ent_ok], lk[lk["link_id"].isin(used) & lk_ok]
                     if len(lk) else lk]
    marking = marking_of_frames(*quoted_frames, partners=partners)
    record_ids = frozenset(used)
    from .routes import legal_route

    route = legal_route(requesting, country, typology=typology) if requesting else None
    if route is not None and route.is_eio:
        from ._eio import eio_document

        doc = eio_document(route, typology, case_title, req_df, facts_df, restr_df, visible, places, kinds,
                           vis_labels, marking)
    else:
        doc = _document(country, requesting, typology, case_title, req_df, facts_df, restr_df, visible, places,
                        kinds, vis_labels, marking, route=route)
    return MlaAnnex(country, req_df, facts_df, restr_df, doc.markdown(), doc.html(banner_html(marking, country)),
                    marking, record_ids, country, route)


def _fact_lines(number: int, facts: pd.DataFrame, restricted: pd.DataFrame) -> list[str]:
    """The quoted facts of one request, each with its source and grading, then what is restricted."""
    lines = []
    for f in facts[facts["request"] == number].itertuples():
        if f.record_id is None or f.record_id != f.record_id:
            lines.append(_md_escape(f.text) + ".")
        else:
            lines.append(f"{_md_escape(f.text)} — source: {_md_escape(f.agency)} ({f.country}), "
                         f"grading {f.grading}, {f.handling}.")
    for h in restricted[restricted["request"] == number].itertuples():
        lines.append(f"{h.n_records} further fact(s) reported by {_md_escape(h.agency)}: {RESTRICTED} "
                     f"({_md_escape(h.agency)}).")
    return lines


def _summary_persons(visible: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str], facts: pd.DataFrame,
                     req: pd.DataFrame) -> set[str]:
    """Resolved ids of the persons the summary names: those requested or named in a quoted fact."""
    texts = list(facts["text"]) if len(facts) else []
    items = set(req["item"]) if len(req) else set()
    return {n for n in set(visible["node"]) if kinds.get(n) == "person" and n in labels
            and (labels[n] in items or any(labels[n] in t for t in texts))}


def _document(country: str, requesting: str | None, typology: str | None, case_title: str | None,
              req: pd.DataFrame, facts: pd.DataFrame, restricted: pd.DataFrame, visible: pd.DataFrame,
              places: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str], marking: Marking,
              route: Any = None) -> _Doc:
    name = country_name(country)
    doc = _Doc()
    doc.add("p", f"**{marking.banner}**")
    doc.add("h1", f"Annex to the request for mutual legal assistance — {_md_escape(name)} ({country})")
    if route is not None and route.instrument is None:
        doc.add("note", f"**No legal instrument is known** between {_md_escape(country_name(requesting))} and "
                        f"{_md_escape(name)}: {_md_escape(route.notes)}.")
    basis = ("[EIO reference] (Directive 2014/41/EU) or [MLA convention and article]" if route is None else
             f"{_md_escape(route.title)} — {_md_escape(route.reference)}; form: {_md_escape(route.form)}; "
             f"channel: {_md_escape(route.channel)}" if route.instrument else "[legal basis: none known]")
    doc.add("fields", [
        ("To", f"[competent authority in {_md_escape(name)}]"),
        ("From", f"[issuing authority{', ' + _md_escape(country_name(requesting)) if requesting else ''}]"),
        ("Our reference", "[case reference]"),
        ("Legal basis", basis),
        ("Offences", "[legal qualification of the offences and the applicable provisions]"),
        ("Date", "[date]"),
        ("Contact", "[name, telephone and e-mail of the case officer]"),
    ])
    doc.add("note", "Fields in [square brackets] are for the analyst to complete before sending. Facts below are "
                    "quoted with their originating agency and source grading (Admiralty code: reliability A-F, "
                    "credibility 1-6).")
    doc.add("h2", "1. Summary of the case")
    summary, named = _case_summary(visible, kinds, labels, facts, req, places, typology, case_title)
    doc.add("p", summary)
    if named:
        doc.add("p", "Persons concerned by this request: " + "; ".join(_md_escape(p) for p in named[:20])
                + (f" and {len(named) - 20} more" if len(named) > 20 else "") + ".")
    doc.add("p", f"The items below are registered or located in {_md_escape(name)}. Their link to the case is set "
                 "out for each request.")
    doc.add("h2", "2. Measures requested")
    if req.empty:
        doc.add("p", f"No phone, account, company, domain, server, vehicle or resident person of this case that "
                     f"{_md_escape(name)} may be told about is located there.")
    for r in req.itertuples():
        doc.add("h3", f"Request {r.number} — {_md_escape(r.title)}")
        doc.add("p", f"**Measure requested:** {_md_escape(r.measure)}")
        lines = _fact_lines(r.number, facts, restricted)
        doc.add("p", "**Why it is needed:** the item is tied to the network under investigation by the following "
                     "facts:")
        doc.add("ol", lines)
    doc.add("h2", "3. Information held under restrictions")
    _restricted_section(doc, name, restricted)
    doc.add("h2", "4. Confidentiality, use and urgency")
    doc.add("p", f"This annex is marked **{marking.banner}**. The information may be used only for the execution of "
                 "this request [conditions on use / speciality]. Please do not inform the persons concerned.")
    doc.add("p", "[Urgency: state deadlines, e.g. the operators' retention periods for traffic data, and whether "
                 "preservation of the data is requested pending the formal request.]")
    doc.add("p", f"Prepared with netintel on [date] by [analyst]. {len(req)} request(s), "
                 f"{int(facts['record_id'].notna().sum())} fact(s) quoted.")
    return doc


def _case_summary(visible: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str], facts: pd.DataFrame,
                  req: pd.DataFrame, places: pd.DataFrame, typology: str | None,
                  case_title: str | None) -> tuple[str, list[str]]:
    """The summary paragraph (from releasable records only) and the persons it concerns."""
    persons = sorted(labels[n] for n in set(visible["node"]) if kinds.get(n) == "person" and n in labels)
    named = sorted({labels[n] for n in _summary_persons(visible, kinds, labels, facts, req)})
    countries = sorted(set(places["country"]))
    crime = f"suspected of {typology.replace('_', ' ')}" if typology else "suspected of [offences]"
    title = _md_escape(case_title) if case_title else "[short title of the investigation]"
    text = (f"The investigation {title} concerns a network of {len(persons)} identified person(s) {crime}, "
            f"with activity linked to {', '.join(_md_escape(country_name(c)) for c in countries) or '[countries]'}. "
            "[Describe the facts under investigation, the role of the suspects and the state of the proceedings.]")
    return text, named


def _restricted_section(doc: _Doc, name: str, restricted: pd.DataFrame) -> None:
    unnamed = restricted[restricted["request"].isna()]
    if unnamed.empty and restricted.empty:
        doc.add("p", "None: every fact on the items above may be shared with the requested authority.")
    else:
        if not restricted[restricted["request"].notna()].empty:
            doc.add("p", "Some facts on the items above were shared under conditions that do not allow passing them "
                         "to the requested authority; each request says whose they are. Ask the originator for "
                         "permission before adding them.")
        if not unnamed.empty:
            doc.add("p", f"Further items in {_md_escape(name)} are known only from restricted material; ask the "
                         "originator for permission before adding them to this request:")
            doc.add("ul", [f"{_md_escape(h.what)} ({h.n_records} record(s)) — {RESTRICTED} ({_md_escape(h.agency)})."
                           for h in unnamed.itertuples()])
