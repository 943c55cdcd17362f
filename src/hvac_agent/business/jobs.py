"""Job types: what a visit is, how much of a window it takes, and who can do it.

A window's capacity is counted in units: each technician brings `units_per_technician` of them. A
tune-up may take one unit (a fraction of a technician's window); an install estimate takes a whole
technician-window. Units are pooled per window, which is exact when every job fits one technician
and a close approximation otherwise (it never overbooks units; it may accept a job that a real
dispatcher would have to split across two people).
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, Field, field_validator

DEFAULT_JOB = "service_call"


class JobType(BaseModel):
    """One kind of visit. `categories` are the contract's issue categories it covers; `keywords`
    in the caller's words pick it over the category ("a quote for a new system")."""

    name: str = Field(min_length=1, max_length=40)
    label: str = Field(default="", max_length=80)
    units: int = Field(default=1, ge=1)
    skills: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("skills", "keywords")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    def matches_words(self, text: str) -> bool:
        if not self.keywords:
            return False
        return _keyword_pattern(tuple(self.keywords)).search(text.lower()) is not None


@functools.lru_cache(maxsize=64)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `keywords` as a whole word, compiled once per profile's list: the job type is looked
    up on most turns (every next question), and building each word's pattern anew cost ten times
    the search."""
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in keywords) + r")\b")


def plain_visit(units: int, name: str | None = None) -> JobType:
    """A visit no job type describes: one technician's whole window."""
    return JobType(name=name or DEFAULT_JOB, label="service call", units=units)


def pick_job(job_types: list[JobType], category: str | None, issue: str | None, *, default_units: int = 1) -> JobType:
    """The job type for a caller's problem: a keyword match first, then the category, then the
    first type covering `other`, else a plain visit of `default_units`."""
    if issue:
        for job in job_types:
            if job.keywords and job.matches_words(issue):
                return job
    for wanted in (category, "other"):
        if wanted:
            for job in job_types:
                if wanted in job.categories:
                    return job
    return plain_visit(default_units)


def job_named(job_types: list[JobType], name: str | None, *, default_units: int = 1) -> JobType:
    """The job type called `name`; an unknown name (a type removed from the profile since) is a
    plain visit."""
    if name:
        for job in job_types:
            if job.name == name:
                return job
    return plain_visit(default_units, name)
