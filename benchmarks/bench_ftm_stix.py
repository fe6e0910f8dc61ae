"""Benchmark: the FtM and STIX loaders against their libraries alone, same run.

On generated files (fictional: persons with phones, companies, ownerships, dated payments; a
bundle of indicators with patterns, observables and relationships) it times

* ``load_ftm`` end to end (read, check, map, references, identifier entities) against
  ``followthemoney`` alone: ``json.loads`` and ``model.get_proxy(..., cleaned=False)`` per line
  (the library parsing and cleaning every value, nothing mapped);
* ``load_stix`` end to end against ``stix2`` alone: ``stix2.parse`` of each object with
  ``allow_custom=True`` (the validation the loader cannot skip; patterns parsed by antlr).

Each line prints records per second and the ratio netintel / library (how much the mapping
adds on top of the library's own work).

Run::

    python benchmarks/bench_ftm_stix.py                    # 20k FtM lines, 2k STIX objects
    python benchmarks/bench_ftm_stix.py --ftm 200000 --stix 20000
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from pathlib import Path


def write_ftm(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    persons = max(1, n // 4)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(persons):
            f.write(json.dumps({"id": f"p{i}", "schema": "Person", "properties": {
                "name": [f"Person {i}"], "birthDate": [f"19{rng.randrange(50, 99)}"], "nationality": ["nl"],
                "phone": [f"+3161{i:07d}"], "address": [f"Straat {i % 500}, Utrecht"]}}) + "\n")
        for i in range(persons):
            f.write(json.dumps({"id": f"c{i}", "schema": "Company", "properties": {
                "name": [f"Company {i} BV"], "registrationNumber": [f"{10000000 + i}"], "jurisdiction": ["nl"]}}) + "\n")
        for i in range(persons):
            f.write(json.dumps({"id": f"o{i}", "schema": "Ownership", "properties": {
                "owner": [f"p{rng.randrange(persons)}"], "asset": [f"c{i}"], "startDate": ["2020-01-01"]}}) + "\n")
        for i in range(n - 3 * persons):
            f.write(json.dumps({"id": f"pay{i}", "schema": "Payment", "properties": {
                "payer": [f"c{rng.randrange(persons)}"], "beneficiary": [f"c{rng.randrange(persons)}"],
                "amount": [str(rng.randrange(100, 100000))], "currency": ["EUR"],
                "date": [f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"]}}) + "\n")


def write_stix(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    ident = f"identity--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    t = "2026-01-01T00:00:00.000Z"
    objects = [{"type": "identity", "spec_version": "2.1", "id": ident, "created": t, "modified": t,
                "name": "CERT (fictional)", "identity_class": "organization", "x_country": "EE"}]
    malware = f"malware--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    objects.append({"type": "malware", "spec_version": "2.1", "id": malware, "created": t, "modified": t,
                    "name": "FictLocker", "is_family": True, "created_by_ref": ident})
    while len(objects) < n:
        ind = f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        i = len(objects)
        objects.append({"type": "indicator", "spec_version": "2.1", "id": ind, "created": t, "modified": t,
                        "created_by_ref": ident, "pattern_type": "stix", "valid_from": t, "confidence": 70,
                        "pattern": f"[domain-name:value = 'c2-{i}.fict.example'] OR "
                                   f"[ipv4-addr:value = '10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}']"})
        objects.append({"type": "domain-name", "spec_version": "2.1",
                        "id": f"domain-name--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                        "value": f"c2-{i}.fict.example"})
        objects.append({"type": "relationship", "spec_version": "2.1", "created": t, "modified": t,
                        "id": f"relationship--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                        "relationship_type": "indicates", "source_ref": ind, "target_ref": malware})
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.UUID(int=seed, version=4)}",
                                "objects": objects[:n]}), "utf-8")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ftm", type=int, default=20000, help="FtM lines")
    parser.add_argument("--stix", type=int, default=2000, help="STIX objects")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import stix2
    from followthemoney import model

    from netintel.ingest._common import Provenance
    from netintel.ingest.ftm import load_ftm
    from netintel.ingest.stix import load_stix

    folder = Path(tempfile.mkdtemp())
    ftm_path, stix_path = folder / "bench.ftm.json", folder / "bench.stix.json"
    write_ftm(ftm_path, args.ftm, args.seed)
    write_stix(stix_path, args.stix, args.seed)

    def ftm_library():
        with open(ftm_path, encoding="utf-8") as f:
            return sum(1 for line in f if model.get_proxy(json.loads(line), cleaned=False))

    def stix_library():
        objects = json.loads(stix_path.read_text("utf-8"))["objects"]
        return sum(1 for o in objects if stix2.parse(o, allow_custom=True))

    lib_t, _ = timed(ftm_library)
    our_t, batch = timed(lambda: load_ftm(ftm_path, Provenance("Bench", "NL")))
    print(f"FtM  {args.ftm:>8} lines: followthemoney alone {lib_t:7.2f} s ({args.ftm / lib_t:8.0f}/s); "
          f"load_ftm {our_t:7.2f} s ({args.ftm / our_t:8.0f}/s) -> {len(batch.entities)} entities, "
          f"{len(batch.links)} links, {len(batch.events)} events; ratio netintel/library {our_t / lib_t:.2f}")
    lib_t, _ = timed(stix_library)
    our_t, batch = timed(lambda: load_stix(stix_path, Provenance("Bench", "EE")))
    print(f"STIX {args.stix:>8} objects: stix2 alone {lib_t:7.2f} s ({args.stix / lib_t:8.0f}/s); "
          f"load_stix {our_t:7.2f} s ({args.stix / our_t:8.0f}/s) -> {len(batch.entities)} entities, "
          f"{len(batch.links)} links; ratio netintel/library {our_t / lib_t:.2f}")


if __name__ == "__main__":
    main()
