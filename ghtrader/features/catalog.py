"""Names, families and formula lines of every factor (the ``factors list`` text), in kernel order.

Each entry is ``(name, family, "formula; trap")``. The core block's per-tick factors live in
``registry.INSTANT``; the extended block's (``kernels_xinst._instant``, outputs 0..62) are ``EXT_INSTANT``.
Windowed families are templates over tick windows ``{w}`` (name ``fam_w``) or time windows ``{w}``
seconds on the session clock (name ``fam_Ws``).
"""

from __future__ import annotations

FAMILIES: dict[str, str] = {
    "spread": "spread and micro-price variants (in price ticks of the row's contract: au's tick changed)",
    "imbalance": "depth imbalance per level and cumulative; NaN when both sides are empty",
    "ofi": "order-flow imbalance (Cont, Kukanov & Stoikov 2014), L1 and multi-level; NaN at a segment's first tick",
    "queue": "queue changes at each level vs the previous snapshot (CKS convention)",
    "shape": "book slope, shape and depth over levels 1-5",
    "returns": "mid returns, realized volatility, range, skew over tick and session-clock windows",
    "trade": "trade intensity and VWAP from cumulative volume/amount deltas (SHFE amount = price x lots x "
    "multiplier; deltas restart each trading day, so the first tick of a day is NaN)",
    "oi": "open-interest changes and their interaction with volume (OI is cumulative per day too)",
    "impact": "price-impact estimates (Kyle lambda, Amihud) over windows",
    "time": "time of session and snapshot arrival (CST clock; night belongs to the next trading day)",
    "cross": "the main mid against another stream (next contract, or the au/ag partner), as of strictly "
    "before each main tick; windows reset when either side changes contract",
}

# cross-contract factors (``cross.cross_main``), per aux role; column ``x<role>_<name>``
CROSS_WINDOWS = (10, 50, 100)
CROSS: tuple[tuple[str, int, str], ...] = (
    ("log_ratio", 0, "log(main mid / aux mid as of strictly before the main tick)"),
    ("spread_ticks", 0, "(aux mid - main mid) / main price tick (calendar spread for main vs next)"),
    ("aux_age_s", 0, "seconds since the aux quote used (staleness of the alignment)"),
    *(
        (f"ret_aux_{w}", w, f"aux mid log-return over the last {w} main ticks (as-of samples)")
        for w in CROSS_WINDOWS
    ),
    *(
        (f"ret_diff_{w}", w, f"main mid log-return minus aux return over the last {w} main ticks")
        for w in CROSS_WINDOWS
    ),
)
CROSS_ROLES: dict[str, str] = {
    "next": "the next delivery month after the row's main contract that has ticks that day (same variety)",
    "pair": "the partner variety's continuous main series (au <-> ag)",
}
PAIR_VARIETY: dict[str, str] = {"au": "ag", "ag": "au"}

# core per-tick factor -> family (formulas in registry.INSTANT)
CORE_FAMILY: dict[str, str] = {
    **dict.fromkeys(("spread_ticks", "rel_spread", "microprice_dev_ticks", "last_mid_ticks"), "spread"),
    **dict.fromkeys(("imb_l1", "imb_l3", "imb_l5", "imb_w5"), "imbalance"),
    "ofi": "ofi",
    **dict.fromkeys(("dq_bid", "dq_ask"), "queue"),
    **dict.fromkeys(("dvol", "damount", "vwap_mid_ticks", "signed_vol"), "trade"),
    **dict.fromkeys(("oi_vol_ratio", "doi"), "oi"),
    "dt_s": "time",
    "mid_chg_ticks": "returns",
    **dict.fromkeys(
        (
            "log_depth_bid",
            "log_depth_ask",
            "log_depth_ratio",
            "depth_slope_bid",
            "depth_slope_ask",
            "gap2_bid",
            "gap2_ask",
            "log_q_bid1",
            "log_q_ask1",
        ),
        "shape",
    ),
}
CORE_WINDOWED_FAMILY = {
    "ret": "returns",
    "rv": "returns",
    "ofi": "ofi",
    "vol": "trade",
    "signed_vol": "trade",
    "doi": "oi",
    "tick_rate": "time",
}

_L = (2, 3, 4, 5)
EXT_INSTANT: tuple[tuple[str, str, str], ...] = (
    *((f"spread_l{i}", "spread", f"ask{i} - bid{i} in ticks; NaN when level {i} is missing") for i in _L),
    *(
        (
            f"micro_l{k}_ticks",
            "spread",
            f"depth-weighted micro-price over levels 1-{k}: "
            f"sum(ask_i bv_i + bid_i av_i) / sum(bv_i + av_i) - mid, ticks",
        )  # fmt: skip
        for k in (2, 3, 5)
    ),
    ("book_vwap_bid_ticks", "spread", "mid - sum(bid_i bv_i)/sum(bv_i) over levels 1-5, ticks"),
    ("book_vwap_ask_ticks", "spread", "sum(ask_i av_i)/sum(av_i) - mid over levels 1-5, ticks"),
    ("spread_wide", "spread", "1 when the spread exceeds one tick else 0"),
    *((f"imb_at_l{i}", "imbalance", f"(bv{i} - av{i}) / (bv{i} + av{i}) at level {i} alone") for i in _L),
    ("imb_l2", "imbalance", "cumulative depth imbalance over levels 1-2"),
    ("imb_l4", "imbalance", "cumulative depth imbalance over levels 1-4"),
    ("imb_l25", "imbalance", "depth imbalance over levels 2-5 (the book behind the touch)"),
    ("imb_exp", "imbalance", "imbalance with level weights 2^-(i-1), levels 1-5"),
    *(
        (f"ofi_l{i}", "ofi", f"CKS order-flow imbalance at level {i}: dq_bid_l{i} - dq_ask_l{i} (lots)")
        for i in _L
    ),
    ("mlofi_3", "ofi", "multi-level OFI: sum of the level OFIs 1-3 (lots)"),
    ("mlofi_5", "ofi", "multi-level OFI: sum of the level OFIs 1-5 (lots)"),
    ("mlofi_w", "ofi", "multi-level OFI weighted 1/level, levels 1-5 (lots)"),
    ("ofi_norm", "ofi", "L1 OFI / mean L1 depth of the previous snapshot ((bv1 + av1)/2)"),
    *(
        (
            f"dq_bid_l{i}",
            "queue",
            f"bid level-{i} queue change: dv at same price, +v if it rose, -v_prev if it fell",
        )
        for i in _L
    ),
    *(
        (
            f"dq_ask_l{i}",
            "queue",
            f"ask level-{i} queue change: dv at same price, +v if it fell, -v_prev if it rose",
        )
        for i in _L
    ),
    *((f"share_bid_l{i}", "shape", f"bv{i} / bid depth 1-5") for i in (1, 2, 3)),
    *((f"share_ask_l{i}", "shape", f"av{i} / ask depth 1-5") for i in (1, 2, 3)),
    ("dist5_bid_ticks", "shape", "(mid - bid5) / tick: how far the visible bid book reaches"),
    ("dist5_ask_ticks", "shape", "(ask5 - mid) / tick"),
    (
        "slope_bid",
        "shape",
        "OLS slope of cumulative bid depth on distance from mid (lots per tick), levels 1-5",
    ),
    (
        "slope_ask",
        "shape",
        "OLS slope of cumulative ask depth on distance from mid (lots per tick), levels 1-5",
    ),
    ("slope_log_ratio", "shape", "log(slope_bid / slope_ask)"),
    ("hhi_bid", "shape", "Herfindahl concentration of bid volume across levels 1-5"),
    ("hhi_ask", "shape", "Herfindahl concentration of ask volume across levels 1-5"),
    ("log_q_bid2", "shape", "log(1 + bv2)"),
    ("log_q_ask2", "shape", "log(1 + av2)"),
    (
        "vwap_last_ticks",
        "trade",
        "snapshot VWAP (damount / dvol / multiplier) - last price, ticks; NaN without trade",
    ),
    (
        "trade_pos",
        "trade",
        "snapshot VWAP inside the previous quote: (vwap - bid1_prev) / (ask1_prev - bid1_prev)",
    ),
    ("log_dvol", "trade", "log(1 + dvol)"),
    ("dvol_depth", "trade", "dvol / previous L1 depth (bv1 + av1)"),
    ("trade_flag", "trade", "1 when volume traded since the previous snapshot, 0 when not"),
    ("last_chg_ticks", "trade", "last price change since the previous snapshot, ticks"),
    ("oi_open_share", "oi", "(dvol + doi) / (2 dvol): share of traded lots that opened positions"),
    ("doi_signed", "oi", "doi x sign(mid change): positions opened with (+) or against (-) the move"),
    ("doi_bp", "oi", "doi / previous OI x 1e4"),
    ("tod_sin", "time", "sin(2 pi CST second-of-day / 86400)"),
    ("tod_cos", "time", "cos(2 pi CST second-of-day / 86400)"),
    (
        "sess_elapsed_s",
        "time",
        "seconds since the scheduled open of the SHFE session (21:00, 09:00, 10:30, 13:30)",
    ),
    ("is_night", "time", "1 in the night session (CST 21:00-03:00) else 0"),
    (
        "since_break_s",
        "time",
        "seconds since the first snapshot after the last gap >= 60 s (data-driven open)",
    ),
)

# families computed over both tick and time windows (kernels_ext._new_families order)
NEW_WINDOWED: tuple[tuple[str, str, str], ...] = (
    ("range", "returns", "(max - min) of mid over the window, ticks"),
    ("skew", "returns", "skewness of 1-tick mid log-returns in the window (0 when they do not vary)"),
    ("mlofi", "ofi", "multi-level OFI (mlofi_5) summed over the window (lots)"),
    ("vwap_dev", "trade", "window trade VWAP sum(damount)/(multiplier sum(dvol)) - mid, ticks"),
    ("kyle", "impact", "Kyle lambda: OLS slope of mid change (ticks) on signed volume (lots) in the window"),
    ("amihud", "impact", "Amihud illiquidity: sum |1-tick return| (bp) per traded lot in the window"),
    ("oi_per_vol", "oi", "sum(doi) / sum(dvol) over the window (+1 all opening, -1 all closing)"),
    ("oi_dir", "oi", "sum of doi x sign(mid change) over the window"),
    ("imb_mean", "imbalance", "mean L1 depth imbalance over the window"),
    ("imb5_mean", "imbalance", "mean levels 1-5 depth imbalance over the window"),
    ("spread_mean", "spread", "mean spread over the window, ticks"),
    ("micro_mean", "spread", "mean micro-price deviation from mid over the window, ticks"),
    ("updown", "returns", "(up-ticks - down-ticks) / max(1, up + down) of mid in the window"),
    ("trade_frac", "trade", "share of snapshots in the window with a trade"),
)
# core families repeated over time windows (kernels_ext.xstep order)
TIME_CORE: tuple[tuple[str, str, str], ...] = (
    ("ret", "returns", "log(mid / mid as of {w} s earlier on the session clock)"),
    ("rv", "returns", "sqrt of the sum of squared 1-tick mid log-returns over the last {w} s"),
    ("ofi", "ofi", "L1 OFI summed over the last {w} s (lots)"),
    ("vol", "trade", "traded volume over the last {w} s (lots)"),
    ("signed_vol", "trade", "signed volume over the last {w} s"),
    ("doi", "oi", "open-interest change over the last {w} s"),
    ("tick_rate", "time", "snapshots per second over the last {w} s"),
)
TIME_TRAP = " [session clock: gaps count <= 30 s; NaN until {w} s of the segment elapsed]"
TICK_TRAP = " [last {w} ticks of the segment; NaN until it holds {w} + 1 ticks]"
