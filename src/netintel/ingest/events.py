"""Event tables: call detail records and financial transactions.

A call record (``caller, callee, start, duration, cell``) becomes a ``call`` event between two
phone entities; a transaction (``from_account, to_account, amount, currency, time``) a
``transfer`` event between two accounts (bank accounts, or crypto wallets when the value looks
like one). The :class:`~netintel.ingest._common.BatchBuilder` aggregates the events of each pair
into one link with count, first and last seen and total amount or duration, while every event
stays in the ``events`` table for timelines.

Columns are found by their canonical names (ignoring case), or renamed by a mapping's
``columns:`` block or ``--map caller=A_NUMBER`` on the command line. Times are recognised in the
usual export forms (ISO 8601, ``20060601 0008``, ``01/06/2006 00:08``, epoch seconds) or read
with ``time_format``. Columns the mapping does not name are kept as event properties.

Examples
--------
>>> event_kind_of(["A_NUMBER", "B_NUMBER", "DATE"], {"caller": "A_NUMBER", "callee": "B_NUMBER"})
'call'
>>> event_kind_of(["from_account", "to_account", "amount"], {})
'transfer'
>>> parse_duration("00:02:05"), parse_duration("125"), parse_duration("2:05")
(125.0, 125.0, 125.0)
>>> account_kind("NL91ABNA0417164300"), account_kind("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
('bank_account', 'crypto_wallet')
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping as TMapping, Sequence

from ..errors import MappingError
from ._bulk import PlainCsv, load_events_columnar, open_plain_csv
from ._common import BatchBuilder, RecordError, clean, parse_datetime
from .tabular import (Mapping, Table, TableRecord, _column_resolver, _named, parse_number, read_table,
                      row_provenance, run_records)

__all__ = ["CALL_FIELDS", "TRANSFER_FIELDS", "load_events", "event_kind_of", "parse_duration", "account_kind"]

#: Canonical fields of a call record; the first three are required.
CALL_FIELDS = ("caller", "callee", "start", "duration", "cell", "id")
#: Canonical fields of a transaction; the first three are required.
TRANSFER_FIELDS = ("from_account", "to_account", "time", "amount", "currency", "id")
_REQUIRED = {"call": ("caller", "callee", "start"), "transfer": ("from_account", "to_account", "time")}
_FIELDS = {"call": CALL_FIELDS, "transfer": TRANSFER_FIELDS}


def event_kind_of(columns: Sequence[str], renames: TMapping[str, str]) -> str | None:
    """``call`` or ``transfer`` if the columns (after renames) hold that kind's required fields."""
    resolve = _column_resolver(columns)
    for kind, required in _REQUIRED.items():
        if all(resolve(renames.get(f, f)) is not None for f in required[:2]):
            return kind
    return None


def parse_duration(value: Any) -> float | None:
    """Seconds from ``125``, ``125.5``, ``2:05`` or ``00:02:05``; None if empty."""
    value = clean(value)
    if value is None:
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2})", text)
    if m:
        hours = int(m.group(1) or 0)
        return float(hours * 3600 + int(m.group(2)) * 60 + int(m.group(3)))
    number = parse_number(text, "duration")
    if number is not None and number < 0:
        raise RecordError(f"duration {text!r} is negative")
    return number


_WALLET = re.compile(r"^(bc1[02-9ac-hj-np-z]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}|0x[0-9a-fA-F]{40}|"
                     r"T[1-9A-HJ-NP-Za-km-z]{33}|4[0-9AB][1-9A-HJ-NP-Za-km-z]{93})$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


def account_kind(value: str) -> str:
    """``crypto_wallet`` for a value shaped like a Bitcoin, Ethereum, Tron or Monero address, else ``bank_account``."""
    return "crypto_wallet" if _WALLET.match(str(value).strip()) else "bank_account"


def _account_props(value: str) -> tuple[str, str]:
    kind = account_kind(value)
    if kind == "crypto_wallet":
        return kind, "address"
    compact = str(value).replace(" ", "").upper()
    return kind, "iban" if _IBAN.match(compact) else "account_number"


def load_events(path: str | Path, builder: BatchBuilder, mapping: Mapping | None = None, *,
                time_format: str | Sequence[str] | None = None, table: Table | None = None) -> str:
    """Read a call-record or transaction table into ``builder``; returns the event kind read.

    Raises :class:`~netintel.errors.MappingError` (naming the file and the missing columns) when
    the required fields cannot be found. A row with a bad time, duration or amount, or without a
    caller/callee/account, is quarantined with its line number.
    """
    path = Path(path)
    mapping = mapping or Mapping(format="events")
    plain, table = _open(path, mapping, table)
    kind = mapping.event or event_kind_of(table.columns, mapping.columns)
    if kind is None:
        raise MappingError(
            "is not recognisably a call-record or transaction table: it has no caller/callee or "
            f"from_account/to_account columns (its columns: {', '.join(table.columns)})", file=str(path),
            hint="name the columns with --map caller=COLUMN --map callee=COLUMN --map start=COLUMN (calls) or "
                 "--map from_account=... --map to_account=... --map time=... (transactions)")
    mapping = replace(mapping, format="events")
    found = mapping.validate(table.columns, file=str(path), model=builder.model, required=_REQUIRED[kind],
                             fields=_FIELDS[kind])
    resolve = _column_resolver(table.columns)
    cols: dict[str, str] = {}
    for canon in _FIELDS[kind]:
        actual = resolve(mapping.columns.get(canon, canon))
        if actual is not None:
            cols[canon] = actual
    cols_record = {c: found.get(c, resolve(c) or c) for c in mapping.record.values()}
    used = set(cols.values()) | set(cols_record.values())
    extra = [c for c in table.columns if c not in used and c]
    fmts = time_format or (mapping.date_format or None)
    time_column = cols.get("start" if kind == "call" else "time")
    if plain is not None and plain.typed_in([*(c for c in cols.values() if c != time_column),
                                                    *cols_record.values()]):
        plain = None  # a workbook's date column read as a party, duration or marking: the record path
    if plain is not None:
        # a plain CSV file: read in bulk, the same rows as below
        load_events_columnar(plain, builder, kind=kind, cols=cols, extra=extra, fmts=fmts, mapping=mapping,
                             cols_record=cols_record)
        return kind
    table = _whole(path, mapping, table)
    seen: dict[str, str] = {}
    base_prov = None if mapping.record else builder.provenance()
    known: dict[tuple[str, str], str] = {}  # (kind, value) -> entity id: most rows repeat numbers

    def party(kind: str, value: Any, prop: str, locator: str, prov) -> str:
        key = (kind, str(value))
        eid = known.get(key)
        if eid is None:
            eid = known[key] = builder.identifier(kind, value, locator=locator, prop=prop, prov=prov)
        return eid

    def handle(rec: TableRecord) -> str | None:
        values = rec.values

        def get(canon: str) -> Any:
            return clean(values.get(cols[canon])) if canon in cols else None

        prov = base_prov if base_prov is not None else row_provenance(builder, mapping, values, cols_record)
        time_field = "start" if kind == "call" else "time"
        raw_time = get(time_field)
        if raw_time is None:
            raise RecordError(f"{_named(time_field, cols)} is missing")
        try:
            when = parse_datetime(raw_time, fmts)
        except RecordError as exc:
            raise RecordError(f"{_named(time_field, cols)}: {exc}") from None
        record_key = get("id")
        if record_key is not None and str(record_key) in seen:
            raise RecordError(f"duplicate id {record_key!r} in column {cols['id']} (first at {seen[str(record_key)]})")
        props = {c: clean(values.get(c)) for c in extra}
        props = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in props.items() if v is not None}
        if record_key is not None:
            props["record_id"] = str(record_key)
        if kind == "call":
            a, b = get("caller"), get("callee")
            for canon, v in (("caller", a), ("callee", b)):
                if v is None:
                    raise RecordError(f"{_named(canon, cols)} is missing")
            duration = parse_duration(get("duration"))
            place = get("cell")
            source = party("phone", a, "number", rec.locator, prov)
            target = party("phone", b, "number", rec.locator, prov)
            builder.event("call", source, target, when, locator=rec.locator, duration=duration,
                          place=None if place is None else str(place), properties=props, prov=prov)
        else:
            a, b = get("from_account"), get("to_account")
            for canon, v in (("from_account", a), ("to_account", b)):
                if v is None:
                    raise RecordError(f"{_named(canon, cols)} is missing")
            amount = parse_number(get("amount"), "amount")
            currency = get("currency")
            currency = str(currency).strip().upper() if currency is not None else None
            if currency is not None and not re.fullmatch(r"[A-Z0-9]{3,5}", currency):
                raise RecordError(f"currency {currency!r} is not a currency code (EUR, USD, BTC, ...)")
            ka, pa = _account_props(a)
            kb, pb = _account_props(b)
            source = party(ka, a, pa, rec.locator, prov)
            target = party(kb, b, pb, rec.locator, prov)
            builder.event("transfer", source, target, when, locator=rec.locator, amount=amount, currency=currency,
                          properties=props, prov=prov)
        if record_key is not None:
            seen[str(record_key)] = rec.locator
        return str(record_key) if record_key is not None else None

    run_records(builder, table, handle)
    return kind


def _open(path: Path, mapping: Mapping, table: Table | None) -> tuple[PlainCsv | None, Table]:
    """The file as a plain CSV for the bulk path (with only its first rows read as a table, for the
    column checks), or as a whole table for the record path."""
    if table is not None:
        return None, table
    plain = open_plain_csv(path, encoding=mapping.encoding, sheet=mapping.sheet, delimiter=mapping.delimiter)
    if plain is None:
        return None, read_table(path, encoding=mapping.encoding, sheet=mapping.sheet, delimiter=mapping.delimiter)
    if plain.cells is not None:  # a workbook's sheet, read once: its header is what the checks need
        return plain, Table(path, plain.header, [], sheet=mapping.sheet, truncated=True)
    head = read_table(path, encoding=mapping.encoding, delimiter=plain.delimiter, head_bytes=1 << 16)
    return (plain if list(head.columns) == plain.header else None), head


def _whole(path: Path, mapping: Mapping, table: Table) -> Table:
    """``table`` with every record (the head read by :func:`_open` may have left some out)."""
    if not table.truncated:
        return table
    return read_table(path, encoding=mapping.encoding, sheet=mapping.sheet, delimiter=mapping.delimiter)
