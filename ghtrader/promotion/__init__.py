"""Promotion: gates decide whether a candidate replaces the champion; pointer, rollback, log."""

from ghtrader.promotion.candidates import best_candidate, find_candidates, latest_candidate
from ghtrader.promotion.gates import Decision, GateCheck, PromotionGates, decide
from ghtrader.promotion.registry import champion, decisions, previous, promote, rollback

__all__ = [
    "Decision",
    "GateCheck",
    "PromotionGates",
    "best_candidate",
    "champion",
    "decide",
    "decisions",
    "find_candidates",
    "latest_candidate",
    "previous",
    "promote",
    "rollback",
]
