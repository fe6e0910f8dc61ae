"""Exports that travel to other tools, with provenance kept and releasability enforced.

Formats
-------
``gexf``       Gephi (GEXF 1.3, with time spells from first/last seen for Gephi's timeline)
``graphml``    yEd, Gephi, Cytoscape desktop, igraph
``cytoscape``  Cytoscape.js / Cytoscape desktop JSON (``elements`` with ``nodes`` and ``edges``)
``i2``         i2 Analyst's Notebook: entity and link CSV tables plus an import specification
``ftm``        FollowTheMoney JSON lines (OCCRP Aleph)
``stix``       a STIX 2.1 bundle (MISP, OpenCTI): cyber objects as STIX defines them, persons and
               organisations as identities, places as locations, every other entity through the
               netintel extension (an ``extension-definition`` of type ``new-sdo``)
``csv``/``xlsx`` tidy entity and link tables, with the marking beside them

What each format keeps and loses is tabled in ``docs/FORMATS.md``; every format re-imports with
:func:`netintel.ingest.ingest`.

Every export takes the graph it writes (a :class:`netintel.graph.CaseGraph` or anything with
``nodes``, ``edges`` and ``marking``) and, when made for a recipient country, refuses a graph whose
marking does not allow that recipient: build the graph with ``recipient=`` so it holds only what
the recipient may receive. CSV and XLSX cells are neutralised against spreadsheet formula injection;
every text passes :func:`netintel._text.printable` (a control byte in a label gives valid XML);
every file is written to a temporary file first and moved into place, so a failed export never
leaves a partial file. The same graph gives the same bytes, run after run.

``path`` is a file for ``gexf``, ``graphml``, ``cytoscape``, ``ftm``, ``stix`` and ``xlsx``
(the format's extension is added when it has none). For the table formats ``i2`` and ``csv``
it is a file *stem*: ``-o out/case`` writes ``out/case_i2_entities.csv``,
``out/case_i2_links.csv`` and ``out/case_i2_import.ximp`` (an existing folder instead gets
``<folder>/netintel_...``).

Examples
--------
>>> neutralise("=SUM(A1:A9)")
"'=SUM(A1:A9)"
>>> neutralise("+31 6 1234 5678"), neutralise("-12.5"), neutralise("+cmd|' /C calc'!A0")
('+31 6 1234 5678', '-12.5', "'+cmd|' /C calc'!A0")
"""

from __future__ import annotations

import functools
import html
import io
import json
import os
import re
import tempfile
import uuid
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from ._text import printable
from .errors import NetintelError, ReleasabilityError
from .handling import Marking

__all__ = ["FORMATS", "ExportResult", "export_graph", "neutralise", "pseudonymise", "write_marked_csv",
           "STIX_EXTENSION_ID", "NETINTEL_NS"]

FORMATS = ("gexf", "graphml", "cytoscape", "i2", "ftm", "stix", "csv", "xlsx")
_EXTENSIONS = {"gexf": ".gexf", "graphml": ".graphml", "cytoscape": ".cyjs", "ftm": ".ftm.json",
               "stix": ".stix.json", "xlsx": ".xlsx"}

#: Namespace of every UUIDv5 netintel derives (STIX ids, the extension's own id).
NETINTEL_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://netintel.example/ns")
#: The id of the STIX extension-definition that carries netintel's entities and provenance.
STIX_EXTENSION_ID = f"extension-definition--{uuid.uuid5(NETINTEL_NS, 'stix-extension/1.0')}"

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
    n_objects: int | None = None  # STIX objects, FtM entities: what the file holds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``netintel export --json`` prints)."""
        return {"format": self.format, "paths": [str(p) for p in self.paths], "entities": self.n_nodes,
                "links": self.n_edges, "objects": self.n_objects, "handling": self.marking.handling,
                "releasable_to": list(self.marking.releasable_to), "recipient": self.recipient,
                "not_representable": dict(self.skipped)}

    def summary(self) -> str:
        """A few readable lines: what was written, for whom, under which marking, what was left out."""
        who = f" for {self.recipient}" if self.recipient else ""
        held = f" ({self.n_objects} {'objects' if self.format == 'stix' else 'records'})" \
            if self.n_objects is not None else ""
        lines = [f"{self.format} export{who}: {self.n_nodes} entities, {self.n_edges} links{held}",
                 f"marking: {self.marking.banner}"]
        lines += [f"  wrote {p}" for p in self.paths]
        lines += [f"  not representable: {n} {why}" for why, n in sorted(self.skipped.items())]
        return "\n".join(lines)

    def __repr__(self) -> str:
        files = ", ".join(p.name for p in self.paths)
        who = f" for {self.recipient}" if self.recipient else ""
        skipped = f"; not representable: {self.skipped}" if self.skipped else ""
        return (f"<ExportResult {self.format}{who}: {self.n_nodes} entities, {self.n_edges} links -> {files} "
                f"[{self.marking.banner}]{skipped}>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<li>{html.escape(str(p))}</li>" for p in self.paths)
        skipped = "".join(f"<li>{n} {html.escape(why)}</li>" for why, n in sorted(self.skipped.items()))
        return (f"<div><b>{html.escape(self.format)} export</b>: {self.n_nodes} entities, {self.n_edges} links"
                f"<br><i>{html.escape(self.marking.banner)}</i><ul>{rows}</ul>"
                + (f"not representable:<ul>{skipped}</ul>" if skipped else "") + "</div>")


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
    path : str or Path
        The file to write (its format's extension is added when it has none); for ``i2`` and
        ``csv`` a file stem (``out/case`` -> ``out/case_i2_entities.csv`` ...) or an existing folder.
    format : one of :data:`FORMATS`
    recipient : ISO2 country the export is made for
    pseudonyms : replace labels by stable pseudonyms (PERSON-001)

    Returns
    -------
    ExportResult
        The files written and what the format could not represent.

    Raises
    ------
    ReleasabilityError
        When the graph holds material the recipient may not receive.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netintel.graph import CaseGraph
    >>> g = CaseGraph.from_frames(pd.DataFrame({"source": ["a"], "target": ["b"], "kind": ["associate_of"]}))
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in export_graph(g, out / "case", format="i2").paths]
    ['case_i2_entities.csv', 'case_i2_links.csv', 'case_i2_import.ximp']
    >>> export_graph(g, out / "case", format="gexf").paths[0].name
    'case.gexf'
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
    tables = graph if isinstance(graph, ExportTables) else prepare_tables(graph, pseudonyms=pseudonyms)
    if tables.pseudonyms != pseudonyms:
        raise NetintelError(f"these export tables were prepared with pseudonyms={tables.pseudonyms}; prepare them "
                            f"again with pseudonyms={pseudonyms} (or pass the graph itself)")
    if fmt in _EXTENSIONS and not path.suffix:
        path = path.with_name(path.name + _EXTENSIONS[fmt])
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = {"gexf": _gexf, "graphml": _graphml, "cytoscape": _cytoscape, "i2": _i2, "ftm": _ftm,
              "stix": _stix, "csv": _csv, "xlsx": _xlsx}[fmt]
    paths, skipped, n_objects = writer(tables, path, marking)
    return ExportResult(fmt, tuple(paths), len(tables.nodes), len(tables.edges), marking,
                        recipient.upper() if recipient else None, skipped, n_objects)


def _format_from_path(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".stix.json", ".stix")):
        return "stix"
    if name.endswith((".ftm.json", ".jsonl", ".ftm")):
        return "ftm"
    ext = path.suffix.lower().lstrip(".")
    return {"json": "cytoscape", "cyjs": "cytoscape", "xml": "graphml", "ximp": "i2", "": "csv"}.get(ext, ext)


# -- writing files whole -----------------------------------------------------------------------
@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only when the block succeeds."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write(path: Path, data: str | bytes) -> Path:
    with _atomic(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, "utf-8")
        else:
            tmp.write_bytes(data)
    return path


# -- tidy values -------------------------------------------------------------------------------
def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return value is pd.NaT or (isinstance(value, pd.Timestamp) and pd.isna(value))


def _iso(value: Any) -> str | None:
    if _is_missing(value) or value == "":
        return None
    ts = pd.Timestamp(value)
    return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()


def _flat(value: Any) -> Any:
    """One cell: lists as ``;``-joined text, dicts as JSON, times in ISO 8601, text printable."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, set)):
        items = sorted(value) if isinstance(value, set) else value
        return printable("; ".join(str(v) for v in items), keep_newlines=False)
    if isinstance(value, dict):
        return printable(json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True), keep_newlines=False)
    return _scalar(value, one_line=True)


def _scalar(value: Any, *, one_line: bool) -> Any:
    if isinstance(value, (pd.Timestamp, datetime)):
        return _iso(value)
    if _is_missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return printable(value, keep_newlines=not one_line)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(printable(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [_jsonable(v) for v in (sorted(value) if isinstance(value, set) else value)]
    return _scalar(value, one_line=False)


def _list(value: Any) -> list[str]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, set)):
        return [str(printable(v, keep_newlines=False)) for v in value if not _is_missing(v)]
    if _is_missing(value) or value == "":
        return []
    return [str(printable(value, keep_newlines=False))]


def _tables(graph: Any, pseudonyms: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = graph.nodes.copy()
    edges = graph.edges.copy()
    if pseudonyms:
        names = pseudonymise(nodes)
        nodes["label"] = nodes["id"].map(names)
        if "properties" in nodes:  # names inside properties would undo the pseudonyms
            nodes["properties"] = [{} for _ in range(len(nodes))]
    for col, default in (("label", None), ("handling", graph.marking.handling), ("grading", None)):
        if col not in nodes:
            nodes[col] = default
    nodes["id"] = nodes["id"].astype(str)
    nodes["label"] = [printable(str(lab), keep_newlines=False) if not _is_missing(lab) and str(lab) else i
                      for lab, i in zip(nodes["label"], nodes["id"])]
    nodes = nodes.sort_values("id", kind="stable").reset_index(drop=True)
    for col, default in (("kind", "related_to"), ("directed", True), ("count", 1), ("weight", 1.0),
                         ("handling", graph.marking.handling), ("grading", None), ("first_seen", pd.NaT),
                         ("last_seen", pd.NaT)):
        if col not in edges:
            edges[col] = default
    edges["source"] = edges["source"].astype(str)
    edges["target"] = edges["target"].astype(str)
    edges = edges.sort_values(["source", "target", "kind"], kind="stable").reset_index(drop=True)
    edges.insert(0, "edge_id", [f"e{i}" for i in range(len(edges))])
    # a node's time is the span of its dated links (Gephi's timeline shows it then)
    span = pd.concat([edges[["source", "first_seen", "last_seen"]].rename(columns={"source": "id"}),
                      edges[["target", "first_seen", "last_seen"]].rename(columns={"target": "id"})])
    span["first_seen"] = pd.to_datetime(span["first_seen"])
    span["last_seen"] = pd.to_datetime(span["last_seen"])
    agg = span.groupby("id").agg(first_seen=("first_seen", "min"), last_seen=("last_seen", "max"))
    nodes["first_seen"] = nodes["id"].map(agg["first_seen"]) if len(agg) else pd.NaT
    nodes["last_seen"] = nodes["id"].map(agg["last_seen"]) if len(agg) else pd.NaT
    return nodes, edges


class ExportTables:
    """The node and link tables of a graph as every export format writes them, prepared once.

    :func:`export_graph` takes one in place of the graph: a briefing writing seven formats of one
    graph sorts, pseudonymises and flattens its cells once, column by column, not once per format.
    It has the graph's ``nodes``, ``edges`` and ``marking`` (so releasability is checked as for the
    graph) and remembers the cells of each column it has flattened.
    """

    def __init__(self, nodes: pd.DataFrame, edges: pd.DataFrame, marking: Marking, pseudonyms: bool):
        self.nodes, self.edges, self.marking, self.pseudonyms = nodes, edges, marking, pseudonyms
        self._flat: dict[tuple[str, str], list[Any]] = {}

    def flat(self, which: str, name: str) -> list[Any]:
        """The cells of column ``name`` of ``nodes`` or ``edges`` as :func:`_flat` gives them."""
        key = (which, name)
        if key not in self._flat:
            self._flat[key] = _flat_column(getattr(self, which)[name])
        return self._flat[key]

    def attrs(self, which: str, names: Iterable[str]) -> dict[str, list[Any]]:
        """Column -> flattened cells (None where empty) of the attribute columns the table has."""
        frame = getattr(self, which)
        return {n: [None if v == "" else v for v in self.flat(which, n)] for n in names if n in frame.columns}

    def records(self, which: str, names: Iterable[str]) -> list[dict[str, Any]]:
        """One dict per row of its non-empty attributes (what the JSON formats write)."""
        cols = self.attrs(which, names)
        keys = list(cols)
        return [{k: v for k, v in zip(keys, vals) if v is not None} for vals in zip(*cols.values())] \
            if keys else [{} for _ in range(len(getattr(self, which)))]


def prepare_tables(graph: Any, *, pseudonyms: bool = False) -> ExportTables:
    """The tables :func:`export_graph` writes, for writing several formats of one graph."""
    if isinstance(graph, ExportTables):
        return graph
    nodes, edges = _tables(graph, pseudonyms)
    return ExportTables(nodes, edges, graph.marking, pseudonyms)


def _flat_column(column: pd.Series) -> list[Any]:
    """:func:`_flat` of every cell of a column, computed by dtype (numbers and times without a
    call per cell)."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return column.to_numpy(bool).tolist()
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return column.to_numpy().tolist()
    if pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        values = column.to_numpy(float)
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    if pd.api.types.is_datetime64_dtype(dtype):
        return _iso_column(column)
    return [_flat(v) for v in column]


def _iso_column(column: pd.Series) -> list[Any]:
    """:func:`_iso` of a datetime column: the date alone at midnight, else ISO 8601 with the time."""
    if len(column) == 0:
        return []
    t = pd.Series(column.to_numpy(), index=range(len(column)))
    missing = t.isna().to_numpy()
    day = t.dt.strftime("%Y-%m-%d")
    full = t.dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = ((t.dt.microsecond != 0) | (t.dt.nanosecond != 0)).to_numpy()
    midnight = (t == t.dt.normalize()).to_numpy()
    out = np.where(midnight, day.to_numpy(object), full.to_numpy(object)).astype(object)
    for i in np.flatnonzero(fraction & ~missing):  # sub-second times are rare: Timestamp says how
        out[i] = _iso(t.iloc[i])
    out[missing] = None
    return out.tolist()


def _full_iso_column(column: pd.Series) -> np.ndarray:
    """``Timestamp(v).isoformat()`` of a datetime column (None where missing)."""
    t = pd.Series(pd.to_datetime(column, format="ISO8601").to_numpy(), index=range(len(column)))
    out = t.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(object).astype(object)
    fraction = ((t.dt.microsecond != 0) | (t.dt.nanosecond != 0)).to_numpy()
    missing = t.isna().to_numpy()
    for i in np.flatnonzero(fraction & ~missing):
        out[i] = t.iloc[i].isoformat()
    out[missing] = None
    return out


#: ElementTree's escapes of an attribute and of element text, as one translation each (the same
#: text as replacing ``&`` first, then the rest, one pass per character).
_XML_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;",
                                   "\n": "&#10;", "\t": "&#09;"})
_XML_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml_attr_text(values: Iterable[Any]) -> np.ndarray:
    """:func:`_xml_value` of each value, escaped as ElementTree escapes an attribute."""
    return _xml_escaped(values, _XML_ATTR_ESCAPES)


def _xml_cdata_text(values: Iterable[Any]) -> np.ndarray:
    """:func:`_xml_value` of each value, escaped as ElementTree escapes element text."""
    return _xml_escaped(values, _XML_TEXT_ESCAPES)


def _xml_escaped(values: Iterable[Any], table: dict[int, str]) -> np.ndarray:
    texts = [_xml_value(v).translate(table) for v in values]
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    return out


def _joined(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Element-wise concatenation of string columns (object arrays or scalars)."""
    out = np.full(n, "", dtype=object)
    for part in parts:
        out = out + part
    return out


def _splice(tree_text: str, placeholder: str, blocks: np.ndarray, indent: str) -> str:
    """Put the elements written column by column where the placeholder element was indented."""
    mark = f"<{placeholder} />"
    if len(blocks) == 0:
        return tree_text.replace(f"\n{indent}{mark}", "", 1)
    return tree_text.replace(mark, f"\n{indent}".join(blocks.tolist()), 1)


#: Node and link attributes every graph format carries (the entity's own properties as JSON).
NODE_ATTRS = ("label", "kind", "country", "countries", "agencies", "n_records", "grading", "handling",
              "releasable_to", "community", "first_seen", "last_seen", "properties")
EDGE_ATTRS = ("kind", "directed", "weight", "count", "amount", "currency", "first_seen", "last_seen", "agencies",
              "n_records", "grading", "handling", "releasable_to", "link_ids")
_TYPES = {"n_records": "integer", "count": "integer", "weight": "double", "amount": "double",
          "directed": "boolean", "community": "integer"}


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(printable(value, keep_newlines=False))


# -- GEXF 1.3 ----------------------------------------------------------------------------------
GEXF_NS = "http://gexf.net/1.3"


def _gexf(t: ExportTables, path, marking):
    nodes, edges = t.nodes, t.edges
    ET.register_namespace("", GEXF_NS)
    q = lambda tag: f"{{{GEXF_NS}}}{tag}"  # noqa: E731
    root = ET.Element(q("gexf"), {"version": "1.3"})
    meta = ET.SubElement(root, q("meta"), {"lastmodifieddate": _case_date(edges)})
    ET.SubElement(meta, q("creator")).text = "netintel"
    ET.SubElement(meta, q("keywords")).text = f"handling={marking.handling}; " \
                                              f"releasable_to={'; '.join(marking.releasable_to)}"
    ET.SubElement(meta, q("description")).text = marking.banner
    dated = bool(edges["first_seen"].notna().any()) if len(edges) else False
    graph_attrs = {"defaultedgetype": "directed", "mode": "dynamic" if dated else "static"}
    if dated:
        graph_attrs.update(timeformat="date" if _all_days(edges) else "dateTime", timerepresentation="interval")
    g = ET.SubElement(root, q("graph"), graph_attrs)
    node_cols, edge_cols = t.attrs("nodes", NODE_ATTRS), t.attrs("edges", EDGE_ATTRS)
    # the marking of the whole graph, as attributes of the graph Gephi shows in its data laboratory
    graph_keys = {"marking": marking.banner, "marking_handling": marking.handling,
                  "marking_releasable_to": "; ".join(marking.releasable_to)}
    for cls, cols, extra in (("node", node_cols, graph_keys), ("edge", edge_cols, {})):
        names = sorted({k for k, v in cols.items() if k != "label" and any(x is not None for x in v)} | set(extra))
        block = ET.SubElement(g, q("attributes"), {"class": cls, "mode": "static"})
        for name in names:
            a = ET.SubElement(block, q("attribute"), {"id": name, "title": name, "type": _TYPES.get(name, "string")})
            if name in extra:
                ET.SubElement(a, q("default")).text = extra[name]
    date_only = graph_attrs.get("timeformat") == "date"
    # the nodes and links themselves are written column by column (one string per element), where
    # an ElementTree element per row would cost a Python call per cell; the text is the same
    ET.SubElement(ET.SubElement(g, q("nodes")), "netintel-nodes")
    ET.SubElement(ET.SubElement(g, q("edges")), "netintel-edges")
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    n, m = len(nodes), len(edges)
    node_head = _joined(['<node id="', _xml_attr_text(nodes["id"]), '" label="',
                         _xml_attr_text(node_cols["label"]), '"', _gexf_spells(node_cols, date_only, n)], n)
    node_xml = _joined([node_head, ">\n        ", _gexf_attvalues_column(node_cols, n, "        "),
                        "\n      </node>"], n)
    weight = edge_cols.get("weight", [None] * m)
    directed = edge_cols.get("directed", [None] * m)
    kind = _xml_attr_text(edges["kind"])
    edge_head = _joined([
        '<edge id="', _xml_attr_text(edges["edge_id"]), '" source="', _xml_attr_text(edges["source"]),
        '" target="', _xml_attr_text(edges["target"]), '" type="',
        np.array(["directed" if (True if d is None else d) else "undirected" for d in directed], dtype=object),
        '" label="', kind, '" kind="', kind, '" weight="',
        np.array([repr(float(1.0 if w is None else w)) for w in weight], dtype=object), '"',
        _gexf_spells(edge_cols, date_only, m)], m)
    edge_xml = _joined([edge_head, ">\n        ", _gexf_attvalues_column(edge_cols, m, "        "),
                        "\n      </edge>"], m)
    text = _splice(text, "netintel-nodes", node_xml, "      ")
    text = _splice(text, "netintel-edges", edge_xml, "      ")
    return [_write(path, text)], {}, None


def _gexf_spells(cols: dict[str, list[Any]], date_only: bool, n: int) -> np.ndarray:
    """`` start="..." end="..."`` of each row with a first seen time (``end`` falls back to it)."""
    first = cols.get("first_seen")
    if first is None:
        return np.full(n, "", dtype=object)
    last = cols.get("last_seen", [None] * n)
    first_iso = _full_iso_column(pd.Series(first, dtype=object))
    last_iso = _full_iso_column(pd.Series([b if b else a for a, b in zip(first, last)], dtype=object))
    if date_only:
        first_iso = np.array([v[:10] if v is not None else None for v in first_iso], dtype=object)
        last_iso = np.array([v[:10] if v is not None else None for v in last_iso], dtype=object)
    has = np.array([bool(v) for v in first], dtype=bool)
    out = np.full(n, "", dtype=object)
    if has.any():
        out[has] = _joined([' start="', _xml_attr_text(first_iso[has]), '" end="',
                            _xml_attr_text(last_iso[has]), '"'], int(has.sum()))
    return out


def _per_attribute(cols: dict[str, list[Any]], n: int, opening: Any, escape: Any, closing: str, *,
                   skip: tuple[str, ...] = ()) -> np.ndarray:
    """Per row, one element per non-empty attribute in name order (``opening(name)``, the value as
    ``escape`` writes it, ``closing``), joined: the inside of each row's element."""
    inner = np.full(n, "", dtype=object)
    for name in sorted(cols):
        if name in skip:
            continue
        values = cols[name]
        has = np.array([v is not None for v in values], dtype=bool)
        if not has.any():
            continue
        piece = np.full(n, "", dtype=object)
        piece[has] = _joined([opening(name), escape([v for v, h in zip(values, has) if h]), closing], int(has.sum()))
        inner = inner + piece
    return inner


def _gexf_attvalues_column(cols: dict[str, list[Any]], n: int, indent: str) -> np.ndarray:
    """The ``<attvalues>`` element of every row, its values in name order (the label aside)."""
    inner = _per_attribute(cols, n, lambda name: f'\n{indent}  <attvalue for="{name}" value="', _xml_attr_text,
                           '" />', skip=("label",))
    empty = inner == ""
    out = np.where(empty, "<attvalues />", "<attvalues>" + inner.astype(object) + f"\n{indent}</attvalues>")
    return out.astype(object)


def _case_date(edges: pd.DataFrame) -> str:
    """The date of the newest link (never the clock: the same case gives the same file)."""
    last = pd.to_datetime(edges["last_seen"]).max() if len(edges) else pd.NaT
    return "2000-01-01" if pd.isna(last) else last.date().isoformat()


def _all_days(edges: pd.DataFrame) -> bool:
    times = pd.to_datetime(pd.concat([edges["first_seen"], edges["last_seen"]])).dropna()
    return bool((times == times.dt.normalize()).all())


def _full_iso(value: str) -> str:
    return pd.Timestamp(value).isoformat()


# -- GraphML -----------------------------------------------------------------------------------
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def _graphml(t: ExportTables, path, marking):
    nodes, edges = t.nodes, t.edges
    ET.register_namespace("", GRAPHML_NS)
    q = lambda tag: f"{{{GRAPHML_NS}}}{tag}"  # noqa: E731
    root = ET.Element(q("graphml"))
    node_cols, edge_cols = t.attrs("nodes", NODE_ATTRS), t.attrs("edges", EDGE_ATTRS)
    graph_data = {"marking": marking.banner, "handling": marking.handling,
                  "releasable_to": "; ".join(marking.releasable_to)}

    def present(cols: dict[str, list[Any]]) -> list[str]:
        return sorted(k for k, v in cols.items() if any(x is not None for x in v))

    keys: dict[tuple[str, str], str] = {}
    for cls, names in (("graph", sorted(graph_data)), ("node", present(node_cols)), ("edge", present(edge_cols))):
        for name in names:
            key_id = f"{cls[0]}_{name}"
            keys[(cls, name)] = key_id
            ET.SubElement(root, q("key"), {"id": key_id, "for": cls, "attr.name": name,
                                           "attr.type": _TYPES.get(name, "string").replace("integer", "long")})
    g = ET.SubElement(root, q("graph"), {"id": "netintel", "edgedefault": "directed"})
    for name, value in graph_data.items():
        ET.SubElement(g, q("data"), {"key": keys[("graph", name)]}).text = _xml_value(value)
    # nodes and links written column by column (see _gexf), the same text as one element per row
    ET.SubElement(g, "netintel-elements")
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    n, m = len(nodes), len(edges)
    node_xml = _graphml_elements(_joined(['<node id="', _xml_attr_text(nodes["id"]), '"'], n), node_cols, "n",
                                 "node", n)
    directed = edge_cols.get("directed", [None] * m)
    edge_open = _joined([
        '<edge id="', _xml_attr_text(edges["edge_id"]), '" source="', _xml_attr_text(edges["source"]),
        '" target="', _xml_attr_text(edges["target"]), '" directed="',
        np.array(["true" if (True if d is None else d) else "false" for d in directed], dtype=object), '"'], m)
    edge_xml = _graphml_elements(edge_open, edge_cols, "e", "edge", m)
    return [_write(path, _splice(text, "netintel-elements", np.concatenate([node_xml, edge_xml]), "    "))], {}, None


def _graphml_elements(opening: np.ndarray, cols: dict[str, list[Any]], prefix: str, tag: str,
                      n: int) -> np.ndarray:
    """Each row's element with one ``<data>`` per non-empty attribute, in name order."""
    inner = _per_attribute(cols, n, lambda name: f'\n      <data key="{prefix}_{name}">', _xml_cdata_text, "</data>")
    empty = inner == ""
    return np.where(empty, opening + " />", opening + ">" + inner + f"\n    </{tag}>").astype(object)


# -- Cytoscape ---------------------------------------------------------------------------------
def _cytoscape(t: ExportTables, path, marking):
    nodes, edges = t.nodes, t.edges
    elements = {
        # "value" and "name" as networkx's cytoscape reader expects; Cytoscape.js ignores extra data.
        "nodes": [{"data": {"id": str(i), "value": str(i), "name": attrs["label"], **attrs}}
                  for i, attrs in zip(nodes["id"], t.records("nodes", NODE_ATTRS))],
        "edges": [{"data": {"id": e, "source": str(a), "target": str(b), "interaction": str(k), **attrs}}
                  for e, a, b, k, attrs in zip(edges["edge_id"], edges["source"], edges["target"], edges["kind"],
                                               t.records("edges", EDGE_ATTRS))],
    }
    doc = {"format_version": "1.0", "generated_by": "netintel", "target_cytoscapejs_version": "~3.0",
           "directed": True, "multigraph": True,
           "data": {"name": "netintel export", "marking": marking.banner, "handling": marking.handling,
                    "releasable_to": list(marking.releasable_to)},
           "elements": elements}
    return [_write(path, json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n")], {}, None


# -- CSV and XLSX tables -----------------------------------------------------------------------
def _stem(path: Path) -> Path:
    if path.is_dir():
        return path / "netintel"
    return path.with_suffix("") if path.suffix else path


def _safe_frame(df: pd.DataFrame, tables: ExportTables | None = None, which: str | None = None) -> pd.DataFrame:
    """Tidy, formula-safe cells, column by column (flattened cells come from ``tables`` when given)."""
    out = df.copy()
    for col in out.columns:
        cells = tables.flat(which, col) if tables is not None else _flat_column(out[col])
        out[col] = _neutralise_column(pd.Series(cells, index=out.index, dtype=object))
    return out


def _neutralise_column(cells: pd.Series) -> pd.Series:
    """:func:`neutralise` of a column of cells."""
    if cells.empty:
        return cells
    try:
        starts = cells.str.startswith(_FORMULA_START).fillna(False).astype(bool)
    except AttributeError:  # no text in the column (numbers, flags): nothing a spreadsheet could run
        return cells
    if starts.any():
        number = cells[starts].str.match(_PLAIN_NUMBER).fillna(False).astype(bool)
        risky = starts.copy()
        risky[starts] = ~number
        cells = cells.copy()
        cells[risky] = "'" + cells[risky]
    return cells


#: Columns of the entity and link tables (csv, xlsx) in order.
TABLE_NODE_COLUMNS = ("id",) + NODE_ATTRS
TABLE_EDGE_COLUMNS = ("edge_id", "source", "target") + EDGE_ATTRS


def _node_table(t: ExportTables) -> pd.DataFrame:
    return _safe_frame(t.nodes[[c for c in TABLE_NODE_COLUMNS if c in t.nodes.columns]], t, "nodes")


def _edge_table(t: ExportTables) -> pd.DataFrame:
    return _safe_frame(t.edges[[c for c in TABLE_EDGE_COLUMNS if c in t.edges.columns]], t, "edges")


def _marking_rows(marking: Marking) -> pd.DataFrame:
    return pd.DataFrame([{"handling": marking.handling, "releasable_to": "; ".join(marking.releasable_to),
                          "caveat": marking.banner}])


def _csv_text(frame: pd.DataFrame, **kw: Any) -> str:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", **kw)
    return buf.getvalue()


def write_marked_csv(frame: pd.DataFrame, path: str | Path, marking: Marking) -> list[Path]:
    """Write a tidy, formula-safe CSV table and its marking sidecar ``<stem>.marking.txt``.

    Cells are tidy (lists ``;``-joined, dicts as JSON, no Python reprs), text is printable and
    formulas are neutralised; the table keeps a plain header so every tool reads it, and the
    sidecar beside it says how it must be handled. Both are written whole or not at all.

    Returns the two paths (table, sidecar).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    side = path.with_name(path.name.rsplit(".", 1)[0] + ".marking.txt")
    _write(path, _csv_text(_safe_frame(frame)))
    _write(side, f"{marking.banner}\nhandling: {marking.handling}\n"
                 f"releasable_to: {'; '.join(marking.releasable_to)}\ntable: {path.name}\n")
    return [path, side]


def _csv(t: ExportTables, path, marking):
    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("entities", _node_table(t)), ("links", _edge_table(t)),
                        ("marking", _marking_rows(marking))):
        written.append(_write(stem.parent / f"{stem.name}_{name}.csv", _csv_text(frame)))
    return written, {}, None


def _xlsx(t: ExportTables, path, marking):
    from ._files import stable_xlsx

    sheets = {"Marking": _marking_rows(marking), "Entities": _node_table(t), "Links": _edge_table(t)}
    written = [_xlsx_sheet_xml(frame) for frame in sheets.values()]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for (name, frame), xml in zip(sheets.items(), written):
            # openpyxl writes the workbook around the sheets; a sheet written here column by column
            # (the same XML openpyxl writes, cell for cell) replaces its cell-by-cell writing
            (frame.iloc[:0] if xml is not None else frame).to_excel(xl, sheet_name=name, index=False)
    data = buf.getvalue()
    if all(xml is not None for xml in written):
        data = _replace_members(data, {f"xl/worksheets/sheet{i}.xml": xml.encode("ascii")
                                       for i, xml in enumerate(written, start=1)})
    # the same graph gives the same bytes: no clock time inside the workbook
    return [_write(path, stable_xlsx(data, datetime(2000, 1, 1)))], {}, None


_XLSX_HEAD = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr><outlinePr '
              'summaryBelow="1" summaryRight="1"/><pageSetUpPr/></sheetPr><dimension ref="{ref}"/><sheetViews>'
              '<sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
              '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><sheetData>')
_XLSX_TAIL = ('</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
              '</worksheet>')
_XLSX_ERRORS = ('#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A')


def _xlsx_sheet_xml(frame: pd.DataFrame) -> str | None:
    """The worksheet XML openpyxl writes for ``frame`` (header row, then the rows; text inline),
    built column by column; None when a cell is of a kind only openpyxl's own writer handles (a
    formula, an error code, a time, a line break), which then writes the sheet itself."""
    from openpyxl.utils import get_column_letter

    n = len(frame)
    letters = [get_column_letter(i + 1) for i in range(len(frame.columns))]
    if not letters:
        return None
    numbers = np.arange(2, n + 2).astype(str).astype(object)
    header = [_xlsx_cells(letter, np.array(["1"], dtype=object), pd.Series([str(c)], dtype=object))
              for letter, c in zip(letters, frame.columns)]
    if any(h is None for h in header):
        return None
    body = np.full(n, "", dtype=object)
    for letter, col in zip(letters, frame.columns):
        cells = _xlsx_cells(letter, numbers, frame[col])
        if cells is None:
            return None
        body = body + cells
    rows = ('<row r="1">' + "".join(h[0] for h in header) + "</row>"
            + "".join(('<row r="' + numbers + '">' + body + "</row>").tolist()))
    return _XLSX_HEAD.format(ref=f"A1:{letters[-1]}{n + 1}") + rows + _XLSX_TAIL


def _xlsx_cells(letter: str, numbers: np.ndarray, column: pd.Series) -> np.ndarray | None:
    """One column's ``<c>`` elements as openpyxl writes them (pandas' empty cells are empty text)."""
    values = column.to_numpy(object)
    n = len(values)
    kinds = pd.Series(values, dtype=object).map(type).to_numpy(object)
    ref = '<c r="' + letter + numbers + '" t="'
    out = np.empty(n, dtype=object)
    text = kinds == str
    empty = np.array([k is type(None) for k in kinds], dtype=bool) if n else np.zeros(0, bool)
    boolean = kinds == bool
    number = np.isin(kinds, [int, float, np.int64, np.float64, np.int32, np.float32])
    if not (text | empty | boolean | number).all():
        return None
    if text.any():
        strings = pd.Series(values[text], dtype=object).str.slice(0, 32767)
        if (strings.str.contains("\r", regex=False).any() or strings.isin(_XLSX_ERRORS).any()
                or ((strings.str.len() > 1) & strings.str.startswith("=")).any()):
            return None
        blank = (strings == "").to_numpy(bool)
        padded = (strings != strings.str.strip()).to_numpy(bool) & ~blank
        escaped = (strings.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
                   .str.replace(">", "&gt;", regex=False)
                   .str.encode("ascii", "xmlcharrefreplace").str.decode("ascii")).to_numpy(object)
        opening = np.where(padded, '<t xml:space="preserve">', "<t>").astype(object)
        cell = np.where(blank, 'inlineStr"></c>', 'inlineStr"><is>' + opening + escaped + "</t></is></c>")
        out[text] = ref[text] + cell.astype(object)
    if empty.any():
        out[empty] = ref[empty] + 'inlineStr"></c>'
    if boolean.any():
        out[boolean] = ref[boolean] + np.where(values[boolean].astype(bool), 'b"><v>1</v></c>',
                                               'b"><v>0</v></c>').astype(object)
    if number.any():
        nums = values[number].astype(float)
        if np.isinf(nums).any():
            return None  # pandas writes infinity as text of its own
        missing = np.zeros(n, dtype=bool)
        missing[np.flatnonzero(number)[np.isnan(nums)]] = True
        number &= ~missing
        out[missing] = ref[missing] + 'inlineStr"></c>'  # pandas writes NaN as an empty cell
        shown = np.array(["%.16g" % v for v in values[number]], dtype=object)
        out[number] = ref[number] + 'n"><v>' + shown + "</v></c>"
    return out


def _replace_members(data: bytes, members: dict[str, bytes]) -> bytes:
    """A zip archive with some members' contents replaced (order and names kept)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, members.get(item.filename, src.read(item.filename)))
    return out.getvalue()


# -- i2 Analyst's Notebook ---------------------------------------------------------------------
#: Our entity kinds as i2 entity types (the default i2 type palette names).
I2_ENTITY_TYPES = {
    "person": "Person", "organisation": "Organization", "phone": "Telephone", "email": "Email Address",
    "bank_account": "Account", "crypto_wallet": "Account", "vehicle": "Vehicle", "vessel": "Vessel",
    "address": "Address", "location": "Location", "identity_document": "Document", "domain": "Web Site",
    "ip_address": "IP Address", "url": "Web Site",
}
I2_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: i2 entity table columns: (column, role, attribute type, netintel column)
I2_ENTITY_COLUMNS = (
    ("Identity", "identity", None, "id"), ("Entity Type", "type", None, None), ("Label", "label", None, "label"),
    ("Kind", "attribute", "text", "kind"), ("Countries", "attribute", "text", "countries"),
    ("Agencies", "attribute", "text", "agencies"), ("Grading", "attribute", "text", "grading"),
    ("Handling", "attribute", "text", "handling"), ("Releasable To", "attribute", "text", "releasable_to"),
    ("Properties", "attribute", "text", "properties"),
)
I2_LINK_COLUMNS = (
    ("Link Identity", "identity", None, "edge_id"), ("From Identity", "end1", None, "source"),
    ("To Identity", "end2", None, "target"), ("Link Type", "type", None, "kind"),
    ("Direction", "direction", None, "directed"), ("Strength", "attribute", "number", "weight"),
    ("Count", "attribute", "number", "count"), ("Amount", "attribute", "number", "amount"),
    ("Currency", "attribute", "text", "currency"), ("First Seen", "datetime", None, "first_seen"),
    ("Last Seen", "datetime", None, "last_seen"), ("Agencies", "attribute", "text", "agencies"),
    ("Grading", "attribute", "text", "grading"), ("Handling", "attribute", "text", "handling"),
    ("Releasable To", "attribute", "text", "releasable_to"),
)


def _i2_paths(path: Path) -> tuple[Path, Path, Path]:
    stem = _stem(path)
    for suffix in ("_i2_entities", "_i2_links", "_i2_import"):  # named after one of its own files
        if stem.name.endswith(suffix):
            stem = stem.with_name(stem.name[: -len(suffix)])
    return (stem.parent / f"{stem.name}_i2_entities.csv", stem.parent / f"{stem.name}_i2_links.csv",
            stem.parent / f"{stem.name}_i2_import.ximp")


def _i2(t: ExportTables, path, marking):
    nodes, edges = t.nodes, t.edges
    ent_path, lnk_path, spec_path = _i2_paths(path)
    ent_path.parent.mkdir(parents=True, exist_ok=True)
    ent = pd.DataFrame({col: (nodes[src] if src in nodes else None) if src else
                        [I2_ENTITY_TYPES.get(k, "Other") for k in nodes["kind"]]
                        for col, _, _, src in I2_ENTITY_COLUMNS}, index=nodes.index)

    def when(series: pd.Series) -> np.ndarray:
        if pd.api.types.is_datetime64_dtype(series.dtype):
            return series.dt.strftime(I2_DATE_FORMAT).fillna("").to_numpy(object)
        return np.array(["" if _is_missing(v) else pd.Timestamp(v).strftime(I2_DATE_FORMAT) for v in series],
                        dtype=object)

    lnk = pd.DataFrame({col: (edges[src] if src in edges else None) for col, _, _, src in I2_LINK_COLUMNS},
                       index=edges.index)
    lnk["Direction"] = np.where(edges["directed"].astype(bool).to_numpy(), "Directed", "None").astype(object)
    lnk["First Seen"], lnk["Last Seen"] = when(edges["first_seen"]), when(edges["last_seen"])
    _write(ent_path, "\ufeff" + _csv_text(_safe_frame(ent)))
    _write(lnk_path, "\ufeff" + _csv_text(_safe_frame(lnk)))
    _write(spec_path, _i2_spec(ent_path.name, lnk_path.name, marking))
    return [ent_path, lnk_path, spec_path], {}, None


def _i2_spec(entities_file: str, links_file: str, marking: Marking) -> str:
    """The import specification: which column is identity, type, label, end, direction and date.

    Its structure is checked by :data:`I2_SPEC_SCHEMA` (tests validate every spec against it).
    """
    root = ET.Element("ImportSpecification", {"name": "netintel", "version": "1", "caveat": marking.banner})
    ET.SubElement(root, "Marking", {"handling": marking.handling,
                                    "releasableTo": "; ".join(marking.releasable_to)}).text = marking.banner
    for file, kind, columns in ((entities_file, "entities", I2_ENTITY_COLUMNS), (links_file, "links", I2_LINK_COLUMNS)):
        src = ET.SubElement(root, "Source", {"file": file, "type": kind, "headerRow": "1", "encoding": "UTF-8",
                                             "delimiter": ","})
        for name, role, att_type, _ in columns:
            attrs = {"name": name, "role": role}
            if att_type:
                attrs["attributeType"] = att_type
            if role == "type" and kind == "entities":
                attrs["allowed"] = "; ".join(sorted(set(I2_ENTITY_TYPES.values()) | {"Other"}))
            if role in ("end1", "end2"):
                attrs["references"] = "entities.Identity"
            if role == "direction":
                attrs["allowed"] = "Directed; None"
            if role == "datetime":
                attrs["format"] = "yyyy-MM-dd HH:mm:ss"
            ET.SubElement(src, "Column", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


#: The structure of an import specification, as an XML Schema (checked with lxml in the tests).
I2_SPEC_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:simpleType name="role"><xs:restriction base="xs:string">
    <xs:enumeration value="identity"/><xs:enumeration value="type"/><xs:enumeration value="label"/>
    <xs:enumeration value="attribute"/><xs:enumeration value="end1"/><xs:enumeration value="end2"/>
    <xs:enumeration value="direction"/><xs:enumeration value="datetime"/>
  </xs:restriction></xs:simpleType>
  <xs:element name="ImportSpecification"><xs:complexType><xs:sequence>
    <xs:element name="Marking"><xs:complexType><xs:simpleContent><xs:extension base="xs:string">
      <xs:attribute name="handling" type="xs:string" use="required"/>
      <xs:attribute name="releasableTo" type="xs:string" use="required"/>
    </xs:extension></xs:simpleContent></xs:complexType></xs:element>
    <xs:element name="Source" minOccurs="2" maxOccurs="2"><xs:complexType><xs:sequence>
      <xs:element name="Column" maxOccurs="unbounded"><xs:complexType>
        <xs:attribute name="name" type="xs:string" use="required"/>
        <xs:attribute name="role" type="role" use="required"/>
        <xs:attribute name="attributeType"><xs:simpleType><xs:restriction base="xs:string">
          <xs:enumeration value="text"/><xs:enumeration value="number"/></xs:restriction></xs:simpleType></xs:attribute>
        <xs:attribute name="allowed" type="xs:string"/><xs:attribute name="references" type="xs:string"/>
        <xs:attribute name="format" type="xs:string"/>
      </xs:complexType></xs:element>
    </xs:sequence>
      <xs:attribute name="file" type="xs:string" use="required"/>
      <xs:attribute name="type" use="required"><xs:simpleType><xs:restriction base="xs:string">
        <xs:enumeration value="entities"/><xs:enumeration value="links"/></xs:restriction></xs:simpleType></xs:attribute>
      <xs:attribute name="headerRow" type="xs:positiveInteger" use="required"/>
      <xs:attribute name="encoding" type="xs:string" use="required"/>
      <xs:attribute name="delimiter" type="xs:string" use="required"/>
    </xs:complexType></xs:element>
  </xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="version" type="xs:string" use="required"/>
    <xs:attribute name="caveat" type="xs:string" use="required"/>
  </xs:complexType></xs:element>
</xs:schema>
"""


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


def _ftm_marks(proxy: Any, row: pd.Series, marking: Marking) -> None:
    """Grading, handling and releasability as ``summary`` lines and agencies as ``publisher``.

    Aleph keeps both properties on every schema (things and intervals alike), and
    :mod:`netintel.ingest.ftm` reads the lines back.
    """
    _ftm_add_cleaned(proxy, "summary", f"handling {row.get('handling') or marking.handling}")
    if not _is_missing(row.get("grading")) and row.get("grading"):
        _ftm_add_cleaned(proxy, "summary", f"grading {row['grading']}")
    rel = _list(row.get("releasable_to")) or list(marking.releasable_to)
    _ftm_add_cleaned(proxy, "summary", f"releasable_to {','.join(rel)}")
    for agency in _list(row.get("agencies")):
        _ftm_add_cleaned(proxy, "publisher", agency)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a table as plain dicts, read column by column (``iterrows`` builds a Series per row)."""
    return frame.to_dict("records")


def _ftm(t: ExportTables, path, marking):
    from followthemoney import model

    nodes, edges = t.nodes, t.edges

    skipped: dict[str, int] = {}

    def skip(why: str) -> None:
        skipped[why] = skipped.get(why, 0) + 1

    kinds = dict(zip(nodes["id"], nodes["kind"]))
    labels = dict(zip(nodes["id"], nodes["label"]))
    # who uses or owns each identifier and account: FtM needs a party at both ends of a call or payment
    holder_of: dict[str, str] = {}
    held = edges[edges["kind"].isin(["uses", "owns", "holds_document", "registered_to"])]
    registered = (held["kind"] == "registered_to").to_numpy()
    party = np.where(registered, held["target"].to_numpy(object), held["source"].to_numpy(object))
    thing = np.where(registered, held["source"].to_numpy(object), held["target"].to_numpy(object))
    holders = pd.DataFrame({"party": party, "thing": thing})
    holders = holders[holders["party"].map(kinds).isin(["person", "organisation"])].drop_duplicates("thing")
    holder_of = dict(zip(holders["thing"], holders["party"]))
    proxies: dict[str, Any] = {}
    for row in _rows(nodes):
        schema = _FTM_SCHEMA.get(row["kind"])
        if schema is None:
            continue
        if schema == "Identification" and row["id"] not in holder_of:
            skip("identity documents without a known holder (FtM's Identification requires one)")
            continue
        proxy = model.make_entity(schema)
        proxy.id = str(row["id"])
        label = str(row["label"])
        proxy.add(_FTM_NAME_PROP[schema], label, quiet=True)
        if schema not in ("Person", "Company", "Vessel") and "name" in proxy.schema.properties:
            proxy.add("name", label, quiet=True)
        if schema == "Identification":
            proxy.add("holder", holder_of[row["id"]])
        for cc in _list(row.get("countries")):
            _ftm_add_cleaned(proxy, "country", cc)
        _ftm_marks(proxy, row, marking)
        proxies[proxy.id] = proxy
    links = []
    for row in _rows(edges):
        src, dst, kind = str(row["source"]), str(row["target"]), row["kind"]
        # Identifier entities FtM has no schema for become properties of who uses them.
        if kind in ("uses", "owns", "registered_to"):
            holder, ident = (src, dst) if kinds.get(dst) in _FTM_HOLDER_PROP else (dst, src)
            if kinds.get(ident) in _FTM_HOLDER_PROP and holder in proxies:
                _ftm_add_value(proxies[holder], _FTM_HOLDER_PROP[kinds[ident]], labels[ident])
                continue
        if kind == "holds_document" and proxies.get(dst) is not None and proxies[dst].schema.name == "Identification":
            continue  # the document's holder property says it
        link_id = f"{row['edge_id']}-{src}-{dst}"[:120]
        if kind == "call" and (kinds.get(src) == "phone" or kinds.get(dst) == "phone"):
            link = _ftm_call(model, row, link_id, labels, kinds, holder_of, proxies)
            if not (link.get("caller") or link.get("callerNumber")) or \
                    not (link.get("receiver") or link.get("receiverNumber")):
                skip("calls with an end that is neither a number nor an FtM party")
                continue
            if not link.get("caller") or not link.get("receiver"):
                skip("calls with a number whose user is unknown (caller/receiver left out, the number kept)")
        elif kind == "transfer" and (kinds.get(src) == "bank_account" or kinds.get(dst) == "bank_account"):
            link = _ftm_payment(model, row, link_id, holder_of, proxies)
            if link.schema.name != "Payment":
                skip("transfers between accounts without a known holder (written as UnknownLink)")
        else:
            if src not in proxies or dst not in proxies:
                skip(f"{kind} links to entities without an FtM schema")
                continue
            schema, sprop, tprop = _FTM_LINKS.get(kind, ("UnknownLink", "subject", "object"))
            link = model.make_entity(schema)
            link.id = link_id
            try:
                link.add(sprop, src)
                link.add(tprop, dst)
                if not link.schema.name == "UnknownLink" and not _ranges_fit(link, sprop, tprop, proxies, src, dst):
                    raise ValueError("range")
            except Exception:  # the endpoints' schemata do not fit this relation: keep it as UnknownLink
                link = model.make_entity("UnknownLink")
                link.id = link_id
                link.add("subject", src)
                link.add("object", dst)
            if link.schema.name == "Payment" and not _is_missing(row.get("amount")):
                link.add("amount", f"{float(row['amount']):.2f}", quiet=True)
                link.add("currency", str(row.get("currency") or ""), quiet=True)
        _ftm_add_cleaned(link, "role", kind)
        _ftm_dates(link, row)
        _ftm_marks(link, row, marking)
        links.append(link)
    lines = [json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=True) for p in proxies.values()]
    lines += [json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=True) for p in links]
    not_ftm = nodes[~nodes["kind"].isin(list(_FTM_SCHEMA))]
    if len(not_ftm):
        skipped["entities of kinds FtM has no schema for (kept as properties where linked)"] = len(not_ftm)
    return [_write(path, "".join(line + "\n" for line in lines))], skipped, len(lines)


def _ftm_add_value(proxy: Any, prop: str, value: str) -> None:
    """Add a phone number, e-mail or website as FtM cleans it; a number in the international
    ``00`` form as ``+``; one FtM cannot parse as written (never silently dropped)."""
    prop_of = proxy.schema.get(prop)
    if prop_of is None:
        return
    before = len(proxy.get(prop))
    _ftm_add_cleaned(proxy, prop_of, value)
    if len(proxy.get(prop)) == before and value.startswith("00"):
        _ftm_add_cleaned(proxy, prop_of, "+" + value[2:])
    if len(proxy.get(prop)) == before:
        proxy.add(prop, value, cleaned=True)


def _ftm_add_cleaned(proxy: Any, prop: Any, value: str) -> None:
    """``proxy.add(prop, value, quiet=True)``, FtM's cleaning of the value done once per distinct
    value (a number on thousands of calls, a handling line on every link, is cleaned once)."""
    if isinstance(prop, str):
        prop = proxy.schema.get(prop)
        if prop is None or prop.stub:
            return
    if prop.type.name == "entity":  # the only type whose cleaning reads the entity (no self-reference)
        proxy.add(prop, value, quiet=True)
        return
    cleaned = _ftm_clean(prop.type.name, prop.format, value)
    if cleaned is not None:
        proxy.add(prop, cleaned, cleaned=True)


@functools.lru_cache(maxsize=1 << 18)
def _ftm_clean(type_name: str, fmt: str | None, value: str) -> str | None:
    """What ``EntityProxy.add`` stores for ``value`` in a property of this type: the text
    sanitised, then cleaned by the type (every type but ``entity`` cleans without the entity)."""
    from followthemoney import registry
    from followthemoney.value import string_list

    texts = string_list(value, sanitize=True)
    return registry.get(type_name).clean_text(texts[0], format=fmt) if texts else None


def _ranges_fit(link: Any, sprop: str, tprop: str, proxies: dict[str, Any], src: str, dst: str) -> bool:
    """Whether the two ends' schemata are in the range of the relation's properties."""
    for prop, end in ((sprop, src), (tprop, dst)):
        rng = link.schema.properties[prop].range
        if rng is not None and not proxies[end].schema.is_a(rng):
            return False
    return True


def _ftm_dates(proxy: Any, row: pd.Series) -> None:
    for prop, col in (("startDate", "first_seen"), ("endDate", "last_seen")):
        v = row.get(col)
        if not _is_missing(v):
            proxy.add(prop, pd.Timestamp(v).isoformat()[:19], quiet=True)  # (times are mostly distinct: not cached)


def _ftm_party(thing: str, holder_of: dict[str, str], proxies: dict[str, Any]) -> str | None:
    """Who holds an account or uses a number, when FtM has an entity for them."""
    party = holder_of.get(thing)
    return party if party in proxies else None


def _ftm_call(model: Any, row: pd.Series, link_id: str, labels, kinds, holder_of, proxies) -> Any:
    """A call: the users of the two numbers as caller and receiver, the numbers themselves beside."""
    call = model.make_entity("Call")
    call.id = link_id
    for end, party_prop, number_prop in ((row["source"], "caller", "callerNumber"),
                                         (row["target"], "receiver", "receiverNumber")):
        if kinds.get(end) == "phone":
            _ftm_add_value(call, number_prop, labels[end])
            party = _ftm_party(end, holder_of, proxies)
        else:
            party = end if end in proxies else None
        if party is not None:
            call.add(party_prop, party)
    call.add("description", f"{int(row.get('count') or 1)} calls", quiet=True)
    return call


def _ftm_payment(model: Any, row: pd.Series, link_id: str, holder_of, proxies) -> Any:
    """A transfer between accounts: the holders pay, the accounts are payer/beneficiary accounts."""
    ends = []
    for end in (row["source"], row["target"]):
        proxy = proxies.get(end)
        if proxy is not None and proxy.schema.name == "BankAccount":
            ends.append((_ftm_party(end, holder_of, proxies), end))
        else:
            ends.append((end if proxy is not None else None, None))
    (payer, payer_acc), (benef, benef_acc) = ends
    if payer is None or benef is None:
        link = model.make_entity("UnknownLink")
        link.id = link_id
        link.add("subject", payer_acc or payer or row["source"])
        link.add("object", benef_acc or benef or row["target"])
        return link
    link = model.make_entity("Payment")
    link.id = link_id
    link.add("payer", payer)
    link.add("beneficiary", benef)
    if payer_acc:
        link.add("payerAccount", payer_acc)
    if benef_acc:
        link.add("beneficiaryAccount", benef_acc)
    if not _is_missing(row.get("amount")):
        link.add("amount", f"{float(row['amount']):.2f}", quiet=True)
        link.add("currency", str(row.get("currency") or ""), quiet=True)
    return link


# -- STIX 2.1 ----------------------------------------------------------------------------------
def _sid(stix_type: str, key: str) -> str:
    return f"{stix_type}--{uuid.uuid5(NETINTEL_NS, f'{stix_type}:{key}')}"


#: netintel entity kinds written as STIX cyber-observables: kind -> (STIX type, value property)
STIX_OBSERVABLES = {"domain": ("domain-name", "value"), "url": ("url", "value"), "email": ("email-addr", "value"),
                    "user_account": ("user-account", "account_login"), "file": ("file", "name")}
#: netintel entity kinds written as STIX domain objects
STIX_DOMAIN_OBJECTS = {"malware": "malware", "tool": "tool", "threat_actor": "threat-actor",
                       "infrastructure": "infrastructure", "campaign": "campaign", "attack_pattern": "attack-pattern",
                       "vulnerability": "vulnerability", "person": "identity",
                       "organisation": "identity", "location": "location", "address": "location"}
#: The STIX type of every other entity: a new SDO the netintel extension defines.
STIX_ENTITY_TYPE = "netintel-entity"
_STIX_REL = {"uses": "uses", "indicates": "indicates", "attributed_to": "attributed-to", "targets": "targets",
             "hosts": "hosts", "resolves_to": "resolves-to", "communicates_with": "communicates-with",
             "owns": "owns", "controls": "controls", "member_of": "member-of", "associate_of": "cooperates-with"}
_STIX_EPOCH = "2000-01-01T00:00:00.000Z"
#: The identity every object netintel writes is created by (a reader skips it: it is no entity of the case).
STIX_CREATOR_ID = _sid("identity", "netintel-export")
#: Admiralty credibility -> STIX confidence (STIX 2.1 appendix A, "Admiralty Credibility" scale).
ADMIRALTY_CONFIDENCE = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}

#: The JSON schema of the netintel extension's properties (written into its extension-definition).
STIX_EXTENSION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "netintel entity and provenance",
    "type": "object",
    "required": ["netintel_id", "kind", "handling"],
    "properties": {
        "extension_type": {"enum": ["property-extension", "new-sdo"]},
        "netintel_id": {"type": "string"}, "kind": {"type": "string"}, "label": {"type": "string"},
        "admiralty": {"type": "string", "pattern": "^[A-F][1-6]$"}, "handling": {"type": "string"},
        "releasable_to": {"type": "array", "items": {"type": "string"}},
        "agencies": {"type": "array", "items": {"type": "string"}},
        "countries": {"type": "array", "items": {"type": "string"}},
        "properties": {"type": "object"}, "count": {"type": "integer"}, "weight": {"type": "number"},
        "amount": {"type": "number"}, "currency": {"type": "string"}, "directed": {"type": "boolean"},
        "netintel_links": {"type": "array", "items": {
            "type": "object", "required": ["source_ref", "target_ref", "kind", "netintel_id", "handling"],
            "properties": {"source_ref": {"type": "string"}, "target_ref": {"type": "string"},
                           "start_time": {"type": "string"}, "stop_time": {"type": "string"},
                           "confidence": {"type": "integer", "minimum": 0, "maximum": 100}}}},
    },
}


def _stix_time(value: Any) -> str | None:
    if _is_missing(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _stix_marking_objects(handling: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The marking-definitions an object carries: the TLP one and, for other codes, a statement."""
    import stix2

    from .handling import _spec as handling_spec, handling_rank

    # a code outside TLP maps onto the TLP level of its rank; its own meaning goes in a statement
    code = handling if handling.startswith("TLP:") else \
        ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")[min(handling_rank(handling), 4)]
    tlp = {"TLP:CLEAR": stix2.TLP_WHITE, "TLP:GREEN": stix2.TLP_GREEN, "TLP:AMBER": stix2.TLP_AMBER,
           "TLP:AMBER+STRICT": stix2.TLP_AMBER, "TLP:RED": stix2.TLP_RED}.get(code, stix2.TLP_RED)
    objs = [json.loads(tlp.serialize())]
    if code == "TLP:AMBER+STRICT" or not handling.startswith("TLP:"):
        meaning = handling_spec().get("codes", {}).get(handling, {}).get("description") or \
            "recipients' organisation only, no further dissemination without the originator's consent"
        objs.append({"type": "marking-definition", "spec_version": "2.1", "id": _sid("marking-definition", handling),
                     "created": _STIX_EPOCH, "definition_type": "statement",
                     "definition": {"statement": f"Handling {handling}: {meaning}"}})
    return objs, [o["id"] for o in objs]


def _stix_provenance(row: pd.Series, marking: Marking) -> tuple[dict[str, Any], int | None]:
    grading = row.get("grading")
    grading = None if _is_missing(grading) or not grading else str(grading)
    ext: dict[str, Any] = {"handling": str(row.get("handling") or marking.handling),
                           "releasable_to": _list(row.get("releasable_to")) or list(marking.releasable_to),
                           "agencies": _list(row.get("agencies"))}
    if grading:
        ext["admiralty"] = grading
    confidence = ADMIRALTY_CONFIDENCE.get(grading[1]) if grading else None
    return ext, confidence


def _stix(tables: ExportTables, path, marking):
    import stix2

    nodes, edges = tables.nodes, tables.edges
    markings: dict[str, dict[str, Any]] = {}
    refs_of: dict[str, list[str]] = {}

    def marks(handling: str) -> list[str]:
        if handling not in refs_of:
            objs, refs = _stix_marking_objects(handling)
            markings.update({o["id"]: o for o in objs})
            refs_of[handling] = refs
        return refs_of[handling]

    # times from the data, never the clock: an entity is dated by the newest of the case's links
    # (a receiving workspace counts its review period from there)
    created = _stix_time(pd.to_datetime(edges["last_seen"]).max()) if len(edges) else None
    created = created or _STIX_EPOCH
    identity = {"type": "identity", "spec_version": "2.1", "id": STIX_CREATOR_ID,
                "created": _STIX_EPOCH, "modified": _STIX_EPOCH, "name": "netintel export", "identity_class": "system"}
    extension = {"type": "extension-definition", "spec_version": "2.1", "id": STIX_EXTENSION_ID,
                 "created_by_ref": identity["id"], "created": _STIX_EPOCH, "modified": _STIX_EPOCH,
                 "name": "netintel entity and provenance",
                 "description": "netintel's entity kinds STIX has no object for (phones, bank accounts, vehicles, "
                                "documents...) as new SDOs of type netintel-entity, and on every object the Admiralty "
                                "grading, handling code, releasability and reporting agencies.",
                 "schema": json.dumps(STIX_EXTENSION_SCHEMA, sort_keys=True), "version": "1.0",
                 "extension_types": ["new-sdo", "property-extension"]}
    objects: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    skipped: dict[str, int] = {}
    for row in _rows(nodes):
        obj = _stix_entity(row, marking, identity["id"], marks, created)
        try:
            stix2.parse(obj, allow_custom=False)
        except Exception as exc:  # an invalid value (a malformed IP): as a netintel entity, never dropped
            obj = _stix_entity(row, marking, identity["id"], marks, created, force_entity=True)
            skipped[f"{row['kind']} written as netintel-entity ({type(exc).__name__})"] = \
                skipped.get(f"{row['kind']} written as netintel-entity ({type(exc).__name__})", 0) + 1
        ids[str(row["id"])] = obj["id"]
        objects.append(obj)
    by_id = {o["id"]: o for o in objects}
    for row in _rows(edges):
        s, t = ids[str(row["source"])], ids[str(row["target"])]
        ext, confidence = _stix_provenance(row, marking)
        ext.update(netintel_id=str(row["edge_id"]), kind=str(row["kind"]),
                   directed=bool(row["directed"]), count=int(row["count"] if not _is_missing(row["count"]) else 1),
                   weight=float(row["weight"] if not _is_missing(row["weight"]) else 1.0))
        if not _is_missing(row.get("amount")):
            ext["amount"] = float(row["amount"])
        if isinstance(row.get("currency"), str) and row["currency"]:
            ext["currency"] = row["currency"]
        start, stop = _stix_time(row.get("first_seen")), _stix_time(row.get("last_seen"))
        holder = next((by_id[r] for r in (s, t) if by_id[r]["type"] == STIX_ENTITY_TYPE), None)
        if holder is not None:
            # strict STIX parsers refuse a relationship to an object type they do not know: a link
            # to a netintel entity travels inside that entity (the extension defines how)
            link = {"source_ref": s, "target_ref": t, "start_time": start, "stop_time": stop,
                    "confidence": confidence, **ext}
            holder.setdefault("netintel_links", []).append(_drop_empty(link))
            continue
        rel = {"type": "relationship", "spec_version": "2.1",
               "id": _sid("relationship", f"{row['source']}|{row['kind']}|{row['target']}"),
               "created_by_ref": identity["id"], "created": start or created, "modified": stop or start or created,
               "relationship_type": _STIX_REL.get(row["kind"], "related-to"), "source_ref": s, "target_ref": t,
               "object_marking_refs": marks(ext["handling"]),
               "extensions": {STIX_EXTENSION_ID: _drop_empty({**ext, "extension_type": "property-extension"})}}
        if confidence is not None:
            rel["confidence"] = confidence
        if start:
            rel["start_time"] = start
            if stop and stop > start:
                rel["stop_time"] = stop
        objects.append(rel)
    ordered = [identity, extension] + sorted(markings.values(), key=lambda o: o["id"]) + \
        sorted(objects, key=lambda o: o["id"])
    bundle = {"type": "bundle", "id": _sid("bundle", "|".join(o["id"] for o in ordered)), "objects": ordered}
    return [_write(path, _json_one_item_a_line(bundle, "objects"))], skipped, len(ordered)


def _json_one_item_a_line(doc: dict[str, Any], key: str) -> str:
    """``doc`` as JSON, keys sorted, with the list ``doc[key]`` written one item a line: a reader
    greps or diffs it by object, and json's C encoder writes it (an indented dump goes through
    the pure-Python encoder, 4x slower on a case's bundle)."""
    enc = functools.partial(json.dumps, ensure_ascii=False, sort_keys=True)
    parts = [f"{enc(k)}: [\n" + ",\n".join(enc(item) for item in doc[k]) + "\n]" if k == key
             else f"{enc(k)}: {enc(doc[k])}" for k in sorted(doc)]
    return "{" + ",\n".join(parts) + "}\n"


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def _stix_entity(row: pd.Series, marking: Marking, creator: str, marks, created: str, *,
                 force_entity: bool = False) -> dict:
    kind, key, label = str(row["kind"]), str(row["id"]), str(row["label"])
    ext, confidence = _stix_provenance(row, marking)
    props = row.get("properties") if isinstance(row.get("properties"), dict) else {}
    ext.update(netintel_id=key, kind=kind, label=label, countries=_list(row.get("countries")),
               properties=_jsonable(props))
    refs = marks(ext["handling"])
    country = row.get("country") if isinstance(row.get("country"), str) else None
    sdo_common = {"spec_version": "2.1", "created_by_ref": creator, "created": created, "modified": created,
                  "object_marking_refs": refs}
    if confidence is not None:
        sdo_common["confidence"] = confidence
    if not force_entity and kind == "ip_address":
        stype = "ipv6-addr" if ":" in label else "ipv4-addr"
        return {"type": stype, "spec_version": "2.1", "id": _sid(stype, label), "value": label,
                "object_marking_refs": refs, "extensions": {STIX_EXTENSION_ID: _drop_empty(
                    {**ext, "extension_type": "property-extension"})}}
    if not force_entity and kind in STIX_OBSERVABLES:
        stype, prop = STIX_OBSERVABLES[kind]
        obj = {"type": stype, "spec_version": "2.1", "id": _sid(stype, label), prop: label,
               "object_marking_refs": refs,
               "extensions": {STIX_EXTENSION_ID: _drop_empty({**ext, "extension_type": "property-extension"})}}
        if kind == "file" and props.get("hash_sha256"):
            obj["hashes"] = {"SHA-256": str(props["hash_sha256"])}
        return obj
    stype = STIX_DOMAIN_OBJECTS.get(kind) if not force_entity else None
    if stype == "location" and not country:
        stype = None  # a STIX location needs a country, region or coordinates
    if stype is None:
        obj = {"type": STIX_ENTITY_TYPE, "id": _sid(STIX_ENTITY_TYPE, key), "name": label, **sdo_common,
               **{k: v for k, v in _drop_empty(ext).items() if k != "label"},
               "extensions": {STIX_EXTENSION_ID: {"extension_type": "new-sdo"}}}
        return obj
    obj = {"type": stype, "id": _sid(stype, key), "name": label, **sdo_common,
           "extensions": {STIX_EXTENSION_ID: _drop_empty({**ext, "extension_type": "property-extension"})}}
    if stype == "identity":
        obj["identity_class"] = "individual" if kind == "person" else "organization"
    elif stype == "malware":
        obj["is_family"] = bool(props.get("is_family", True)) if not isinstance(props.get("is_family"), str) \
            else props["is_family"].lower() == "true"
    elif stype == "location":
        obj["country"] = country
        if kind == "address":
            obj["street_address"] = label
    elif stype == "grouping":
        obj["context"] = "suspicious-activity"
        obj["object_refs"] = [creator]
    return obj
