"""Seeded generator of fictional cases."""
