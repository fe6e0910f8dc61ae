"""Bring partners' shared data into the workspace: :func:`ingest` and its :class:`IntakeReport`.

A source is a file or a folder. In a folder every data file is recognised by its content and
extension; a ``source.yaml`` gives the agency, country and default grading and handling of the
files below it, and a ``<stem>.mapping.yaml`` beside a table says how to read it. Each file is
imported in its own transaction: a file that cannot be read fails alone, the others are kept.

Formats (``format=`` forces one):

========== ==================================================================================
``stix``    a JSON file whose top object has ``"type": "bundle"`` (:mod:`netintel.ingest.stix`)
``ftm``     FollowTheMoney JSON lines (:mod:`netintel.ingest.ftm`)
``table``   a CSV/XLSX entity and link table with a mapping (:mod:`netintel.ingest.tabular`)
``events``  call records / transactions, by their columns (:mod:`netintel.ingest.events`)
``edgelist`` ``source, target[, weight]`` columns (:mod:`netintel.ingest.edgelist`)
``matrix``  a square matrix whose first row and column hold the same labels (UCINET style)
``ucinet``  a UCINET DL file (:mod:`netintel.ingest.ucinet`)
``exchange`` a graph netintel exported: GEXF, GraphML, Cytoscape JSON, i2/CSV tables, XLSX
            (:mod:`netintel.ingest.exchange`)
========== ==================================================================================

Examples
--------
>>> import tempfile, pathlib
>>> from netintel import Workspace
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "ties.csv").write_text("source,target,weight\\nA,B,2\\nB,C,1\\nC,,1\\n")
>>> ws = Workspace()
>>> report = ingest(ws, [folder / "ties.csv"], agency="Politie", country="NL", progress=False)
>>> report.sources[["format", "status", "read", "accepted", "quarantined", "links"]].to_dict("records")
[{'format': 'edgelist', 'status': 'imported', 'read': 3, 'accepted': 2, 'quarantined': 1, 'links': 2}]
>>> ingest(ws, [folder / "ties.csv"], agency="Politie", country="NL", progress=False).sources.status[0]
'unchanged'
"""

from __future__ import annotations

import html
import importlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping as TMapping, Sequence

import pandas as pd
import yaml

from ..errors import InputError, MappingError, NetintelError, SchemaError
from ..workspace import ImportBatch, Workspace, file_sha256, source_key
from ._common import BatchBuilder, Provenance, loads_json
from .tabular import Mapping, check_xlsx_suffix, read_table, sniff_kind

__all__ = ["ingest", "IntakeReport", "Mapping", "detect_format", "find_sources", "SourceFile", "FORMATS"]

#: Formats :func:`ingest` knows.
FORMATS = ("stix", "ftm", "table", "events", "edgelist", "matrix", "ucinet", "exchange")
#: File extensions treated as data in a folder (a file named directly is always tried).
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".dl", ".gexf", ".graphml",
                 ".cyjs")
_MAPPING_SUFFIXES = (".mapping.yaml", ".mapping.yml", ".mapping.toml")
_SOURCE_FILES = ("source.yaml", "source.yml")
_REPORT_COLUMNS = ["file", "agency", "country", "format", "status", "read", "accepted", "quarantined", "entities",
                   "links", "events", "error"]


# ---------------------------------------------------------------------------------------------
# Finding the files of a source
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceFile:
    """A file to import, with what its folder says about it."""

    path: Path
    display: str  # the name shown in reports: relative to the folder given, or the file name
    settings: dict[str, Any] = field(default_factory=dict)  # from the nearest source.yaml
    settings_file: str | None = None
    mapping_file: Path | None = None
    skip_reason: str | None = None


def _is_control_file(path: Path) -> bool:
    name = path.name.lower()
    return name in _SOURCE_FILES or name.endswith(_MAPPING_SUFFIXES) or name.startswith((".", "~$"))


def _source_settings(directory: Path, stop: Path) -> tuple[dict[str, Any], str | None]:
    """The nearest ``source.yaml`` from ``directory`` up to ``stop`` (inclusive)."""
    here = directory.resolve()
    stop = stop.resolve()
    while True:
        for name in _SOURCE_FILES:
            candidate = here / name
            if candidate.is_file():
                try:
                    data = yaml.safe_load(candidate.read_text("utf-8-sig")) or {}
                except yaml.YAMLError as exc:
                    raise InputError(f"cannot be parsed: {exc}", file=str(candidate),
                                     hint="fix the YAML (agency:, country:, grading:, handling:)") from None
                if not isinstance(data, dict):
                    raise InputError("must hold keys agency, country, grading, handling", file=str(candidate))
                return data, str(candidate)
        if here == stop or here.parent == here:
            return {}, None
        here = here.parent


def _mapping_beside(path: Path) -> Path | None:
    stem = path.name
    for suffix in (".xlsx", ".xlsm", ".csv", ".tsv", ".txt"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    for suffix in _MAPPING_SUFFIXES:
        candidate = path.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def find_sources(sources: Iterable[str | Path]) -> list[SourceFile]:
    """The files to import from files and folders, in a stable order.

    In a folder (searched recursively), ``source.yaml``, mapping files, hidden files and
    ``truth/`` folders are not data; files with other extensions than :data:`DATA_SUFFIXES`
    are listed as skipped.
    """
    out: list[SourceFile] = []
    for src in sources:
        src = Path(src)
        if src.is_dir():
            for path in sorted(p for p in src.rglob("*") if p.is_file()):
                rel = path.relative_to(src)
                if any(part.lower() == "truth" or part.startswith(".") for part in rel.parts[:-1]):
                    continue
                if _is_control_file(path):
                    continue
                settings, settings_file = _source_settings(path.parent, src)
                skip = None
                mapping_file = _mapping_beside(path)
                if path.suffix.lower() not in DATA_SUFFIXES:
                    skip = f"not a data file ({path.suffix or 'no extension'})"
                elif path.suffix.lower() == ".txt" and mapping_file is None:
                    skip = "a .txt file without a mapping beside it (name it .csv/.tsv, or add a mapping)"
                out.append(SourceFile(path, rel.as_posix(), settings, settings_file, mapping_file, skip))
        elif src.is_file():
            # a file named directly: the nearest source.yaml in its folder or up to three above it
            top = src.resolve().parent
            for _ in range(3):
                top = top.parent if top.parent != top else top
            settings, settings_file = _source_settings(src.parent, top)
            out.append(SourceFile(src, src.name, settings, settings_file, _mapping_beside(src)))
        else:
            raise InputError("does not exist", file=str(src), hint="give an existing file or folder")
    return out


# ---------------------------------------------------------------------------------------------
# Recognising a file's format
# ---------------------------------------------------------------------------------------------
def detect_format(path: str | Path, mapping: Mapping | None = None) -> str:
    """The format of a file, by the mapping, then by content, then by columns.

    Raises :class:`~netintel.errors.InputError` for a file that is none of :data:`FORMATS`.
    """
    from .exchange import exchange_kind
    from .ucinet import sniff as is_ucinet

    path = Path(path)
    kind = sniff_kind(path, encoding=mapping.encoding if mapping else None)
    if kind == "empty":
        raise InputError("is empty", file=str(path), hint="the partner's export holds no data; ask for it again")
    check_xlsx_suffix(path, kind)
    if path.suffix.lower() == ".dl" or (kind != "binary" and kind != "json" and is_ucinet(path)):
        return "ucinet"
    if exchange_kind(path) is not None:
        return "exchange"
    if kind == "json":
        return _json_format(path)
    if kind == "binary":
        raise InputError("is a binary file, not a table, STIX bundle or FtM JSON lines", file=str(path),
                         hint="give CSV, XLSX, STIX 2.1 JSON or FtM JSON lines")
    if mapping is not None and (mapping.format != "table" or mapping.entities or mapping.links):
        return mapping.format  # a mapping that says what the table is
    if kind == "xls":
        raise InputError("is an old binary Excel (.xls) workbook", file=str(path),
                         hint="save it as .xlsx or CSV and import that")
    table = read_table(path, encoding=mapping.encoding if mapping else None,
                       sheet=mapping.sheet if mapping else None, delimiter=mapping.delimiter if mapping else None,
                       head_bytes=1 << 18)
    return _table_format(path, table, mapping)


def _table_format(path: Path, table, mapping: Mapping | None) -> str:
    from .edgelist import looks_like_matrix, looks_like_two_mode
    from .events import event_kind_of
    from .tabular import _column_resolver

    from .exchange import exchange_kind_of_columns

    renames = mapping.columns if mapping else {}
    if mapping is None and exchange_kind_of_columns(table.columns) is not None:
        return "exchange"  # a table netintel exported (i2 or CSV), read back with its own columns
    if event_kind_of(table.columns, renames):
        return "events"
    resolve = _column_resolver(table.columns)
    if resolve(renames.get("source", "source")) and resolve(renames.get("target", "target")):
        return "edgelist"
    corner = table.columns[0] if table.columns else ""
    rows = [r.values.get(corner) if r.values is not None else None for r in table.records]
    if looks_like_matrix(table.columns, rows) or (not table.truncated and looks_like_two_mode(table.columns, rows)):
        return "matrix"
    from .edgelist import looks_like_two_mode

    if not table.truncated and looks_like_two_mode(
            table.columns, [[r.values.get(c) for c in table.columns] for r in table.records if r.values is not None]):
        return "matrix"  # two-mode: persons x the meetings they attended
    if table.truncated and rows and [str(r).strip() for r in rows] == [str(c).strip() for c in
                                                                        table.columns[1:len(rows) + 1]]:
        return "matrix"  # a large matrix: its rows so far follow the header's labels
    raise MappingError(
        f"cannot tell what this table holds (columns: {', '.join(map(str, table.columns))})", file=str(path),
        hint=f"put a mapping file {_stem(path)}.mapping.yaml beside it (see docs/ARCHITECTURE.md), or name the "
             "columns with --map (caller=, callee=, start= for call records; from_account=, to_account=, time= "
             "for transactions; source=, target= for edge lists), or give --format")


def _stem(path: Path) -> str:
    return path.name.rsplit(".", 1)[0]


def _json_format(path: Path) -> str:
    for fmt in ("stix", "ftm"):
        try:
            module = importlib.import_module(f"{__name__}.{fmt}")
        except ImportError:  # pragma: no cover - loaders are part of the package
            continue
        if module.sniff(path):
            return fmt
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    text = head.decode("utf-8-sig", "replace").lstrip()
    first = text.split("\n", 1)[0].strip()
    try:
        obj = loads_json(first)
        if isinstance(obj, dict):
            if obj.get("type") == "bundle":
                return "stix"
            if "schema" in obj:
                return "ftm"
    except ValueError:
        pass
    if '"type"' in text[:2000] and '"bundle"' in text[:2000]:
        return "stix"  # a bundle written over many lines (its loader reports if it is truncated)
    if '"schema"' in first:
        return "ftm"  # FtM lines, the first one broken: its loader quarantines it
    raise InputError("is JSON but neither a STIX 2.1 bundle (top object of type bundle) nor FtM JSON lines "
                     "(one entity with a schema per line)", file=str(path),
                     hint="check what the partner sent; other JSON needs converting to CSV with a mapping")


# ---------------------------------------------------------------------------------------------
# The intake report
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntakeReport:
    """What one :func:`ingest` call did, source by source.

    Attributes
    ----------
    sources : one row per file: file, agency, country, format, status (imported, unchanged,
        failed, skipped), read, accepted, quarantined, entities, links, events, error.
    quarantine : the quarantined records of these sources: file, agency, locator, reason, raw.
    grading : records (entities, links, events) by agency (rows) and canonical grading (columns).
    handling : records by agency and handling code.
    errors : file -> message, for the files that failed.
    field_problems : fields flagged on records that were kept (a birth date that is no date, a
        formula cell with no saved value): file, agency, locator, field, column, value as
        written, problem (see :func:`netintel.report.field_problems_table`).
    """

    sources: pd.DataFrame
    quarantine: pd.DataFrame
    grading: pd.DataFrame
    handling: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)
    field_problems: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.errors

    def totals(self) -> dict[str, int]:
        """Read, accepted and quarantined over every source of the report."""
        return {k: int(self.sources[k].sum()) for k in ("read", "accepted", "quarantined", "entities", "links",
                                                         "events")}

    def summary(self) -> str:
        """One line: how many files did what, and read = accepted + quarantined."""
        status = self.sources["status"].value_counts()
        t = self.totals()
        parts = [f"{int(status.get(s, 0))} {s}" for s in ("imported", "unchanged", "failed", "skipped")
                 if status.get(s, 0)]
        flagged = 0 if self.field_problems is None else len(self.field_problems)
        return (f"{len(self.sources)} files ({', '.join(parts) or 'none'}): read {t['read']} = accepted "
                f"{t['accepted']} + quarantined {t['quarantined']}; {t['entities']} entities, {t['links']} links, "
                f"{t['events']} events" + (f"; {flagged} fields flagged on records kept" if flagged else ""))

    def __repr__(self) -> str:
        return f"<IntakeReport {self.summary()}>"

    def _repr_html_(self) -> str:
        parts = [f"<p><b>Intake</b>: {html.escape(self.summary())}</p>", self.sources.to_html(index=False,
                                                                                             na_rep="")]
        if len(self.quarantine):
            q = self.quarantine.groupby(["file", "reason"]).size().rename("records").reset_index().head(20)
            parts += [f"<p><b>Quarantine</b>: {len(self.quarantine)} records (first reasons)</p>",
                      q.to_html(index=False)]
        if self.field_problems is not None and len(self.field_problems):
            parts += [f"<p><b>Fields flagged</b>: {len(self.field_problems)} on records kept (left out, value as "
                      "written)</p>", self.field_problems.head(20).to_html(index=False, na_rep="")]
        for name, what, frame in (("Grading", "records by agency and grading", self.grading),
                                  ("Handling", "records by agency and handling code", self.handling)):
            if len(frame):
                parts += [f"<p><b>{name}</b>: {what}</p>", frame.to_html()]
        for file, message in self.errors.items():
            parts.append(f"<p style='color:#b00'>{html.escape(file)}: {html.escape(message)}</p>")
        return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# ingest
# ---------------------------------------------------------------------------------------------
def ingest(workspace: Workspace, sources: str | Path | Sequence[str | Path], *, format: str | None = None,
           mapping: str | Path | Mapping | None = None, inline_map: Sequence[str] | TMapping[str, str] | None = None,
           agency: str | None = None, country: str | None = None, grading: str | None = None,
           grading_scheme: str | None = None, handling: str | None = None,
           releasable_to: str | Sequence[str] | None = None, time_format: str | None = None,
           progress: bool = True, on_error: str = "raise", shared_on: date | None = None) -> IntakeReport:
    """Import files and folders of partner data into ``workspace``.

    Parameters
    ----------
    workspace : the case :class:`~netintel.workspace.Workspace`
    sources : files and folders (see the module docs for what a folder holds)
    format : force one of :data:`FORMATS` for every file
    mapping : a mapping file (or :class:`Mapping`) for every table; otherwise the
        ``<stem>.mapping.yaml`` beside each table
    inline_map : ``field=Column`` pairs added to the mapping (``--map`` on the command line)
    agency, country, grading, grading_scheme, handling, releasable_to : provenance that overrides
        the mapping's ``defaults:`` and the folder's ``source.yaml``
    time_format : strptime format of event times
    progress : show a progress bar over files
    shared_on : the day the partner shared these files (default: today, the import). A record
        without a reported date takes its review date from it, by its origin country's rule.
    on_error : ``"raise"`` (default): after every file has been tried, raise the first
        whole-file error (an :class:`~netintel.errors.InputError`), with the report as its
        ``report`` attribute; ``"report"``: return the report with the failed files in it.

    Returns
    -------
    IntakeReport
        One row per file. A file whose content and import options are unchanged since its last
        import is not read again (status ``unchanged``, with its stored counts).
    """
    if on_error not in ("raise", "report"):
        raise ValueError("on_error must be 'raise' or 'report'")
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}", hint=f"use one of {', '.join(FORMATS)}")
    if isinstance(sources, (str, Path)):
        sources = [sources]
    files = find_sources(sources)
    if not files:
        raise InputError(f"no data files in {', '.join(map(str, sources))}",
                         hint="give CSV/XLSX tables, STIX bundles or FtM JSON lines")
    given_mapping = Mapping.load(mapping) if isinstance(mapping, (str, Path)) else mapping
    overrides = {"agency": agency, "country": country, "grading": grading, "grading_scheme": grading_scheme,
                 "handling": handling, "releasable_to": releasable_to}
    rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    first_error: NetintelError | None = None
    if progress:
        from tqdm.auto import tqdm

        files_iter = tqdm(files, desc="ingest", unit="file")
    else:
        files_iter = files
    for src in files_iter:
        if src.skip_reason:
            rows.append(_row(src, {}, status="skipped", error=src.skip_reason))
            continue
        try:
            try:
                rows.append(_ingest_one(workspace, src, format=format, mapping=given_mapping,
                                        inline_map=inline_map, overrides=overrides, time_format=time_format,
                                        shared_on=shared_on))
            except OSError as exc:  # unreadable, vanished, a directory named like a file
                raise InputError(f"cannot be read ({exc.strerror or exc})", file=str(src.path),
                                 hint="check the file exists and may be read") from None
            except NetintelError:
                raise
            except Exception as exc:  # a loader's bug must not stop the other partners' files
                raise InputError(f"could not be imported ({type(exc).__name__}: {exc})", file=str(src.path),
                                 hint="nothing of this file was written; please report this with the file") from exc
        except NetintelError as exc:
            errors[src.display] = str(exc)
            first_error = first_error or exc
            rows.append(_row(src, dict(getattr(exc, "known", {})), status="failed", error=str(exc)))
    report = _build_report(workspace, rows, errors)
    if first_error is not None and on_error == "raise":
        if len(errors) > 1:
            exc = type(first_error)(f"{len(errors)} of {len(files)} files failed (the others were imported):\n"
                                    + "\n".join(f"  - {m}" for m in errors.values()))
        else:
            exc = first_error
        exc.report = report  # type: ignore[attr-defined]
        raise exc
    return report


def _row(src: SourceFile, values: dict[str, Any], *, status: str, error: str | None = None) -> dict[str, Any]:
    row = {c: None for c in _REPORT_COLUMNS}
    row.update({"file": src.display, "status": status, "error": error})
    row.update(values)
    return row


def _provenance(src: SourceFile, mapping: Mapping | None, overrides: dict[str, Any], fmt: str) -> Provenance:
    merged: dict[str, Any] = {}
    for layer in (src.settings, (mapping.defaults if mapping else {}), overrides):
        if layer.get("grading") is not None:  # a grading comes with its own scheme (or none: recognised)
            merged.pop("grading_scheme", None)
        merged.update({k: v for k, v in layer.items() if v is not None})
    where = str(src.path)
    agency = str(merged.get("agency") or "").strip()
    missing = [k for k in ("agency", "country") if not str(merged.get(k) or "").strip()]
    # STIX bundles and FtM files may name their publisher themselves: their loaders complete it
    if missing and fmt not in ("ftm", "stix"):
        raise InputError(
            f"no {' and no '.join(missing)} for this file", file=where,
            hint="give --agency NAME --country CC, or put a source.yaml (agency:, country:) in its folder")
    country = Provenance.check_country(str(merged["country"]), file=where) if merged.get("country") else ""
    rel = merged.get("releasable_to")
    if isinstance(rel, str):
        rel = tuple(r.strip().upper() for r in rel.replace(";", ",").split(",") if r.strip())
    elif rel is not None:
        rel = tuple(str(r).strip().upper() for r in rel)
    grading = merged.get("grading")
    prov = Provenance(agency=agency, country=country, grading=None if grading is None else str(grading),
                      grading_scheme=merged.get("grading_scheme"), handling=merged.get("handling"),
                      releasable_to=rel)
    if missing:
        module = _loader_module(fmt, src.path)
        prov = getattr(module, f"{fmt}_provenance")(src.path, prov)
    return prov


def _mapping_for(src: SourceFile, given: Mapping | None, inline_map) -> Mapping | None:
    mapping = given
    if mapping is None and src.mapping_file is not None:
        mapping = Mapping.load(src.mapping_file)
    if inline_map:
        mapping = Mapping.from_inline(inline_map, base=mapping)
    return mapping


def _ingest_one(ws: Workspace, src: SourceFile, *, format: str | None, mapping: Mapping | None, inline_map,
                overrides: dict[str, Any], time_format: str | None, shared_on: date | None = None) -> dict[str, Any]:
    path = src.path
    mapping = _mapping_for(src, mapping, inline_map)
    fmt = format or detect_format(path, mapping)
    try:
        prov = _provenance(src, mapping, overrides, fmt)
    except NetintelError as exc:
        exc.known = {"format": fmt}  # type: ignore[attr-defined]  (for the report's failed row)
        raise
    if fmt in ("ftm", "stix"):
        mapping_form = None
    else:
        mapping_form = mapping.to_dict() if mapping is not None else None
    sha = file_sha256(path)
    options = {"format": fmt, "mapping": mapping_form, "time_format": time_format,
               "provenance": {k: v for k, v in prov.__dict__.items() if v is not None}}
    if shared_on is not None:
        options["shared_on"] = shared_on.isoformat()
    options_key = json.dumps(options, sort_keys=True, default=str)
    sid = source_key(prov.agency, path.name)
    stored = ws.source_status(sid)
    base = {"agency": prov.agency, "country": prov.country, "format": fmt}
    if stored is not None and stored["sha256"] == sha and _stored_key(stored) == options_key:
        return _row(src, {**base, "read": stored["n_read"], "accepted": stored["n_accepted"],
                          "quarantined": stored["n_quarantined"], "entities": stored["n_entities"],
                          "links": stored["n_links"], "events": stored["n_events"], "source_id": sid},
                    status="unchanged")
    try:
        builder = BatchBuilder(path, format=fmt, provenance=prov, sha256=sha,
                               options={**options, "options_key": options_key}, con=ws.con)
    except SchemaError as exc:
        raise InputError(f"bad default provenance: {exc}", file=str(path),
                         hint=f"correct grading:/handling: in {src.settings_file or 'the command line options'}"
                         ) from None
    with ws.bounded_memory():
        try:
            batch = _load(fmt, path, builder, mapping, time_format) or builder.finish()
        except BaseException as exc:
            if isinstance(exc, NetintelError):
                exc.known = base  # type: ignore[attr-defined]
            builder.release()  # a bulk loader's temporary tables: the workspace stays as it was
            raise
        ws.write_import(batch)
    return _row(src, {**base, "read": batch.n_read, "accepted": batch.n_accepted, "quarantined": batch.n_quarantined,
                      "entities": len(batch.entities), "links": len(batch.links), "events": len(batch.events),
                      "source_id": sid}, status="imported")


def _stored_key(stored: dict[str, Any]) -> str | None:
    try:
        return json.loads(stored.get("options") or "{}").get("options_key")
    except (TypeError, ValueError):
        return None


def _load(fmt: str, path: Path, builder: BatchBuilder, mapping: Mapping | None,
          time_format: str | None) -> ImportBatch | None:
    if fmt == "table":
        from .tabular import load_table

        if mapping is None or not (mapping.entities or mapping.links):
            raise MappingError("is read as an entity/link table but has no mapping", file=str(path),
                               hint=f"put {_stem(path)}.mapping.yaml beside it (see docs/ARCHITECTURE.md) or give "
                                    "--mapping FILE")
        load_table(path, builder, mapping)
    elif fmt == "events":
        from .events import load_events

        load_events(path, builder, mapping, time_format=time_format)
    elif fmt == "edgelist":
        from .edgelist import load_edgelist

        load_edgelist(path, builder, mapping)
    elif fmt == "matrix":
        from .edgelist import load_matrix

        load_matrix(path, builder, mapping)
    else:
        # FtM and STIX loaders live in their own modules: ``load_ftm`` / ``load_stix`` fill a builder
        return getattr(_loader_module(fmt, path), f"load_{fmt}")(path, builder)
    return None


def _loader_module(fmt: str, path: Path):
    try:
        module = importlib.import_module(f"{__name__}.{fmt}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{fmt}":
            raise InputError(f"the {fmt} loader needs {exc.name}", file=str(path),
                             hint=f"pip install {exc.name}") from None
        raise InputError(f"is {fmt.upper()} but this netintel has no {fmt} loader", file=str(path)) from None
    return module


def _build_report(ws: Workspace, rows: list[dict[str, Any]], errors: dict[str, str]) -> IntakeReport:
    from ..report import field_problems_table, grading_summary, handling_summary, quarantine_table

    frame = pd.DataFrame(rows, columns=_REPORT_COLUMNS + ["source_id"])
    ids = [s for s in frame["source_id"].dropna().tolist()]
    for col in ("read", "accepted", "quarantined", "entities", "links", "events"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return IntakeReport(
        sources=frame[_REPORT_COLUMNS].reset_index(drop=True),
        quarantine=quarantine_table(ws, source_ids=ids),
        grading=grading_summary(ws, source_ids=ids),
        handling=handling_summary(ws, source_ids=ids),
        errors=dict(errors),
        field_problems=field_problems_table(ws, source_ids=ids),
    )
