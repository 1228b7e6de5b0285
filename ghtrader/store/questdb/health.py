"""``ghtrader db questdb-health``: can we write over ILP/HTTP and log in over PGWire, which version, which tables.

Trap: ``GET /ping`` answers 204 without checking credentials, so it proves nothing about a write.
The ILP check is an authenticated *empty* ``POST /write`` (a no-op that QuestDB answers 204 only
for a valid login, 401 otherwise); PGWire is checked by logging in with the configured user.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

from ghtrader.store.questdb.conn import QuestDbConfig, QuestDbUnavailable, probe_tcp
from ghtrader.store.questdb.ddl import all_tables
from ghtrader.store.questdb.pg import PgClient


@dataclass(frozen=True)
class HealthReport:
    ilp_addr: str
    ilp_ok: bool
    ilp_detail: str
    pg_addr: str
    pg_ok: bool
    pg_detail: str
    version: str | None = None
    tables: dict[str, bool] = field(default_factory=dict)
    require_tables: bool = True

    @property
    def missing_tables(self) -> list[str]:
        return [name for name, present in self.tables.items() if not present]

    def problems(self) -> list[str]:
        """Why the check failed (empty when healthy)."""
        out = []
        if not self.ilp_ok:
            out.append(f"ILP/HTTP {self.ilp_addr}: {self.ilp_detail}")
        if not self.pg_ok:
            out.append(f"PGWire {self.pg_addr}: {self.pg_detail}")
        elif self.require_tables and self.missing_tables:
            out.append(f"missing tables {', '.join(self.missing_tables)} (run `ghtrader db questdb-init`)")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        problems = self.problems()
        return asdict(self) | {"ok": not problems, "error": "; ".join(problems) or None}


def check_ilp(config: QuestDbConfig) -> tuple[bool, str]:
    """An authenticated empty ``POST /write`` (ILP/HTTP): 204 only when the login is accepted."""
    try:
        probe_tcp(config.host, config.ilp_port, "ILP/HTTP", config.connect_timeout_s)
        token = base64.b64encode(f"{config.user}:{config.password.get_secret_value()}".encode()).decode()
        req = urllib.request.Request(
            f"http://{config.ilp_addr}/write?precision=n",
            data=b"",
            method="POST",
            headers={"Authorization": f"Basic {token}"},
        )
        with urllib.request.urlopen(req, timeout=config.connect_timeout_s) as r:
            return r.status in (200, 204), f"authenticated no-op write as {config.user}: HTTP {r.status}"
    except QuestDbUnavailable as exc:
        return False, str(exc)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return False, f"HTTP {exc.code}: QuestDB rejected the login of {config.user} for ILP writes"
        return False, f"HTTP {exc.code} from /write"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"/write failed: {exc}"


def table_names(pg: PgClient) -> set[str]:
    """Names of existing tables (``tables()`` calls the column ``table_name``, older servers ``name``)."""
    cols, rows = pg.query("SELECT * FROM tables()")
    key = cols.index("table_name") if "table_name" in cols else cols.index("name")
    return {str(r[key]) for r in rows}


def check_health(config: QuestDbConfig, *, require_tables: bool = True) -> HealthReport:
    """Probe both endpoints and the tables; never raises for a down server (the report says so)."""
    import psycopg

    ilp_ok, ilp_detail = check_ilp(config)
    pg = PgClient(config)
    try:
        _, rows = pg.query("SELECT build()")
        version = str(rows[0][0]) if rows else None
        existing = table_names(pg)
        tables = {s.name: s.name in existing for s in all_tables(config.table_prefix)}
        return HealthReport(
            config.ilp_addr,
            ilp_ok,
            ilp_detail,
            config.pg_addr,
            True,
            f"logged in as {config.user}, SELECT build() ok",
            version,
            tables,
            require_tables,
        )
    except (QuestDbUnavailable, psycopg.Error) as exc:
        return HealthReport(
            config.ilp_addr,
            ilp_ok,
            ilp_detail,
            config.pg_addr,
            False,
            str(exc),
            require_tables=require_tables,
        )
    finally:
        pg.close()
