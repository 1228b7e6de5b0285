"""One DAG per variety (ghtrader_cu, ghtrader_au, ghtrader_ag) from one factory.

ingest (one mapped task per contract, pool ``tqsdk``) -> gx_ticks (one Great Expectations gate over
every ingested contract: one batched validation, one Data Docs site) -> schedule -> main_l5 -> gx_main_l5 -> build -> gx_dataset -> train (one mapped task per
model) -> evaluate -> promote. A failing gate fails its task and nothing downstream runs. Each task calls one step
function (``ghtrader.pipeline.steps`` / ``gx_steps`` / ``model_steps``) through ``run_step`` (bad input fails at
once, without retries); heavy imports happen inside
tasks, nothing expensive at parse time; tasks pass small dicts of paths and counts, never data.

Concurrency: every task but ingest takes the 1-slot pool ``ghtrader_<var>``, so two runs of one
variety (a backfill, a manual trigger during the nightly run) never interleave writes to the same
schedule/main_l5/features/runs outputs; ingest takes the ``tqsdk`` pool (API concurrency) and the
store's per-symbol lock. ``promote`` ends *skipped* when the champion is kept.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, dag, task

from ghtrader.pipeline.airflow_tasks import MAP_INDEX_TEMPLATE, run_step
from ghtrader.pipeline.alerts import on_failure

VARIETIES = ("cu", "au", "ag")
MODELS = "logistic,lgbm,xgboost,tcn"  # ghtrader.pipeline.steps.DEFAULT_MODELS (kept import-free here)
DEFAULT_ARGS = {
    "owner": "ghtrader",
    "retries": 2,  # transient failures only: bad input / failed gates fail at once (run_step)
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "execution_timeout": dt.timedelta(hours=1),
    "on_failure_callback": on_failure,
}
DOC_MD = """
### ghTrader pipeline: SHFE `{var}`

`resolve` (validates params, fails in seconds) -> `plan` -> `ingest` (one per contract, pool `tqsdk`)
-> `gx_ticks` -> `schedule` -> `main_l5` -> `gx_main_l5` -> `build` -> `gx_dataset` -> `train`
(one per model) -> `evaluate` -> `promote` (**skipped** = champion kept; reasons in its log and on
the ghTrader dashboard).

* Params: empty `start`/`end` = the 20 trading days ending at the run's logical date, so a backfill
  run processes its own date's window. `min_tier2_net_pnl` (default 0; null = off): the candidate's
  tier-2 net PnL after fees (queue position, latency) must reach it to be promoted.
* Reports: the **ghTrader** dashboard (top navigation) lists every run with DQ, metrics, promotion.
* Backfill: `airflow backfill create --dag-id ghtrader_{var} --from-date A --to-date B
  --max-active-runs 1` (runs of one variety are also serialized by the `ghtrader_{var}` pool).
* Alerts: task/run failures and timeouts POST JSON to `GHTRADER_ALERT_WEBHOOK_URL`.
"""
PARAMS = {
    "start": Param(
        "", type="string", description="first trading day (YYYY-MM-DD); empty: window_days ending at end"
    ),
    "window_days": Param(
        20, type="integer", minimum=1, description="trading days per run when start is empty"
    ),
    "end": Param("", type="string", description="last trading day; empty: the run's logical date"),
    "source": Param("sim", enum=["sim", "tqsdk"], description="tick source"),
    "seed": Param(20250303, type="integer", description="sim seed"),
    "horizon": Param(50, type="integer", description="label horizon (ticks) for training"),
    "feature_set": Param(
        "core",
        type="string",
        description="named factor set to build and train on: core | full | full_x | full_xp (au/ag)",
    ),
    "n_splits": Param(5, type="integer", description="walk-forward splits"),
    "min_train_days": Param(5, type="integer", description="trading days in the first training window"),
    "symbols": Param("", type="string", description="comma-separated contracts to ingest; empty: all listed"),
    "models": Param(MODELS, type="string", description="comma-separated models to train and compare"),
    "model_params": Param(
        "",
        type="string",
        description='JSON {"model": {"param": value}}; empty: quick defaults (deep epochs/windows capped)',
    ),
    "min_tier2_net_pnl": Param(
        0.0,  # ghtrader.promotion.gates.NIGHTLY_MIN_TIER2_NET_PNL (kept import-free here)
        type=["null", "number"],
        description="promotion gate: min tier-2 net PnL (CNY, after fees) of the candidate; null: off",
    ),
    "data_dir": Param("", type="string", description="data dir; empty: GHTRADER_DATA_DIR or ./data"),
    "runs_dir": Param("", type="string", description="runs dir; empty: GHTRADER_RUNS_DIR or ./runs"),
}


def _run_time(context: dict):  # noqa: ANN202
    """The run's logical date; manual runs in Airflow 3 may have none, then the time they were queued for."""
    return context.get("logical_date") or context["dag_run"].run_after


def _all(mapped):  # noqa: ANN001, ANN202
    """Every result of a mapped task in one read: iterating the lazy sequence item by item reads one
    past the end and Airflow logs that 404 as an "XCom not found" error line."""
    try:
        return list(mapped[:])
    except TypeError:  # a runner without sequence slices: item by item (logs that one 404)
        return list(mapped)


def make_dag(var: str):  # noqa: ANN201 - returns an Airflow DAG
    @dag(
        dag_id=f"ghtrader_{var}",
        description=f"SHFE {var}: ingest -> schedule -> main_l5 -> build -> train -> evaluate -> promote",
        schedule="0 16 * * 1-5",  # after the 15:00 close, Beijing time
        start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=dt.timedelta(hours=6),
        on_failure_callback=on_failure,
        default_args=DEFAULT_ARGS | {"pool": f"ghtrader_{var}"},
        params=PARAMS,
        tags=["ghtrader", var],
        doc_md=DOC_MD.format(var=var),
    )
    def pipeline() -> None:
        @task
        def resolve(**context) -> dict:  # noqa: ANN003
            from ghtrader.pipeline.steps import resolve_spec

            return run_step(resolve_spec, var, dict(context["params"]), _run_time(context).date())

        @task
        def plan(spec: dict) -> list[str]:
            from ghtrader.pipeline.steps import RunSpec, plan_contracts

            return run_step(plan_contracts, RunSpec.from_params(spec))

        @task(pool="tqsdk", queue="tqsdk", max_active_tis_per_dagrun=4, map_index_template=MAP_INDEX_TEMPLATE)
        def ingest(spec: dict, symbol: str) -> dict:
            from ghtrader.pipeline.steps import RunSpec, ingest_contract

            return run_step(ingest_contract, RunSpec.from_params(spec), symbol, label=symbol)

        @task
        def gx_ticks(spec: dict, ingested: list[dict]) -> dict:
            from ghtrader.pipeline.gx_steps import gx_ticks
            from ghtrader.pipeline.steps import RunSpec

            return run_step(gx_ticks, RunSpec.from_params(spec), [i["symbol"] for i in _all(ingested)])

        @task
        def schedule(spec: dict, _checked: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, schedule

            return run_step(schedule, RunSpec.from_params(spec))

        @task
        def main_l5(spec: dict, _schedule: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, main_l5

            return run_step(main_l5, RunSpec.from_params(spec))

        @task
        def gx_main_l5(spec: dict, _main: dict) -> dict:
            from ghtrader.pipeline.gx_steps import gx_main_l5
            from ghtrader.pipeline.steps import RunSpec

            return run_step(gx_main_l5, RunSpec.from_params(spec))

        @task
        def gx_dataset(spec: dict, _built: dict) -> dict:
            from ghtrader.pipeline.gx_steps import gx_dataset
            from ghtrader.pipeline.steps import RunSpec

            return run_step(gx_dataset, RunSpec.from_params(spec))

        @task
        def build(spec: dict, _main: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, build

            return run_step(build, RunSpec.from_params(spec))

        @task
        def model_list(spec: dict) -> list[str]:
            """The models of this run (DAG param ``models``), one mapped train task each."""
            from ghtrader.pipeline.steps import RunSpec

            return list(RunSpec.from_params(spec).models)

        @task(map_index_template=MAP_INDEX_TEMPLATE)
        def train(spec: dict, model: str, _built: dict) -> dict:
            from ghtrader.pipeline.model_steps import train
            from ghtrader.pipeline.steps import RunSpec

            return run_step(train, RunSpec.from_params(spec), model, label=model)

        @task
        def evaluate(spec: dict, trained: list[dict]) -> dict:
            from ghtrader.pipeline.model_steps import evaluate
            from ghtrader.pipeline.steps import RunSpec

            return run_step(evaluate, RunSpec.from_params(spec), _all(trained))

        @task
        def promote(spec: dict, evaluation: dict, **context) -> dict:  # noqa: ANN003
            from ghtrader.pipeline.airflow_tasks import verdict
            from ghtrader.pipeline.model_steps import promote
            from ghtrader.pipeline.steps import RunSpec

            decided_at = _run_time(context).isoformat()
            return verdict(run_step(promote, RunSpec.from_params(spec), evaluation, decided_at=decided_at))

        spec = resolve()
        contracts = plan(spec)
        ingested = ingest.partial(spec=spec).expand(symbol=contracts)
        checked = gx_ticks(spec, ingested)
        main = main_l5(spec, schedule(spec, checked))
        built = build(spec, gx_main_l5(spec, main))
        trained = train.partial(spec=spec, _built=gx_dataset(spec, built)).expand(model=model_list(spec))
        promote(spec, evaluate(spec, trained))

    return pipeline()


for _var in VARIETIES:
    globals()[f"ghtrader_{_var}"] = make_dag(_var)
