"""Exports that travel to other tools, with provenance kept and releasability enforced.

Formats
-------
``gexf``       Gephi (GEXF 1.2)
``graphml``    yEd, Gephi, Cytoscape desktop, igraph
``cytoscape``  Cytoscape.js / Cytoscape desktop JSON (``elements`` with ``nodes`` and ``edges``)
``i2``         i2 Analyst's Notebook: entity and link CSV tables plus an import specification
``ftm``        FollowTheMoney JSON lines (OCCRP Aleph)
``stix``       a STIX 2.1 bundle of the cyber part (MISP, OpenCTI)
``csv``/``xlsx`` tidy entity and link tables

Every export takes the graph it writes (a :class:`netintel.graph.CaseGraph` or anything with
``nodes``, ``edges`` and ``marking``) and, when made for a recipient country, refuses a graph whose
marking does not allow that recipient: build the graph with ``recipient=`` so it holds only what
the recipient may receive. CSV and XLSX cells are neutralised against spreadsheet formula injection.

Examples
--------
>>> neutralise("=SUM(A1:A9)")
"'=SUM(A1:A9)"
>>> neutralise("+31 6 1234 5678"), neutralise("-12.5"), neutralise("+cmd|' /C calc'!A0")
('+31 6 1234 5678', '-12.5', "'+cmd|' /C calc'!A0")
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import networkx as nx
import pandas as pd

from .errors import NetintelError, ReleasabilityError
from .handling import Marking

__all__ = ["FORMATS", "ExportResult", "export_graph", "neutralise", "pseudonymise"]

FORMATS = ("gexf", "graphml", "cytoscape", "i2", "ftm", "stix", "csv", "xlsx")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?[\d\s().,/]+$")


def neutralise(value: Any) -> Any:
    """Make a cell value safe to open in a spreadsheet (OWASP CSV injection guidance).

    A text starting with ``= + - @``, tab or carriage return is prefixed with ``'`` unless it is a
    plain number (a phone number "+31 6 ...", an amount "-12.5"), which no spreadsheet executes.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    format: str
    paths: tuple[Path, ...]
    n_nodes: int
    n_edges: int
    marking: Marking
    recipient: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        files = ", ".join(p.name for p in self.paths)
        who = f" for {self.recipient}" if self.recipient else ""
        skipped = f"; not representable: {self.skipped}" if self.skipped else ""
        return (f"<ExportResult {self.format}{who}: {self.n_nodes} entities, {self.n_edges} links -> {files} "
                f"[{self.marking.banner}]{skipped}>")


def pseudonymise(nodes: pd.DataFrame) -> dict[str, str]:
    """Stable pseudonyms by kind and id order: person 1 -> 'PERSON-001'."""
    out: dict[str, str] = {}
    for kind, group in nodes.sort_values("id").groupby("kind", sort=True):
        for i, node_id in enumerate(group["id"], start=1):
            out[node_id] = f"{str(kind).upper()}-{i:03d}"
    return out


def export_graph(graph: Any, path: str | Path, *, format: str | None = None, recipient: str | None = None,
                 pseudonyms: bool = False) -> ExportResult:
    """Write ``graph`` to ``path`` in ``format`` (by default from the file extension).

    Parameters
    ----------
    graph : CaseGraph
        What to write; its ``marking`` must allow ``recipient`` when one is named.
    path : file (or, for ``i2``/``csv``, a folder or file stem) to write
    format : one of :data:`FORMATS`
    recipient : ISO2 country the export is made for
    pseudonyms : replace labels by stable pseudonyms (PERSON-001)

    Raises
    ------
    ReleasabilityError
        When the graph holds material the recipient may not receive.
    """
    path = Path(path)
    fmt = (format or _format_from_path(path)).lower()
    if fmt not in FORMATS:
        raise NetintelError(f"{path}: unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    marking: Marking = graph.marking
    if recipient is not None:
        from .handling import country_code

        recipient = country_code(recipient, what="recipient")
    if recipient is not None and not marking.allows(recipient):
        raise ReleasabilityError(
            f"this graph is marked {marking.banner}: it may not be exported for {recipient.upper()}; "
            f"build it with build_graph(ws, recipient={recipient.upper()!r}) to keep only what "
            f"{recipient.upper()} may receive")
    nodes, edges = _tables(graph, pseudonyms)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = {"gexf": _gexf, "graphml": _graphml, "cytoscape": _cytoscape, "i2": _i2, "ftm": _ftm,
              "stix": _stix, "csv": _csv, "xlsx": _xlsx}[fmt]
    paths, skipped = writer(nodes, edges, path, marking)
    return ExportResult(fmt, tuple(paths), len(nodes), len(edges), marking,
                        recipient.upper() if recipient else None, skipped)


def _format_from_path(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    return {"json": "cytoscape", "cyjs": "cytoscape", "jsonl": "ftm", "ftm": "ftm", "stix": "stix",
            "xml": "graphml", "": "csv"}.get(ext, ext)


# -- tables ------------------------------------------------------------------------------------
def _flat(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, (pd.Timestamp, datetime)):
        return None if pd.isna(value) else value.isoformat()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _tables(graph: Any, pseudonyms: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = graph.nodes.copy()
    edges = graph.edges.copy()
    if pseudonyms:
        names = pseudonymise(nodes)
        nodes["label"] = nodes["id"].map(names)
    nodes = nodes.sort_values("id").reset_index(drop=True)
    edges = edges.sort_values(["source", "target", "kind"]).reset_index(drop=True)
    edges.insert(0, "edge_id", [f"e{i}" for i in range(len(edges))])
    return nodes, edges


_NODE_ATTRS = ("label", "kind", "countries", "agencies", "n_records", "handling", "releasable_to", "community")
_EDGE_ATTRS = ("kind", "weight", "count", "amount", "currency", "first_seen", "last_seen", "agencies",
               "n_records", "grading", "handling", "link_ids")


def _attrs(row: pd.Series, names: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        if name in row.index:
            v = _flat(row[name])
            if v is not None and v != "":
                out[name] = v
    return out


def _networkx(nodes: pd.DataFrame, edges: pd.DataFrame, marking: Marking) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(marking=marking.banner, handling=marking.handling,
                        releasable_to="; ".join(marking.releasable_to))
    for _, row in nodes.iterrows():
        g.add_node(row["id"], **_attrs(row, _NODE_ATTRS))
    for _, row in edges.iterrows():
        g.add_edge(row["source"], row["target"], key=row["edge_id"], **_attrs(row, _EDGE_ATTRS))
    return g


def _gexf(nodes, edges, path, marking):
    g = _networkx(nodes, edges, marking)
    nx.write_gexf(g, path, version="1.2draft")
    return [path], {}


def _graphml(nodes, edges, path, marking):
    g = _networkx(nodes, edges, marking)
    nx.write_graphml(g, path, named_key_ids=True)
    return [path], {}


def _cytoscape(nodes, edges, path, marking):
    elements = {
        # "value" and "name" as networkx's cytoscape reader expects; Cytoscape.js ignores extra data.
        "nodes": [{"data": {"id": str(r["id"]), "value": str(r["id"]), "name": str(r.get("label") or r["id"]),
                            **_attrs(r, _NODE_ATTRS)}} for _, r in nodes.iterrows()],
        "edges": [{"data": {"id": r["edge_id"], "source": str(r["source"]), "target": str(r["target"]),
                            **_attrs(r, _EDGE_ATTRS)}} for _, r in edges.iterrows()],
    }
    doc = {"format_version": "1.0", "generated_by": "netintel", "target_cytoscapejs_version": "~3.0",
           "directed": True, "multigraph": True,
           "data": {"name": "netintel export", "marking": marking.banner, "handling": marking.handling,
                    "releasable_to": list(marking.releasable_to)},
           "elements": elements}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), "utf-8")
    return [path], {}


def _stem(path: Path) -> Path:
    return path.with_suffix("") if path.suffix else path / "netintel"


def _safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        out[col] = [neutralise(_flat(v)) for v in out[col]]
    return out


def _node_table(nodes: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("id",) + _NODE_ATTRS if c in nodes.columns]
    return _safe_frame(nodes[cols])


def _edge_table(edges: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("edge_id", "source", "target") + _EDGE_ATTRS if c in edges.columns]
    return _safe_frame(edges[cols])


def _marking_rows(marking: Marking) -> pd.DataFrame:
    return pd.DataFrame([{"handling": marking.handling, "releasable_to": "; ".join(marking.releasable_to),
                          "caveat": marking.banner}])


def _csv(nodes, edges, path, marking):
    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("entities", _node_table(nodes)), ("links", _edge_table(edges)),
                        ("marking", _marking_rows(marking))):
        target = stem.parent / f"{stem.name}_{name}.csv"
        frame.to_csv(target, index=False)
        written.append(target)
    return written, {}


def _xlsx(nodes, edges, path, marking):
    import io

    from ._files import stable_xlsx

    target = path if path.suffix else path.with_suffix(".xlsx")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        _marking_rows(marking).to_excel(xl, sheet_name="Marking", index=False)
        _node_table(nodes).to_excel(xl, sheet_name="Entities", index=False)
        _edge_table(edges).to_excel(xl, sheet_name="Links", index=False)
    # the same graph gives the same bytes: no clock time inside the workbook
    target.write_bytes(stable_xlsx(buf.getvalue(), datetime(2000, 1, 1)))
    return [target], {}


# -- i2 Analyst's Notebook ---------------------------------------------------------------------
#: Our entity kinds as i2 entity types (the default i2 type palette names).
I2_ENTITY_TYPES = {
    "person": "Person", "organisation": "Organization", "phone": "Telephone", "email": "Email Address",
    "bank_account": "Account", "crypto_wallet": "Account", "vehicle": "Vehicle", "vessel": "Vessel",
    "address": "Address", "location": "Location", "identity_document": "Document", "domain": "Web Site",
    "ip_address": "IP Address", "url": "Web Site",
}
I2_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def _i2(nodes, edges, path, marking):
    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    ent = pd.DataFrame({
        "Identity": nodes["id"].astype(str),
        "Entity Type": [I2_ENTITY_TYPES.get(k, "Other") for k in nodes["kind"]],
        "Label": nodes["label"].fillna("").astype(str),
        "Kind": nodes["kind"],
        "Countries": [_flat(v) for v in nodes.get("countries", pd.Series([None] * len(nodes)))],
        "Agencies": [_flat(v) for v in nodes.get("agencies", pd.Series([None] * len(nodes)))],
        "Handling": nodes.get("handling", pd.Series([marking.handling] * len(nodes))),
    })
    def when(series_name):
        s = edges[series_name] if series_name in edges else pd.Series([None] * len(edges))
        return [pd.Timestamp(v).strftime(I2_DATE_FORMAT) if v is not None and not pd.isna(v) else "" for v in s]
    lnk = pd.DataFrame({
        "Link Identity": edges["edge_id"],
        "From Identity": edges["source"].astype(str),
        "To Identity": edges["target"].astype(str),
        "Link Type": edges["kind"],
        "Direction": ["Directed" if d else "None" for d in edges.get("directed", pd.Series([True] * len(edges)))],
        "Strength": edges.get("weight", pd.Series([1.0] * len(edges))),
        "Count": edges.get("count", pd.Series([1] * len(edges))),
        "First Seen": when("first_seen"),
        "Last Seen": when("last_seen"),
        "Agencies": [_flat(v) for v in edges.get("agencies", pd.Series([None] * len(edges)))],
        "Grading": edges.get("grading", pd.Series([None] * len(edges))),
        "Handling": edges.get("handling", pd.Series([marking.handling] * len(edges))),
    })
    ent_path = stem.parent / f"{stem.name}_i2_entities.csv"
    lnk_path = stem.parent / f"{stem.name}_i2_links.csv"
    spec_path = stem.parent / f"{stem.name}_i2_import.ximp"
    _safe_frame(ent).to_csv(ent_path, index=False, encoding="utf-8-sig")
    _safe_frame(lnk).to_csv(lnk_path, index=False, encoding="utf-8-sig")
    spec_path.write_text(_i2_spec(ent_path.name, lnk_path.name, marking), "utf-8")
    return [ent_path, lnk_path, spec_path], {}


def _i2_spec(entities_file: str, links_file: str, marking: Marking) -> str:
    """An import specification in the spirit of i2 ANB's: which column is identity, type, label, date."""
    root = ET.Element("ImportSpecification", {"name": "netintel", "version": "1", "caveat": marking.banner})
    src = ET.SubElement(root, "Source", {"file": entities_file, "type": "entities", "headerRow": "1",
                                         "encoding": "UTF-8", "delimiter": ","})
    ET.SubElement(src, "Column", {"name": "Identity", "role": "identity"})
    ET.SubElement(src, "Column", {"name": "Entity Type", "role": "type",
                                  "allowed": "; ".join(sorted(set(I2_ENTITY_TYPES.values()) | {"Other"}))})
    ET.SubElement(src, "Column", {"name": "Label", "role": "label"})
    for name in ("Kind", "Countries", "Agencies", "Handling"):
        ET.SubElement(src, "Column", {"name": name, "role": "attribute", "attributeType": "text"})
    lsrc = ET.SubElement(root, "Source", {"file": links_file, "type": "links", "headerRow": "1",
                                          "encoding": "UTF-8", "delimiter": ","})
    ET.SubElement(lsrc, "Column", {"name": "Link Identity", "role": "identity"})
    ET.SubElement(lsrc, "Column", {"name": "From Identity", "role": "end1", "references": "entities.Identity"})
    ET.SubElement(lsrc, "Column", {"name": "To Identity", "role": "end2", "references": "entities.Identity"})
    ET.SubElement(lsrc, "Column", {"name": "Link Type", "role": "type"})
    ET.SubElement(lsrc, "Column", {"name": "Direction", "role": "direction", "allowed": "Directed; None"})
    ET.SubElement(lsrc, "Column", {"name": "Strength", "role": "attribute", "attributeType": "number"})
    ET.SubElement(lsrc, "Column", {"name": "Count", "role": "attribute", "attributeType": "number"})
    for name in ("First Seen", "Last Seen"):
        ET.SubElement(lsrc, "Column", {"name": name, "role": "datetime", "format": "yyyy-MM-dd HH:mm:ss"})
    for name in ("Agencies", "Grading", "Handling"):
        ET.SubElement(lsrc, "Column", {"name": name, "role": "attribute", "attributeType": "text"})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# -- FollowTheMoney ----------------------------------------------------------------------------
_FTM_SCHEMA = {"person": "Person", "organisation": "Company", "bank_account": "BankAccount",
               "crypto_wallet": "CryptoWallet", "vehicle": "Vehicle", "vessel": "Vessel", "address": "Address",
               "identity_document": "Identification", "user_account": "UserAccount"}
_FTM_NAME_PROP = {"Person": "name", "Company": "name", "BankAccount": "iban", "CryptoWallet": "publicKey",
                  "Vehicle": "registrationNumber", "Vessel": "name", "Address": "full",
                  "Identification": "number", "UserAccount": "username"}
_FTM_HOLDER_PROP = {"phone": "phone", "email": "email", "domain": "website", "url": "website"}
# link kind -> (schema, source property, target property)
_FTM_LINKS = {
    "family_of": ("Family", "person", "relative"), "associate_of": ("Associate", "person", "associate"),
    "member_of": ("Membership", "member", "organization"), "employs": ("Employment", "employer", "employee"),
    "directs": ("Directorship", "director", "organization"), "controls": ("Directorship", "director", "organization"),
    "owns": ("Ownership", "owner", "asset"), "transfer": ("Payment", "payer", "beneficiary"),
    "call": ("Call", "caller", "receiver"),
}


def _ftm(nodes, edges, path, marking):
    from followthemoney import model

    skipped: dict[str, int] = {}
    proxies: dict[str, Any] = {}
    for _, row in nodes.iterrows():
        schema = _FTM_SCHEMA.get(row["kind"])
        if schema is None:
            continue
        proxy = model.make_entity(schema)
        proxy.id = str(row["id"])
        label = str(row.get("label") or row["id"])
        proxy.add(_FTM_NAME_PROP[schema], label, quiet=True)
        if schema not in ("Person", "Company", "Vessel"):
            proxy.add("name", label, quiet=True) if schema in ("Vehicle", "BankAccount", "CryptoWallet", "UserAccount") else None
        for cc in row.get("countries") or []:
            proxy.add("country", cc, quiet=True)
        proxy.add("publisher", _flat(row.get("agencies")) or "", quiet=True)
        proxy.add("summary", f"handling {row.get('handling') or marking.handling}", quiet=True)
        proxies[proxy.id] = proxy
    kinds = dict(zip(nodes["id"].astype(str), nodes["kind"]))
    labels = dict(zip(nodes["id"].astype(str), nodes["label"].fillna("").astype(str)))
    lines = []
    for _, row in edges.iterrows():
        src, dst = str(row["source"]), str(row["target"])
        # Identifier entities FtM has no schema for become properties of who uses them.
        if row["kind"] in ("uses", "owns", "registered_to"):
            holder, ident = (src, dst) if kinds.get(dst) in _FTM_HOLDER_PROP else (dst, src)
            if kinds.get(ident) in _FTM_HOLDER_PROP and holder in proxies:
                proxies[holder].add(_FTM_HOLDER_PROP[kinds[ident]], labels[ident], quiet=True)
                continue
        if row["kind"] == "call" and kinds.get(src) == "phone" and kinds.get(dst) == "phone":
            lines.append(_ftm_call(model, row, labels[src], labels[dst]))
            continue
        if src not in proxies or dst not in proxies:
            skipped[f"{row['kind']} links to entities without an FtM schema"] = \
                skipped.get(f"{row['kind']} links to entities without an FtM schema", 0) + 1
            continue
        schema, sprop, tprop = _FTM_LINKS.get(row["kind"], ("UnknownLink", "subject", "object"))
        if row["kind"] == "transfer" and kinds.get(src) == "bank_account" and kinds.get(dst) == "bank_account":
            sprop, tprop = "payerAccount", "beneficiaryAccount"
        link = model.make_entity(schema)
        link.id = f"{row['edge_id']}-{src}-{dst}"[:120]
        try:
            link.add(sprop, src)
            link.add(tprop, dst)
        except Exception:  # the endpoints' schemata do not fit this interval: keep it as UnknownLink
            link = model.make_entity("UnknownLink")
            link.id = f"{row['edge_id']}-{src}-{dst}"[:120]
            link.add("subject", src)
            link.add("object", dst)
        link.add("role", row["kind"], quiet=True)
        if row.get("amount") is not None and not pd.isna(row.get("amount")) and schema == "Payment":
            link.add("amount", f"{float(row['amount']):.2f}", quiet=True)
            link.add("currency", str(row.get("currency") or ""), quiet=True)
        for prop, col in (("startDate", "first_seen"), ("endDate", "last_seen")):
            v = row.get(col)
            if v is not None and not pd.isna(v):
                link.add(prop, pd.Timestamp(v).date().isoformat(), quiet=True)
        link.add("publisher", _flat(row.get("agencies")) or "", quiet=True)
        lines.append(link.to_dict())
    with open(path, "w", encoding="utf-8") as f:
        for proxy in proxies.values():
            f.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    not_ftm = nodes[~nodes["kind"].isin(list(_FTM_SCHEMA))]
    if len(not_ftm):
        skipped["entities of kinds FtM has no schema for (kept as properties where linked)"] = len(not_ftm)
    return [path], skipped


def _ftm_call(model: Any, row: pd.Series, caller: str, receiver: str) -> dict[str, Any]:
    """Calls between two numbers: FtM's Call carries the numbers themselves."""
    call = model.make_entity("Call")
    call.id = f"{row['edge_id']}-{row['source']}-{row['target']}"[:120]
    call.add("callerNumber", caller, quiet=True)
    call.add("receiverNumber", receiver, quiet=True)
    for prop, col in (("startDate", "first_seen"), ("endDate", "last_seen")):
        v = row.get(col)
        if v is not None and not pd.isna(v):
            call.add(prop, pd.Timestamp(v).date().isoformat(), quiet=True)
    call.add("summary", f"{int(row.get('count') or 1)} calls", quiet=True)
    call.add("publisher", _flat(row.get("agencies")) or "", quiet=True)
    return call.to_dict()


# -- STIX 2.1 ----------------------------------------------------------------------------------
_STIX_KINDS = {"domain", "ip_address", "url", "malware", "tool", "threat_actor", "crypto_wallet", "file",
               "indicator", "infrastructure", "campaign", "attack_pattern", "vulnerability", "email"}
_STIX_REL = {"uses": "uses", "indicates": "indicates", "attributed_to": "attributed-to", "targets": "targets",
             "hosts": "hosts", "resolves_to": "resolves-to", "communicates_with": "communicates-with"}


def _stix_marking(handling: str, restrictions: tuple[str, ...] = ()):
    import uuid

    import stix2

    from .handling import _spec as handling_spec, handling_rank

    # a non-TLP code maps onto the TLP level of its rank, and its meaning goes in a statement
    code = handling if handling.startswith("TLP:") else \
        ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")[min(handling_rank(handling), 4)]
    extra = []
    base = {"TLP:CLEAR": stix2.TLP_WHITE, "TLP:GREEN": stix2.TLP_GREEN, "TLP:AMBER": stix2.TLP_AMBER,
            "TLP:AMBER+STRICT": stix2.TLP_AMBER, "TLP:RED": stix2.TLP_RED}[code]
    spec = handling_spec()
    notes = [spec.get("restrictions", {}).get(r, r) for r in restrictions]
    if code == "TLP:AMBER+STRICT" or not handling.startswith("TLP:") or notes:
        statement = f"Handling {handling}: {spec['codes'][handling]['description']}" + "".join(
            f"; {n}" for n in notes)
        # the same statement is the same marking definition in every export (a stable id, not a random one)
        extra.append(stix2.MarkingDefinition(
            id=f"marking-definition--{uuid.uuid5(uuid.NAMESPACE_URL, 'netintel:' + statement)}",
            definition_type="statement",
            created="2026-01-01T00:00:00.000Z",
            definition=stix2.StatementMarking(statement=statement)))
    return base, extra


def _stix(nodes, edges, path, marking):
    import stix2

    tlp, extra = _stix_marking(marking.handling, tuple(getattr(marking, "restrictions", ())))
    marks = [tlp.id] + [m.id for m in extra]
    created = "2026-01-01T00:00:00.000Z"
    identity = stix2.Identity(id="identity--5f5f5f5f-0000-4000-8000-000000000001", name="netintel export",
                              identity_class="system", created=created, modified=created)
    objects: list[Any] = [identity, *extra]
    ids: dict[str, str] = {}
    skipped: dict[str, int] = {}
    import uuid

    def sid(kind: str, key: str) -> str:
        return f"{kind}--{uuid.uuid5(uuid.NAMESPACE_URL, 'netintel:' + key)}"

    common = {"created_by_ref": identity.id, "created": created, "modified": created, "object_marking_refs": marks}
    for _, row in nodes.iterrows():
        kind, label, key = row["kind"], str(row.get("label") or row["id"]), str(row["id"])
        if kind not in _STIX_KINDS:
            continue
        try:
            if kind == "domain":
                obj = stix2.DomainName(value=label, object_marking_refs=marks)
            elif kind == "ip_address":
                obj = (stix2.IPv6Address if ":" in label else stix2.IPv4Address)(value=label, object_marking_refs=marks)
            elif kind == "url":
                obj = stix2.URL(value=label, object_marking_refs=marks)
            elif kind == "email":
                obj = stix2.EmailAddress(value=label, object_marking_refs=marks)
            elif kind == "file":
                obj = stix2.File(name=label, object_marking_refs=marks)
            elif kind == "crypto_wallet":
                # STIX 2.1 has no wallet observable: a custom one, as MISP and OpenCTI exchange them.
                wallet = {"type": "x-crypto-wallet", "id": sid("x-crypto-wallet", key), "spec_version": "2.1",
                          "value": label, "object_marking_refs": marks}
                ids[key] = wallet["id"]
                objects.append(wallet)
                continue
            elif kind == "malware":
                obj = stix2.Malware(id=sid("malware", key), name=label, is_family=True, **common)
            elif kind == "tool":
                obj = stix2.Tool(id=sid("tool", key), name=label, **common)
            elif kind == "threat_actor":
                obj = stix2.ThreatActor(id=sid("threat-actor", key), name=label, **common)
            elif kind == "infrastructure":
                obj = stix2.Infrastructure(id=sid("infrastructure", key), name=label, **common)
            elif kind == "campaign":
                obj = stix2.Campaign(id=sid("campaign", key), name=label, **common)
            elif kind == "attack_pattern":
                obj = stix2.AttackPattern(id=sid("attack-pattern", key), name=label, **common)
            elif kind == "vulnerability":
                obj = stix2.Vulnerability(id=sid("vulnerability", key), name=label, **common)
            else:  # indicator: we keep its label; the pattern needs its observables
                skipped["indicators (exported through their observables)"] = \
                    skipped.get("indicators (exported through their observables)", 0) + 1
                continue
        except Exception as exc:  # an invalid value (a malformed IP) is reported, not silently dropped
            skipped[f"{kind}: {type(exc).__name__}"] = skipped.get(f"{kind}: {type(exc).__name__}", 0) + 1
            continue
        ids[key] = obj.id
        objects.append(obj)
    for _, row in edges.iterrows():
        s, t = ids.get(str(row["source"])), ids.get(str(row["target"]))
        if s is None or t is None:
            continue
        rel = stix2.Relationship(
            id=sid("relationship", f"{row['source']}|{row['kind']}|{row['target']}"),
            relationship_type=_STIX_REL.get(row["kind"], "related-to"), source_ref=s, target_ref=t,
            description=f"netintel link {row['kind']}; reported by {_flat(row.get('agencies')) or 'n/a'}; "
                        f"grading {row.get('grading') or 'n/a'}", **common)
        objects.append(rel)
    bundle = stix2.Bundle(objects=objects, allow_custom=True,
                          id=f"bundle--{uuid.uuid5(uuid.NAMESPACE_URL, 'netintel-bundle:' + '|'.join(sorted(ids)))}")
    path.write_text(bundle.serialize(pretty=True), "utf-8")
    return [path], skipped
