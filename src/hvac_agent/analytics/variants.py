"""A/B tests as data: experiments and their variants, defined in the business profile.

A variant overrides a few things callers notice — the greeting, the voice, extra instructions for
the LLM agent — and nothing that the business promises (windows, fees, area). Assignment is
sticky per caller: a hash of the experiment's name and the caller's number picks the variant, so
the same caller hears the same variant on every call, in every worker, with no stored table.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"use letters, digits, '-', '_' or '.' (at most 40), got {value!r}")
    return value


class Variant(BaseModel):
    """One arm of a test. Unset fields keep the profile's own value."""

    model_config = ConfigDict(extra="forbid")

    name: str
    weight: int = Field(default=1, ge=0, le=1000)
    greeting: str | None = Field(default=None, max_length=400)
    voice: str | None = Field(default=None, max_length=60)  # a TwiML <Say> voice, e.g. "Polly.Matthew"
    prompt: str | None = Field(default=None, max_length=2000)  # extra instructions for the LLM agent

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return _check_name(value)

    def overrides(self) -> dict[str, str]:
        """The profile fields this variant replaces."""
        given = {"greeting": self.greeting, "voice": self.voice, "llm_instructions": self.prompt}
        return {key: value for key, value in given.items() if value is not None}


class Experiment(BaseModel):
    """A test between variants. `running` tests assign callers; an `ended` one keeps its `winner`
    (already merged into the profile) so its results stay readable."""

    model_config = ConfigDict(extra="forbid")

    name: str
    status: Literal["running", "ended"] = "running"
    winner: str | None = None
    variants: list[Variant] = Field(min_length=2)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return _check_name(value)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique in experiment {self.name!r}")
        if self.status == "running" and not any(v.weight > 0 for v in self.variants):
            raise ValueError(f"experiment {self.name!r}: at least one variant needs a weight above 0")
        if self.winner is not None and self.winner not in names:
            raise ValueError(f"experiment {self.name!r}: winner {self.winner!r} is not one of its variants")
        return self

    def variant(self, name: str | None) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def assign(self, caller_key: str) -> Variant:
        """The caller's variant: the same key always lands on the same variant (weights kept)."""
        weighted = [v for v in self.variants if v.weight > 0]
        total = sum(v.weight for v in weighted)
        digest = hashlib.sha256(f"{self.name}\x00{caller_key}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") % total
        for variant in weighted:
            if point < variant.weight:
                return variant
            point -= variant.weight
        raise AssertionError("unreachable: point < total")


def check_experiments(experiments: list[Experiment]) -> list[Experiment]:
    """Names unique; at most one test runs at a time (two at once could not be told apart)."""
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise ValueError("experiment names must be unique")
    if sum(e.status == "running" for e in experiments) > 1:
        raise ValueError("only one experiment can run at a time: end one before starting another")
    return experiments


def running(experiments: list[Experiment]) -> Experiment | None:
    return next((e for e in experiments if e.status == "running"), None)
