"""Tier-2 micro-simulator: event-driven replay of L5 snapshots with latency and queue position."""
