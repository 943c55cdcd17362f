"""Keeping a call going while something it depends on misbehaves: breakers and rate limits."""
