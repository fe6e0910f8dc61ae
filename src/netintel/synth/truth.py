"""Reading a generated case's truth, and joining it to what a workspace made of the case.

For tests and benchmarks only: analysis code never reads the truth. The truth files hold phone
numbers, ids and codes that pandas would otherwise turn into numbers or NaN (``+359...``,
``NA``), so read them with :func:`load_truth`.

Examples
--------
>>> from pathlib import Path
>>> truth = load_truth(Path(__file__).resolve().parents[3] / "data" / "sample")
>>> sorted(truth)
['case', 'communities', 'entities', 'evidence', 'malformed', 'records', 'switches']
>>> bool(truth["switches"].old_number.str.startswith("+").all())
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["load_truth", "entity_truth"]

_TABLES = ("records", "entities", "communities", "switches", "evidence", "malformed")


def load_truth(folder: str | Path) -> dict[str, Any]:
    """The truth of a case folder (``folder/truth/*.csv`` as text columns, ``case.json`` as a dict).

    ``folder`` may be the case folder or its ``truth/`` folder itself.
    """
    folder = Path(folder)
    if (folder / "truth").is_dir():
        folder = folder / "truth"
    out: dict[str, Any] = {}
    for name in _TABLES:
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == "evidence":
            frame["n_records"] = frame["n_records"].astype(int)
        out[name] = frame
    out["case"] = json.loads((folder / "case.json").read_text("utf-8"))
    return out


def entity_truth(entities: pd.DataFrame, truth: dict[str, Any]) -> pd.DataFrame:
    """Each workspace entity with its true identity: ``entity_id, true_id, kind, community, role``.

    ``entities`` is a frame with ``entity_id, agency, kind, source_record_id`` (what
    ``Workspace.entities()`` or ``SELECT ... FROM entities`` gives); entities the truth does not
    know (none, for a case ingested as written) get an empty ``true_id``.
    """
    rec = truth["records"][["agency", "kind", "source_record_id", "true_id"]].drop_duplicates()
    ent = truth["entities"][["true_id", "community", "role"]]
    cols = entities[["entity_id", "agency", "kind", "source_record_id"]].drop_duplicates("entity_id")
    cols = cols.assign(source_record_id=cols.source_record_id.astype(str))
    out = cols.merge(rec, on=["agency", "kind", "source_record_id"], how="left").merge(ent, on="true_id", how="left")
    out = out.fillna({"true_id": "", "community": "", "role": ""})
    return out[["entity_id", "true_id", "kind", "community", "role"]].reset_index(drop=True)
