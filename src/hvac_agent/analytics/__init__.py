"""Per-call facts, daily roll-ups and A/B tests: what the office looks at after the calls."""
