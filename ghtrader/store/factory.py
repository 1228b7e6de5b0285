"""Choose the tick store from settings: the Parquet lake, or QuestDB + lake mirror in production."""

from __future__ import annotations

from ghtrader.config import Settings
from ghtrader.store.base import TickStore
from ghtrader.store.lake import ParquetLake


def open_store(settings: Settings) -> TickStore:
    """``ParquetLake`` when ``GHTRADER_QUESTDB_HOST`` is unset, else ``DualStore(QuestDB, lake)``.

    Opening never contacts the server; the first read or write does, and fails fast with a
    ``QuestDbUnavailable`` (a ``ConnectionError``) naming ``host:port`` when it is down.
    """
    lake = ParquetLake(settings.lake_dir)
    if not settings.questdb_host:
        return lake
    from ghtrader.store.questdb.backend import QuestDbStore
    from ghtrader.store.questdb.conn import QuestDbConfig
    from ghtrader.store.questdb.dual import DualStore

    return DualStore(QuestDbStore(QuestDbConfig.from_settings(settings)), lake)
