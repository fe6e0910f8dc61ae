"""UCINET DL files, the format most published criminal networks come in.

A DL file starts with ``DL`` and keywords (``n=``, ``nm=``, ``format=``), then optional label
sections and a ``data:`` section (Borgatti, Everett & Freeman, *UCINET for Windows*, "DL"):

* ``format = fullmatrix`` (the default): ``n`` rows of ``n`` values;
* ``format = edgelist1``: one tie per line, ``from to [value]``;
* ``format = nodelist1``: one node per line followed by every node it has a tie to;
* ``labels:`` (node labels, comma, space or line separated, quotes allowed), ``row labels:`` /
  ``column labels:`` and ``labels embedded`` (labels inside the data: a header row and a label
  column in a full matrix, labels instead of numbers in edge and node lists);
* ``nm = k`` with ``matrix labels:``: ``k`` relations one after the other (in edge and node
  lists, separated by a line holding ``!``); each becomes links of the kind its label names
  when the model knows that kind, else of the default kind with ``relation`` kept.

Direction is kept: a relation whose ties are not all reciprocated with the same value is read as
directed links (who called whom), a symmetric one as one undirected link per pair.

Records: every node is one record and every tie another (a symmetric pair once), so a bad value
is quarantined on its own. Nodes are ``person`` entities and links ``associate_of`` unless the
mapping (``node_kind``, ``link_kind``) says otherwise; a node's source record id is its label.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "calls.dl"
>>> _ = p.write_text("DL N=3 FORMAT=EDGELIST1\\nLABELS EMBEDDED\\nDATA:\\nana bo 2\\nbo cy 1\\n")
>>> head = parse_dl(p)
>>> head.labels, head.relations[0][1]
(['ana', 'bo', 'cy'], {('ana', 'bo'): 2.0, ('bo', 'cy'): 1.0})
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._common import BatchBuilder, read_head
from .tabular import Mapping

__all__ = ["FORMAT", "DLFile", "parse_dl", "load_ucinet", "sniff"]

FORMAT = "ucinet"
_KEYWORD = re.compile(r"(\w+)\s*=\s*(\S+)")
_SECTION = re.compile(r"^\s*(row labels|column labels|col labels|matrix labels|labels embedded|labels|data)\s*:?",
                      re.I)


def sniff(path: str | Path) -> bool:
    """True for a text file whose first word is ``DL``."""
    text = read_head(path, 256)
    return bool(text) and bool(re.match(r"^\ufeff?\s*dl\b", text, re.I))


@dataclass(frozen=True)
class DLFile:
    """A parsed DL file: node labels and, per relation, its ties ``{(from, to): value}``."""

    labels: list[str]
    relations: list[tuple[str | None, dict[tuple[str, str], float]]]
    format: str


def _tokens(text: str) -> list[str]:
    try:
        return [t for t in shlex.split(text.replace(",", " ")) if t]
    except ValueError:  # an unbalanced quote: split on blanks
        return text.replace(",", " ").split()


def parse_dl(path: str | Path) -> DLFile:
    """Read a DL file into labels and ties; :class:`~netintel.errors.InputError` names what is wrong."""
    path = Path(path)
    text = path.read_text("utf-8-sig", errors="replace")
    where = str(path)
    m = re.match(r"^\s*dl\b", text, re.I)
    if not m:
        raise InputError("is not a UCINET DL file (it does not start with DL)", file=where)
    # the header runs until the first section keyword
    sections: dict[str, str] = {}
    rest = text[m.end():]
    header_end = re.search(r"^\s*(row labels|column labels|col labels|matrix labels|labels|data)\b", rest, re.I | re.M)
    header = rest[: header_end.start()] if header_end else rest
    body = rest[header_end.start():] if header_end else ""
    keys = {k.lower(): v.strip().strip(",").lower() for k, v in _KEYWORD.findall(header)}
    embedded = bool(re.search(r"labels\s+embedded", text, re.I))
    current = None
    for line in body.splitlines():
        sm = _SECTION.match(line)
        if sm and not (current == "data" and not sm.group(1).lower().startswith("data")):
            name = sm.group(1).lower()
            if name == "labels embedded":
                continue
            current = {"col labels": "column labels"}.get(name, name)
            sections.setdefault(current, "")
            line = line[sm.end():]
        if current is not None:
            sections[current] += line + "\n"
    fmt = keys.get("format", "fullmatrix")
    if fmt not in ("fullmatrix", "edgelist1", "nodelist1"):
        raise InputError(f"DL format {fmt!r} is not read by netintel", file=where,
                         hint="save it from UCINET as fullmatrix, edgelist1 or nodelist1")
    try:
        n = int(keys.get("n") or keys.get("nr") or 0)
        nm = int(keys.get("nm") or 1)
    except ValueError:
        raise InputError(f"n= / nm= are not numbers ({keys})", file=where) from None
    labels = _tokens(sections.get("labels") or sections.get("row labels") or "")
    if labels and n and len(labels) != n:
        raise InputError(f"{len(labels)} labels for n={n} nodes", file=where, hint="give one label per node")
    matrix_labels = _tokens(sections.get("matrix labels") or "")
    data = sections.get("data")
    if data is None:
        raise InputError("has no data: section", file=where)
    lines = [ln for ln in data.splitlines() if ln.strip()]
    relations: list[tuple[str | None, dict[tuple[str, str], float]]] = []
    if fmt == "fullmatrix":
        if embedded:
            cols = _tokens(lines[0])
            labels = labels or cols
            lines = lines[1:]
        if not labels:
            if not n:
                raise InputError("a full matrix needs n= or labels", file=where)
            labels = [str(i) for i in range(1, n + 1)]
        n = n or len(labels)
        blocks = [ln for ln in lines if ln.strip() != "!"]
        for k in range(nm):
            rows = blocks[k * n:(k + 1) * n]
            if len(rows) != n:
                raise InputError(f"matrix {k + 1} has {len(rows)} rows, not n={n}", file=where)
            cells: dict[tuple[str, str], float] = {}
            for i, row in enumerate(rows):
                values = _tokens(row)
                if embedded:
                    values = values[1:]
                if len(values) != n:
                    raise InputError(f"matrix {k + 1}, row {i + 1} has {len(values)} values, not {n}", file=where)
                for j, v in enumerate(values):
                    w = _value(v, where, f"matrix {k + 1} row {i + 1} column {j + 1}")
                    if w:
                        cells[(labels[i], labels[j])] = w
            relations.append((matrix_labels[k] if k < len(matrix_labels) else None, cells))
    else:
        groups: list[list[str]] = [[]]
        for ln in lines:
            if ln.strip() == "!":
                groups.append([])
            else:
                groups[-1].append(ln)
        found: list[str] = list(labels)

        def node(token: str, what: str) -> str:
            if embedded:
                if token not in found:
                    found.append(token)
                return token
            try:
                idx = int(token)
            except ValueError:
                raise InputError(f"{what}: {token!r} is not a node number (add LABELS EMBEDDED for names)",
                                 file=where) from None
            if not 1 <= idx <= max(n, len(labels)):
                raise InputError(f"{what}: node {idx} is outside 1..{n}", file=where)
            return labels[idx - 1] if labels else str(idx)

        for k, group in enumerate(groups[:nm] if nm > 1 else [sum(groups, [])]):
            cells = {}
            for i, ln in enumerate(group):
                tokens = _tokens(ln)
                what = f"data line {i + 1}" + (f" of matrix {k + 1}" if nm > 1 else "")
                if fmt == "edgelist1":
                    if len(tokens) not in (2, 3):
                        raise InputError(f"{what}: an edgelist1 line is 'from to [value]'", file=where)
                    a, b = node(tokens[0], what), node(tokens[1], what)
                    w = _value(tokens[2], where, what) if len(tokens) == 3 else 1.0
                    if w:
                        cells[(a, b)] = cells.get((a, b), 0.0) + w
                else:
                    a = node(tokens[0], what)
                    for t in tokens[1:]:
                        b = node(t, what)
                        cells[(a, b)] = cells.get((a, b), 0.0) + 1.0
            relations.append((matrix_labels[k] if k < len(matrix_labels) else None, cells))
        if not labels:
            labels = found if embedded else [str(i) for i in range(1, n + 1)]
            if not embedded and not n:
                labels = sorted({x for _, c in relations for pair in c for x in pair}, key=_num_key)
    return DLFile(labels, relations, fmt)


def _num_key(label: str) -> tuple[int, Any]:
    return (0, int(label)) if label.isdigit() else (1, label)


def _value(token: str, where: str, what: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise InputError(f"{what}: {token!r} is not a number", file=where,
                         hint="DL data holds numbers (tie values); labels go in a labels: section") from None


def load_ucinet(path: str | Path, builder: BatchBuilder, mapping: Mapping | None = None) -> None:
    """Read a DL file into ``builder`` (nodes, then each relation's ties)."""
    from .edgelist import DEFAULT_LINK_KIND, DEFAULT_NODE_KIND, _node_prop

    path = Path(path)
    dl = parse_dl(path)
    model = builder.model
    node_kind = model.check_entity_kind((mapping.node_kind if mapping else None) or DEFAULT_NODE_KIND)
    default_kind = model.check_link_kind((mapping.link_kind if mapping else None) or DEFAULT_LINK_KIND)
    prop = _node_prop(builder, node_kind)
    ids: dict[str, str] = {}
    for label in dl.labels:
        locator = f"node {label}"
        builder.read()
        ids[label] = builder.entity(node_kind, label, {prop: label}, locator=locator)
        builder.accept(locator, {"node": label}, f"{node_kind}:{label}")
    for r, (relation, cells) in enumerate(dl.relations):
        kind = relation.lower() if relation and relation.lower() in model.links else default_kind
        symmetric = all(cells.get((b, a)) == w for (a, b), w in cells.items())
        directed = (not symmetric) if mapping is None or mapping.directed is None else mapping.directed
        props = {"relation": relation} if relation else {}
        for (a, b), w in sorted(cells.items()):
            if not directed and (b, a) in cells and dl.labels.index(b) < dl.labels.index(a):
                continue  # a symmetric relation: each pair once
            locator = f"relation {relation or r + 1}: {a} -> {b}"
            builder.read()
            raw = {"from": a, "to": b, "value": w, "relation": relation}
            if a == b:
                builder.quarantine(locator, f"self-tie for {a!r}", raw)
                continue
            if w < 0:
                builder.quarantine(locator, f"tie value {w:g} is negative; values are tie strengths", raw)
                continue
            for end in (a, b):
                if end not in ids:  # a node an edge list names beyond the labels given
                    builder.read()
                    ids[end] = builder.entity(node_kind, end, {prop: end}, locator=f"node {end}")
                    builder.accept(f"node {end}", {"node": end}, f"{node_kind}:{end}")
            ends = (a, b) if directed else tuple(sorted((a, b), key=dl.labels.index))
            srid = f"{kind}:{relation or ''}:{ends[0]}->{ends[1]}"
            builder.link(kind, ids[ends[0]], ids[ends[1]], source_record_id=srid, locator=locator, weight=w,
                         properties=props, directed=directed)
            builder.accept(locator, raw, srid)
