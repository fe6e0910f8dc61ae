"""An independent case simulator, for validating netintel on data its generator did not write.

:mod:`netintel.synth` plants the same scenario templates every time; accuracy measured only on it
shows that netintel finds what its own authors imagined. This package is written separately,
from published descriptions of how such groups operate, with its own people, naming and
numbering habits, group shapes and reporting patterns, and it writes what partners really send:

* :func:`simulate_case` — a multi-agency case with four planted groups (cocaine through a port,
  a migrant-smuggling route, a ransomware crew, a professional laundering network) among
  ordinary people: FollowTheMoney files from several police agencies (one of them a CSV export
  with an offence column), an FIU's payments in FtM, a CERT's STIX 2.1 bundle and an intercept
  CDR CSV, with the truth written beside them (``truth/``).
* :func:`simulate_calls` — call records of a population with handsets numbered as bare
  integers, over any span (10 days, 6 months), with planted handset switches, some of them by
  a whole group at once.

Used by tests and benchmarks only; analysis code never imports it. Every draw comes from one
seeded generator: same seed, same files, byte for byte.
"""

from .case import SimCase, simulate_case
from .cdr import SimCalls, simulate_calls

__all__ = ["SimCase", "simulate_case", "SimCalls", "simulate_calls"]
