"""Many small labelled cases for training and testing the typology classifier.

Each case is a :class:`~netintel.synth.case.Case` whose world departs from the standard one at
random: which planted groups exist, how large they are, which of their tell-tale features are
missing (vehicles, border cells, hawala payments, front companies, vessels, shipment bursts, the
CERT's report, money mules, the launderer's clients, police associations), at which hours they
call, and whether circles of ordinary people are labelled as communities of typology ``other``.
A money-laundering network without clients is a pure ``money_laundering`` community. A
classifier has to learn what the groups do, not memorise one case.

Examples
--------
>>> cases = generate_cases(2, seed=5)
>>> len(cases), all(set(c.truth["communities"].typology) <= set(TYPOLOGIES) for c in cases)
(2, True)
>>> labelled_communities(cases).columns.tolist()
['case', 'seed', 'community', 'typology', 'n_persons', 'n_entities']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._world import PROFILE_NAMES, Variation
from .case import Case, generate_case

__all__ = ["Variation", "TYPOLOGIES", "FEATURES", "random_variation", "generate_cases", "labelled_communities"]

#: The typologies a community is labelled with.
TYPOLOGIES = ("drug_trafficking", "human_smuggling", "cybercrime", "money_laundering", "other")
#: The features a :class:`Variation` may leave out.
FEATURES = ("vehicles", "border_cells", "hawala", "front_companies", "vessels", "bursts", "stix", "mules",
            "ml_clients", "assoc")
_TEMPLATES = ("human_smuggling", "drug_trafficking", "cybercrime", "money_laundering")


def random_variation(rng: np.random.Generator) -> Variation:
    """A random departure from the standard case (see the module docstring)."""
    templates = tuple(t for t in _TEMPLATES if rng.random() < 0.6)
    if not templates:
        templates = (_TEMPLATES[int(rng.integers(0, len(_TEMPLATES)))],)
    size = tuple((t, float(rng.uniform(0.5, 1.8))) for t in _TEMPLATES + ("other",))
    drop = frozenset(f for f in FEATURES if rng.random() < 0.3)
    profiles = tuple((t, str(PROFILE_NAMES[int(rng.integers(0, len(PROFILE_NAMES)))]))
                     for t in _TEMPLATES + ("other",) if rng.random() < 0.2)
    return Variation(size=size, drop=drop, templates=templates, n_other=int(rng.integers(0, 4)),
                     background=float(rng.uniform(0.3, 0.9)), label_background=bool(rng.random() < 0.7),
                     profiles=profiles)


def generate_cases(n: int, *, seed: int, malformed: bool = False, progress: bool = False) -> list[Case]:
    """``n`` small cases, each with its own random :class:`Variation` and seed.

    The same ``seed`` gives the same cases; case ``i`` uses seed ``seed * 10_000 + i``, so
    training and test sets drawn with different seeds never share a case.
    """
    rng = np.random.default_rng([seed, 20_261_129])
    variations = [random_variation(rng) for _ in range(n)]
    it = range(n)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="cases")
    return [generate_case(seed=seed * 10_000 + i, malformed=malformed, variation=variations[i]) for i in it]


def labelled_communities(cases: list[Case]) -> pd.DataFrame:
    """One row per planted community of ``cases``: case index, seed, community, typology, size."""
    rows = []
    for i, case in enumerate(cases):
        ent = case.truth["entities"]
        for c in case.truth["communities"].itertuples():
            members = ent[ent.community == c.community]
            rows.append({"case": i, "seed": case.seed, "community": c.community, "typology": c.typology,
                         "n_persons": int((members.kind == "person").sum()), "n_entities": len(members)})
    return pd.DataFrame(rows, columns=["case", "seed", "community", "typology", "n_persons", "n_entities"])
