"""Session stores: where a call's `CallState` lives between turns (and across restarts/workers)."""
