"""Round trip as the test: export, re-import into an empty workspace, get the same case back.

The truth is the graph that was exported (built from the sample, or from a generated case): every
entity with its kind, label, grading, handling and releasability, every link with its kind,
direction, count, weight, amount, first and last seen, grading, handling and releasability. Each
format must give back all of it that it can carry (``docs/FORMATS.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from netintel import Workspace
from netintel.export import export_graph
from netintel.graph import build_graph
from netintel.ingest import ingest
from netintel.synth import generate_case

ROOT = Path(__file__).resolve().parents[1]
FULL = ("gexf", "graphml", "cytoscape", "i2", "csv", "xlsx", "stix")


@pytest.fixture(scope="module", params=["sample", "generated"])
def case(request, tmp_path_factory):
    if request.param == "sample":
        src = ROOT / "data" / "sample"
    else:
        src = tmp_path_factory.mktemp("generated")
        generate_case(seed=23, scale=0.15).write(src)
    ws = Workspace()
    ingest(ws, [src], progress=False)
    return build_graph(ws)


def _times(value) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).floor("ms")


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def _exported(graph) -> tuple[dict, dict]:
    nodes = {r.id: (r.kind, r.label, r.grading, r.handling, tuple(sorted(r.releasable_to)))
             for r in graph.nodes.itertuples()}
    edges = {(r.source, r.target, r.kind): (bool(r.directed), int(r.count), _number(r.weight), _number(r.amount),
                                            _times(r.first_seen), _times(r.last_seen), r.grading, r.handling,
                                            tuple(sorted(r.releasable_to)))
             for r in graph.edges.itertuples()}
    return nodes, edges


def _reimported(ws: Workspace) -> tuple[dict, dict]:
    ents = ws.entities().drop_duplicates("entity_id")
    exported_id = {e: p.get("exported_id") for e, p in zip(ents["entity_id"], ents["properties"])}
    nodes = {exported_id[r.entity_id]: (r.kind, r.label, r.grading, r.handling, tuple(sorted(r.releasable_to)))
             for r in ents.itertuples()}
    edges = {}
    for r in ws.links().itertuples():
        key = (exported_id[r.source], exported_id[r.target], r.kind)
        edges[key] = (bool(r.directed), int(r.count), _number(r.weight), _number(r.amount), _times(r.first_seen),
                      _times(r.last_seen), r.grading, r.handling, tuple(sorted(r.releasable_to)))
    return nodes, edges


@pytest.mark.parametrize("fmt", FULL)
def test_round_trip_keeps_everything(case, fmt, tmp_path):
    result = export_graph(case, tmp_path / "out" / "case", format=fmt)
    ws = Workspace()
    report = ingest(ws, [tmp_path / "out"], agency="Partner", country="NL", progress=False)
    read = report.sources[report.sources["status"] == "imported"]
    assert read["quarantined"].sum() == 0, report.sources
    assert set(read["format"]) == {"exchange" if fmt != "stix" else "stix"}
    nodes, edges = _exported(case)
    back_nodes, back_edges = _reimported(ws)
    assert back_nodes == nodes
    assert back_edges.keys() == edges.keys()
    wrong = {k: (edges[k], back_edges[k]) for k in edges if edges[k] != back_edges[k]}
    assert not wrong, list(wrong.items())[:3]
    if fmt == "stix":
        import stix2

        from .stix_schemas import schema_errors

        for obj in json.loads(result.paths[0].read_text("utf-8"))["objects"]:
            assert schema_errors(obj) == [], obj["id"]
            stix2.parse(obj, allow_custom=False)
    again = export_graph(case, tmp_path / "again" / "case", format=fmt)
    for a, b in zip(result.paths, again.paths):
        assert a.read_bytes() == b.read_bytes(), f"{fmt}: the same case gives the same {a.name}"


def test_ftm_round_trip_keeps_what_ftm_carries(case, tmp_path):
    """FtM carries persons, companies, accounts, wallets, vehicles... and the relations between them;
    phones and e-mails become properties of their holders; calls and payments their parties."""
    path = export_graph(case, tmp_path / "case.ftm.json", format="ftm").paths[0]
    ws = Workspace()
    report = ingest(ws, [path], agency="Partner", country="NL", progress=False)
    assert report.sources["quarantined"].sum() == 0, ws.quarantine()
    ents = ws.entities().drop_duplicates("entity_id")
    kinds = ("person", "organisation", "bank_account", "vehicle", "crypto_wallet")
    # names as written; FtM writes IBANs and numbers in its own normal form (docs/FORMATS.md)
    named = ("person", "organisation")
    back = {r.source_record_id: (r.kind, r.label if r.kind in named else None, r.grading, r.handling,
                                 tuple(sorted(r.releasable_to))) for r in ents.itertuples() if r.kind in kinds}
    expected = {r.id: (r.kind, r.label if r.kind in named else None, r.grading, r.handling,
                       tuple(sorted(r.releasable_to))) for r in case.nodes.itertuples() if r.kind in kinds}
    assert back == expected
    lines = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    from followthemoney import model

    for line in lines:  # every entity carries its schema's required properties
        proxy = model.get_proxy(line)
        assert not [r for r in proxy.schema.required if not proxy.get(r)], line
    payments = [x for x in lines if x["schema"] == "Payment"]
    assert payments and all(x["properties"].get("payer") and x["properties"].get("beneficiary") for x in payments)
