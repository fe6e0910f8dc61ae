"""The one-command briefing pack: ingest, resolve, analyse, and write what a briefing needs.

:func:`brief` runs the whole job on partners' files and writes, in one folder:

* ``charts/`` — the link chart of the top-priority network, the networks found, key players,
  country-to-country flows, pooling gain, JIT coverage, disruption curves, the timeline
  (PNG at 300 dpi, SVG and PDF);
* ``tables/`` — communities with typology and priority, key players, jurisdictions, JIT
  recommendation, evidence holders (CSV, formula-safe);
* ``exports/`` — the case graph for Gephi, yEd, Cytoscape, i2, Aleph and MISP/OpenCTI;
* ``summary.html`` (self-contained: charts embedded) and ``summary.pdf``;
* ``manifest.json`` — netintel version, seed, parameters, the SHA-256 of every input and output,
  so that the result can be reproduced for disclosure. It holds no clock time: the same inputs and
  parameters give the same manifest.

With ``recipient=`` the partners' files are ingested into the workspace, which is then restricted
to what that country may receive (:func:`netintel.releasability.restricted_workspace`); who-is-who
is resolved from those records only and every step runs on that restricted workspace, unchanged:
the pack is exactly the pack of a case that held only the recipient's records (the manifest lists
only the inputs it may receive; captions, tables, charts and the timeline count and show only
what it may receive). Every file carries its caveat.

The pack is written into a temporary folder beside ``out`` and moved into place when complete: a
failing step never leaves a partial pack (an earlier pack in ``out`` is replaced only then).
Every label written passes :func:`netintel._text.printable`, so a control character in a
partner's data cannot stop a writer.
"""

from __future__ import annotations

import base64
import dataclasses
import gc
import hashlib
import html
import io
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from . import __version__
from ._text import printable, printable_deep
from .errors import NetintelError
from .export import export_graph, prepare_tables, write_marked_csv
from .handling import Marking, country_code
from .viz.analysis import key_players_chart, plot_disruption
from .viz.style import save

__all__ = ["brief", "BriefingPack", "BRIEF_STEPS"]

BRIEF_STEPS = ("ingest", "resolve", "graph", "communities", "typology and priorities", "key players",
               "jurisdictions and JIT", "disruption", "timeline", "charts", "exports", "summary")

_EXPORTS = (("gexf", "case.gexf"), ("graphml", "case.graphml"), ("cytoscape", "case.cyjs"),
            ("i2", "case.i2"), ("ftm", "case.ftm.json"), ("stix", "case.stix.json"), ("xlsx", "case.xlsx"))


@dataclass(frozen=True)
class BriefingPack:
    """What :func:`brief` wrote."""

    out: Path
    manifest: dict[str, Any]
    marking: Marking
    communities: pd.DataFrame = field(repr=False)
    key_players: pd.DataFrame = field(repr=False)
    charts: dict[str, Figure] = field(default_factory=dict, repr=False)  # name -> the Figure written

    @property
    def files(self) -> list[Path]:
        return [self.out / f["file"] for f in self.manifest["outputs"]]

    def __repr__(self) -> str:
        return (f"<BriefingPack {self.out}: {len(self.manifest['outputs'])} files, "
                f"{len(self.communities)} communities [{self.marking.banner}]>")

    def _repr_html_(self) -> str:
        top = self.communities.head(5)[["community", "size", "typology", "probability", "priority"]]
        return (f"<div><b>Briefing pack</b> in <code>{html.escape(str(self.out))}</code> — "
                f"{len(self.manifest['outputs'])} files<br><i>{html.escape(self.marking.banner)}</i>"
                f"{top.to_html(index=False)}</div>")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_files(sources: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and "truth" not in f.relative_to(p).parts)
        elif p.exists():
            files.append(p)
        else:
            raise NetintelError(f"{p}: no such file or folder to brief on")
    return files


def _png_b64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": "netintel"})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def brief(sources: str | Path | Sequence[str | Path], out: str | Path, *, workspace: Any = None,
          recipient: str | None = None, seed: int = 0, top_communities: int = 5, min_share: float = 0.8,
          pseudonyms: bool = False, progress: bool = True, case_title: str = "Case briefing") -> BriefingPack:
    """Ingest ``sources``, resolve, analyse and write a briefing pack to ``out``.

    Parameters
    ----------
    sources : files or folders of partners' data (as :func:`netintel.ingest.ingest` takes them)
    out : the folder to write the pack to
    workspace : a :class:`~netintel.workspace.Workspace` or a path to one; in memory by default
    recipient : ISO2 country the pack is made for: only what it may receive is used and written
    seed : seed of every random step (community detection, sampled centralities, layouts)
    top_communities : how many of the highest-priority networks get jurisdictions, JIT and MLA
    min_share : share of the evidence the recommended JIT must hold
    pseudonyms : names replaced by stable pseudonyms in charts and exports
    """
    from .ingest import ingest
    from .releasability import restricted_workspace
    from .workspace import Workspace

    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    out = Path(out)
    recipient = country_code(recipient, what="recipient") if recipient else None
    _check_target(out)
    own_ws = not isinstance(workspace, Workspace)
    ws = workspace if not own_ws else Workspace(workspace)
    _input_files(sources)  # every source exists, before anything is ingested
    bar = tqdm(total=len(BRIEF_STEPS), desc="briefing pack", disable=not progress, unit="step")
    frozen_before = gc.get_freeze_count()

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)
        # what the steps so far built (frames, graphs, the person view) lives to the end: taken out
        # of the cyclic collector's full passes, which would walk it again and again (a tenth of
        # the x64 run's time before)
        gc.freeze()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        ingest(ws, sources, progress=False)
        step("ingest")
        if recipient:
            # restrict first, then resolve and compute: nothing the recipient may not receive
            # takes part in any step below, resolution included
            view = restricted_workspace(ws, recipient, resolve=False)
        else:
            view = ws
        try:
            pack = _brief_workspace(view, work, sources, recipient=recipient, seed=seed,
                                    top_communities=top_communities, min_share=min_share, pseudonyms=pseudonyms,
                                    case_title=case_title, step=step)
        finally:
            if view is not ws:
                view.close()
        _move_into_place(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        bar.close()
        if own_ws:
            ws.close()
        if not frozen_before:
            gc.unfreeze()  # back to the collector (a caller's own frozen objects stay frozen)
    return dataclasses.replace(pack, out=out)


def _brief_workspace(ws: Any, out: Path, sources: Sequence[str | Path], *, recipient: str | None, seed: int,
                     top_communities: int, min_share: float, pseudonyms: bool, case_title: str,
                     step: Callable[[str], None] = lambda name: None) -> BriefingPack:
    """Resolve, analyse and write the pack of an ingested workspace (restricted to ``recipient``
    when one is given) into the folder ``out``."""
    from .analysis.centrality import community_key_players, key_players
    from .analysis.disruption import compare_strategies
    from .analysis.temporal import timeline as temporal_timeline
    from .communities import detect_communities
    from .cooperation import case_jurisdictions, load_records, pooling_gain, priority_scores, recommend_jit
    from .graph import build_graph
    from .resolve import resolve
    from .typology import classify_communities
    from .viz.charts import community_overview
    from .viz.linkchart import link_chart
    from .viz.timeline import timeline_chart

    for sub in ("charts", "tables", "exports"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    case_title = printable(case_title, keep_newlines=False)
    written: list[Path] = []
    tables: dict[str, pd.DataFrame] = {}
    charts: dict[str, Figure] = {}
    intake = ws.sources().rename(columns={"n_read": "read", "n_accepted": "accepted", "n_quarantined": "quarantined"})
    resolution = resolve(ws, seed=seed)
    step("resolve")
    graph = build_graph(ws, recipient=recipient)
    if len(graph) == 0:
        raise NetintelError("nothing to brief on: no entity in the sources is releasable"
                            + (f" to {recipient}" if recipient else ""))
    marking = graph.marking
    caveat = marking.banner
    case_date = _case_date(graph)
    source_note = f"{intake['agency'].nunique()} partner agencies" + (f"; view for {recipient}" if recipient else "")
    step("graph")
    comms = detect_communities(graph, seed=seed)
    step("communities")
    # the workspace read once, after resolution: typology, the cooperation records and the timeline
    # take these frames instead of reading it again
    snapshot = {"entities": ws.entities(), "links": ws.links(), "events": ws.events(),
                "resolved_ids": ws.resolved_ids()}
    typ = classify_communities(comms, ws, tables=snapshot)
    # the records every cooperation output is computed from, read once (as the recipient may see them)
    records = load_records(ws, recipient=recipient, tables=snapshot)
    prio = priority_scores(records, comms.membership, typologies=typ, recipient=recipient)
    communities = _community_table(comms, typ, prio)
    tables["communities"] = communities
    step("typology and priorities")
    persons = graph.person_view()  # built once: key players, legal tables and disruption share it
    players = key_players(persons, seed=seed)
    kp = players.table.merge(comms.membership[["id", "community"]], on="id", how="left")
    tables["key_players"] = kp
    # the networks' own leaders: ranked inside each of the highest-priority networks
    leaders = community_key_players(persons, comms.membership[
        comms.membership["community"].isin(set(communities.head(top_communities)["community"]))], seed=seed)
    tables["network_key_players"] = leaders
    step("key players")
    top = communities.head(top_communities)
    jur_rows, jit_rows, holders = [], [], []
    top_members = comms.members(int(top.iloc[0]["community"])) if len(top) else []
    first = None
    for c in top["community"]:
        members = comms.members(int(c))
        jur = case_jurisdictions(records, members, recipient=recipient)
        jit = recommend_jit(records, members, min_share=min_share, recipient=recipient)
        first = first or (jur, jit)
        jur_rows.append(jur.countries.assign(community=int(c)))
        holders.append(jur.evidence.assign(community=int(c)))
        jit_rows.append(jit.steps.assign(community=int(c), covered_share=jit.share, achieved=jit.achieved))
    if jur_rows:
        tables["jurisdictions"] = pd.concat(jur_rows, ignore_index=True)
        tables["evidence_holders"] = pd.concat(holders, ignore_index=True)
        tables["jit"] = pd.concat(jit_rows, ignore_index=True)
    if len(top):  # legal routes, feasible JIT and surrender table of the top-priority network
        from .cooperation._briefing import legal_tables

        top_players = list(kp.loc[kp["community"] == top.iloc[0]["community"]].sort_values("rank")["id"].head(5))
        tables.update(legal_tables(records, top_members, recipient=recipient, min_share=min_share,
                                   key_players=top_players, graph=persons))
    step("jurisdictions and JIT")
    disruption = compare_strategies(persons, steps=10, seed=seed)
    tables["disruption"] = disruption.table
    step("disruption")
    timeline = None
    if top_members:
        events = temporal_timeline(ws, top_members, tables=snapshot)
        if len(events):
            timeline = timeline_chart(_printable_frame(events), title="Timeline of the top-priority network",
                                      caveat=caveat, source=source_note, date=case_date)
    step("timeline")
    shown = _printable_graph(graph)
    sub = shown.subgraph(top_members) if top_members else shown
    names = _pseudonyms(shown) if pseudonyms else None
    charts["link_chart"] = link_chart(sub.nodes, sub.edges, communities=comms.as_dict(),
                                      title="The top-priority network", caveat=caveat, source=source_note,
                                      date=case_date, pseudonyms=names, seed=seed)
    charts["communities"] = community_overview(_printable_frame(communities), caveat=caveat, source=source_note,
                                               date=case_date)
    charts["key_players"] = key_players_chart(dataclasses.replace(players, table=_printable_frame(players.table)),
                                              top=15, source=source_note)
    if first is not None:
        charts["country_flows"] = first[0].chart(source=source_note, date=case_date)
        charts["jit"] = first[1].chart(source=source_note, date=case_date)
        charts["pooling_gain"] = pooling_gain(records, top_members, recipient=recipient).chart(
            source=source_note, date=case_date)
    charts["disruption"] = plot_disruption(disruption, source=source_note, date=case_date)
    if timeline is not None:
        charts["timeline"] = timeline
    for name, fig in charts.items():
        written += save(fig, out / "charts" / name, formats=("png", "svg", "pdf"))
    for name, frame in tables.items():
        # tidy, formula-safe cells and the marking in a sidecar beside each table
        written += write_marked_csv(frame, out / "tables" / f"{name}.csv", marking)
    step("charts")
    # the tables every format writes, sorted and flattened once for the seven formats
    export_tables = prepare_tables(shown, pseudonyms=pseudonyms)
    # the writers make one plain object per entity and link (dicts, FtM proxies, strings) and no
    # cycles: the collector's passes over them are skipped, and what cycles there are go after
    collecting = gc.isenabled()
    gc.disable()
    try:
        for fmt, name in _EXPORTS:
            written += list(export_graph(export_tables, out / "exports" / name, format=fmt, recipient=recipient,
                                         pseudonyms=pseudonyms).paths)
    finally:
        if collecting:
            gc.enable()
            gc.collect()
    step("exports")
    summary = _summary_html(case_title, marking, recipient, intake, communities, kp, tables, charts, resolution)
    (out / "summary.html").write_text(summary, "utf-8")
    written.append(out / "summary.html")
    written.append(_summary_pdf(out / "summary.pdf", case_title, marking, communities, charts))
    manifest = {
        "netintel_version": __version__,
        "case_title": case_title,
        "seed": seed,
        "recipient": recipient,
        "parameters": {"top_communities": top_communities, "min_share": min_share, "pseudonyms": pseudonyms,
                       "communities": comms.parameters, "key_players": players.parameters,
                       "resolution": {"threshold": resolution.threshold, "seed": resolution.seed}},
        "marking": {"handling": marking.handling, "releasable_to": list(marking.releasable_to),
                    "restrictions": list(marking.restrictions), "caveat": marking.banner},
        "inputs": _inputs(intake, sources),
        "outputs": [{"file": p.relative_to(out).as_posix(), "sha256": _sha256(p)} for p in sorted(set(written))],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    step("summary")
    return BriefingPack(out, manifest, marking, communities, kp, charts)


def _check_target(out: Path) -> None:
    """``out`` may be new, empty or an earlier pack (it is replaced); anything else is refused."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists())):
        raise NetintelError(f"{out}: exists and is not an earlier briefing pack (no manifest.json); give a new or "
                            "empty folder, so that nothing else is overwritten")


def _move_into_place(work: Path, out: Path) -> None:
    """Swap the finished pack in: the earlier pack (if any) is kept until the new one is in place."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{work.name.rsplit('-', 1)[-1]}")
        out.rename(old)
    try:
        work.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _inputs(intake: pd.DataFrame, sources: Sequence[str | Path]) -> list[dict[str, str]]:
    """The inputs of the pack: each imported file of the (restricted) workspace with its hash, and the
    provenance and mapping files beside it (``source.yaml``, ``<stem>.mapping.yaml``)."""
    files: dict[str, str] = {}
    for path, sha in zip(intake["path"], intake["sha256"]):
        p = Path(path)
        files[_rel(p, sources)] = sha
        for extra in (p.parent / "source.yaml", p.with_name(f"{p.name.split('.')[0]}.mapping.yaml"),
                      p.with_name(f"{p.stem}.mapping.yaml")):
            if extra.is_file():
                files[_rel(extra, sources)] = _sha256(extra)
    return [{"file": f, "sha256": h} for f, h in sorted(files.items())]


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _printable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and text in lists and dicts) with control characters neutralised."""
    out = frame.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = [printable_deep(v, keep_newlines=False) for v in out[col]]
    return out


def _printable_graph(graph: Any) -> Any:
    return dataclasses.replace(graph, nodes=_printable_frame(graph.nodes), edges=_printable_frame(graph.edges))


def _rel(path: Path, sources: Sequence[str | Path]) -> str:
    for src in sources:
        s = Path(src)
        if s.is_dir():
            try:
                return (Path(s.resolve().name) / path.resolve().relative_to(s.resolve())).as_posix()
            except ValueError:
                continue
    return path.name


def _case_date(graph: Any) -> str | None:
    """The date of the newest activity in the case, written on charts (not the clock time)."""
    last = pd.to_datetime(graph.edges.get("last_seen"), errors="coerce")
    if last is None or last.isna().all():
        return None
    return f"data to {last.max():%Y-%m-%d}"


def _pseudonyms(graph: Any) -> dict[str, str]:
    from .export import pseudonymise

    return pseudonymise(graph.nodes)


def _community_table(comms: Any, typ: pd.DataFrame, prio: Any) -> pd.DataFrame:
    summary = comms.summary()
    t = typ[["community", "typology", "probability", "indicators"]].copy()
    t["indicators"] = ["; ".join(map(str, i)) if isinstance(i, (list, tuple)) else i for i in t["indicators"]]
    p = prio.table[["community", "score"] + [c for c in prio.table.columns if c.startswith("w_")]]
    p = p.rename(columns={"score": "priority"})
    table = summary.merge(t, on="community", how="left").merge(p, on="community", how="left")
    return table.sort_values(["priority", "community"], ascending=[False, True]).reset_index(drop=True)


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:auto;color:#222}
.caveat{background:#FFC000;font-weight:bold;text-align:center;padding:6px;border:1px solid #333}
h1{margin-top:18px} table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 6px}
img{max-width:100%;border:1px solid #eee;margin:8px 0} .small{color:#555;font-size:12px}
"""


def _summary_html(title: str, marking: Marking, recipient: str | None, intake: pd.DataFrame,
                  communities: pd.DataFrame, players: pd.DataFrame, tables: dict[str, pd.DataFrame],
                  charts: dict[str, Figure], resolution: Any) -> str:
    banner = f'<div class="caveat">{html.escape(marking.banner)}</div>'
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body>", banner, f"<h1>{html.escape(title)}</h1>"]
    if recipient:
        parts.append(f"<p>Made for <b>{html.escape(recipient)}</b>: computed from only what {html.escape(recipient)} "
                     "may receive.</p>")
    n_read = int(intake["read"].sum())
    parts.append(f"<p>{len(intake)} files from {intake['agency'].nunique()} partner agencies in "
                 f"{intake['country'].nunique()} countries: {n_read} records read, "
                 f"{int(intake['accepted'].sum())} accepted, {int(intake['quarantined'].sum())} quarantined "
                 f"with a reason. {html.escape(_resolution_line(resolution))}</p>")
    parts.append("<h2>Networks found, by priority</h2>")
    cols = [c for c in ("community", "size", "typology", "probability", "priority", "countries", "indicators")
            if c in communities]
    parts.append(_table(communities[cols].head(10)))
    for name, heading in (("link_chart", "The top-priority network"), ("communities", "Networks and their typology"),
                          ("key_players", "Key players"), ("country_flows", "Across borders"),
                          ("pooling_gain", "What pooling adds"), ("jit", "Joint Investigation Team"),
                          ("disruption", "What arrests would do"), ("timeline", "In time")):
        if name in charts:
            parts.append(f"<h2>{heading}</h2><img alt='{name}' src='data:image/png;base64,{_png_b64(charts[name])}'>")
    if "network_key_players" in tables and len(tables["network_key_players"]):
        parts.append("<h2>Key players of each network</h2>")
        leaders = tables["network_key_players"]
        parts.append(_table(leaders[[c for c in ("community", "community_rank", "label", "kind", "country",
                                                 "betweenness", "degree") if c in leaders]]))
    parts.append("<h2>Key players of the whole case</h2>")
    kcols = [c for c in ("rank", "label", "kind", "country", "community", "betweenness", "pagerank", "degree")
             if c in players]
    parts.append(_table(players[kcols].head(15)))
    if "jit" in tables:
        parts.append("<h2>JIT recommendation</h2>")
        parts.append(_table(tables["jit"].head(15)))
    for name, heading in (("jit_feasibility", "JIT: the legally feasible team"),
                          ("legal_routes", "Legal routes (top-priority network)"), ("surrender", "Surrender planning")):
        if name in tables:
            parts.append(f"<h2>{heading}</h2>" + _table(tables[name].head(20)))
    parts.append("<p class='small'>Files: charts/, tables/, exports/, manifest.json (inputs' hashes and "
                 "parameters, to reproduce this pack).</p>")
    parts.append(banner)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _resolution_line(resolution: Any) -> str:
    s = getattr(resolution, "summary", None) or {}
    if not s:
        return ""
    return (f"Resolution: {s.get('records')} entity records from the partners are "
            f"{s.get('entities')} real-world entities.")


def _table(df: pd.DataFrame) -> str:
    shown = df.copy()
    for col in shown.columns:
        shown[col] = [printable("; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v, keep_newlines=False)
                      for v in shown[col]]
        if shown[col].dtype == float:
            shown[col] = shown[col].round(3)
    return shown.to_html(index=False, escape=True, na_rep="")


def _summary_pdf(path: Path, title: str, marking: Marking, communities: pd.DataFrame,
                 charts: dict[str, Figure]) -> Path:
    from matplotlib.backends.backend_pdf import PdfPages

    from .viz.style import briefing_figure

    with PdfPages(path, metadata={"Creator": "netintel", "Producer": "netintel", "CreationDate": None}) as pdf:
        fig, ax = briefing_figure(title, caveat=marking.banner)
        ax.set_axis_off()
        lines = [f"{len(communities)} networks found. Highest priority:"]
        for _, r in communities.head(8).iterrows():
            lines.append(f"  community {r['community']}: {r['size']} entities, "
                         f"{str(r.get('typology', '')).replace('_', ' ')} "
                         f"(p={float(r.get('probability') or 0):.2f}), priority {float(r.get('priority') or 0):.2f}")
        ax.text(0.0, 0.95, "\n".join(lines), va="top", ha="left", fontsize=13, family="monospace",
                transform=ax.transAxes)
        pdf.savefig(fig)
        for fig in charts.values():
            pdf.savefig(fig)
    return path
