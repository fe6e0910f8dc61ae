"""Releasability as non-interference: restrict first, then compute.

Every output made *for* a recipient country R — a briefing pack, an export, a table, a chart, the
JSON of a command run with ``--recipient`` — is exactly what the same computation gives on the
workspace *restricted to R*: a workspace that holds only the rows R may receive, in which who-is-who
is resolved again from scratch. Nothing R may not receive can then reach its output, not even
through structure (two persons merged because of a record R will never see, a count, a partner's
file name, an event on a timeline).

:func:`restricted_workspace` builds that workspace (an in-memory DuckDB copy) and every
recipient-aware entry point (:func:`netintel.graph.build_graph`, the cooperation outputs,
:func:`netintel.brief.brief`) computes on it, unchanged.

What the restricted workspace holds for R
-----------------------------------------
* ``entities``, ``links``, ``events``: the active rows R may receive
  (:meth:`Workspace.releasable_mask` with the whole case's partners); a link or event whose end is
  an entity record R may receive from no row is left out too (its id would reveal the record).
* ``sources``: R's own imports as they are; another partner's import only when R may receive at
  least one of its rows, with its counts made of those rows (read = accepted = the distinct
  locators R sees, no quarantine). Its partners (:meth:`Workspace.partners`) are therefore the
  countries R can see: ``PARTNERS`` in a marking expands to those, never to a partner R must not
  learn of. Markings are never looser for it: a country R cannot see is left out of the list.
* ``raw_records`` and ``quarantine``: R's own only (a raw line can hold values of a row R may not
  receive). ``audit``: empty (the audit names every file).
* resolution: run again on these rows only, with the threshold and seed of the last run of the
  whole workspace (the packaged or given model when that run used one, else trained on R's rows;
  the defaults when the whole workspace's resolution came from no run), applying the analyst
  decisions whose records R may all receive. Without a resolution in the whole workspace, none in
  the restricted one either. Resolved ids are numbered afresh: they are R's ids, and every output
  for R and every id R gives back (``--targets``) is in them.

There is no exception: no output for R says how much it leaves out.

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> ws = demo_workspace()
>>> view = restricted_workspace(ws, "DE")
>>> view.restricted_for, bool(view.releasable_mask(view.entities(), "DE").all())
('DE', True)
>>> restricted_workspace(view, "DE") is view
True
"""

from __future__ import annotations

import json
import weakref
from typing import Any

import pandas as pd

from .errors import ReleasabilityError
from .handling import country_code
from .workspace import Workspace

__all__ = ["restricted_workspace", "view_for_recipient"]

_TABLES = (("entities", "entity_id"), ("links", "link_id"), ("events", "event_id"))
_ACTIVE = "(retain_until IS NULL OR retain_until >= current_date)"
# workspace -> {(recipient, fingerprint): restricted workspace}; dropped with the workspace
_VIEWS: "weakref.WeakKeyDictionary[Workspace, dict[tuple[Any, ...], Workspace]]" = weakref.WeakKeyDictionary()


def _fingerprint(ws: Workspace) -> tuple[Any, ...]:
    """Changes whenever what a view is built from changes (every import, purge, resolution, decision
    is audited)."""
    counts = tuple(sorted(ws.counts().items()))
    last = ws.con.execute("SELECT max(audit_id) FROM audit").fetchone()[0]
    return counts + (last,)


def _rows(ws: Workspace, table: str, key: str) -> pd.DataFrame:
    return ws.sql(f"SELECT * FROM {table} WHERE {_ACTIVE} ORDER BY {key}, source_id")


def _copy(view: Workspace, table: str, frame: pd.DataFrame) -> None:
    if len(frame):
        frame = frame.copy()
        if "releasable_to" in frame:
            frame["releasable_to"] = [list(r) if r is not None else [] for r in frame["releasable_to"]]
        view._insert_frame(table, frame)


def restricted_workspace(ws: Workspace, recipient: str, *, resolve: bool | None = None) -> Workspace:
    """The workspace as ``recipient`` may receive it, in memory, resolved from its own rows only.

    Parameters
    ----------
    ws : the whole case workspace (it is only read)
    recipient : ISO 3166-1 alpha-2 code of the country the outputs are for
    resolve : run entity resolution on the restricted rows: None (default) when ``ws`` has a
        resolution run, True always, False never (the caller resolves)

    Returns
    -------
    Workspace
        A new in-memory workspace with ``restricted_for == recipient`` (see the module notes for
        what it holds). Given a workspace already restricted to ``recipient``, that workspace.

    Raises
    ------
    CountryCodeError
        ``recipient`` is not an ISO 3166-1 alpha-2 code.
    ReleasabilityError
        ``ws`` is already restricted to another recipient.
    """
    recipient = country_code(recipient, what="recipient")
    already = getattr(ws, "restricted_for", None)
    if already is not None:
        if already == recipient:
            return ws
        raise ReleasabilityError(f"this workspace is the view for {already}; a view for {recipient} is made from "
                                 "the whole case workspace, not from another recipient's view")
    view = Workspace(actor=ws.actor)
    view.restricted_for = recipient  # type: ignore[attr-defined]
    kept: dict[str, pd.DataFrame] = {}
    for table, key in _TABLES:
        frame = _rows(ws, table, key)
        kept[table] = frame[ws.releasable_mask(frame, recipient)] if len(frame) else frame
    known = set(kept["entities"]["entity_id"])
    links, events = kept["links"], kept["events"]
    kept["links"] = links[links["source"].isin(known) & links["target"].isin(known)]
    kept["events"] = events[events["source"].isin(known) & (events["target"].isna() | events["target"].isin(known))]
    sources = ws.sql("SELECT * FROM sources ORDER BY source_id")
    own = sources["country"].fillna("").str.upper() == recipient
    seen = pd.concat([kept[t][["source_id", "locator"]] for t, _ in _TABLES], ignore_index=True)
    rows = []
    for src in sources.to_dict(orient="records"):
        sid = src["source_id"]
        if (src["country"] or "").upper() == recipient:
            rows.append(src)
            continue
        mine = seen[seen["source_id"] == sid]
        if mine.empty:
            continue
        n = int(mine["locator"].nunique())
        src.update(n_read=n, n_accepted=n, n_quarantined=0,
                   **{f"n_{t}": int((kept[t]["source_id"] == sid).sum()) for t, _ in _TABLES})
        rows.append(src)
    _copy(view, "sources", pd.DataFrame(rows, columns=sources.columns))
    for table, _ in _TABLES:
        _copy(view, table, kept[table])
    own_ids = list(sources.loc[own, "source_id"])
    if own_ids:
        for table in ("raw_records", "quarantine"):
            _copy(view, table, ws.sql(f"SELECT * FROM {table} WHERE source_id IN (SELECT unnest(?))", [own_ids]))
    _resolve_view(ws, view, known, resolve)
    return view


def _resolve_view(ws: Workspace, view: Workspace, known: set[str], resolve: bool | None) -> None:
    import importlib

    D = importlib.import_module("netintel.resolve.decisions")
    from .resolve._engine import resolve as run_resolution
    from .resolve._engine import stored_model

    last = None
    if ws.has_table("resolution_runs"):
        last = ws.con.execute("SELECT threshold, seed, summary FROM resolution_runs ORDER BY run_id DESC "
                              "LIMIT 1").fetchone()
    if resolve is False or (resolve is None and not ws.has_table("resolution")):
        return
    D.ensure_tables(view)
    if ws.has_table("resolution_decisions"):
        dec = ws.sql("SELECT action, entity_ids, other_ids, actor, \"at\", note FROM resolution_decisions "
                     "ORDER BY decision_id")
        ok = [set(map(str, a)) | set(map(str, b)) <= known for a, b in zip(dec["entity_ids"], dec["other_ids"])]
        dec = dec[ok]
        if len(dec):
            dec = dec.assign(entity_ids=[list(x) for x in dec["entity_ids"]],
                             other_ids=[list(x) for x in dec["other_ids"]])
            view._insert_frame("resolution_decisions", dec)
    options: dict[str, Any] = {}
    if last is not None:
        threshold, seed, summary = last
        options = {"threshold": float(threshold), "seed": int(seed)}
        used = json.loads(summary or "{}").get("model")
        if used == "given":
            options.update(model=stored_model(ws), train=False)
        elif used == "packaged":
            options.update(train=False)
    run_resolution(view, **options)


def view_for_recipient(ws: Workspace, recipient: str | None) -> Workspace:
    """``ws`` itself without a recipient; else its restricted workspace for ``recipient``, built once
    per state of ``ws`` (kept while ``ws`` is unchanged: imports, resolution runs and decisions
    make a new one). Do not close the workspace this returns: it belongs to ``ws``."""
    if recipient is None:
        return ws
    recipient = country_code(recipient, what="recipient")
    if getattr(ws, "restricted_for", None) is not None:
        return restricted_workspace(ws, recipient)
    key = (recipient, _fingerprint(ws))
    cache = _VIEWS.setdefault(ws, {})
    if key not in cache:
        for stale in [k for k in cache if k[1] != key[1]]:
            cache.pop(stale).close()
        cache[key] = restricted_workspace(ws, recipient)
    return cache[key]
