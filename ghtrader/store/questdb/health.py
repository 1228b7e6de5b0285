"""``ghtrader db questdb-health``: is ILP/HTTP answering, is PGWire answering, which version, which tables."""

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

    @property
    def ok(self) -> bool:
        return self.ilp_ok and self.pg_ok

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def check_ilp(config: QuestDbConfig) -> tuple[bool, str]:
    """``GET /ping`` on the HTTP port (QuestDB answers 204 when ILP/HTTP is ready; basic auth if enabled)."""
    try:
        probe_tcp(config.host, config.ilp_port, "ILP/HTTP", config.connect_timeout_s)
        token = base64.b64encode(f"{config.user}:{config.password.get_secret_value()}".encode()).decode()
        req = urllib.request.Request(
            f"http://{config.ilp_addr}/ping", headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(req, timeout=config.connect_timeout_s) as r:
            version = r.headers.get("X-Influxdb-Version") or ""
            return r.status in (200, 204), f"HTTP {r.status} {version}".strip()
    except QuestDbUnavailable as exc:
        return False, str(exc)
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code} from /ping"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"/ping failed: {exc}"


def table_names(pg: PgClient) -> set[str]:
    """Names of existing tables (``tables()`` calls the column ``table_name``, older servers ``name``)."""
    cols, rows = pg.query("SELECT * FROM tables()")
    key = cols.index("table_name") if "table_name" in cols else cols.index("name")
    return {str(r[key]) for r in rows}


def check_health(config: QuestDbConfig) -> HealthReport:
    """Probe both endpoints; never raises for a down server (the report says so)."""
    import psycopg

    ilp_ok, ilp_detail = check_ilp(config)
    pg = PgClient(config)
    try:
        _, rows = pg.query("SELECT build()")
        version = str(rows[0][0]) if rows else None
        existing = table_names(pg)
        tables = {s.name: s.name in existing for s in all_tables(config.table_prefix)}
        return HealthReport(
            config.ilp_addr, ilp_ok, ilp_detail, config.pg_addr, True, "SELECT build() ok", version, tables
        )
    except (QuestDbUnavailable, psycopg.Error) as exc:
        return HealthReport(config.ilp_addr, ilp_ok, ilp_detail, config.pg_addr, False, str(exc))
    finally:
        pg.close()
