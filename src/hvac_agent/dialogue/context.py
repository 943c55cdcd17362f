"""What a dialogue step knows of the world besides the call state: the business and the time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import CallState


@dataclass(frozen=True, slots=True)
class DialogueContext:
    profile: BusinessProfile
    now: dt.datetime  # aware UTC; business-local dates are derived with profile.tz

    @property
    def local_now(self) -> dt.datetime:
        return self.now.astimezone(self.profile.tz)


def nlu_context(state: CallState, ctx: DialogueContext) -> NluContext:
    """What understanding needs from the call so far. Call before remembering the new utterance."""
    previous = [t.text for t in state.history if t.role == "caller"][-4:]
    # Built without validation: every value comes from the validated state and profile.
    return NluContext.model_construct(
        expect=state.asked,
        now=ctx.now,
        timezone=ctx.profile.timezone,
        caller_id=state.caller_id,
        pending_phone_digits=state.pending_phone_digits,
        offered=list(state.offered),
        business_weekdays=ctx.profile.business_weekdays,
        previous_caller_texts=previous,
        current_phone=state.slots.phone,
        current_name=state.slots.name,
    )
