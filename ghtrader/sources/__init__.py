"""Tick sources behind one interface: ``sim`` (embedded default), ``csv`` and ``tqsdk``."""
