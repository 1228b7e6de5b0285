"""The ``ghtrader`` command line (SPEC §8)."""
