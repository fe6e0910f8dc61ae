"""Edge lists and UCINET-style adjacency matrices, as criminology data sets are published.

An edge list has ``source`` and ``target`` columns and optionally ``weight`` (and ``kind``); an
adjacency matrix has node labels in its first row and first column and a tie weight in every
cell, 0 or empty for no tie. A symmetric matrix gives one undirected link per pair; an asymmetric
one a directed link per non-zero cell, whatever the link kind's default direction (the
direction of who called whom is kept). Nodes are ``person`` entities and links ``associate_of`` unless the mapping
(``node_kind``, ``link_kind``) or the caller says otherwise. A node's source record id is its
label as written.

A two-mode (incidence) matrix -- people in the rows, the meetings they attended in the columns,
no label in both -- gives an ``event`` entity per column and a ``member_of`` link per non-zero
cell, so the person view ties the people who met.

Records: every edge-list row is one record. In a matrix every node (row) is one record and
every tie (non-zero cell; for a symmetric matrix, of the upper triangle) is one more, so a bad
cell is quarantined on its own without losing the rest of its row.

Examples
--------
>>> looks_like_matrix(["", "A", "B", "C"], ["A", "B", "C"])
True
>>> looks_like_matrix(["source", "target", "weight"], ["a", "b"])
False
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError
from ._bulk import load_edgelist_columnar
from ._common import BatchBuilder, RecordError, clean
from .events import _open, _whole
from .tabular import (Mapping, Table, TableRecord, _column_resolver, _named, parse_number, read_table,
                      row_provenance, run_records)

__all__ = ["EDGE_FIELDS", "load_edgelist", "load_matrix", "looks_like_matrix", "looks_like_two_mode"]

#: Canonical fields of an edge list; source and target are required.
EDGE_FIELDS = ("source", "target", "weight", "kind", "id")
DEFAULT_NODE_KIND = "person"
DEFAULT_LINK_KIND = "associate_of"


def looks_like_matrix(header: Sequence[str], row_labels: Sequence[Any]) -> bool:
    """True when the header after its corner cell and the first column hold the same labels."""
    cols = [str(h).strip() for h in header[1:]]
    rows = [str(r).strip() for r in row_labels if r is not None and str(r).strip()]
    return bool(cols) and len(cols) == len(rows) and len(set(cols)) == len(cols) and set(cols) == set(rows)


def looks_like_two_mode(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bool:
    """True for a rectangular 0/1 (or weighted) matrix of row nodes against other column nodes.

    A two-mode network (persons x the meetings they attended, as 'Ndrangheta summit data is
    published): labelled rows, labelled columns, numbers in every other cell, and no row label
    among the column labels.

    >>> looks_like_two_mode(["", "meeting 1", "meeting 2"], [["ana", "1", "0"], ["bo", "0", "1"]])
    True
    >>> looks_like_two_mode(["", "ana", "bo"], [["ana", "0", "1"], ["bo", "1", "0"]])
    False
    """
    cols = [str(h).strip() for h in header[1:]]
    labels = [str(r[0]).strip() for r in rows if r and r[0] is not None and str(r[0]).strip()]
    if len(cols) < 2 or len(labels) < 2 or len(labels) != len(rows) or set(labels) & set(cols):
        return False
    for r in rows:
        for v in r[1:]:
            v = clean(v)
            if v is None:
                continue
            try:
                float(str(v).replace(",", "."))
            except ValueError:
                return False
    return True


def _node_prop(builder: BatchBuilder, kind: str) -> str:
    ek = builder.model.entity(kind)
    return (ek.label or ek.identifiers or ("name",))[0]


def _link_srid(builder: BatchBuilder, kind: str, a: str, b: str) -> str:
    if not builder.model.link(kind).directed:
        a, b = sorted([a, b])
    return f"{kind}:{a}->{b}"


def load_edgelist(path: str | Path, builder: BatchBuilder, mapping: Mapping | None = None, *,
                  node_kind: str | None = None, link_kind: str | None = None, table: Table | None = None) -> None:
    """Read an edge list (``source, target[, weight][, kind]``) into ``builder``.

    Rows with an empty end, a self-loop, a weight that is not a positive number, or an unknown
    kind are quarantined with their line.
    """
    path = Path(path)
    mapping = mapping or Mapping(format="edgelist")
    model = builder.model
    node_kind = model.check_entity_kind(node_kind or mapping.node_kind or DEFAULT_NODE_KIND)
    link_kind = model.check_link_kind(link_kind or mapping.link_kind or DEFAULT_LINK_KIND)
    plain, table = _open(path, mapping, table)
    mapping = replace(mapping, format="edgelist")
    found = mapping.validate(table.columns, file=str(path), model=model, required=("source", "target"),
                             fields=EDGE_FIELDS)
    resolve = _column_resolver(table.columns)
    cols = {c: resolve(mapping.columns.get(c, c)) for c in EDGE_FIELDS}
    cols = {c: a for c, a in cols.items() if a is not None}
    rec_cols = {c: found.get(c, c) for c in mapping.record.values()}
    prop = _node_prop(builder, node_kind)
    if plain is not None and not mapping.record and not plain.typed_in(cols.values()):
        # a plain CSV file without per-row provenance: read in bulk, the same rows as below
        load_edgelist_columnar(plain, builder, cols=cols, mapping=mapping, node_kind=node_kind, link_kind=link_kind,
                               prop=prop)
        return
    table = _whole(path, mapping, table)
    seen: dict[str, str] = {}

    def handle(rec: TableRecord) -> str:
        values = rec.values
        get = lambda f: clean(values.get(cols[f])) if f in cols else None  # noqa: E731
        prov = row_provenance(builder, mapping, values, rec_cols)
        a, b = get("source"), get("target")
        for name, v in (("source", a), ("target", b)):
            if v is None:
                raise RecordError(f"{_named(name, cols)} is missing")
        a, b = str(a), str(b)
        if a == b:
            raise RecordError(f"self-loop: source and target are both {a!r}")
        weight = parse_number(get("weight"), "weight")
        if weight is not None and weight <= 0:
            raise RecordError(f"weight {get('weight')!r} is not a positive tie strength (0 or empty means no tie)")
        kind = link_kind
        raw_kind = get("kind")
        if raw_kind is not None:
            mapped = mapping.kinds.get(str(raw_kind), mapping.kinds.get(str(raw_kind).lower(), raw_kind))
            try:
                kind = model.check_link_kind(mapped)
            except Exception:
                raise RecordError(f"unknown link kind {raw_kind!r} in column {cols['kind']}; map it in kinds: or "
                                  "add the kind to the model") from None
        lid = get("id")
        if lid is not None and str(lid) in seen:
            raise RecordError(f"duplicate id {lid!r} in column {cols['id']} (first at {seen[str(lid)]})")
        sa = builder.entity(node_kind, a, {prop: a}, locator=rec.locator, prov=prov)
        sb = builder.entity(node_kind, b, {prop: b}, locator=rec.locator, prov=prov)
        directed = model.link(kind).directed if mapping.directed is None else mapping.directed
        if lid is not None:
            srid = str(lid)
        else:
            srid = f"{kind}:{sa}->{sb}" if directed else _link_srid(builder, kind, sa, sb)
        builder.link(kind, sa, sb, source_record_id=srid, locator=rec.locator, weight=weight, prov=prov)
        if lid is not None:
            seen[str(lid)] = rec.locator
        return srid

    run_records(builder, table, handle)


def load_matrix(path: str | Path, builder: BatchBuilder, mapping: Mapping | None = None, *,
                node_kind: str | None = None, link_kind: str | None = None, table: Table | None = None) -> None:
    """Read a UCINET-style adjacency matrix into ``builder``.

    Raises :class:`~netintel.errors.InputError` when the first row and first column do not hold
    the same node labels (not a square labelled matrix) or a label appears twice.
    """
    path = Path(path)
    mapping = mapping or Mapping(format="matrix")
    model = builder.model
    node_kind = model.check_entity_kind(node_kind or mapping.node_kind or DEFAULT_NODE_KIND)
    link_kind = model.check_link_kind(link_kind or mapping.link_kind or DEFAULT_LINK_KIND)
    if table is None:
        table = read_table(path, encoding=mapping.encoding, sheet=mapping.sheet, delimiter=mapping.delimiter)
    header = [str(h).strip() for h in table.columns]
    corner = table.columns[0]
    labels = header[1:]
    good_rows = [r for r in table.records if r.values is not None]
    row_labels = [clean(r.values.get(corner)) for r in good_rows]
    row_labels = [None if v is None else str(v) for v in row_labels]
    if len(set(labels)) != len(labels) or "" in labels:
        raise InputError("is not an adjacency matrix: the first row has empty or repeated node labels",
                         file=str(path), hint="give every column a unique node label")
    if not looks_like_matrix(header, row_labels) and len(good_rows) == len(table.records) and looks_like_two_mode(
            table.columns, [[r.values.get(c) for c in table.columns] for r in good_rows]):
        _load_two_mode(builder, table, good_rows, row_labels, node_kind, mapping)
        return
    if not looks_like_matrix(header, row_labels) or len(good_rows) != len(table.records):
        extra = sorted(set(map(str, filter(None, row_labels))) - set(labels))[:5]
        lacking = sorted(set(labels) - set(map(str, filter(None, row_labels))))[:5]
        raise InputError(
            f"is not a square labelled adjacency matrix: {len(labels)} column labels, {len(table.records)} rows"
            + (f"; row labels not among the columns: {extra}" if extra else "")
            + (f"; column labels without a row: {lacking}" if lacking else ""), file=str(path),
            hint="the first row and the first column must list the same nodes (UCINET full matrix); "
                 "for a list of ties use source,target,weight columns")
    prop = _node_prop(builder, node_kind)
    # parse every cell first: symmetry decides how ties are read
    cells: dict[tuple[str, str], float] = {}
    bad: dict[tuple[str, str], str] = {}
    for rec, row_label in zip(good_rows, row_labels):
        for col, label in zip(table.columns[1:], labels):
            raw = rec.values.get(col)
            try:
                w = parse_number(raw, "tie weight")
            except RecordError as exc:
                bad[(row_label, label)] = str(exc)
                continue
            if w:
                cells[(row_label, label)] = w
    symmetric = all(cells.get((b, a)) == w for (a, b), w in cells.items() if (b, a) not in bad)
    directed = (not symmetric) if mapping.directed is None else mapping.directed
    index = {label: i for i, label in enumerate(labels)}
    ids: dict[str, str] = {}
    base = builder.provenance()
    for rec, row_label in zip(good_rows, row_labels):
        builder.read()
        ids[row_label] = builder.entity(node_kind, row_label, {prop: row_label}, locator=rec.locator, prov=base)
        builder.accept(rec.locator, {"node": row_label}, f"{node_kind}:{row_label}")
    for rec, row_label in zip(good_rows, row_labels):
        for label in labels:
            key = (row_label, label)
            if key not in cells and key not in bad:
                continue
            if not directed and index[label] < index[row_label] and key not in bad:
                continue  # the lower triangle of a symmetric matrix repeats the upper one
            locator = f"{rec.locator}, column {label}"
            builder.read()
            raw = {"row": row_label, "column": label, "value": rec.values.get(table.columns[1 + index[label]])}
            if key in bad:
                builder.quarantine(locator, bad[key], raw)
                continue
            if row_label == label:
                builder.quarantine(locator, f"self-tie on the diagonal for {row_label!r}", raw)
                continue
            w = cells[key]
            if w < 0:
                builder.quarantine(locator, f"tie weight {w:g} is negative; weights are tie strengths", raw)
                continue
            a, b = ids[row_label], ids[label]
            # an asymmetric matrix (who called whom) keeps each direction as its own directed link,
            # whatever the kind's default: summing a->b and b->a would lose who initiated
            srid = f"{link_kind}:{a}->{b}" if directed else _link_srid(builder, link_kind, a, b)
            builder.link(link_kind, a, b, source_record_id=srid, locator=locator, weight=w, prov=base,
                         directed=directed)
            builder.accept(locator, raw, srid)


def _load_two_mode(builder: BatchBuilder, table: Table, rows: list[TableRecord], row_labels: list[str],
                   node_kind: str, mapping: Mapping) -> None:
    """Rows are ``node_kind`` entities, columns ``event`` entities (a meeting, a summit), each
    non-zero cell a directed link (``related_to`` unless the mapping names ``link_kind``) from the
    row to the column with the cell as weight. Every row, every column and every tie is a record."""
    model = builder.model
    link_kind = model.check_link_kind(mapping.link_kind or "related_to")
    prop = _node_prop(builder, node_kind)
    base = builder.provenance()
    columns = {}
    for col in table.columns[1:]:
        label = str(col).strip()
        builder.read()
        columns[col] = builder.entity("event", label, {"name": label}, locator=f"column {label}", prov=base)
        builder.accept(f"column {label}", {"column": label}, f"event:{label}")
    for rec, row_label in zip(rows, row_labels):
        builder.read()
        me = builder.entity(node_kind, row_label, {prop: row_label}, locator=rec.locator, prov=base)
        builder.accept(rec.locator, {"node": row_label}, f"{node_kind}:{row_label}")
        for col in table.columns[1:]:
            raw = rec.values.get(col)
            locator = f"{rec.locator}, column {str(col).strip()}"
            try:
                w = parse_number(raw, "tie weight")
            except RecordError as exc:
                builder.read()
                builder.quarantine(locator, str(exc), {"row": row_label, "column": col, "value": raw})
                continue
            if not w:
                continue
            builder.read()
            srid = f"{link_kind}:{me}->{columns[col]}"
            builder.link(link_kind, me, columns[col], source_record_id=srid, locator=locator, weight=w, prov=base,
                         directed=True)
            builder.accept(locator, {"row": row_label, "column": col, "value": raw}, srid)
