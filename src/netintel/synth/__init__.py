"""Seeded generator of fictional multi-agency cases, person records and graphs, with their truth.

Everything here is invented: names are random combinations of common given names and surnames,
numbers and accounts are made up (valid in form only). Same seed, same output, byte for byte.

- :func:`generate_case` / :class:`Case`: six partner agencies' shares of a case (CSV, XLSX,
  call records, transactions, STIX 2.1, FollowTheMoney) and ``truth/`` (``python -m
  netintel.synth --out data/sample --seed 7`` writes the committed sample).
- :func:`person_records`: person records from several agencies with true identities, for the
  entity-resolution benchmark (10k to 1M records).
- :func:`planted_partition_graph`: LFR-like graphs with planted communities, for the graph
  benchmark.
- :func:`generate_cases`: many small, varied, labelled cases for the typology model.
- :func:`load_truth`, :func:`entity_truth`: a case's truth, and each workspace entity's true
  identity (for tests and benchmarks; analysis code never reads the truth).
- :mod:`netintel.synth.names`: name pools and the variant writers (transliteration, order,
  diacritics, short forms, typing errors, partial dates, phone and IBAN styles).
"""

from .case import CASE_AGENCIES, Case, generate_case
from .graphs import mixing, planted_partition_graph
from .persons import DEFAULT_AGENCIES, AgencyStyle, person_records
from .training import Variation, generate_cases, labelled_communities
from .truth import entity_truth, load_truth

__all__ = ["Case", "generate_case", "CASE_AGENCIES", "person_records", "AgencyStyle", "DEFAULT_AGENCIES",
           "planted_partition_graph", "mixing", "generate_cases", "labelled_communities", "Variation", "load_truth", "entity_truth"]
