"""Exports open in the tools' formats, keep provenance, and respect releasability."""

from __future__ import annotations

import json
from dataclasses import dataclass

import igraph as ig
import jsonschema
import networkx as nx
import pandas as pd
import pytest
from lxml import etree

from netintel.errors import ReleasabilityError
from netintel.export import FORMATS, export_graph, neutralise
from netintel.handling import Marking


@dataclass
class FakeGraph:
    nodes: pd.DataFrame
    edges: pd.DataFrame
    marking: Marking


@pytest.fixture
def graph() -> FakeGraph:
    nodes = pd.DataFrame({
        "id": ["N1", "N2", "N3", "N4", "N5", "N6", "N7"],
        "kind": ["person", "person", "phone", "bank_account", "domain", "organisation", "ip_address"],
        "label": ["Aleksandr Petrov", "=cmd|' /C calc'!A0", "+359 88 123 4567", "BG80BNBG96611020345678",
                  "pay-fast.example", "Nordic Logistics BV", "203.0.113.7"],
        "countries": [["BG", "RU"], ["NL"], ["BG"], ["BG"], ["EE"], ["NL"], ["EE"]],
        "agencies": [["Police BG"], ["Politie NL"], ["Telecom RO"], ["FIU BE"], ["CERT EE"], ["Registry CY"],
                     ["CERT EE"]],
        "n_records": [3, 1, 2, 1, 1, 1, 1],
        "handling": ["TLP:AMBER"] * 7,
    })
    edges = pd.DataFrame({
        "source": ["N1", "N1", "N1", "N2", "N6", "N5", "N1"],
        "target": ["N2", "N3", "N4", "N1", "N4", "N7", "N6"],
        "kind": ["associate_of", "uses", "owns", "call", "owns", "resolves_to", "directs"],
        "directed": [False, True, True, True, True, True, True],
        "weight": [2.0, 1.0, 1.0, 14.0, 1.0, 1.0, 1.0],
        "count": [2, 1, 1, 14, 1, 1, 1],
        "amount": [None, None, None, None, None, None, None],
        "first_seen": pd.to_datetime(["2025-01-02 00:00", None, None, "2025-03-01 22:10", None, None, None]),
        "last_seen": pd.to_datetime(["2025-02-02 00:00", None, None, "2025-04-01 01:00", None, None, None]),
        "agencies": [["Police BG", "Politie NL"], ["Telecom RO"], ["FIU BE"], ["Telecom RO"], ["Registry CY"],
                     ["CERT EE"], ["Registry CY"]],
        "grading": ["B2", "A1", "B2", "A1", "C3", "B2", "B2"],
        "handling": ["TLP:AMBER"] * 7,
        "link_ids": [["L1", "L2"], ["L3"], ["L4"], ["L5"], ["L6"], ["L7"], ["L8"]],
    })
    return FakeGraph(nodes, edges, Marking("TLP:AMBER", ("BE", "BG", "CY", "EE", "NL", "RO")))


def test_releasability_is_enforced(graph, tmp_path):
    with pytest.raises(ReleasabilityError, match="US"):
        export_graph(graph, tmp_path / "x.gexf", recipient="US")
    result = export_graph(graph, tmp_path / "x.gexf", recipient="nl")
    assert result.recipient == "NL" and result.n_nodes == 7 and result.n_edges == 7


def test_gexf_follows_the_gexf_rules(graph, tmp_path):
    path = export_graph(graph, tmp_path / "case.gexf").paths[0]
    doc = etree.parse(str(path))
    ns = {"g": "http://www.gexf.net/1.2draft"}
    assert doc.getroot().tag == "{http://www.gexf.net/1.2draft}gexf"
    node_ids = {n.get("id") for n in doc.iterfind(".//g:nodes/g:node", ns)}
    assert node_ids == set(graph.nodes["id"])
    declared = {a.get("id") for a in doc.iterfind(".//g:attributes/g:attribute", ns)}
    for edge in doc.iterfind(".//g:edges/g:edge", ns):
        assert edge.get("source") in node_ids and edge.get("target") in node_ids
        for att in edge.iterfind(".//g:attvalue", ns):
            assert att.get("for") in declared
    back = nx.read_gexf(path)
    assert back.number_of_edges() == 7
    assert back.nodes["N1"]["label"] == "Aleksandr Petrov"


def test_graphml_reads_in_igraph_and_keeps_provenance(graph, tmp_path):
    path = export_graph(graph, tmp_path / "case.graphml").paths[0]
    g = ig.Graph.Read_GraphML(str(path))
    assert g.vcount() == 7 and g.ecount() == 7
    assert "agencies" in g.es.attributes() and "grading" in g.es.attributes()
    call = [e for e in g.es if e["kind"] == "call"][0]
    assert call["agencies"] == "Telecom RO" and call["weight"] == 14.0


CYTOSCAPE_SCHEMA = {  # Cytoscape.js element JSON, as its documentation defines it
    "type": "object",
    "required": ["elements"],
    "properties": {"elements": {
        "type": "object", "required": ["nodes", "edges"],
        "properties": {
            "nodes": {"type": "array", "items": {"type": "object", "required": ["data"], "properties": {
                "data": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}},
            "edges": {"type": "array", "items": {"type": "object", "required": ["data"], "properties": {
                "data": {"type": "object", "required": ["id", "source", "target"], "properties": {
                    "id": {"type": "string"}, "source": {"type": "string"}, "target": {"type": "string"}}}}}},
        }}},
}


def test_cytoscape_json_is_valid(graph, tmp_path):
    path = export_graph(graph, tmp_path / "case.cyjs").paths[0]
    doc = json.loads(path.read_text("utf-8"))
    jsonschema.validate(doc, CYTOSCAPE_SCHEMA)
    ids = [n["data"]["id"] for n in doc["elements"]["nodes"]] + [e["data"]["id"] for e in doc["elements"]["edges"]]
    assert len(ids) == len(set(ids)), "Cytoscape requires unique element ids"
    node_ids = {n["data"]["id"] for n in doc["elements"]["nodes"]}
    assert all(e["data"]["source"] in node_ids and e["data"]["target"] in node_ids for e in doc["elements"]["edges"])
    assert nx.cytoscape_graph(doc).number_of_edges() == 7
    assert doc["data"]["handling"] == "TLP:AMBER"


def test_i2_tables_follow_their_import_specification(graph, tmp_path):
    paths = export_graph(graph, tmp_path / "case", format="i2").paths
    ents, links, spec = (p for p in paths)
    e = pd.read_csv(ents, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    li = pd.read_csv(links, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    root = etree.parse(str(spec)).getroot()
    for source, frame in zip(root.iterfind("Source"), (e, li)):
        columns = [c.get("name") for c in source.iterfind("Column")]
        assert columns == list(frame.columns), "every column is declared, in order"
        roles = {c.get("role"): c for c in source.iterfind("Column")}
        assert frame[roles["identity"].get("name")].is_unique
        if "allowed" in roles["type"].attrib:
            allowed = set(roles["type"].get("allowed").split("; "))
            assert set(frame[roles["type"].get("name")]) <= allowed
    assert set(li["From Identity"]) | set(li["To Identity"]) <= set(e["Identity"])
    dated = li["First Seen"][li["First Seen"] != ""]
    pd.to_datetime(dated, format="%Y-%m-%d %H:%M:%S")  # the declared format, or this raises
    assert (e["Label"].str[0] != "=").all(), "formula injection neutralised"
    assert "'=cmd|' /C calc'!A0" in set(e["Label"])
    assert "+359 88 123 4567" in set(e["Label"]), "phone numbers are left as written"


def test_ftm_export_is_valid_followthemoney(graph, tmp_path):
    from followthemoney import model

    path = export_graph(graph, tmp_path / "case.ftm.json", format="ftm").paths[0]
    proxies = [model.get_proxy(json.loads(line)) for line in path.read_text("utf-8").splitlines()]
    by_schema = {}
    for p in proxies:
        by_schema.setdefault(p.schema.name, []).append(p)
    assert len(by_schema["Person"]) == 2
    petrov = next(p for p in by_schema["Person"] if p.id == "N1")
    assert "+359881234567" in petrov.get("phone"), "a phone becomes a property of its user (FtM writes E.164)"
    assert len(by_schema["Directorship"]) == 1 and len(by_schema["Ownership"]) == 2
    assert by_schema["Associate"][0].get("person") == ["N1"]


def test_stix_export_is_a_valid_bundle(graph, tmp_path):
    import stix2

    path = export_graph(graph, tmp_path / "case.stix.json", format="stix").paths[0]
    bundle = stix2.parse(path.read_text("utf-8"), allow_custom=True)
    types = sorted(o.type for o in bundle.objects)
    assert types.count("domain-name") == 1 and types.count("ipv4-addr") == 1
    rel = [o for o in bundle.objects if o.type == "relationship"]
    assert [r.relationship_type for r in rel] == ["resolves-to"]
    assert all(stix2.TLP_AMBER.id in o.object_marking_refs for o in bundle.objects if hasattr(o, "object_marking_refs"))
    again = export_graph(graph, tmp_path / "again.stix.json", format="stix").paths[0]
    assert again.read_text("utf-8") == path.read_text("utf-8"), "the same graph gives the same bundle"


def test_csv_and_xlsx_neutralise_formulas(graph, tmp_path):
    csvs = export_graph(graph, tmp_path / "case", format="csv").paths
    ents = pd.read_csv(csvs[0], dtype=str, keep_default_na=False)
    assert not ents["label"].str.match(r"^[=@]").any()
    xlsx = export_graph(graph, tmp_path / "case.xlsx").paths[0]
    sheet = pd.read_excel(xlsx, sheet_name="Entities", dtype=str)
    assert "'=cmd|' /C calc'!A0" in set(sheet["label"])
    marking = pd.read_excel(xlsx, sheet_name="Marking")
    assert marking.loc[0, "handling"] == "TLP:AMBER"


@pytest.mark.parametrize("value", ["=1+1", "@SUM(A1)", "+A1", "-A1+2", "\t=1", "\r=1"])
def test_neutralise_refuses_every_formula_start(value):
    assert neutralise(value).startswith("'")


def test_every_format_writes(graph, tmp_path):
    for fmt in FORMATS:
        result = export_graph(graph, tmp_path / fmt / "case", format=fmt, pseudonyms=True)
        assert all(p.exists() and p.stat().st_size > 0 for p in result.paths), fmt


def test_xlsx_bytes_are_the_same_run_to_run(graph, tmp_path):
    a = export_graph(graph, tmp_path / "a.xlsx").paths[0].read_bytes()
    b = export_graph(graph, tmp_path / "b.xlsx").paths[0].read_bytes()
    assert a == b
