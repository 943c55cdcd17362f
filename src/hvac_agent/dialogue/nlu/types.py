"""What understanding one caller utterance yields; the rules agent consumes only this."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hvac_agent.dialogue.state import (
    EmergencyKind,
    Expect,
    Intent,
    IssueCategory,
    QuestionTopic,
    Urgency,
    WindowOffer,
)

SlotName = Literal["name", "phone", "address", "zip", "unit", "issue", "window"]


class NluContext(BaseModel):
    """What the understanding needs besides the words: what was asked, and when/where we are."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    expect: Expect | None = None
    now: dt.datetime  # aware; "tomorrow" is relative to this, in `timezone`
    timezone: str = "America/Chicago"
    caller_id: str | None = None
    pending_phone_digits: str = ""  # digits heard so far for a number spread over utterances
    offered: list[WindowOffer] = Field(default_factory=list)
    business_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5})
    previous_caller_texts: list[str] = Field(default_factory=list)  # for repetition/frustration
    current_phone: str | None = None  # E.164 already heard: "no, it's 0132" replaces its last digits
    current_name: str | None = None  # the name we have: "my last name is kang" replaces its surname


class WindowChoice(BaseModel):
    """A caller's preference for a visit time, mapped onto offers where possible."""

    offer_index: int | None = None  # index into NluContext.offered when one was picked
    date: dt.date | None = None
    part_of_day: Literal["morning", "afternoon"] | None = None
    earliest: bool = False
    exclude_dates: list[dt.date] = Field(default_factory=list)
    closed_day: bool = False  # `date` falls on a day the business does not work
    # Offers the words fit equally ("tuesday" when Tuesday 8-12 and 12-4 were both offered): the
    # caller is unsure between them and is asked (`policy.unsure_window`), never guessed for.
    between: list[int] = Field(default_factory=list)


class Understanding(BaseModel):
    """Everything found in one utterance. Absent means "not said", never "said no"."""

    text: str
    yes_no: Literal["yes", "no"] | None = None
    intent: Intent | None = None
    question: QuestionTopic | None = None
    emergency: EmergencyKind | None = None
    name: str | None = None
    phone: str | None = None  # complete, valid, E.164
    phone_digits: str | None = None  # digits of an incomplete number, to carry to the next turn
    use_caller_id: bool = False  # "yes this number", "the one I'm calling from"
    street: str | None = None  # "4410 Duval Street"
    unit: str | None = None  # "Apt 2B" style
    house_number: str | None = None  # "the house number is 4412": replaces the street's number
    street_name: str | None = None  # "it's Kerbey Lane, not Kirby": replaces the street's name, keeps its number
    no_unit: bool = False  # "no unit", "it's a house"
    zip: str | None = None
    issue: str | None = None  # the problem in brief, caller's words tidied
    issue_category: IssueCategory | None = None
    urgency: Urgency | None = None  # urgent/emergency signals only; None when nothing special
    urgency_reasons: list[str] = Field(default_factory=list)
    window: WindowChoice | None = None
    correction: bool = False  # "no, it's…", "actually…", "wrong number"
    corrected: list[SlotName] = Field(default_factory=list)  # slots the correction targets
    frustration: float = 0.0  # 0..1 for this utterance in its context

    # ---- what the utterance carries, as the agents ask it ------------------------------------

    @property
    def details(self) -> bool:
        """A value to record: a slot or part of a number, the problem, a visit time."""
        return bool(
            self.name
            or self.phone
            or self.phone_digits
            or self.street
            or self.zip
            or self.unit
            or self.issue
            or self.window
            or self.house_number
            or self.street_name
        )

    @property
    def answers(self) -> bool:
        """An answer to a question: details, a yes or no, the caller ID, a cancel/reschedule request."""
        return self.details or bool(self.yes_no or self.use_caller_id) or self.intent in ("cancel", "reschedule")

    @property
    def corrects_read_back(self) -> bool:
        """A value that, said at the read-back without a plain yes, replaces what was read."""
        picked = self.window is not None and self.window.offer_index is not None
        return bool(
            self.name
            or self.phone
            or self.street
            or self.zip
            or self.unit
            or self.house_number
            or self.street_name
            or picked
        )

    @property
    def carries_data(self) -> bool:
        """Anything to record or act on (digits, a slot, a yes/no, an emergency, a request): such
        words must reach the agent that records them, never a canned answer."""
        return (
            self.answers
            or any(ch.isdigit() for ch in self.text)
            or bool(self.emergency or self.correction or self.urgency or self.issue_category)
            or self.intent not in (None, "question")
        )
