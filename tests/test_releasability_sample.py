"""The canary test on the sample case itself (issue 10): a partner's restricted file never reaches
the briefing pack of a country it is not releasable to.

SEPBLAC's share (data/sample/es_sepblac) is releasable to ES, NL, BE and DE only. A canary file is
planted in that folder: two account holders with names and numbers found nowhere else, one of them
using a Bulgarian phone that other partners report too (so the canary is tied into the network and
would surface through resolution, communities or key players if anything leaked). The whole pack
made for BG must hold none of it, nor SEPBLAC's name or files; the pack made for NL, which may
receive SEPBLAC's share, must hold it (the harness is worth its zero hits).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from canary import Canary, assert_found, assert_no_canary, written_texts
from netintel.brief import brief

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
pytestmark = pytest.mark.skipif(not (SAMPLE / "es_sepblac").exists(), reason="no sample case")

CANARY = Canary(agency="SEPBLAC", country="ES",
                files=("titulares_canario.csv", "transacciones.csv", "cuentas.csv", "titulares.csv"),
                names=("ZQUARKOVIC", "Belisario", "VONDRAXIS", "Ermengarda"),
                numbers=("+34611987654", "TRI9911223"))


@pytest.fixture(scope="module")
def sample_with_canary(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("truth"))
    es = root / "es_sepblac"
    header = (es / "titulares.csv").read_text("utf-8").splitlines()[0]
    (es / "titulares_canario.csv").write_text(
        header + "\n"
        'T0999001,PF,"ZQUARKOVIC, Belisario",02/02/1981,ES,TRI9911223,+34611987654,01/03/2026\n'
        'T0999002,PF,"VONDRAXIS, Ermengarda",03/03/1983,BG,,+359894404378,01/03/2026\n', "utf-8")
    shutil.copy(es / "titulares.mapping.yaml", es / "titulares_canario.mapping.yaml")
    return root


def test_the_bulgarian_pack_holds_nothing_of_a_share_not_releasable_to_bg(sample_with_canary, tmp_path):
    pack = brief(sample_with_canary, tmp_path / "pack_BG", recipient="BG", progress=False)
    texts = list(written_texts([pack.out]))
    assert len({f for f, _ in texts}) > 40  # charts, tables, exports, summary, manifest: every file read
    assert_no_canary(texts, CANARY)


def test_the_dutch_pack_holds_the_canary_it_may_receive(sample_with_canary, tmp_path):
    pack = brief(sample_with_canary, tmp_path / "pack_NL", recipient="NL", progress=False)
    texts = list(written_texts([pack.out]))
    assert_found(texts, ["ZQUARKOVIC", "+34611987654", "SEPBLAC"])


def test_the_sample_pack_for_bg_is_the_pack_of_bgs_records_alone(tmp_path):
    """Non-interference on the sample: the pack made for BG from the whole case equals the pack of a
    workspace from which every row BG may not receive was deleted (by ``Workspace.releasable_mask``,
    not by the restricted view), resolved from scratch.

    One line may differ, by design: the intake sentence of ``summary.html``. The view counts only the
    records BG may receive, while the reference keeps each file's own counts (that is what a file
    held), so that line is compared with its numbers masked.
    """
    import re

    from netintel import Workspace
    from netintel.brief import _brief_workspace
    from netintel.ingest import ingest
    from netintel.releasability import restricted_workspace
    from netintel.resolve import resolve

    whole, reduced = Workspace(), Workspace()
    for ws in (whole, reduced):
        ingest(ws, [SAMPLE], progress=False)
    dropped = 0
    for table in ("entities", "links", "events"):
        rows = reduced.sql(f"SELECT rowid AS r, country, handling, releasable_to FROM {table}")
        drop = rows.loc[~reduced.releasable_mask(rows, "BG").values, "r"].tolist()
        dropped += len(drop)
        if drop:
            reduced.con.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT unnest(?::BIGINT[]))", [drop])
    reduced.con.execute("DELETE FROM sources WHERE source_id NOT IN (SELECT source_id FROM entities UNION "
                        "SELECT source_id FROM links UNION SELECT source_id FROM events)")
    assert dropped > 500  # the sample holds much BG may not receive: the test has teeth
    resolve(reduced)
    view = restricted_workspace(whole, "BG", resolve=False)
    packs = [_brief_workspace(ws, tmp_path / name, [], recipient="BG", seed=0, top_communities=3, min_share=0.8,
                              pseudonyms=False, case_title="sample") for name, ws in (("view", view), ("alone", reduced))]
    a, b = ({f["file"]: f["sha256"] for f in p.manifest["outputs"]} for p in packs)
    assert set(a) == set(b) and len(a) > 40
    assert sorted(f for f in a if a[f] != b[f]) in ([], ["summary.html"])

    def masked(path):
        return re.sub(r"\d+ records read, \d+ accepted, \d+ quarantined", "N records", path.read_text("utf-8"))

    assert masked(tmp_path / "view" / "summary.html") == masked(tmp_path / "alone" / "summary.html")
    assert packs[0].manifest["inputs"] == packs[1].manifest["inputs"]
    for ws in (view, whole, reduced):
        ws.close()
