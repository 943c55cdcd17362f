"""The on-call chain over TwiML: `<Dial timeout=N action=…>` to the first number; the action
callback hears `DialCallStatus`, and no-answer / busy / failed dials the next number. When the
chain runs out, the caller leaves a message that goes to the office inbox flagged as unanswered.

The step travels in the action URL's query (`?chain=oncall&step=1`), which Twilio signs with the
rest of the URL, so any worker can carry on the chain without shared state.
"""

from __future__ import annotations

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.state import Reply
from hvac_agent.telephony import twiml

CHAIN = "oncall"
UNANSWERED = frozenset({"no-answer", "busy", "failed", "canceled"})


def is_oncall(reply: Reply) -> bool:
    return reply.action == "transfer" and reply.transfer_reason in ("emergency", "oncall")


def step_url(dial_done_url: str, step: int) -> str:
    return f"{dial_done_url}?chain={CHAIN}&step={step}"


def dial(text: str, profile: BusinessProfile, dial_done_url: str, step: int = 0, *, voice: str | None = None) -> str:
    """TwiML dialling the chain's number `step` (with what to say first, if anything)."""
    numbers = profile.oncall_numbers
    return twiml.transfer(
        text, numbers[step], step_url(dial_done_url, step), voice=voice, timeout_s=profile.oncall.ring_seconds
    )


def next_step(profile: BusinessProfile, chain: str | None, step: str | None, dial_status: str) -> int | None:
    """The chain step to dial after an unanswered one, or None (answered, not a chain, or done)."""
    if chain != CHAIN or dial_status not in UNANSWERED:
        return None
    try:
        following = int(step or "0") + 1
    except ValueError:
        return None
    return following if following < len(profile.oncall_numbers) else None
