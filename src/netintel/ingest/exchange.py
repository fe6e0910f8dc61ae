"""Graph exchange files netintel (or a partner using it) exported, read back into a workspace.

:func:`netintel.export.export_graph` writes GEXF, GraphML, Cytoscape JSON, i2 tables, CSV tables
and XLSX workbooks that carry every entity with its kind, label, properties, grading, handling and
releasability, and every link with its kind, direction, count, weight, amount, first and last seen
and provenance. This loader reads each of them into the common model, so an export re-imported
into an empty workspace gives back what the format can carry (``docs/FORMATS.md``).

Recognised by (:func:`exchange_kind`):

============== ======================================================================
``gexf``        a ``.gexf`` file (GEXF 1.2 or 1.3; node and edge attributes by title)
``graphml``     a ``.graphml`` file (data keys by ``attr.name``)
``cytoscape``   a ``.cyjs`` file, or JSON whose top object has ``elements``
``xlsx``        a workbook with ``Entities`` and ``Links`` sheets (netintel's columns)
``i2``/``csv``  entity or link tables with netintel's i2 or CSV columns; a link table finds
                its ends' kinds in the entity table beside it (``*_entities.csv``)
``marking``     the marking table beside CSV tables (read, nothing to import)
============== ======================================================================

Every node and every edge is one record: an entity whose source record id is the exported id (so
the links of a links table find the entities of the entities table beside it), a link whose
source record id is the exported link id. Each record gets its own grading, handling and
releasability from the file; agencies that reported it stay as ``reported_by``.

Examples
--------
>>> exchange_kind_of_columns(["Link Identity", "From Identity", "To Identity", "Link Type"])
'i2_links'
>>> exchange_kind_of_columns(["source", "target", "weight"]) is None
True
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..errors import InputError
from ._common import BatchBuilder, RecordError, clean, parse_datetime

__all__ = ["FORMAT", "load_exchange", "exchange_kind", "exchange_kind_of_columns", "SUFFIXES"]

FORMAT = "exchange"
#: File extensions that are graph exchange files whatever their content.
SUFFIXES = (".gexf", ".graphml", ".cyjs")

# the columns of each table netintel writes -> the canonical field names below
_I2_NODES = {"Identity": "id", "Label": "label", "Kind": "kind", "Countries": "countries", "Agencies": "agencies",
             "Grading": "grading", "Handling": "handling", "Releasable To": "releasable_to",
             "Properties": "properties"}
_I2_EDGES = {"Link Identity": "edge_id", "From Identity": "source", "To Identity": "target", "Link Type": "kind",
             "Direction": "directed", "Strength": "weight", "Count": "count", "Amount": "amount",
             "Currency": "currency", "First Seen": "first_seen", "Last Seen": "last_seen", "Agencies": "agencies",
             "Grading": "grading", "Handling": "handling", "Releasable To": "releasable_to"}
_SIGNATURES = (  # (kind, columns that must lead the header)
    ("i2_entities", ("Identity", "Entity Type", "Label")), ("i2_links", ("Link Identity", "From Identity", "To Identity")),
    ("entities", ("id", "label", "kind")), ("links", ("edge_id", "source", "target", "kind")),
    ("marking", ("handling", "releasable_to", "caveat")),
)


def exchange_kind_of_columns(columns: Sequence[Any]) -> str | None:
    """Which netintel table a header is (``i2_entities``, ``i2_links``, ``entities``, ``links``, ``marking``)."""
    cols = [str(c).strip().lstrip("\ufeff") for c in columns]
    for kind, lead in _SIGNATURES:
        if tuple(cols[: len(lead)]) == lead:
            return kind
    return None


def exchange_kind(path: str | Path) -> str | None:
    """``gexf``, ``graphml``, ``cytoscape`` or ``xlsx`` for a graph file netintel can read back, else None."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gexf":
        return "gexf"
    if suffix == ".graphml":
        return "graphml"
    if suffix == ".cyjs":
        return "cytoscape"
    if suffix == ".json":
        try:
            with open(path, "rb") as f:
                head = f.read(1 << 16).decode("utf-8-sig", "replace")
        except OSError:
            return None
        return "cytoscape" if '"elements"' in head and ('"nodes"' in head or '"edges"' in head) else None
    if suffix in (".xlsx", ".xlsm"):
        try:  # calamine reads the sheet names alone (openpyxl's read-only open parses every sheet's size)
            from python_calamine import CalamineWorkbook

            names = CalamineWorkbook.from_path(str(path)).sheet_names
        except Exception:  # not a workbook calamine reads: the table reader reports it
            return None
        return "xlsx" if {"Entities", "Links"} <= set(names) else None
    return None


# ---------------------------------------------------------------------------------------------
# Reading each format into plain node and edge rows
# ---------------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"is not well-formed XML ({exc})", file=str(path),
                         hint="ask for the export again; a truncated file cannot be read") from None


def _gexf_rows(path: Path) -> tuple[list[dict], list[dict]]:
    root = _parse_xml(path)
    titles: dict[tuple[str, str], str] = {}
    for block in root.iter():
        if _local(block.tag) == "attributes":
            for a in block:
                if _local(a.tag) == "attribute":
                    titles[(block.get("class", "node"), a.get("id"))] = a.get("title") or a.get("id")
    nodes, edges = [], []
    for el in root.iter():
        tag = _local(el.tag)
        if tag not in ("node", "edge"):
            continue
        row: dict[str, Any] = {k: v for k, v in el.attrib.items() if k in ("id", "label", "source", "target")}
        if tag == "edge":
            row["edge_id"] = row.pop("id", None)
            row["kind"] = el.get("kind") or el.get("label")
            row["weight"] = el.get("weight")
            if el.get("type"):
                row["directed"] = el.get("type") != "undirected"
        for att in el.iter():
            if _local(att.tag) == "attvalue":
                row[titles.get((tag, att.get("for")), att.get("for"))] = att.get("value")
        (nodes if tag == "node" else edges).append(row)
    return nodes, edges


def _graphml_rows(path: Path) -> tuple[list[dict], list[dict]]:
    root = _parse_xml(path)
    names = {k.get("id"): k.get("attr.name") or k.get("id") for k in root.iter() if _local(k.tag) == "key"}
    nodes, edges = [], []
    for el in root.iter():
        tag = _local(el.tag)
        if tag not in ("node", "edge"):
            continue
        row: dict[str, Any] = {k: v for k, v in el.attrib.items() if k in ("id", "source", "target")}
        if tag == "edge":
            row["edge_id"] = row.pop("id", None)
            if el.get("directed") is not None:
                row["directed"] = el.get("directed")
        for d in el:
            if _local(d.tag) == "data":
                row[names.get(d.get("key"), d.get("key"))] = d.text
        (nodes if tag == "node" else edges).append(row)
    return nodes, edges


def _cytoscape_rows(path: Path) -> tuple[list[dict], list[dict]]:
    try:
        doc = json.loads(path.read_text("utf-8-sig"))
    except ValueError as exc:
        raise InputError(f"is not valid JSON ({exc})", file=str(path), hint="ask for the export again") from None
    elements = doc.get("elements") if isinstance(doc, dict) else None
    if isinstance(elements, list):  # the flat form: one list, edges have source and target
        elements = {"nodes": [e for e in elements if "source" not in e.get("data", {})],
                    "edges": [e for e in elements if "source" in e.get("data", {})]}
    if not isinstance(elements, dict):
        raise InputError("is not Cytoscape JSON: it has no \"elements\" with nodes and edges", file=str(path))
    nodes = [dict(n.get("data") or {}) for n in elements.get("nodes") or []]
    edges = []
    for e in elements.get("edges") or []:
        data = dict(e.get("data") or {})
        data["edge_id"] = data.pop("id", None)
        data.setdefault("kind", data.get("interaction"))
        edges.append(data)
    for n in nodes:
        n.setdefault("label", n.get("name"))
    return nodes, edges


def _frame_rows(frame: pd.DataFrame, names: dict[str, str] | None = None) -> list[dict]:
    frame = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff"))
    if names:
        frame = frame.rename(columns=names)
    return [{k: v for k, v in row.items()} for row in frame.to_dict("records")]


def _read_csv(path: Path) -> pd.DataFrame:
    from .tabular import read_table

    table = read_table(path)
    return pd.DataFrame([r.values for r in table.records if r.values is not None], columns=table.columns)


def _i2_direction(rows: list[dict]) -> None:
    for r in rows:
        if "directed" in r:
            r["directed"] = str(r["directed"]).strip().lower() == "directed"


def _sibling(path: Path, kind: str) -> Path:
    name = path.name
    if kind == "i2_links":
        return path.with_name(name.replace("_i2_links", "_i2_entities"))
    return path.with_name(name.replace("_links", "_entities"))


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
def load_exchange(path: str | Path, builder: BatchBuilder) -> None:
    """Read an exported graph file (or one table of an export) into ``builder``.

    Raises :class:`~netintel.errors.InputError` for a file that is none of the exports above, a
    link table without its entity table beside it, or XML/JSON that cannot be parsed.
    """
    path = Path(path)
    kind = exchange_kind(path)
    refs: dict[str, dict] = {}
    if kind == "gexf":
        nodes, edges = _gexf_rows(path)
    elif kind == "graphml":
        nodes, edges = _graphml_rows(path)
    elif kind == "cytoscape":
        nodes, edges = _cytoscape_rows(path)
    elif kind == "xlsx":
        sheets = pd.read_excel(path, sheet_name=["Entities", "Links"], dtype=object)
        nodes, edges = _frame_rows(sheets["Entities"]), _frame_rows(sheets["Links"])
    else:
        frame = _read_csv(path)
        table = exchange_kind_of_columns(frame.columns)
        if table is None:
            raise InputError("is not a table netintel exported (its columns are neither i2's nor netintel's)",
                             file=str(path), hint="give a mapping for the table, or --format")
        nodes, edges = [], []
        if table == "marking":
            return
        if table in ("i2_entities", "entities"):
            nodes = _frame_rows(frame, _I2_NODES if table == "i2_entities" else None)
        else:
            edges = _frame_rows(frame, _I2_EDGES if table == "i2_links" else None)
            if table == "i2_links":
                _i2_direction(edges)
            sibling = _sibling(path, table)
            if not sibling.is_file():
                raise InputError(f"is a link table but the entity table {sibling.name} is not beside it",
                                 file=str(path), hint="import the export's files together (the folder)")
            entity_rows = _frame_rows(_read_csv(sibling), _I2_NODES if table == "i2_links" else None)
            refs = {str(_text(r.get("id"))): r for r in entity_rows}
    _load_rows(builder, nodes, edges, refs)


def _text(value: Any) -> str | None:
    value = clean(value)
    if value is None:
        return None
    text = str(value).strip()
    # a cell neutralised against formula injection on export: the quote is not part of the value
    if text.startswith("'") and len(text) > 1 and text[1] in "=+-@\t\r":
        text = text[1:]
    return text or None


def _split(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    text = _text(value)
    return [] if text is None else [v.strip() for v in text.split(";") if v.strip()]


def _number(value: Any, what: str) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise RecordError(f"{what} {text!r} is not a number") from None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    return None if text is None else text.lower() in ("true", "1", "yes", "directed")


def _prov(builder: BatchBuilder, row: dict[str, Any]) -> dict[str, Any]:
    rel = _split(row.get("releasable_to"))
    return builder.provenance(grading=_text(row.get("grading")), handling=_text(row.get("handling")),
                              releasable_to=rel or None)


def _entity(builder: BatchBuilder, row: dict[str, Any], locator: str) -> tuple[str, str]:
    """Add the entity a node row describes; returns (exported id, entity record id)."""
    model = builder.model
    node_id, kind = _text(row.get("id")), _text(row.get("kind"))
    if node_id is None or kind is None:
        raise RecordError("a node needs an id and a kind")
    if kind not in model.entities:
        raise RecordError(f"unknown entity kind {kind!r}")
    props_text = _text(row.get("properties"))
    try:
        props = json.loads(props_text) if props_text else {}
    except ValueError:
        raise RecordError(f"properties are not JSON: {props_text[:60]!r}") from None
    props = dict(props) if isinstance(props, dict) else {}
    label = _text(row.get("label"))
    ek = model.entity(kind)
    if label and model.label_of(kind, props) != label and ek.label:
        props[ek.label[0]] = label  # the label shown is what the partner saw
    if _split(row.get("agencies")):
        props["reported_by"] = _split(row.get("agencies"))
    props["exported_id"] = node_id
    return node_id, builder.entity(kind, node_id, props, locator=locator, prov=_prov(builder, row))


def _load_rows(builder: BatchBuilder, nodes: Iterable[dict], edges: Iterable[dict], refs: dict[str, dict]) -> None:
    ids: dict[str, str] = {}
    for i, row in enumerate(nodes, start=1):
        locator = f"node {row.get('id') or i}"
        builder.read()
        try:
            node_id, ids_value = _entity(builder, row, locator)
        except RecordError as exc:
            builder.quarantine(locator, str(exc), row)
            continue
        ids[node_id] = ids_value
        builder.accept(locator, row, node_id)
    for i, row in enumerate(edges, start=1):
        locator = f"edge {row.get('edge_id') or i}"
        builder.read()
        try:
            kind = _text(row.get("kind"))
            ends = []
            for role in ("source", "target"):
                end = _text(row.get(role))
                if end is None:
                    raise RecordError(f"the {role} is missing")
                if end not in ids:
                    if end not in refs:
                        raise RecordError(f"the {role} {end!r} is not an entity of the export")
                    # an entity of the entity table beside this link table: the same record (same
                    # agency, id, properties and marking), so the two files agree on it
                    ids[end] = _entity(builder, refs[end], f"node {end}")[1]
                ends.append(ids[end])
            if kind is None:
                raise RecordError("the link kind is missing")
            times = []
            for col in ("first_seen", "last_seen"):
                text = _text(row.get(col))
                times.append(parse_datetime(text) if text else None)
            count = _number(row.get("count"), "count")
            currency = _text(row.get("currency"))
            props = {"reported_by": _split(row.get("agencies"))} if _split(row.get("agencies")) else {}
            directed = _bool(row.get("directed"))
            lid = builder.link(kind, ends[0], ends[1], source_record_id=_text(row.get("edge_id")) or locator,
                               locator=locator, first_seen=times[0], last_seen=times[1],
                               count=int(count) if count is not None else 1,
                               weight=_number(row.get("weight"), "weight"), amount=_number(row.get("amount"), "amount"),
                               currency=currency, properties=props, prov=_prov(builder, row), directed=directed)
        except RecordError as exc:
            builder.quarantine(locator, str(exc), row)
            continue
        builder.accept(locator, row, lid)
