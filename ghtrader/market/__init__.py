"""Market facts: SHFE sessions, holiday calendar, trading-day assignment and contract specs."""
