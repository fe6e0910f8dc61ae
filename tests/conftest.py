"""Shared by every test: the hypothesis profiles (see :mod:`hypothesis_profiles`)."""

import hypothesis_profiles  # noqa: F401  (registers and loads the profile before any test module is imported)
