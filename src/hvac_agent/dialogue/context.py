"""What a dialogue step knows of the world besides the call state: the business and the time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hvac_agent.config import BusinessProfile


@dataclass(frozen=True, slots=True)
class DialogueContext:
    profile: BusinessProfile
    now: dt.datetime  # aware UTC; business-local dates are derived with profile.tz

    @property
    def local_now(self) -> dt.datetime:
        return self.now.astimezone(self.profile.tz)
