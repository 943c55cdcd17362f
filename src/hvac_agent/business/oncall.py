"""The on-call chain: who is dialled, in order, when an urgent or emergency caller needs a person
after hours (or an emergency at any hour). Each number rings `ring_seconds`; nobody answering
leads to a message flagged for the office inbox."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class OnCallChain(BaseModel):
    numbers: list[str] = Field(default_factory=list)
    ring_seconds: int = Field(default=20, ge=5, le=120)

    @field_validator("numbers")
    @classmethod
    def _e164(cls, value: list[str]) -> list[str]:
        for number in value:
            if not _E164.match(number):
                raise ValueError(f"on-call number must be E.164 (+15125550111), got {number!r}")
        return value
