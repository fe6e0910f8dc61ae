"""Command-line values that name a country: one check (:func:`netintel.handling.country_code`) for all."""

from __future__ import annotations

import argparse
from typing import Callable

from ..errors import CountryCodeError
from ..handling import country_code

__all__ = ["country_arg"]


def country_arg(what: str) -> Callable[[str], str]:
    """An argparse ``type=`` that accepts an ISO 3166-1 alpha-2 code (any case) and refuses anything
    else with a message naming the value and what is accepted (argparse exits with status 2)."""

    def parse(value: str) -> str:
        try:
            return country_code(value, what=what)
        except CountryCodeError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = what  # argparse names the type in some messages
    return parse
