"""Columnar reading of plain CSV entity and link tables, through DuckDB.

The twin of :func:`netintel.ingest.tabular.load_table`'s row handler for a *plain* CSV file
(see :mod:`netintel.ingest._bulk`): every row is checked in SQL, in the record path's order of
checks, and its entities, links and raw text are computed in SQL. Python runs once per distinct
value where the record path's own function decides (a date of birth, a link's dates, a weight
in an unusual form, an entity or link kind from a kind column, a row's provenance markings),
and once per quarantined row to word its reason, never once per accepted row.

Duplicates are what the record path says they are: a row repeating an id (an entity spec's
kind and id, or a link id) of an *earlier accepted* row is quarantined, and a quarantined row
claims no id. Which rows are accepted is the fixpoint of that rule (a row is accepted when each
of its ids is claimed by no earlier accepted row), reached by a few grouped passes: the first
undecided row is decided by every pass.

An entity seen in several rows (a phone number shared by two persons) merges as
``BatchBuilder.entity`` merges: the first row's locator and provenance, every property's
distinct values in the order first seen (a list when there are several), its label from the
merged properties. A label the record path would take from a list value is computed by the
model's own ``label_of`` for those entities. A link reported by several rows merges as
``BatchBuilder.link`` does (count, and the weight with its reset at a weightless row).

A file this does not cover goes the record path whole (:func:`load_table_columnar` returns
False before touching the builder): a row whose only values are flagged fields of an entity
without an id (their flags move to the row's first entity there).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Callable, Sequence

import pandas as pd

from ..errors import SchemaError
from ._bulk import (_PROV_TYPES, _ROW_PROV, PlainCsv, _close, _connect, _drop, _error_of, _finish, _literal,
                    _lookup, _number_sql, _params, _prepare, _row_provenance, _settle, _tie_weight, _time_sql)
from ._common import BatchBuilder, RecordError, future_date_problem, parse_datetime

__all__ = ["load_table_columnar"]

class _Plan:
    """The SQL of one table: a column alias per mapped column, checks in the record path's order."""

    def __init__(self, plain: PlainCsv, mapping: Any, cols: dict[str, str]):
        self.plain, self.mapping, self.cols = plain, mapping, cols
        self.fields: dict[str, str | None] = {}
        self._alias: dict[str, str] = {}

    def col(self, column: str | None) -> str:
        """SQL for the cleaned value of a mapping column (``value(values, column)``)."""
        if not column:
            return "NULL::VARCHAR"
        actual = self.cols.get(column, column)
        if actual not in self._alias:
            self._alias[actual] = f"c{len(self._alias)}"
            self.fields[self._alias[actual]] = actual if actual in self.plain.header else None
        return f'r.{self._alias[actual]}'


def load_table_columnar(plain: PlainCsv, builder: BatchBuilder, mapping: Any, cols: dict[str, str]) -> bool:
    """Load an entity/link table in bulk; False (the builder untouched) when it needs the record path."""
    from .tabular import is_date_property, parse_date_property, parse_number, row_provenance

    model = builder.model
    path = builder.path
    specs = list(mapping.entities.items())
    links = list(mapping.links)
    fmts = mapping.date_format
    plan = _Plan(plain, mapping, cols)
    for name, spec in specs:
        for c in (spec.id, spec.kind_column, *spec.properties.values()):
            plan.col(c)
    for spec in links:
        for c in (spec.kind_column, spec.first_seen, spec.last_seen, spec.weight, spec.amount, spec.currency,
                  spec.id, *spec.properties.values()):
            plan.col(c)
    record_cols = list(mapping.record.values())
    for c in record_cols:
        plan.col(c)
    # a workbook's date column is read as the record path reads a date value where it is a date, a
    # time or a property; as an id, a kind, a number or an identifier the record path does it
    names = {n for k in model.entities for n in (*model.entity(k).identifiers, *model.entity(k).label)}
    other = [c for _, spec in specs for c in (spec.id, spec.kind_column)]
    other += [c for _, spec in specs for prop, c in spec.properties.items() if prop in names and not is_date_property(prop)]
    other += [c for spec in links for c in (spec.kind_column, spec.weight, spec.amount, spec.currency, spec.id)]
    if plain.typed_in([cols.get(c, c) for c in other + record_cols if c]):
        return False
    p = _params(builder, plain)
    con, private = _connect(builder)
    done = False
    tables: list[str] = []

    def temp(name: str) -> str:
        tables.append(name)
        return name

    try:
        plain.lines(con)
        _prepare(con, plain, plan.fields, ())
        live = "NOT empty AND NOT malformed"
        joins: list[str] = []
        select: list[str] = []

        # -- provenance of each row (record:), resolved once per distinct combination of markings
        if record_cols:
            keys = [plan.col(c) for c in record_cols]

            join, cols_sql = _row_provenance(con, builder, mapping, {cols.get(c, c): k for c, k in zip(record_cols, keys)},
                                             cols, temp("_tprov"), live)
            joins.append(join)
            select += cols_sql

        # -- entity properties: dates parsed (or flagged) once per distinct value
        dates = [(prop, col) for _, spec in specs for prop, col in spec.properties.items() if is_date_property(prop)]
        if dates:
            def date_of(prop, col, v):
                try:
                    iso = parse_date_property(v, plain.formats(cols.get(col, col), fmts), f"{prop} ({col})")
                except RecordError as exc:
                    return None, f"{exc}; the record is kept without it: correct the date in the source (or the " \
                                 "mapping's date_format)", v
                future = future_date_problem(prop, iso)
                if future:
                    return None, f"{future}; the record is kept without it: correct the date in the source", iso
                return iso, None, None

            today = date.today().isoformat()

            def date_sql(prop: str, column: str) -> str:
                # the full dates DuckDB reads as parse_date_property does; NULL for the rest (and for a
                # date of birth in the future, which Python words)
                ts = _time_sql(plan.col(column), plain.formats(cols.get(column, column), fmts))
                iso = f"CASE WHEN year({ts}) BETWEEN 1000 AND 9999 THEN strftime({ts}, '%Y-%m-%d') END"
                return f"CASE WHEN ({iso}) <= '{today}' THEN {iso} END" if future_date_problem(prop, "9999") else iso

            union = " UNION ".join(f"SELECT DISTINCT {_literal(prop)}, {_literal(col)}, {plan.col(col)} FROM _rows r "
                                   f"WHERE {live} AND {plan.col(col)} IS NOT NULL AND ({date_sql(prop, col)}) IS NULL"
                                   for prop, col in dict.fromkeys(dates))
            _lookup(con, temp("_tdates"), union, date_of, {"parsed": "VARCHAR", "problem": "VARCHAR",
                                                           "flagged": "VARCHAR"})
        for si, (name, spec) in enumerate(specs):
            for pi, (prop, col) in enumerate(spec.properties.items()):
                if is_date_property(prop):
                    d = f"d{si}_{pi}"
                    joins.append(f"LEFT JOIN _tdates {d} ON {d}.k0 = {_literal(prop)} AND {d}.k1 = {_literal(col)} "
                                 f"AND {d}.k2 = {plan.col(col)}")
                    select.append(f"coalesce({date_sql(prop, col)}, {d}.parsed) AS s{si}p{pi}")
                    select.append(f"CASE WHEN {d}.problem IS NOT NULL THEN struct_pack(\"column\" := {_literal(col)}, "
                                  f"field := {_literal(prop)}, problem := {d}.problem, value := {d}.flagged) "
                                  f"END AS s{si}f{pi}")
                else:
                    select.append(f"{plan.col(col)} AS s{si}p{pi}")

        # -- entity kinds from a kind column, link kinds, once per distinct value
        def kinds(name: str, kind_column: str | None, fn: Callable[[Any], tuple]) -> None:
            """``{name}_kind`` and ``{name}_kerr``: ``fn`` of each distinct value of the kind column."""
            kc = plan.col(kind_column)
            _lookup(con, temp(f"_t{name}k"), f"SELECT DISTINCT {kc} FROM _rows r WHERE {live}", fn,
                    {"kind": "VARCHAR", "err": "VARCHAR"})
            joins.append(f"LEFT JOIN _t{name}k k{name} ON k{name}.k0 IS NOT DISTINCT FROM {kc}")
            select.extend([f"k{name}.kind AS {name}_kind", f"k{name}.err AS {name}_kerr"])

        for si, (name, spec) in enumerate(specs):
            if spec.kind_column:
                def kind_of(raw, spec=spec):
                    if raw is None:
                        if spec.kind:
                            return _error_of(lambda: model.check_entity_kind(spec.kind))
                        return None, f"entity kind is missing (column {spec.kind_column})"
                    try:
                        return model.check_entity_kind(spec.kinds.get(str(raw), spec.kinds.get(str(raw).lower(),
                                                                                                raw))), None
                    except SchemaError:
                        return None, (f"unknown entity kind {raw!r} in column {spec.kind_column}; map it in kinds: "
                                      "or add the kind to the model")
            else:
                def kind_of(raw, spec=spec):
                    return _error_of(lambda: model.check_entity_kind(spec.kind))
            kinds(f"s{si}", spec.kind_column, kind_of)
        for i, spec in enumerate(links):
            def link_kind_of(raw, spec=spec):
                if spec.kind_column:
                    if raw is None:
                        if spec.kind is None:
                            return None, f"link kind is missing (column {spec.kind_column})"
                        raw = spec.kind
                    mapped = spec.kinds.get(str(raw), spec.kinds.get(str(raw).lower(), raw))
                    try:
                        return model.check_link_kind(mapped), None
                    except SchemaError:
                        return None, (f"unknown link kind {raw!r} in column {spec.kind_column}; map it in kinds: "
                                      "or add the kind to the model")
                return _error_of(lambda: model.check_link_kind(spec.kind))
            kinds(f"l{i}", spec.kind_column, link_kind_of)

            # first/last seen, weight and amount: SQL for the plain forms, Python for the rest
            for what, column, sql_type in (("first", spec.first_seen, "TIMESTAMP"), ("last", spec.last_seen,
                                                                                  "TIMESTAMP"),
                                           ("w", spec.weight, "DOUBLE"), ("amt", spec.amount, "DOUBLE")):
                name = f"l{i}_{what}"
                if not column:
                    select += [f"NULL::{sql_type} AS {name}", f"NULL::VARCHAR AS {name}_err"]
                    continue
                c = plan.col(column)
                if sql_type == "TIMESTAMP":
                    formats = plain.formats(cols.get(column, column), fmts)
                    sql = _time_sql(c, formats)
                    fn = (lambda v, formats=formats: _error_of(lambda: str(parse_datetime(v, formats))))
                else:
                    sql = _number_sql(c)
                    label = f"{'weight' if what == 'w' else 'amount'} ({column})"
                    fn = (lambda v, label=label: _error_of(lambda: parse_number(v, label)))
                t = temp(f"_t{name}")
                _lookup(con, t, f"SELECT DISTINCT {c} FROM _rows r WHERE {live} AND {c} IS NOT NULL AND "
                                f"({sql}) IS NULL", fn, {"parsed": sql_type, "err": "VARCHAR"})
                joins.append(f"LEFT JOIN {t} {name} ON {name}.k0 = {c}")
                select += [f"coalesce({sql}, {name}.parsed) AS {name}", f"{name}.err AS {name}_err"]
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rows AS SELECT r.*{''.join(', ' + s for s in select)} "
                    f"FROM _rows r {' '.join(joins)}")
        for t in list(tables):
            _drop(con, [t])
        tables.clear()

        # -- each spec's entity: present, its id, a flagged field with nothing to carry it
        present, srid, has_props = {}, {}, {}
        for si, (name, spec) in enumerate(specs):
            values = [f"s{si}p{pi}" for pi in range(len(spec.properties))]
            flags = [f"s{si}f{pi}" for pi, (prop, _) in enumerate(spec.properties.items()) if is_date_property(prop)]
            ident = plan.col(spec.id).replace("r.", "")
            has_props[si] = f"coalesce({', '.join(values)}) IS NOT NULL" if values else "false"
            if flags:
                orphan = f"coalesce({', '.join(flags)}) IS NOT NULL AND NOT ({has_props[si]}) AND {ident} IS NULL"
                if con.execute(f"SELECT count(*) FROM _rows WHERE {live} AND {orphan}").fetchone()[0]:
                    return False  # the row's first entity carries these flags: the record path does that
            present[si] = f"({ident} IS NOT NULL OR {has_props[si]})"
            if spec.id is not None:
                srid[si] = ident
                continue
            # an entity without an id column: its first identifier, or the row's place in the file
            rules = []
            for kind in model.entities:
                ek = model.entity(kind)
                idents = [f"s{si}p{list(spec.properties).index(q)}" for q in ek.identifiers if q in spec.properties]
                if idents and (not ek.label or ek.label[0] in ek.identifiers):
                    rules.append(f"WHEN {_literal(kind)} THEN coalesce({', '.join(idents)})")
            by_kind = f"CASE s{si}_kind {' '.join(rules)} END" if rules else "NULL::VARCHAR"
            srid[si] = f"coalesce({by_kind}, {_literal(path.name + '#')} || locator)"
        planned = " OR ".join(present.values()) or "false"

        # -- the checks, in the record path's order; a duplicate is decided after the fixpoint below
        index = {name: si for si, (name, _) in enumerate(specs)}
        checks: list[tuple[str, str]] = []  # (code, SQL condition)
        dup_keys: list[tuple[str, str]] = []  # (code, SQL key)
        if record_cols:
            checks.append(("prov", "prov_err IS NOT NULL"))
        for si, (name, spec) in enumerate(specs):
            checks.append((f"s{si}_kind", f"{present[si]} AND s{si}_kerr IS NOT NULL"))
            if spec.id is not None:
                checks.append((f"s{si}_id", f"{present[si]} AND {srid[si]} IS NULL"))
                if not spec.is_reference:
                    dup_keys.append((f"s{si}_dup", f"CASE WHEN {srid[si]} IS NOT NULL AND s{si}_kind IS NOT NULL "
                                                   f"THEN 'E' || s{si}_kind || chr(31) || {srid[si]} END"))
                    checks.append((f"s{si}_dup", f"s{si}_dup IS NOT NULL"))
        active = {}
        for i, spec in enumerate(links):
            a, b = present[index[spec.source]], present[index[spec.target]]
            required = mapping.entities[spec.source].is_reference or mapping.entities[spec.target].is_reference
            active[i] = f"({a} AND {b})"
            if required:
                missing = f"NOT {active[i]} AND ({a} OR {b} OR NOT ({planned}))"
                checks += [(f"l{i}_source", f"{missing} AND NOT {a}"), (f"l{i}_target", f"{missing} AND {a}")]
            for what in ("kerr", "first_err", "last_err", "w_err", "amt_err"):
                checks.append((f"l{i}_{what}", f"{active[i]} AND l{i}_{what} IS NOT NULL"))
            if spec.id is not None:
                lid = plan.col(spec.id).replace("r.", "")
                checks.append((f"l{i}_id", f"{active[i]} AND {lid} IS NULL"))
                dup_keys.append((f"l{i}_dup", f"CASE WHEN {active[i]} AND {lid} IS NOT NULL THEN 'L' || {lid} END"))
                checks.append((f"l{i}_dup", f"l{i}_dup IS NOT NULL"))
        any_link = " OR ".join(active.values()) or "false"
        checks.append(("none", f"NOT ({planned}) AND NOT ({any_link})"))
        dups = {code for code, _ in dup_keys}
        static = [f"WHEN {cond} THEN '{code}'" for code, cond in checks if code not in dups]
        con.execute("ALTER TABLE _rows ADD COLUMN bad VARCHAR")
        con.execute(f"UPDATE _rows SET bad = CASE {' '.join(static)} END WHERE {live}" if static else "SELECT 1")
        _accepted_by_ids(con, dup_keys, temp, p['where'])
        order = [f"WHEN {cond} THEN '{code}'" for code, cond in checks]
        con.execute("ALTER TABLE _rows ADD COLUMN code VARCHAR")
        con.execute(f"UPDATE _rows SET code = CASE WHEN empty THEN 'empty' WHEN malformed THEN 'malformed' "
                    f"{' '.join(order)} END")

        # -- entities: one per (kind, source record id), merged over the rows that mention it
        n_specs = max(len(specs), 1)
        width = 1 + max([len(s.properties) for _, s in specs] + [0])
        ment = []
        for si, (name, spec) in enumerate(specs):
            props = ", ".join(f"struct_pack(k := {_literal(prop)}, v := s{si}p{pi}, o := {pi})"
                              for pi, prop in enumerate(spec.properties))
            flags = ", ".join(f"s{si}f{pi}" for pi, (prop, _) in enumerate(spec.properties.items())
                              if is_date_property(prop))
            ment.append(f"SELECT n, n * {n_specs} + {si} AS ord, locator, s{si}_kind AS kind, {srid[si]} AS srid, "
                        f"{f'list_filter([{props}], lambda e: e.v IS NOT NULL)' if props else '[]'} AS props, "
                        f"{f'list_filter([{flags}], lambda e: e IS NOT NULL)' if flags else 'NULL'} AS flags"
                        f"{', ' + ', '.join(f'pv_{c}' for c in _ROW_PROV) if record_cols else ''} "
                        f"FROM _rows WHERE code IS NULL AND {present[si]}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {temp('_ment')} AS "
                    f"SELECT ni_rid('E', '{p['agency']}', kind || ':' || srid) AS entity_id, * FROM "
                    f"({' UNION ALL '.join(ment) if ment else 'SELECT NULL AS n WHERE false'})")
        _entities(con, model, builder, p, width, record_cols, temp)

        # -- links: one per (source record id, marking), merged over the rows that report it
        ties = []
        n_links = max(len(links), 1)
        for i, spec in enumerate(links):
            s, t = index[spec.source], index[spec.target]
            ends = {side: f"ni_rid('E', '{p['agency']}', s{k}_kind || ':' || {srid[k]})" for side, k in
                    (("a", s), ("b", t))}
            lid = plan.col(spec.id).replace("r.", "") if spec.id else "NULL::VARCHAR"
            props = ", ".join(f"struct_pack(k := {_literal(prop)}, v := {plan.col(c).replace('r.', '')})"
                              for prop, c in spec.properties.items())
            ties.append(f"SELECT n * {n_links} + {i} AS n, locator, l{i}_kind AS kind, {ends['a']} AS sa, "
                        f"{ends['b']} AS sb, {lid} AS lid, l{i}_first AS first_seen, "
                        f"coalesce(l{i}_last, l{i}_first) AS last_seen, l{i}_w AS w, l{i}_amt AS amount, "
                        f"{plan.col(spec.currency).replace('r.', '')} AS currency, "
                        f"{f'to_json(map_from_entries(list_sort(list_filter([{props}], lambda e: e.v IS NOT NULL))))' if props else chr(39) + '{}' + chr(39)}"
                        f"::VARCHAR AS properties{', ' + ', '.join(f'pv_{c}' for c in _ROW_PROV) if record_cols else ''} "
                        f"FROM _rows WHERE code IS NULL AND {active[i]}")
        _links(con, model, p, ties, record_cols)

        # -- raw records: the row as written, under its first entity's key
        first_key = " ".join(f"WHEN {present[si]} THEN s{si}_kind || ':' || {srid[si]}" for si in range(len(specs)))
        records = (f"SELECT locator, {f'CASE {first_key} END' if first_key else 'NULL::VARCHAR'} AS record_id, "
                   "line AS raw FROM _rows WHERE code IS NULL ORDER BY n")

        def reason(row: dict[str, Any]) -> str:
            return _reason(row, specs, links, plan)

        _settle(con, builder, plain, reason, records_sql=records)
        _drop(con, tables)
        tables.clear()
        _finish(con, builder, private, extra=[f"pv_{c} AS {c}" for c in _ROW_PROV] if record_cols else ())
        done = True
    finally:
        _drop(con, tables)
        _close(con, private, done=done)
    return True


def _accepted_by_ids(con, dup_keys: Sequence[tuple[str, str]], temp: Callable[[str], str], where: str) -> None:
    """Set ``{code}`` (the line of the earlier accepted row claiming the same id) for each id check.

    A row is accepted when it passes every other check and each of its ids is claimed by no earlier
    accepted row. Each pass decides the rows whose ids are settled: rejected when an earlier row
    with one of its ids is accepted, accepted when every earlier row with each of its ids is rejected.
    """
    if not dup_keys:
        return
    keys = " UNION ALL ".join(f"SELECT n, '{code}' AS code, {key} AS key, bad IS NULL AS ok FROM _rows "
                              f"WHERE NOT empty AND NOT malformed AND {key} IS NOT NULL" for code, key in dup_keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {temp('_tkeys')} AS {keys}")
    # the candidates: rows that pass every other check, undecided (NULL), accepted (A) or rejected (D)
    # a row none of whose ids another candidate has is accepted without a pass
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {temp('_tcand')} AS
        SELECT n, key, CASE WHEN bool_and(shared = 1) OVER (PARTITION BY n) THEN 'A' END AS st
        FROM (SELECT n, key, count(*) OVER (PARTITION BY key) AS shared FROM (SELECT DISTINCT n, key FROM _tkeys WHERE ok))""")
    while con.execute("SELECT count(*) FROM _tcand WHERE st IS NULL").fetchone()[0]:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {temp('_tdecide')} AS
            WITH k AS (SELECT key, min(n) FILTER (st = 'A') AS first_a, min(n) FILTER (st IS NULL) AS first_u
                       FROM _tcand GROUP BY key)
            SELECT c.n, CASE WHEN bool_or(k.first_a < c.n) THEN 'D'
                             WHEN bool_and(coalesce(k.first_a > c.n, true) AND k.first_u = c.n) THEN 'A' END AS st
            FROM _tcand c JOIN k USING (key) WHERE c.st IS NULL GROUP BY c.n""")
        con.execute("UPDATE _tcand SET st = d.st FROM _tdecide d WHERE _tcand.n = d.n AND d.st IS NOT NULL")
    # every row's ids against the accepted rows (a row that fails another check still says "duplicate"
    # when that check comes first)
    pivot = ", ".join(f"{where} || min(f.first) FILTER (t.code = '{code}' AND f.first < t.n) AS {code}"
                      for code, _ in dict.fromkeys(dup_keys))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {temp('_tdups')} AS
        SELECT t.n, {pivot}
        FROM _tkeys t JOIN (SELECT key, min(n) AS first FROM _tcand WHERE st = 'A' GROUP BY key) f USING (key)
        WHERE f.first < t.n GROUP BY t.n""")
    codes = list(dict.fromkeys(code for code, _ in dup_keys))
    for c in codes:
        con.execute(f"ALTER TABLE _rows ADD COLUMN {c} VARCHAR")
    con.execute(f"UPDATE _rows SET {', '.join(f'{c} = d.{c}' for c in codes)} FROM _tdups d WHERE _rows.n = d.n")


def _entities(con, model, builder: BatchBuilder, p: dict[str, str], width: int, record_cols, temp) -> None:
    """``_entities`` from the mentions in ``_ment``: properties merged in the order first seen."""
    # each (entity, property, value) once, at its first mention; a property is a list when it has several
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {temp('_tvals')} AS
        SELECT entity_id, k, list(v ORDER BY o) AS vals, min(o) AS o
        FROM (SELECT entity_id, e.k, e.v, min(ord * {width + 1} + e.o) AS o
              FROM (SELECT entity_id, ord, unnest(props) AS e FROM _ment) GROUP BY entity_id, e.k, e.v)
        GROUP BY entity_id, k""")
    # flagged fields: every distinct problem, in the order first seen, after the entity's properties
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {temp('_tflags')} AS
        SELECT entity_id, list(f ORDER BY o) AS flags, min(o) AS o
        FROM (SELECT entity_id, f, min(ord * {width + 1} + {width} + pos / 1e6) AS o
              FROM (SELECT entity_id, ord, unnest(flags) AS f, generate_subscripts(flags, 1) AS pos
                    FROM _ment WHERE len(flags) > 0) GROUP BY entity_id, f)
        GROUP BY entity_id""")
    labels = []
    for kind in model.entities:
        names = list(model.entity(kind).label)
        if names:
            labels.append(f"WHEN {_literal(kind)} THEN list_position([{', '.join(map(_literal, names))}], k)")
    rank = f"CASE kind {' '.join(labels)} END" if labels else "NULL::INTEGER"
    # the label: the first label property with a value, or else the first property (label_of);
    # NULL where that value is a list or the flags (label_of's text of it, computed below)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {temp('_tprops')} AS
        SELECT entity_id, any_value(kind) AS kind,
               coalesce(arg_min(vals, r) FILTER (r IS NOT NULL), arg_min(vals, o)) AS chosen,
               bool_or(r IS NOT NULL) AS by_label, min(o) AS o
        FROM (SELECT v.*, m.kind, {rank.replace('CASE kind', 'CASE m.kind')} AS r
              FROM _tvals v JOIN (SELECT DISTINCT entity_id, kind FROM _ment) m USING (entity_id))
        GROUP BY entity_id""")
    # the properties as the record path stores them: keys sorted, a value or a list of values
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {temp('_tjson')} AS
        SELECT entity_id, '{{' || string_agg(to_json(k)::VARCHAR || ':' || j, ',' ORDER BY k) || '}}' AS properties
        FROM (SELECT entity_id, k, (CASE WHEN len(vals) = 1 THEN to_json(vals[1]) ELSE to_json(vals) END)::VARCHAR AS j
              FROM _tvals
              UNION ALL SELECT entity_id, 'field_problems', to_json(flags)::VARCHAR FROM _tflags)
        GROUP BY entity_id""")
    prov = ", ".join(f"m.pv_{c} AS pv_{c}" for c in _ROW_PROV) + ", " if record_cols else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _entities AS
        SELECT m.entity_id, m.kind,
               CASE WHEN t.by_label THEN CASE WHEN len(t.chosen) = 1 THEN t.chosen[1] END
                    WHEN f.flags IS NOT NULL AND (t.o IS NULL OR f.o < t.o) THEN NULL
                    WHEN t.chosen IS NULL THEN ''
                    WHEN len(t.chosen) = 1 THEN t.chosen[1] END AS label,
               coalesce(j.properties, '{{}}')
                   AS properties,
               '{p['source_id']}' AS source_id, m.srid AS source_record_id, m.locator, {prov}m.ord AS first
        FROM (SELECT * FROM _ment QUALIFY row_number() OVER (PARTITION BY entity_id ORDER BY ord) = 1) m
             LEFT JOIN _tprops t USING (entity_id) LEFT JOIN _tflags f USING (entity_id)
             LEFT JOIN _tjson j USING (entity_id)
        ORDER BY m.ord""")
    # a label taken from a list (or from the flags) is the model's own text of it
    # (its properties in the order first seen, as the record path's dict has them)
    odd = con.execute("""
        SELECT e.entity_id, e.kind, e.properties, o.keys
        FROM _entities e JOIN (SELECT entity_id, list(k ORDER BY o) AS keys
                               FROM (SELECT entity_id, k, o FROM _tvals
                                     UNION ALL SELECT entity_id, 'field_problems', o FROM _tflags)
                               GROUP BY entity_id) o USING (entity_id)
        WHERE e.label IS NULL""").fetchall()
    if odd:
        frame = pd.DataFrame({"entity_id": [e for e, _, _, _ in odd],
                              "label": [model.label_of(k, _as_recorded(json.loads(props), keys))
                                        for _, k, props, keys in odd]})
        con.register("_odd_labels", frame)
        try:
            con.execute("UPDATE _entities SET label = o.label FROM _odd_labels o WHERE _entities.entity_id = "
                        "o.entity_id")
        finally:
            con.unregister("_odd_labels")


def _as_recorded(props: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """Properties as the record path's dict holds them: in the order first seen, each field problem's
    keys in the order ``flag_field`` writes them (what label_of's text of them shows)."""
    if isinstance(props.get("field_problems"), list):
        props["field_problems"] = [{k: p.get(k) for k in ("field", "column", "value", "problem")}
                                   for p in props["field_problems"]]
    return {k: props[k] for k in keys}


def _links(con, model, p: dict[str, str], ties: Sequence[str], record_cols) -> None:
    """``_links`` from each accepted row's links: one per source record id and marking, as ``builder.link``."""
    directed = ", ".join(f"({_literal(k)}, {model.link(k).directed})" for k in model.links)
    none = ("SELECT NULL::BIGINT AS n, NULL::VARCHAR AS locator, NULL::VARCHAR AS kind, NULL::VARCHAR AS sa, "
            "NULL::VARCHAR AS sb, NULL::VARCHAR AS lid, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen, "
            "NULL::DOUBLE AS w, NULL::DOUBLE AS amount, NULL::VARCHAR AS currency, NULL::VARCHAR AS properties"
            + ("".join(f", NULL::{_PROV_TYPES.get(c, 'VARCHAR')} AS pv_{c}" for c in _ROW_PROV) if record_cols else "")
            + " WHERE false")
    source = " UNION ALL ".join(ties) if ties else none
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ties AS
        SELECT t.*, d.directed,
               coalesce(lid, CASE WHEN d.directed THEN t.kind || ':' || sa || '->' || sb
                                  ELSE t.kind || ':' || least(sa, sb) || '->' || greatest(sa, sb) END) AS srid
        FROM ({source}) t JOIN (VALUES {directed}) d(kind, directed) ON t.kind = d.kind""")
    marking = ", pv_handling, array_to_string(pv_releasable_to, chr(31)), pv_grading" if record_cols else ""
    key = f"srid{marking}"
    prov = ", ".join(f"t.pv_{c}" for c in _ROW_PROV) + ", " if record_cols else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _links AS
        SELECT ni_rid('L', '{p['agency']}', t.srid) AS link_id, t.kind, t.sa AS source, t.sb AS target,
               t.directed, t.first_seen, t.last_seen, g.count, g.weight, t.amount, t.currency, t.properties,
               '{p['source_id']}' AS source_id, t.srid AS source_record_id, t.locator, {prov}g.first
        FROM (SELECT min(n) AS first, count(*) AS count, {_tie_weight(con, key)} AS weight FROM _ties
              GROUP BY {key}) g
             JOIN _ties t ON t.n = g.first
        ORDER BY g.first""")


def _reason(row: dict[str, Any], specs, links, plan: _Plan) -> str:
    """The record path's words for a quarantined row's first failing check."""
    code = row["code"]
    if code == "prov":
        return row["prov_err"]
    if code == "none":
        return "the row has no value in any mapped column"
    where, _, what = code.partition("_")
    k = int(where[1:])
    if where[0] == "s":
        name, spec = specs[k]
        if what == "kind":
            return row[f"s{k}_kerr"]
        if what == "id":
            return f"entities.{name}: the id column {spec.id!r} is empty"
        return f"duplicate id {row[plan.col(spec.id)[2:]]!r} in column {spec.id} (first at {row[code]})"
    spec = links[k]
    if what in ("source", "target"):
        return f"links[{k}]: the {what} ({spec.source if what == 'source' else spec.target}) has no value"
    if what in ("first_err", "last_err"):
        return f"links[{k}] first/last seen: {row[f'l{k}_{what}']}"
    if what in ("kerr", "w_err", "amt_err"):
        return row[f"l{k}_{what}"]
    if what == "id":
        return f"links[{k}]: the id column {spec.id!r} is empty"
    return f"duplicate link id {row[plan.col(spec.id)[2:]]!r} in column {spec.id} (first at {row[code]})"
