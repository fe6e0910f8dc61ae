"""Privacy-preserving record linkage between agencies: keyed Bloom-filter encodings (CLKs).

Each agency encodes its person records *locally* with a secret the partners share: the name
tokens (transliterated, given-name variants, plus their consonant skeletons) are cut into
bigrams and the date of birth into its year, month and day; every piece is hashed ``k`` times
with HMAC-SHA256 under the secret into a ``bits``-long Bloom filter (a cryptographic long-term
key, Schnell et al. 2011). Only the filters leave the agency. Matching compares filters with the
Dice coefficient; candidate pairs come from locality-sensitive hashing on sampled filter bits
(positions drawn from the secret), so no name, date or plain blocking value is ever shared.
The result is hit / no-hit per record and candidate pairs with their similarity, which the
owners confirm through normal channels. Works for two or more parties: pairwise matches are
assembled transitively into cross-agency groups.

Bloom-filter encodings resist casual reading but not a determined frequency attack with much
auxiliary data; keep the secret out of the shared channel and rotate it per exchange.

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"record_id": ["A1", "A2"], "name": ["Aleksandr Petrov", "Jan de Vries"],
...                   "birth_date": ["1980-03-12", "1975-01-01"]})
>>> b = pd.DataFrame({"record_id": ["B1"], "name": ["ПЕТРОВ Александр"], "birth_date": ["12.03.1980"]})
>>> ea, eb = encode(a, "s3cret", agency="NL"), encode(b, "s3cret", agency="BG")
>>> res = match(ea, eb)
>>> res.pairs[["record_a", "record_b"]].values.tolist(), res.hits["hit"].tolist()
([['A1', 'B1']], [True, False, True])
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, ResolutionError
from .normalize import PartialDate, canonical_given, name_tokens, skeleton

__all__ = ["Encodings", "PPRLResult", "encode", "match", "dice", "encode_workspace"]

FORMAT = "netintel-pprl"
VERSION = 1


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    secret = secret.strip()
    if len(secret) < 6:
        raise ResolutionError("the PPRL secret is too short (at least 6 characters; use a long random one)")
    return secret


def _key_check(key: bytes) -> str:
    """A fingerprint of the secret: lets partners see that they used the same one, reveals nothing."""
    return hmac.new(key, b"netintel-pprl-key-check", hashlib.sha256).hexdigest()[:16]


def _bigrams(token: str) -> list[str]:
    t = f"_{token}_"
    return [t[i:i + 2] for i in range(len(t) - 1)]


def _pieces(first: Any, last: Any, name: Any, birth_date: Any) -> list[tuple[str, str]]:
    toks: list[str] = []
    for v in (first, last):
        if isinstance(v, str) and v.strip():
            toks.extend(name_tokens(v))
    if not toks and isinstance(name, str):
        toks = name_tokens(name)
    out: list[tuple[str, str]] = []
    for t in sorted({canonical_given(t) for t in toks}):
        out.extend(("n", g) for g in _bigrams(t))
        s = skeleton(t)
        if s:
            out.extend(("s", g) for g in _bigrams(s))
    return out


def _dob_tokens(key: bytes, birth_date: Any) -> tuple[str | None, str | None, str | None]:
    """Keyed hashes of the birth year, year-month and full date (None where not known)."""
    d = PartialDate.parse(birth_date if isinstance(birth_date, str) else None)

    def h(text: str) -> str:
        return hmac.new(key, f"dob:{text}".encode(), hashlib.sha256).hexdigest()[:16]

    if not d.year:
        return None, None, None
    y = h(f"{d.year:04d}")
    ym = h(f"{d.year:04d}-{d.month:02d}") if d.month else None
    ymd = h(f"{d.year:04d}-{d.month:02d}-{d.day:02d}") if d.month and d.day else None
    return y, ym, ymd


#: Hash functions per piece: name bigrams and the bigrams of their consonant skeletons.
DEFAULT_K = {"n": 10, "s": 12}
#: Added to the name similarity by what the keyed birth-date hashes say: the same day, the same
#: month (one side lacks the day), the same year (one side lacks the month), or a conflict.
#: A shared identifier (keyed hash of a phone, IBAN, e-mail, document): added to the similarity of
#: two named records; the similarity of a pair where one record gives no name at all.
IDENTIFIER_BONUS = 0.25
IDENTIFIER_ONLY = 0.85
DOB_BONUS = {"day": 0.15, "month": 0.08, "year": 0.04, "unknown": 0.0, "conflict": -0.35}


@dataclass(frozen=True)
class Encodings:
    """One agency's encoded person records: Bloom filters and LSH band keys, no clear text."""

    agency: str
    record_ids: tuple[str, ...]
    filters: np.ndarray  # (n, bits/8) uint8
    bands: tuple[tuple[str, ...], ...]
    dob: tuple[tuple[str | None, str | None, str | None], ...] = ()
    identifiers: tuple[tuple[str, ...], ...] = ()
    scheme: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.record_ids)

    def to_json(self) -> str:
        recs = [{"id": rid, "clk": base64.b64encode(self.filters[i].tobytes()).decode("ascii"),
                 "bands": list(self.bands[i]), "dob": list(self.dob[i]),
                 "ids": list(self.identifiers[i]) if self.identifiers else []}
                for i, rid in enumerate(self.record_ids)]
        return json.dumps({"format": FORMAT, "version": VERSION, "agency": self.agency, "scheme": self.scheme,
                           "records": recs}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, file: str | None = None) -> "Encodings":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON ({exc})", file=file, hint="give a file written by 'netintel pprl encode'")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError("not a netintel PPRL encodings file", file=file,
                             hint="give a file written by 'netintel pprl encode'")
        recs = data.get("records", [])
        nbytes = int(data["scheme"]["bits"]) // 8
        filters = np.zeros((len(recs), nbytes), dtype=np.uint8)
        for i, r in enumerate(recs):
            raw = base64.b64decode(r["clk"])
            if len(raw) != nbytes:
                raise InputError(f"record {i}: encoding of {len(raw) * 8} bits, the scheme says {nbytes * 8}",
                                 file=file, record=str(r.get("id")))
            filters[i] = np.frombuffer(raw, dtype=np.uint8)
        return cls(agency=data["agency"], record_ids=tuple(str(r["id"]) for r in recs), filters=filters,
                   bands=tuple(tuple(r.get("bands", [])) for r in recs),
                   dob=tuple(tuple(r.get("dob") or (None, None, None)) for r in recs),
                   identifiers=tuple(tuple(r.get("ids") or ()) for r in recs), scheme=data["scheme"])

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Encodings":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read ({exc})", file=str(path)) from exc
        return cls.from_json(text, file=str(path))


def encode(records: pd.DataFrame, secret: str | bytes, *, agency: str, bits: int = 1024,
           k: dict[str, int] | None = None, n_bands: int = 24, band_width: int = 14,
           id_column: str = "record_id") -> Encodings:
    """Encode person records locally as keyed Bloom filters (only the result may leave).

    ``records`` has ``record_id`` (``id_column``) and ``first_name``/``last_name`` or ``name``,
    and ``birth_date`` (possibly partial); optionally ``identifiers``, lists of normalised
    identifier keys (``phone:+31...``, ``iban:NL...``) the person uses, sent as keyed hashes
    (a shared one is a hit, as in a Prüm exchange). ``secret`` is shared by the partners, never sent.
    """
    if bits % 8:
        raise ResolutionError("bits must be a multiple of 8")
    key = _key(secret)
    k = {**DEFAULT_K, **(k or {})}
    if id_column not in records:
        raise ResolutionError(f"the records have no {id_column!r} column to identify them in the result")
    n = len(records)
    filters = np.zeros((n, bits), dtype=bool)
    cache: dict[tuple[str, str], np.ndarray] = {}
    cols = {c: records[c].tolist() if c in records else [None] * n
            for c in ("first_name", "last_name", "name", "birth_date")}
    for i in range(n):
        for piece in _pieces(cols["first_name"][i], cols["last_name"][i], cols["name"][i], cols["birth_date"][i]):
            pos = cache.get(piece)
            if pos is None:
                digest = hmac.new(key, f"{piece[0]}:{piece[1]}".encode(), hashlib.sha256).digest()
                h1 = int.from_bytes(digest[:8], "big")
                h2 = int.from_bytes(digest[8:16], "big") | 1
                pos = np.array([(h1 + j * h2) % bits for j in range(k[piece[0]])], dtype=np.int64)
                cache[piece] = pos
            filters[i, pos] = True
    # LSH: bands of bit positions drawn from the secret; equal bands make a candidate pair
    rng = np.random.default_rng(int.from_bytes(hmac.new(key, b"lsh", hashlib.sha256).digest()[:8], "big"))
    positions = [np.sort(rng.choice(bits, size=band_width, replace=False)) for _ in range(n_bands)]
    weights = 1 << np.arange(band_width, dtype=np.int64)
    band_keys = np.stack([filters[:, p].astype(np.int64) @ weights for p in positions], axis=1) if n else \
        np.zeros((0, n_bands), dtype=np.int64)
    bands = tuple(tuple(f"{b}:{int(v):x}" for b, v in enumerate(row)) for row in band_keys)
    dob = tuple(_dob_tokens(key, v) for v in cols["birth_date"])
    idents = records["identifiers"].tolist() if "identifiers" in records else [[] for _ in range(n)]
    identifiers = tuple(tuple(sorted({hmac.new(key, f"id:{v}".encode(), hashlib.sha256).hexdigest()[:24]
                                      for v in (ids if isinstance(ids, (list, tuple)) else [])}))
                        for ids in idents)
    scheme = {"bits": bits, "k": k, "n_bands": n_bands, "band_width": band_width, "hash": "HMAC-SHA256",
              "fields": "Bloom filter: name bigrams + name skeleton bigrams; keyed hashes: birth year, "
                        "year-month, date",
              "key_check": _key_check(key)}
    return Encodings(agency=agency, record_ids=tuple(str(r) for r in records[id_column]),
                     filters=np.packbits(filters, axis=1), bands=bands, dob=dob, identifiers=identifiers,
                     scheme=scheme)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dice coefficient of packed Bloom filters, row by row: 2|A∩B| / (|A| + |B|).

    >>> x = np.packbits(np.array([[1, 1, 0, 0, 0, 0, 0, 0]], dtype=bool), axis=1)
    >>> y = np.packbits(np.array([[1, 0, 1, 0, 0, 0, 0, 0]], dtype=bool), axis=1)
    >>> float(dice(x, y)[0])
    0.5
    """
    inter = _POPCOUNT[np.bitwise_and(a, b)].sum(axis=1)
    total = _POPCOUNT[a].sum(axis=1) + _POPCOUNT[b].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * inter / np.maximum(total, 1), 0.0)


@dataclass(frozen=True)
class PPRLResult:
    """Candidate pairs across agencies with their Dice similarity, and hit / no-hit per record.

    ``pairs``: ``agency_a, record_a, agency_b, record_b, similarity, name_dice, birth_date``
    (similarity: the Dice coefficient of the name filters plus :data:`DOB_BONUS` for what the
    keyed birth-date hashes say; at or above the threshold, each record's best match per other
    agency, mutual); ``hits``: ``agency, record_id, hit,
    group``, where ``group`` joins records of three or more agencies transitively.
    """

    pairs: pd.DataFrame
    hits: pd.DataFrame
    threshold: float
    candidates: int

    def __repr__(self) -> str:
        return (f"<PPRLResult: {len(self.pairs)} pairs at Dice >= {self.threshold}, "
                f"{int(self.hits['hit'].sum())} of {len(self.hits)} records hit>")

    def _repr_html_(self) -> str:
        return (f"<b>PPRL</b>: {len(self.pairs)} pairs at Dice &ge; {self.threshold} "
                f"({self.candidates} candidates compared)" + self.pairs.head(50).to_html(index=False)
                + html.escape(""))


def _dob_level(a: Sequence[str | None], b: Sequence[str | None]) -> str:
    if not a or not b or a[0] is None or b[0] is None:
        return "unknown"
    if a[0] != b[0]:
        return "conflict"
    if a[2] is not None and b[2] is not None:
        return "day" if a[2] == b[2] else "conflict"
    if a[1] is not None and b[1] is not None:
        return "month" if a[1] == b[1] else "conflict"
    return "year"


def match(*encodings: Encodings, threshold: float = 0.8) -> PPRLResult:
    """Match the encodings of two or more agencies (pairwise, then transitive groups).

    The encodings must come from the same secret and scheme (checked with ``key_check``).
    """
    if len(encodings) < 2:
        raise ResolutionError("PPRL matching needs the encodings of at least two agencies")
    ref = encodings[0].scheme
    for e in encodings[1:]:
        if e.scheme.get("key_check") != ref.get("key_check"):
            raise ResolutionError(f"{e.agency} encoded with another secret than {encodings[0].agency} "
                                  "(key_check differs); all partners must use the same shared secret")
        if e.scheme.get("bits") != ref.get("bits") or e.scheme.get("k") != ref.get("k"):
            raise ResolutionError(f"{e.agency} encoded with other parameters (bits, k) than {encodings[0].agency}")
    names = [e.agency for e in encodings]
    if len(set(names)) != len(names):
        raise ResolutionError("two encodings files carry the same agency name; each party encodes once")
    rows = []
    n_candidates = 0
    for i in range(len(encodings)):
        for j in range(i + 1, len(encodings)):
            a, b = encodings[i], encodings[j]
            index: dict[str, list[int]] = {}
            for r, bands in enumerate(b.bands):
                for key in bands:
                    index.setdefault(key, []).append(r)
            cand = set()
            for r, bands in enumerate(a.bands):
                for key in bands:
                    for s in index.get(key, ()):
                        cand.add((r, s))
            shared: set[tuple[int, int]] = set()
            if a.identifiers and b.identifiers:
                by_id: dict[str, list[int]] = {}
                for r, ids in enumerate(b.identifiers):
                    for key in ids:
                        by_id.setdefault(key, []).append(r)
                for r, ids in enumerate(a.identifiers):
                    for key in ids:
                        shared.update((r, s) for s in by_id.get(key, ()))
                cand |= shared
            if not cand:
                continue
            n_candidates += len(cand)
            pa = np.array(sorted(cand), dtype=np.int64)
            name_sim = dice(a.filters[pa[:, 0]], b.filters[pa[:, 1]])
            bonus = np.array([DOB_BONUS[_dob_level(a.dob[x], b.dob[y])] for x, y in pa])
            sim = name_sim + bonus
            if shared:
                # a shared identifier: strong evidence with agreeing names, the only evidence for a
                # record that gives no name (an account holder known by id only)
                has_id = np.array([(int(x), int(y)) in shared for x, y in pa])
                nameless = (_POPCOUNT[a.filters[pa[:, 0]]].sum(axis=1) == 0) | \
                    (_POPCOUNT[b.filters[pa[:, 1]]].sum(axis=1) == 0)
                sim = np.where(has_id & nameless, np.maximum(sim, IDENTIFIER_ONLY), sim)
                sim = np.where(has_id & ~nameless, sim + IDENTIFIER_BONUS, sim)
            sim = np.clip(sim, 0.0, 1.0)
            df = pd.DataFrame({"ia": pa[:, 0], "ib": pa[:, 1], "similarity": sim, "name_similarity": name_sim,
                               "shared": [(int(x), int(y)) in shared for x, y in pa]})
            df = df[df["similarity"] >= threshold]
            # each record's best match in the other agency, kept when it is mutual; pairs that share
            # an identifier are kept as well (an agency may hold one person under two record ids)
            best_a = df.sort_values(["similarity", "ib"], ascending=[False, True]).drop_duplicates("ia")
            best_b = df.sort_values(["similarity", "ia"], ascending=[False, True]).drop_duplicates("ib")
            mutual = best_a.merge(best_b[["ia", "ib"]], on=["ia", "ib"])
            df = pd.concat([mutual, df[df["shared"]]]).drop_duplicates(["ia", "ib"]).sort_values(["ia", "ib"])
            for ia, ib, s, ns in zip(df["ia"], df["ib"], df["similarity"], df["name_similarity"]):
                rows.append((a.agency, a.record_ids[ia], b.agency, b.record_ids[ib], round(float(s), 6),
                             round(float(ns), 6), _dob_level(a.dob[ia], b.dob[ib])))
    pairs = pd.DataFrame(rows, columns=["agency_a", "record_a", "agency_b", "record_b", "similarity",
                                       "name_dice", "birth_date"])
    pairs = pairs.sort_values(["agency_a", "record_a", "agency_b", "record_b"]).reset_index(drop=True)
    # transitive groups over all parties (union-find)
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in pairs.itertuples(index=False):
        ra, rb = find((r.agency_a, r.record_a)), find((r.agency_b, r.record_b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    hit_rows = []
    group_ids: dict[tuple[str, str], int] = {}
    for e in encodings:
        for rid in e.record_ids:
            node = (e.agency, rid)
            if node in parent:
                root = find(node)
                gid = group_ids.setdefault(root, len(group_ids) + 1)
                hit_rows.append((e.agency, rid, True, gid))
            else:
                hit_rows.append((e.agency, rid, False, None))
    hits = pd.DataFrame(hit_rows, columns=["agency", "record_id", "hit", "group"])
    hits["group"] = hits["group"].astype("Int64")
    return PPRLResult(pairs=pairs, hits=hits, threshold=threshold, candidates=n_candidates)


def encode_workspace(ws: Any, agency: str, secret: str | bytes, **kw: Any) -> Encodings:
    """Encode the person records one agency holds in a workspace (its own records only)."""
    from ._engine import _entity_table

    ents = _entity_table(ws)  # one row per record, properties from every file that reported it
    ents = ents[ents["kind"] == "person"]
    mine = ents[ents["agency"].str.lower() == agency.strip().lower()]
    if mine.empty:
        known = sorted(set(ents["agency"]))
        raise ResolutionError(f"no person records of agency {agency!r} in the workspace; agencies: {', '.join(known)}")
    from .deterministic import entity_keys, linked_keys

    ents_all = ws.entities()
    ents_all = ents_all[ents_all["agency"] == mine["agency"].iloc[0]].drop_duplicates("entity_id")
    keys = entity_keys(ents_all)
    links = ws.links()
    linked = linked_keys(ents_all, links[links["agency"] == mine["agency"].iloc[0]], keys, of_kinds=("person",))
    own = keys.groupby("entity_id")["key"].agg(list).to_dict()
    props = mine["properties"].tolist()
    frame = pd.DataFrame({
        "record_id": mine["source_record_id"].astype(str).tolist(),
        "first_name": [p.get("first_name") if isinstance(p.get("first_name"), str) else None for p in props],
        "last_name": [p.get("last_name") if isinstance(p.get("last_name"), str) else None for p in props],
        "name": [p.get("name") if isinstance(p.get("name"), str) else None for p in props],
        "birth_date": [p.get("birth_date") if isinstance(p.get("birth_date"), str) else None for p in props],
        "identifiers": [sorted(set(linked.get(e, [])) | set(own.get(e, []))) for e in mine["entity_id"]],
    })
    return encode(frame, secret, agency=mine["agency"].iloc[0], **kw)
