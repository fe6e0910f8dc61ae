"""``netintel pprl``: privacy-preserving matching between agencies.

``netintel pprl encode --workspace FILE --agency A --secret-file F --out enc.json`` encodes the
agency's own person records (Bloom filters under the shared secret; no clear text in the file);
``netintel pprl match enc1.json enc2.json [enc3.json ...]`` matches encodings of two or more
agencies: hit / no-hit per record and candidate pairs with their similarity.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..workspace import Workspace
from ._output import emit

__all__ = ["register", "run_encode", "run_match"]


def register(subparsers) -> None:
    p = subparsers.add_parser("pprl", help="privacy-preserving matching between agencies (Bloom-filter encodings)",
                              description="Encode person records locally under a shared secret, and match the "
                                          "encodings of two or more agencies without any name leaving its owner.")
    sub = p.add_subparsers(dest="pprl_command", metavar="STEP")
    e = sub.add_parser("encode", help="encode one agency's person records")
    e.add_argument("--workspace", "-w", required=True, metavar="FILE", help="the workspace holding the records")
    e.add_argument("--agency", required=True, help="the agency whose records to encode (as in provenance)")
    e.add_argument("--secret-file", required=True, metavar="F", help="file holding the secret the partners share")
    e.add_argument("--out", required=True, metavar="ENC.json", help="where to write the encodings")
    e.add_argument("--bits", type=int, default=1024, help="Bloom filter length (default 1024)")
    e.add_argument("--json", action="store_true", help="print a summary as JSON")
    e.set_defaults(func=run_encode)
    m = sub.add_parser("match", help="match the encodings of two or more agencies")
    m.add_argument("encodings", nargs="+", metavar="ENC.json")
    m.add_argument("--threshold", type=float, default=0.8, help="similarity for a hit (default 0.8)")
    m.add_argument("--json", action="store_true", help="print results as JSON")
    m.set_defaults(func=run_match)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _secret(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read the secret ({exc})", file=path) from exc
    if not text:
        raise InputError("the secret file is empty", file=path, hint="put the secret the partners agreed on in it")
    return text


def run_encode(args: argparse.Namespace) -> int:
    from ..resolve.pprl import encode_workspace

    with Workspace(args.workspace, read_only=True) as ws:
        enc = encode_workspace(ws, args.agency, _secret(args.secret_file), bits=args.bits)
    enc.save(args.out)
    summary = {"agency": enc.agency, "records": len(enc), "bits": enc.scheme["bits"],
               "key_check": enc.scheme["key_check"], "out": str(args.out)}
    emit(summary, as_json=args.json)
    return 0


def run_match(args: argparse.Namespace) -> int:
    from ..resolve.pprl import Encodings, match

    if len(args.encodings) < 2:
        raise InputError("give the encodings of at least two agencies")
    encs = [Encodings.load(p) for p in args.encodings]
    res = match(*encs, threshold=args.threshold)
    by_agency = res.hits.groupby("agency")["hit"].agg(["size", "sum"]).reset_index() \
        .rename(columns={"size": "records", "sum": "hits"})
    if args.json:
        emit({"threshold": res.threshold, "candidates": res.candidates, "agencies": by_agency,
              "pairs": res.pairs, "hits": res.hits}, as_json=True)
        return 0
    emit(by_agency, as_json=False, title=f"Hits at similarity >= {res.threshold}")
    emit(res.pairs, as_json=False, title=f"\nCandidate pairs ({len(res.pairs)}), to confirm through normal channels")
    return 0
