"""One DAG per variety (ghtrader_cu, ghtrader_au, ghtrader_ag) from one factory.

ingest (one mapped task per contract, pool ``tqsdk``) -> gx_ticks (Great Expectations gate per
contract) -> schedule -> main_l5 -> gx_main_l5 -> build -> gx_dataset -> train (one mapped task per
model) -> evaluate -> promote. A failing gate fails its task and nothing downstream runs. Each task calls one ``ghtrader.pipeline.steps``
function; heavy imports happen inside tasks, nothing expensive at parse time; tasks pass small
dicts of paths and counts, never data.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, dag, task

VARIETIES = ("cu", "au", "ag")
MODELS = "logistic,lgbm,xgboost,tcn"  # ghtrader.pipeline.steps.DEFAULT_MODELS (kept import-free here)
DEFAULT_ARGS = {
    "owner": "ghtrader",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
}
PARAMS = {
    "start": Param(
        "", type="string", description="first trading day (YYYY-MM-DD); empty: 20 days before end"
    ),
    "end": Param("", type="string", description="last trading day; empty: the run's logical date"),
    "source": Param("sim", enum=["sim", "tqsdk"], description="tick source"),
    "seed": Param(20250303, type="integer", description="sim seed"),
    "horizon": Param(50, type="integer", description="label horizon (ticks) for training"),
    "n_splits": Param(5, type="integer", description="walk-forward splits"),
    "min_train_days": Param(5, type="integer", description="trading days in the first training window"),
    "symbols": Param("", type="string", description="comma-separated contracts to ingest; empty: all listed"),
    "models": Param(MODELS, type="string", description="comma-separated models to train and compare"),
    "model_params": Param(
        "",
        type="string",
        description='JSON {"model": {"param": value}}; empty: quick defaults (deep epochs/windows capped)',
    ),
    "data_dir": Param("", type="string", description="data dir; empty: GHTRADER_DATA_DIR or ./data"),
    "runs_dir": Param("", type="string", description="runs dir; empty: GHTRADER_RUNS_DIR or ./runs"),
}


def _run_time(context: dict):  # noqa: ANN202
    """The run's logical date; manual runs in Airflow 3 may have none, then the time they were queued for."""
    return context.get("logical_date") or context["dag_run"].run_after


def make_dag(var: str):  # noqa: ANN201 - returns an Airflow DAG
    @dag(
        dag_id=f"ghtrader_{var}",
        description=f"SHFE {var}: ingest -> schedule -> main_l5 -> build -> train -> evaluate -> promote",
        schedule="0 16 * * 1-5",  # after the 15:00 close, Beijing time
        start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params=PARAMS,
        tags=["ghtrader", var],
    )
    def pipeline() -> None:
        @task
        def resolve(**context) -> dict:  # noqa: ANN003
            from ghtrader.pipeline.steps import resolve_spec

            return resolve_spec(var, dict(context["params"]), _run_time(context).date())

        @task
        def plan(spec: dict) -> list[str]:
            from ghtrader.pipeline.steps import RunSpec, plan_contracts

            return plan_contracts(RunSpec.from_params(spec))

        @task(pool="tqsdk", max_active_tis_per_dagrun=4)
        def ingest(spec: dict, symbol: str) -> dict:
            from ghtrader.pipeline.steps import RunSpec, ingest_contract

            return ingest_contract(RunSpec.from_params(spec), symbol)

        @task
        def gx_ticks(spec: dict, symbol: str) -> dict:
            from ghtrader.pipeline.steps import RunSpec, gx_ticks

            return gx_ticks(RunSpec.from_params(spec), symbol)

        @task
        def schedule(spec: dict, _ingested: list[dict]) -> dict:
            from ghtrader.pipeline.steps import RunSpec, schedule

            return schedule(RunSpec.from_params(spec))

        @task
        def main_l5(spec: dict, _schedule: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, main_l5

            return main_l5(RunSpec.from_params(spec))

        @task
        def gx_main_l5(spec: dict, _main: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, gx_main_l5

            return gx_main_l5(RunSpec.from_params(spec))

        @task
        def gx_dataset(spec: dict, _built: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, gx_dataset

            return gx_dataset(RunSpec.from_params(spec))

        @task
        def build(spec: dict, _main: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, build

            return build(RunSpec.from_params(spec))

        @task
        def model_list(spec: dict) -> list[str]:
            """The models of this run (DAG param ``models``), one mapped train task each."""
            from ghtrader.pipeline.steps import RunSpec

            return list(RunSpec.from_params(spec).models)

        @task
        def train(spec: dict, model: str, _built: dict) -> dict:
            from ghtrader.pipeline.steps import RunSpec, train

            return train(RunSpec.from_params(spec), model)

        @task
        def evaluate(spec: dict, trained: list[dict]) -> dict:
            from ghtrader.pipeline.steps import RunSpec, evaluate

            return evaluate(RunSpec.from_params(spec), list(trained))

        @task
        def promote(spec: dict, evaluation: dict, **context) -> dict:  # noqa: ANN003
            from ghtrader.pipeline.steps import RunSpec, promote

            return promote(RunSpec.from_params(spec), evaluation, decided_at=_run_time(context).isoformat())

        spec = resolve()
        contracts = plan(spec)
        ingested = ingest.partial(spec=spec).expand(symbol=contracts)
        checked = gx_ticks.partial(spec=spec).expand(symbol=contracts)
        ingested >> checked
        main = main_l5(spec, schedule(spec, checked))
        built = build(spec, gx_main_l5(spec, main))
        trained = train.partial(spec=spec, _built=gx_dataset(spec, built)).expand(model=model_list(spec))
        promote(spec, evaluate(spec, trained))

    return pipeline()


for _var in VARIETIES:
    globals()[f"ghtrader_{_var}"] = make_dag(_var)
