"""Ending an A/B test: the winner's changes become the profile's own, the test stays as a record."""

from __future__ import annotations

from hvac_agent.config import BusinessProfile


def end_experiment(profile: BusinessProfile, name: str, winner: str) -> BusinessProfile:
    """The profile with test `name` ended and `winner`'s greeting, voice and prompt kept for everyone."""
    experiment = next((e for e in profile.experiments if e.name == name), None)
    if experiment is None:
        raise ValueError(f"there is no test named {name!r}")
    if experiment.status != "running":
        raise ValueError(f"test {name!r} has already ended")
    variant = experiment.variant(winner)
    if variant is None:
        raise ValueError(f"test {name!r} has no variant {winner!r}")
    ended = experiment.model_copy(update={"status": "ended", "winner": winner})
    experiments = [ended if e.name == name else e for e in profile.experiments]
    data = {**profile.model_dump(), **variant.overrides(), "experiments": [e.model_dump() for e in experiments]}
    return BusinessProfile.model_validate(data)
