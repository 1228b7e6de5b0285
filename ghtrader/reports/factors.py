"""The factor analysis report: one self-contained HTML (embedded PNG plots) plus ``factors.json``.

Written under ``runs_dir/reports/factors/<symbol>/<report_id>/`` so the Airflow UI's report index
(``ghtrader.pipeline.web``) lists it next to the evaluation reports; the id derives from the set hash,
the days and the analysis settings, so a rerun on the same data rewrites the same directory.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.reports.html import CSS, _fmt, _img, _table
from ghtrader.reports.plots import _encode, _figure
from ghtrader.store.files import atomic_write


def report_dir(runs_dir: Path, symbol: str, report_id: str) -> Path:
    if not symbol or "/" in symbol or symbol.startswith("."):
        raise ValueError(f"invalid symbol {symbol!r} for a runs path")
    return Path(runs_dir) / "reports" / "factors" / symbol / report_id


def latest_report(runs_dir: Path, symbol: str) -> Path | None:
    """The newest factor report of ``symbol`` (for links from other reports), or None."""
    base = Path(runs_dir) / "reports" / "factors" / symbol
    found = sorted(base.glob("*/report.html"), key=lambda p: p.stat().st_mtime) if base.is_dir() else []
    return found[-1] if found else None


def _top_png(res: dict[str, Any]) -> str:
    top = res["top"][::-1]
    by = {r["name"]: r for r in res["factors"]}
    fig, axes = _figure(9, max(3.0, 0.28 * len(top) + 1))
    ax = axes[0][0]
    width = 0.8 / len(res["horizons"])
    for i, h in enumerate(res["horizons"]):
        vals = [by[n]["rank_ic"][str(h)] or 0.0 for n in top]
        ax.barh(np.arange(len(top)) + i * width, vals, width, label=f"h={h}")
    ax.set_yticks(np.arange(len(top)) + 0.4 - width / 2, top, fontsize=7)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel("rank-IC (Spearman with the forward mid log-return)")
    ax.set_title(f"Top factors by |rank-IC| at h={res['main_horizon']}")
    ax.legend(fontsize=8)
    return _encode(fig)


def _decay_png(res: dict[str, Any]) -> str:
    fig, axes = _figure(8, 4)
    ax = axes[0][0]
    for name, d in res["decay"].items():
        hs = [int(h) for h in d]
        ax.plot(hs, [np.nan if v is None else v for v in d.values()], marker="o", ms=3, label=name)
    ax.set_xscale("log")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("horizon (ticks)")
    ax.set_ylabel("rank-IC")
    ax.set_title("IC decay of the top factors")
    ax.legend(fontsize=7, ncol=2)
    return _encode(fig)


def _stability_png(res: dict[str, Any]) -> str:
    by = {r["name"]: r for r in res["factors"]}
    top = res["top"]
    m = np.array([[np.nan if v is None else v for v in by[n]["split_rank_ic"]] for n in top]) if top else None
    fig, axes = _figure(8, max(3.0, 0.25 * len(top) + 1))
    ax = axes[0][0]
    if m is not None and m.size:
        lim = np.nanmax(np.abs(m)) if np.isfinite(m).any() else 1.0
        im = ax.imshow(m, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_yticks(range(len(top)), top, fontsize=7)
        ax.set_xticks(range(m.shape[1]), [f"split {k}" for k in range(m.shape[1])])
        fig.colorbar(im, ax=ax)
    ax.set_title(f"Per-split rank-IC at h={res['main_horizon']} (contiguous day groups)")
    return _encode(fig)


def _turnover_png(res: dict[str, Any]) -> str:
    fig, axes = _figure(7, 4.5)
    ax = axes[0][0]
    key = str(res["main_horizon"])
    fams = sorted({r["family"] for r in res["factors"]})
    for fam in fams:
        pts = [
            (r["ac1"], abs(r["rank_ic"][key]))
            for r in res["factors"]
            if r["family"] == fam and r["ac1"] is not None and r["rank_ic"][key] is not None
        ]
        if pts:
            x, y = zip(*pts, strict=True)
            ax.scatter(x, y, s=12, label=fam)
    ax.set_xlabel("lag-1 autocorrelation (contiguous ticks)")
    ax.set_ylabel(f"|rank-IC| at h={key}")
    ax.set_title("Persistence vs predictive power")
    ax.legend(fontsize=7, ncol=2)
    return _encode(fig)


def _corr_png(res: dict[str, Any]) -> str:
    corr = np.asarray(res["corr"])
    order = np.lexsort((np.arange(len(corr)), np.asarray(res["cluster_of"])))
    fig, axes = _figure(8, 7)
    ax = axes[0][0]
    im = ax.imshow(corr[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_title("Spearman correlation, factors ordered by cluster")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax)
    return _encode(fig)


def _nan_png(res: dict[str, Any]) -> str:
    rows = sorted(res["factors"], key=lambda r: -r["nan_rate"])[:40][::-1]
    fig, axes = _figure(8, max(3.0, 0.22 * len(rows) + 1))
    ax = axes[0][0]
    ax.barh(range(len(rows)), [r["nan_rate"] for r in rows])
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("NaN rate (sampled rows)")
    ax.set_title("Coverage: the factors most often undefined")
    return _encode(fig)


def to_json(res: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON document (the correlation matrix is summarized by its clusters)."""
    return {**meta, **{k: v for k, v in res.items() if k not in ("corr", "cluster_of")}}


def write_factor_report(out_dir: Path, res: dict[str, Any], meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``report.html`` and ``factors.json`` into ``out_dir``; return both paths."""
    key = str(res["main_horizon"])
    by = {r["name"]: r for r in res["factors"]}
    hs = res["horizons"]
    top_rows = [
        [
            n,
            by[n]["family"],
            *[by[n]["ic"][str(h)] for h in hs],
            *[by[n]["rank_ic"][str(h)] for h in hs],
            by[n]["split_ir"],
            by[n]["sign_consistency"],
            by[n]["ac1"],
            by[n]["turnover"],
            by[n]["nan_rate"],
        ]
        for n in res["top"]
    ]
    headers = [
        "factor",
        "family",
        *[f"IC h{h}" for h in hs],
        *[f"rank-IC h{h}" for h in hs],
        "split IR",
        "sign cons.",
        "AC(1)",
        "turnover",
        "NaN",
    ]
    fam_rows = [
        [f, v["count"], v["nan_rate"], v["best"], v["best_rank_ic"]]
        for f, v in sorted(res["families"].items())
    ]
    clusters = "".join(
        f"<li>{len(c)}: {html.escape(', '.join(c[:12]))}{' …' if len(c) > 12 else ''}</li>"
        for c in res["clusters"][:25]
    )
    title = f"ghTrader factor report — {meta['symbol']} set {meta['set']} ({meta['start']}..{meta['end']})"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p class='note'>{meta['count']} factors (set hash <code>{meta['set_hash']}</code>) over "
        f"{len(meta['days'])} trading days, {res['n_ticks']:,} ticks; statistics on every "
        f"{res['stride']}th tick ({res['rows_sampled']:,} rows). Forward return: log(mid[t+h]/mid[t]) within "
        "a segment (NaN across a roll). IC = Pearson, rank-IC = Spearman, on rows where both are finite.</p>",
        "<h2>Top factors</h2>",
        _table(headers, top_rows),
        _img(_top_png(res), "top factors"),
        "<h2>IC decay</h2>",
        _img(_decay_png(res), "IC decay"),
        "<h2>Per-split stability</h2>",
        f"<p class='note'>Splits: {html.escape('; '.join(f'{s[0]}..{s[-1]}' for s in res['splits'] if s))}. "
        "Split IR = mean / std of the per-split rank-IC; sign consistency = share of splits agreeing in "
        "sign with the pooled rank-IC.</p>",
        _img(_stability_png(res), "per-split stability"),
        "<h2>Autocorrelation and turnover</h2>",
        "<p class='note'>On one contiguous block of raw ticks; turnover = mean |Δx| / std(x).</p>",
        _img(_turnover_png(res), "autocorrelation vs IC"),
        f"<h2>Correlation clusters (|ρ| ≥ {meta['cluster_corr']})</h2><ul>{clusters or '<li>none</li>'}</ul>",
        _img(_corr_png(res), "correlation cluster map"),
        "<h2>Coverage by family</h2>",
        _table(["family", "factors", "mean NaN rate", f"best (|rank-IC| h{key})", "rank-IC"], fam_rows),
        _img(_nan_png(res), "NaN rates"),
        f"<p class='note'>JSON: <a href='factors.json'>factors.json</a>. Generated {_fmt(meta['created'])}.</p>",
        "</body></html>",
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "report.html"
    atomic_write(page, "\n".join(parts).encode(), durable=False)
    doc = out_dir / "factors.json"
    atomic_write(doc, json.dumps(to_json(res, meta), indent=2, sort_keys=True).encode(), durable=False)
    return page, doc


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
