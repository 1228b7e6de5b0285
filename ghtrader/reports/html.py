"""One self-contained HTML report per evaluation: tables, embedded PNG plots, provenance and conventions.

Input is the evaluation's ``metrics.json`` content (``ghtrader.evaluation.benchmark``), the table rows
(with latency) and the per-tick equity frames of the backtests. Nothing is fetched at view time: plots
are ``<img src="data:image/png;base64,...">`` so the file can be opened from the Airflow UI link, a mail
or a laptop alike.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ghtrader.reports.plots import calibration_png, confusion_png, equity_png, per_split_png
from ghtrader.store.files import atomic_write

CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}tr.baseline td{color:#555}tr.reference td{font-style:italic}
img{max-width:100%;margin:6px 0 18px}code{font-size:12px}.note{color:#555;font-size:13px}
"""


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v != v:
            return "—"
        return f"{v:,.{digits}f}" if abs(v) < 1e6 else f"{v:,.0f}"
    return html.escape(str(v))


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] | None = None
) -> str:
    head = "".join(
        f'<th class="{"l" if i == 0 else ""}">{html.escape(h)}</th>' for i, h in enumerate(headers)
    )
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{classes[r]}"' if classes else ""
        cells = "".join(f'<td class="{"l" if i == 0 else ""}">{_fmt(v)}</td>' for i, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def metrics_table(table: Sequence[dict[str, Any]]) -> str:
    headers = [
        "predictor",
        "kind",
        "accuracy",
        "± std",
        "macro-F1",
        "± std",
        "log loss",
        "ECE",
        "net PnL",
        "trades",
        "latency µs/row",
        "batch-1 p50 µs",
        "batch-1 p99 µs",
        "train s",
        "thresholds per split",
        "note",
    ]
    rows = [
        [
            r["name"],
            r["kind"],
            r.get("accuracy_mean"),
            r.get("accuracy_std"),
            r.get("macro_f1_mean"),
            r.get("macro_f1_std"),
            r.get("log_loss_mean"),
            r.get("ece_mean"),
            r.get("net_pnl"),
            r.get("trade_count"),
            r.get("latency_us_per_row"),
            r.get("latency_b1_p50_us"),
            r.get("latency_b1_p99_us"),
            r.get("train_seconds"),
            _thresholds(r),
            r.get("reason") or ("" if r.get("available", True) else "unavailable"),
        ]
        for r in table
    ]
    return _table(headers, rows, [r["kind"] for r in table])


def _thresholds(row: dict[str, Any]) -> str | None:
    ths = row.get("thresholds")
    if ths:
        return ", ".join(f"{t:g}" for t in ths) + f" ({row.get('threshold_source')})"
    return row.get("threshold_source")


def decisions_table(decisions: dict[str, Any], splits: Sequence[dict[str, Any]]) -> str:
    """Per model and split: the threshold used on the split's test period, what it was tuned on, why."""
    rows = []
    for name, d in sorted((decisions or {}).items()):
        for p in (d or {}).get("per_split", []):
            tuned_on = p.get("days") or p.get("rows") or []
            if p.get("rows") is not None and tuned_on:
                tuned_on = [f"rows {tuned_on[0]}–{tuned_on[1] - 1}"]
            test = splits[p["split"]]["test"] if p["split"] < len(splits) else []
            rows.append(
                [
                    name,
                    p["split"],
                    p["threshold"],
                    ", ".join(map(str, tuned_on)) or "—",
                    ", ".join(test),
                    p.get("source"),
                ]
            )
    return _table(["model", "split", "threshold", "tuned on", "applied to (test)", "source"], rows)


def backtest_table(backtests: dict[str, dict[str, Any]]) -> str:
    keys = [
        "net_pnl",
        "total_pnl",
        "fees",
        "sharpe",
        "max_drawdown",
        "max_drawdown_pct",
        "turnover_lots",
        "trade_count",
        "round_trips",
        "win_rate",
        "avg_holding_ticks",
    ]
    keys = [k for k in keys if any(k in m for m in backtests.values())]
    rows = [[name, *[m.get(k) for k in keys]] for name, m in backtests.items()]
    return _table(["strategy", *keys], rows)


def provenance_html(metrics: dict[str, Any]) -> str:
    data = metrics["data"]
    unit = metrics.get("split_unit", "days")
    splits = [
        [
            i,
            ", ".join(s["train"])
            if unit == "rows"
            else f"{s['train'][0]} … {s['train'][-1]} ({len(s['train'])} d)",
            ", ".join(s["purge"]),
            ", ".join(s["test"]),
        ]
        for i, s in enumerate(metrics["splits"])
    ]
    hashes = [
        ["data hash", data["data_hash"]],
        ["feature config hash", data["features"]["config_hash"]],
        ["feature schema hash", data["features"]["schema_hash"]],
        ["label config hash", data["labels"]["config_hash"]],
        ["tick schema hash", data["tick_schema_hash"]],
        ["main_l5 schema hash", data["main_l5_schema_hash"]],
    ]
    manifests = [[d, data["features"]["manifests"][d], data["labels"]["manifests"][d]] for d in data["days"]]
    runs = [[n, p] for n, p in metrics.get("runs", {}).items()]
    return (
        f"<p>{len(data['days'])} trading days {data['days'][0]} … {data['days'][-1]}</p>"
        + _table(["split", "train", "purge", "test"], splits)
        + _table(["hash", "value"], hashes)
        + _table(["run", "directory (under runs/)"], runs)
        + "<details><summary>partition manifests (sha256 of _manifest.json)</summary>"
        + _table(["day", "features", "labels"], manifests)
        + "</details>"
    )


def write_report(
    path: Path,
    metrics: dict[str, Any],
    table: Sequence[dict[str, Any]],
    equity: dict[str, pd.DataFrame],
    links: dict[str, str] | None = None,
) -> Path:
    """Render the report for one evaluation to ``path`` (atomically); return ``path``.

    ``links``: related reports (title -> href relative to ``path``), e.g. the symbol's factor report.
    """
    scores = metrics["scores"]
    base = metrics["baselines"]
    predictors = {
        **{n: s for n, s in scores.items()},
        **{
            n: {"per_split": b["per_split"], "pooled": b["pooled"]} for n, b in base.items() if b["available"]
        },
    }
    per_split = {n: [s.get("macro_f1") for s in p["per_split"]] for n, p in predictors.items()}
    log_loss = {n: [s.get("log_loss") for s in p["per_split"]] for n, p in scores.items()}
    pnl = metrics.get("backtests_per_split") or {}
    calibration = {n: p["pooled"].get("calibration") for n, p in predictors.items()}
    confusion = {n: p["pooled"]["confusion"] for n, p in predictors.items() if n != "majority"}
    cfg = metrics["config"]
    sig = metrics["signal"]
    title = f"ghTrader evaluation {metrics['eval_id']} — {metrics['symbol']} h={metrics['horizon']}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        "<h2>Classification (walk-forward, mean ± std over splits)</h2>",
        metrics_table(table),
        "<p class='note'>Classes DOWN/FLAT/UP of the mid move over "
        f"{metrics['horizon']} ticks (±k ticks is FLAT). Predicted class = argmax. Macro-F1 averages the three "
        "per-class F1. ECE: equal-width bins of the max probability. Majority: most frequent train class, "
        "with the train class frequencies as probabilities. Oracle: the sim's latent expected mid change "
        "classified with the label thresholds (no probabilities, so no log loss / ECE). "
        f"Training rows: every {cfg['train_stride']}th labelled row of the train days; "
        "latency: one predict_proba batch, best of 3.</p>",
        "<h2>Backtest (tier 1, concatenated test days)</h2>",
        backtest_table(metrics["backtests"]),
        f"<p class='note'>Signal: long when p_up − p_down &gt; threshold, short below −threshold, "
        f"{'hold otherwise' if sig['hold'] else 'flat otherwise'} (max {sig['max_pos']} lot). "
        + _threshold_note(sig, metrics.get("decisions") or {})
        + "Fills at the opposite best, no partial fills, fees from the contract data, flat before each roll"
        f"{' and each day end' if metrics['backtest'].get('flatten_daily') else ''}. "
        "Sharpe from daily net PnL.</p>",
        "<h2>Backtest: tier 1 vs tier 2 (queue position, latency)</h2>",
        _tiers_section(metrics),
        "<h2>Equity curve</h2>",
        _img(equity_png(equity), "equity curve"),
        "<h2>Calibration</h2>",
        _img(calibration_png(calibration), "calibration diagram"),
        "<h2>Confusion matrices (pooled test rows, row-normalized)</h2>",
        _img(confusion_png(confusion), "confusion matrix"),
        "<h2>Per-split metrics</h2>",
        _img(per_split_png(per_split), "per-split macro-F1"),
        _img(per_split_png(log_loss, "log loss"), "per-split log loss"),
        *([_img(per_split_png(pnl, "net PnL (CNY)"), "per-split net PnL")] if pnl else []),
        "<h2>Decision thresholds (source of each tuned value)</h2>",
        decisions_table(metrics.get("decisions") or {}, metrics["splits"]),
        "<h2>Data provenance</h2>",
        provenance_html(metrics),
        *(
            ["<h2>Related reports</h2><ul>"]
            + [f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>' for t, h in links.items()]
            + ["</ul>"]
            if links
            else []
        ),
        "<h2>Configuration</h2>",
        f"<pre>{html.escape(_json(cfg | {'models': metrics['models']}))}</pre>",
        "</body></html>",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, "\n".join(parts).encode(), durable=False)
    return path


def _threshold_note(sig: dict[str, Any], decisions: dict[str, Any]) -> str:
    """Where each model's threshold came from: fixed by the caller, or tuned per split in its train days."""
    if sig.get("threshold") is not None:
        return f"Threshold {sig['threshold']} fixed by the caller for every model and split. "
    parts = []
    for name, d in sorted(decisions.items()):
        if not d:
            continue
        per = ", ".join(f"{p['threshold']:g}" for p in d.get("per_split", []))
        parts.append(f"{html.escape(name)}: [{per}]")
    return (
        "Thresholds tuned inside each training fold (grid, best net PnL on out-of-sample predictions of "
        "that split's training period only (days, or the inner tail rows for row-block splits); never on "
        "the split evaluated; see the decision table below), per split: " + ("; ".join(parts) or "n/a") + ". "
    )


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, sort_keys=True, default=str)


def _tiers_section(metrics: dict[str, Any]) -> str:
    from ghtrader.reports.tiers import tiers_section

    return tiers_section(metrics)
