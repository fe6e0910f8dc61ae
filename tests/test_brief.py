"""The one-command briefing pack: complete, reproducible, and releasable to its recipient."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from netintel.brief import brief
from netintel.cli import main
from netintel.errors import NetintelError
from netintel.synth.case import generate_case


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("case")
    generate_case(seed=1201, scale=0.2).write(out)
    return out


@pytest.fixture(scope="module")
def packs(case_dir, tmp_path_factory):
    """The same pack twice: once through the API, once through the command line."""
    base = tmp_path_factory.mktemp("packs")
    first = brief(case_dir, base / "a", seed=3, progress=False)
    assert main(["brief", str(case_dir), "--out", str(base / "b"), "--seed", "3", "--no-progress", "--json"]) == 0
    second = json.loads((base / "b" / "manifest.json").read_text("utf-8"))
    return first, second


def test_pack_holds_charts_tables_exports_summary_and_manifest(packs):
    pack = packs[0]
    names = {f["file"] for f in pack.manifest["outputs"]}
    for chart in ("link_chart", "communities", "key_players", "disruption", "timeline"):
        assert {f"charts/{chart}.png", f"charts/{chart}.svg", f"charts/{chart}.pdf"} <= names, chart
    for table in ("communities", "key_players", "jurisdictions", "jit"):
        assert f"tables/{table}.csv" in names
    assert {"exports/case.gexf", "exports/case.graphml", "exports/case.cyjs", "exports/case.ftm.json",
            "exports/case.stix.json", "exports/case_i2_entities.csv", "summary.html", "summary.pdf"} <= names
    assert all((pack.out / n).stat().st_size > 0 for n in names)
    html = (pack.out / "summary.html").read_text("utf-8")
    assert html.count(pack.marking.banner) >= 2, "caveat at the top and the bottom"
    assert "src='data:image/png;base64," in html and "<img alt='link_chart'" in html, "self-contained"
    communities = pd.read_csv(pack.out / "tables" / "communities.csv")
    assert {"community", "size", "typology", "probability", "priority"} <= set(communities.columns)
    assert communities["priority"].is_monotonic_decreasing


def test_manifest_names_every_input_with_its_hash(packs, case_dir):
    manifest = packs[0].manifest
    data_files = sorted(p for p in case_dir.rglob("*") if p.is_file() and "truth" not in p.parts)
    assert len(manifest["inputs"]) == len(data_files)
    assert manifest["seed"] == 3 and manifest["netintel_version"]
    assert json.loads((packs[0].out / "manifest.json").read_text("utf-8")) == manifest


def test_same_inputs_give_same_manifest_and_results(packs):
    a, b = packs
    assert a.manifest == b, "same inputs, same parameters: same manifest, so every output has the same hash"


def test_pack_for_a_recipient_holds_nothing_it_may_not_receive(case_dir, tmp_path):
    from netintel import Workspace
    from netintel.ingest import ingest

    ws = Workspace()
    ingest(ws, case_dir, progress=False)
    links = ws.links()
    # the partner that may receive least: the strongest test of what the pack leaves out
    recipient = max(sorted(ws.partners()), key=lambda cc: int((~ws.releasable_mask(links, cc)).sum()))
    pack = brief(case_dir, tmp_path / "for_recipient", workspace=ws, recipient=recipient, seed=3, progress=False)
    assert pack.marking.allows(recipient)
    entities = ws.entities()
    # A record may be reported in several files with different handling: what the recipient may
    # not receive is what it may receive from no file at all.
    ok_entities = ws.releasable_mask(entities, recipient)
    ok_links = ws.releasable_mask(links, recipient)
    barred_links = set(links.loc[~ok_links, "link_id"]) - set(links.loc[ok_links, "link_id"])
    resolved = ws.resolved_ids().set_index("entity_id")["resolved_id"]
    ent_resolved = resolved.reindex(entities["entity_id"]).to_numpy()
    barred_entities = set(ent_resolved[~ok_entities.to_numpy()]) - set(ent_resolved[ok_entities.to_numpy()])
    assert barred_entities and barred_links, "the generated case must restrict something, or this proves nothing"
    exported_entities = pd.read_csv(pack.out / "exports" / "case_i2_entities.csv", encoding="utf-8-sig")
    assert not barred_entities & set(exported_entities["Identity"])
    gexf = (pack.out / "exports" / "case.gexf").read_text("utf-8")
    assert not [link_id for link_id in barred_links if link_id in gexf], "link records carry their ids in exports"
    assert not [e for e in barred_entities if f'id="{e}"' in gexf]


# -- a pack is complete or absent; control characters never stop it --------------------------------
@pytest.fixture(scope="module")
def control_char_case(tmp_path_factory):
    """A partner's edge list whose labels hold control characters (\\x01, \\x1b, a form feed)."""
    folder = tmp_path_factory.mktemp("ctl") / "nl"
    folder.mkdir()
    (folder / "source.yaml").write_text("agency: Politie\ncountry: NL\ngrading: B2\nhandling: TLP:AMBER\n", "utf-8")
    rows = ["source,target,weight", "Ivan\x01 Petrov,Olga\x1b Sidorova,3", "Olga\x1b Sidorova,Piet\x0c de Vries,2",
            "Piet\x0c de Vries,Ivan\x01 Petrov,1", "Ivan\x01 Petrov,Anna Bakker,2", "Anna Bakker,Piet\x0c de Vries,1"]
    (folder / "ties.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder


def test_control_characters_in_labels_never_stop_the_pack(control_char_case, tmp_path):
    pack = brief(control_char_case, tmp_path / "pack", seed=0, progress=False)
    texts = [f for f in pack.files if f.suffix in (".csv", ".html", ".svg", ".json", ".gexf", ".graphml", ".cyjs")]
    assert len(texts) > 10
    for f in texts:  # (binary formats hold such bytes by nature)
        data = f.read_bytes()
        assert b"\x01" not in data and b"\x1b" not in data and b"\x0c" not in data, f
    assert "Ivan\\x01 Petrov" in (pack.out / "summary.html").read_text("utf-8") or \
        "Ivan\\x01 Petrov" in (pack.out / "tables" / "key_players.csv").read_text("utf-8")


def test_a_failing_writer_leaves_no_partial_pack_and_keeps_the_earlier_one(control_char_case, tmp_path,
                                                                            monkeypatch):
    import netintel.brief as brief_mod

    out = tmp_path / "pack"
    first = brief(control_char_case, out, seed=0, progress=False)
    before = {p: p.read_bytes() for p in first.files}

    def failing_export(graph, path, **kw):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<half a file", "utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(brief_mod, "export_graph", failing_export)
    with pytest.raises(OSError, match="disk full"):
        brief(control_char_case, out, seed=1, progress=False)
    assert {p: p.read_bytes() for p in first.files} == before  # the earlier pack, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]  # no partial folder left beside it
    with pytest.raises(NetintelError, match="not an earlier briefing pack"):
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "notes.txt").write_text("mine", "utf-8")
        brief(control_char_case, tmp_path / "other", seed=0, progress=False)
    assert (tmp_path / "other" / "notes.txt").read_text("utf-8") == "mine"
