"""Tick stores: the Parquet lake v2 (``ghtrader.store.lake``), its ingest pipeline (``ghtrader.store.ingest``)
and the quarantine sink for rejected rows."""

from ghtrader.store.base import PartitionInfo, TickStore, WriteMode
from ghtrader.store.lake import ParquetLake

__all__ = ["ParquetLake", "PartitionInfo", "TickStore", "WriteMode"]
