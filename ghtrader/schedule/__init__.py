"""Roll schedules: which contract is the main contract on each trading day."""
