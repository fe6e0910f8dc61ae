"""The OASIS STIX 2.1 JSON schemas, loaded locally (CI lays them at ../shared/validation/)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "validation" / "stix2-json-schemas" / "schemas"


@lru_cache(maxsize=1)
def _load() -> tuple[Registry, dict[str, dict]]:
    if not (SCHEMAS / "common" / "core.json").is_file():
        raise FileNotFoundError(f"the OASIS STIX 2.1 schemas are not at {SCHEMAS}: the project expects the shared "
                                "validation data beside its folder (../shared/validation/stix2-json-schemas)")
    registry = Registry()
    by_name = {}
    for path in SCHEMAS.rglob("*.json"):
        doc = json.loads(path.read_text("utf-8"))
        registry = registry.with_resource(doc["$id"], Resource.from_contents(doc))
        by_name[path.relative_to(SCHEMAS).as_posix()] = doc
    return registry, by_name


def schema_errors(obj: dict) -> list[str]:
    """What the OASIS schema of the object's type (or the common core, for an extension's new SDO) rejects."""
    registry, by_name = _load()
    schema = next((by_name[f"{d}/{obj['type']}.json"] for d in ("sdos", "sros", "observables", "common")
                   if f"{d}/{obj['type']}.json" in by_name), by_name["common/core.json"])
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    return [e.message for e in validator.iter_errors(obj)]
