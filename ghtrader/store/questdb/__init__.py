"""QuestDB backend (canonical tick store in production): DDL, ILP batches, PGWire reads, lake sync.

Import the submodules directly; ``questdb`` and ``psycopg`` are imported only where a server is used.
"""
