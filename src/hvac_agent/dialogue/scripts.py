"""Everything the agents say, in one place, filled from the business profile and the call.

The policy (`policy.py`) picks what to say; this module holds the words. The LLM agent's model
speaks in its own words, but every sentence that carries a guarantee (safety, read-back, booking,
confirmation questions) comes from here.

Wording rules: disclose the virtual assistant up front; safety first; never a price but the dispatch
fee; never an exact arrival time (windows only); never a diagnosis presented as certain.
"""

from __future__ import annotations

from typing import get_args

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.fixed_lines import sentences_of
from hvac_agent.dialogue.nlu import speak_phone, speak_street, speak_window
from hvac_agent.dialogue.nlu.speak import speak_time
from hvac_agent.dialogue.state import (
    AppointmentRef,
    ConfirmKind,
    EmergencyKind,
    Expect,
    QuestionTopic,
    Slots,
    TransferReason,
    WindowOffer,
)

SAFETY_SCRIPTS: dict[EmergencyKind, str] = {
    "gas": (
        "If you smell gas, please leave the home right now and take everyone with you. "
        "Don't touch any light switches or appliances, and don't light any flames. "
        "Once you're outside, call 911 and your gas utility."
    ),
    "carbon_monoxide": (
        "A carbon monoxide alarm or symptoms like headache, dizziness or nausea are an emergency. "
        "Get everyone outside into fresh air right now, and call 911 from outside."
    ),
    "smoke_fire": (
        "If it's safe to do so, switch the system off at the thermostat. "
        "If there is any smoke or fire, leave the home and call 911."
    ),
}


def greeting(profile: BusinessProfile, *, returning: bool = False) -> str:
    """About six seconds of speech: who answers, that it is a virtual assistant, the emergency hint
    (briefly), the question. The business's own greeting (profile `greeting`, or an A/B variant's)
    replaces it, word for word (it may be an A/B test's arm). A returning caller (the caller ID has
    bookings) is welcomed back by the built-in one; with either, their earlier address is offered at
    the first question that needs it (`returning_question`)."""
    if profile.greeting and profile.greeting.strip():
        return profile.greeting.strip()
    if returning:
        return f"{profile.name}, virtual assistant here. Welcome back! If you smell gas, say so now. How can I help?"
    return f"{profile.name}, virtual assistant here. If you smell gas, say so now. How can I help?"


def after_hours(profile: BusinessProfile) -> str:
    """Said before the greeting outside office hours: what the caller can still get now."""
    return (
        f"Our office is closed right now; we're open {profile.office_hours}. "
        "I can still book the next open visit, and emergencies go straight to our on-call technician."
    )


def closed_day(profile: BusinessProfile, name: str) -> str:
    """Said before the greeting on a holiday or closed date."""
    reason = f" for {name}" if name else " today"
    return (
        f"Our office is closed{reason}. I can still book the next open visit, "
        "and emergencies go to our on-call technician."
    )


ONCALL_OFFER = "Since this is urgent, would you like me to connect you with our on-call technician now?"
ONCALL_CONNECT = "Okay, I'm connecting you with our on-call technician now. Please hold."


def emergency(profile: BusinessProfile, kind: EmergencyKind) -> str:
    return (
        f"{SAFETY_SCRIPTS[kind]} I'm connecting you to our emergency on-call technician now. "
        "If you're still inside, hang up and get out first."
    )


def transfer(reason: str) -> str:
    if reason == "frustration":
        return "I'm sorry about the trouble. Let me get you to a person right away. Please hold."
    if reason == "fallback":
        return "Let me connect you with someone from our office who can help. Please hold."
    if reason == "oncall":
        return ONCALL_CONNECT
    return "Of course. I'm connecting you with a member of our team now. Please hold."


QUESTIONS: dict[str, str] = {
    "name": "May I have your first and last name?",
    "phone": "What's the best phone number to reach you?",
    "address": "What's the street address where you need service, including the ZIP code?",
    "zip": "And what's the ZIP code there?",
    "unit": "Is there an apartment or unit number?",
    "issue": "What's going on with your heating or air conditioning?",
    "urgency": (
        "Is anyone in the home especially at risk from the heat or cold, like an infant, someone "
        "elderly, or someone with a medical condition?"
    ),
    "anything_else": "What would you like to change?",
    "intent": "How can I help you today?",
    "intent_again": "What can I help you with?",
    "message": "Please tell me your message, and I'll pass it to our office.",
}

EXAMPLES: dict[str, str] = {
    "intent": "You can tell me what's going on, like the heat isn't working, or ask to cancel or for a person.",
    "name": "For example, you can say: my name is Dana Kim.",
    "phone": "You can say the digits one at a time, or type them on your keypad and press pound.",
    "phone_confirm": "Please say yes to use the number you're calling from, or no to give another.",
    "returning": "Please say yes if the visit is at the same address, or no to give another.",
    "address": "For example: forty four ten Duval Street, seven eight seven five one.",
    "zip": "You can say the five digits, or type them on your keypad.",
    "issue": "For example: my furnace isn't heating, or the AC is blowing warm air.",
    "urgency": "Please answer yes or no.",
    "window": "You can say the first one, the second one, or a day like tomorrow morning.",
    "confirm": "Please say yes to book it, or tell me what to change.",
    "yes_no": "Please answer yes or no.",
}

KEYPAD_EXPECTS: frozenset[Expect] = frozenset({"phone", "zip"})

# The question that ends a reply when the model's own words did not ask one.
SHORT_QUESTIONS: dict[str, str] = {
    "window": "Which of those arrival windows works best for you?",
    "yes_no": "Is that a yes or a no?",
    "phone_confirm": "Is the number you're calling from the best one to reach you?",
    "confirm": "Shall I go ahead?",
}
# The confirmation question for each thing a yes can agree to; a reply awaiting a yes ends with it.
CONFIRM_QUESTIONS: dict[ConfirmKind, str] = {
    "book": "Shall I book it?",
    "cancel": "Would you like me to cancel it?",
    "reschedule": "Shall I go ahead?",
}


def short_question(expect: Expect) -> str:
    return SHORT_QUESTIONS.get(expect) or QUESTIONS.get(expect, QUESTIONS["intent"])


def caller_id_question(caller_id: str) -> str:
    return f"Is the number you're calling from, {speak_phone(caller_id)}, the best number to reach you?"


def number_so_far(digits: str) -> str:
    return f"I have {' '.join(digits)} so far."


# ---- turn-taking ----------------------------------------------------------------------------
HEARD_NOTHING = "Sorry, I didn't hear anything."
STILL_THERE = "Are you still there?"
CANT_HEAR = "I'm sorry, I can't hear you. Please call us back when you're able."
DIDNT_CATCH = "Sorry, I didn't catch that."
STILL_NOT_GETTING = "Sorry, I'm still not getting that."
GOT_IT = "Got it."
NO_PROBLEM = "No problem."
THANKS_FOR_CORRECTION = "Thanks for the correction."
UNIT_NUMBER = "What's the apartment or unit number?"


def heard_name_as(name: str) -> str:
    """Read back a name the recogniser was unsure of; the caller's next words can fix it."""
    return f"I have your name as {name}. If that's not right, say it again or spell it."


def heard_address_as(street: str) -> str:
    return f"I have the address as {speak_street(street)}. If that's not right, just say it again."


REST_OF_NUMBER = "Go ahead with the rest of the number."

# ---- windows --------------------------------------------------------------------------------
CHECKING_SCHEDULE = "Let me check our schedule."
LOOKING_FOR_THAT = "Let me look for that."
LOOKING_FURTHER_OUT = "No problem, let me look further out."
URGENT_EARLIEST = "Since this is urgent, I'll put you in our earliest opening."
NOT_THAT_TIME = "I don't have that exact time open."
NO_WINDOWS = "I'm sorry, I don't have any open arrival windows that fit."
WINDOW_TAKEN = "I'm sorry, that window was just taken."
WINDOW_TAKEN_NO_OTHER = "I'm sorry, that window was just taken, and I have no other opening."
OFFER_OFFICE = "Would you like me to connect you with our office?"

# ---- out of area, messages ------------------------------------------------------------------
LEAVE_MESSAGE = "Would you like to leave a message?"
ZIP_IN_AREA = "Thanks, that ZIP code is in our area."
SORRY_NO_HELP = "I'm sorry we couldn't help this time."
MESSAGE_TAKEN = "Thank you, I'll pass your message to our office."

# ---- existing appointments ------------------------------------------------------------------
LOOKING_UP = "Let me look up your appointment."
LOOKING_THAT_UP = "Let me look that up."
BOOKED_UNDER = "What phone number was the appointment booked under?"
NOT_UNDER_CALLER_ID = "I don't see an upcoming appointment under the number you're calling from."
NOT_FOUND = "I couldn't find an upcoming appointment under that number."
KEEP_APPOINTMENT = "Okay, I'll leave your appointment as it is."
# Contract rule 7: a booked number given from another phone. Every sentence here is the same
# whether or not that number has bookings, so the answers reveal nothing about it.
VERIFY_QUESTION = (
    "To protect your privacy, I need to check one more detail. What's the name on the appointment, "
    "or the house number and ZIP code of the visit?"
)
VERIFY_NO_MATCH = "I couldn't match that to an upcoming appointment under that number."
VERIFY_GIVE_UP = "I'm sorry, I can't match those details to an appointment under that number."
VERIFIED = "Thank you."
CANCELLED = "Your appointment has been cancelled."


# ---- returning callers and "forget me" -----------------------------------------------------
FORGET_QUESTION = (
    "I can delete the name, address and call records we keep for the number you're calling from. "
    "Any visit already booked stays on the schedule, but without your details. Shall I delete them?"
)
FORGOTTEN_DONE = "Done. I've deleted your details from our system."
FORGET_NO_CALLER_ID = "I can only do that for the number you're calling from, and I can't see it on this call."
FORGET_FAILED = "I'm sorry, I couldn't do that just now."
HOW_ELSE = "How else can I help you?"


def returning_question(street: str) -> str:
    """Offered to a returning caller (own number only): a yes takes their earlier details."""
    return f"Is this for {speak_street(street)} again?"


def fee_sentence(profile: BusinessProfile) -> str:
    return (
        f"There's a ${profile.dispatch_fee} dispatch fee for the visit; the technician will go over "
        "any repair costs with you before doing any work."
    )


def no_quotes(profile: BusinessProfile) -> str:
    """Said instead of a model's sentence that named a price (the speech guard)."""
    return f"I can't quote prices. {fee_sentence(profile)}"


def price_answer(profile: BusinessProfile) -> str:
    return (
        f"Our dispatch fee is ${profile.dispatch_fee}. The technician will diagnose the problem on site "
        "and give you a price before doing any repair."
    )


def answer(profile: BusinessProfile, topic: QuestionTopic) -> str:
    """The answer to a caller's question on `topic`, from the profile only; a topic the profile
    has no answer for is said plainly, never invented."""
    builtin = {
        "price": price_answer,
        "hours": hours_answer,
        "service_area": area_answer,
        "identity": identity_answer,
    }.get(topic)
    if builtin is not None:
        return builtin(profile)
    return profile.faq.answer(topic) or DONT_KNOW


DONT_KNOW = "I'm not sure about that one, and I don't want to guess. Our office can answer it."
# After an answer at the opening question: offer what the call is for.
OFFER_BOOKING = "Would you like me to book a technician visit, or is there something else I can help with?"


def hours_answer(profile: BusinessProfile) -> str:
    return f"We schedule visits {profile.office_hours}."


def area_answer(profile: BusinessProfile) -> str:
    return "We serve the ZIP codes in our local area; tell me your ZIP code and I'll check it for you."


def identity_answer(profile: BusinessProfile) -> str:
    return (
        f"I'm an automated virtual assistant for {profile.name}. If you'd rather speak with someone in "
        "our office, just say so."
    )


def out_of_area(profile: BusinessProfile, zip_code: str) -> str:
    spoken = " ".join(zip_code)
    return (
        f"I'm sorry, the ZIP code {spoken} is outside the area we serve, so I can't book a visit there. "
        "I can take a message for our office, or connect you with someone. Would you like to leave a "
        "message?"
    )


def goodbye(profile: BusinessProfile) -> str:
    return f"Thanks for calling {profile.name}. Goodbye."


def read_back(slots: Slots, ctx: DialogueContext) -> str:
    """The summary said before booking: every slot, the window and the dispatch fee."""
    assert slots.date and slots.window and slots.phone and slots.zip
    unit = f", {slots.unit}" if slots.unit else ""
    when = spoken_window(WindowOffer(date=slots.date, window=slots.window), ctx)
    return (
        f"Let me read that back. Name: {slots.name}. Callback number: {speak_phone(slots.phone)}. "
        f"Address: {speak_street(slots.street or '')}{unit}, ZIP code {' '.join(slots.zip)}. "
        f"Problem: {slots.issue}. Arrival window: {when}. {fee_sentence(ctx.profile)}"
    )


def read_back_again(slots: Slots, ctx: DialogueContext) -> str:
    """The read-back once more, for a caller whose yes cut the first one short."""
    return read_back(slots, ctx).replace("Let me read that back.", "Before I book it, so you've heard it all.", 1)


def booked(visit: WindowOffer, phone: str, ctx: DialogueContext) -> str:
    return (
        f"You're all set. A technician will arrive {spoken_window(visit, ctx)}, and will call "
        f"{speak_phone(phone)} when they're on the way."
    )


def move_question(visit: WindowOffer, ctx: DialogueContext) -> str:
    return f"I'll move your appointment to {spoken_window(visit, ctx)}. {CONFIRM_QUESTIONS['reschedule']}"


def moved(visit: WindowOffer, ctx: DialogueContext) -> str:
    return f"Done. Your appointment is now {spoken_window(visit, ctx)}."


def spoken_window(offer: WindowOffer | AppointmentRef, ctx: DialogueContext) -> str:
    """A window as said on the phone ("tomorrow between 8 AM and noon")."""
    return speak_window(WindowOffer(date=offer.date, window=offer.window), ctx.now, ctx.profile.timezone)


def found_appointment(appointment: AppointmentRef, ctx: DialogueContext) -> str:
    return f"I found your appointment {spoken_window(appointment, ctx)} at {speak_street(appointment.address)}."


def which_window_question(offers: list[WindowOffer], ctx: DialogueContext) -> str:
    """The caller's answer fitted several offers: the morning or the afternoon of one day, or
    which day, or (otherwise) the windows again."""
    if len(offers) == 2 and offers[0].date == offers[1].date:
        a, b = ([speak_time(t) for t in o.window.split("-")] for o in offers)
        first, second = ("morning", "afternoon") if offers[0].window < offers[1].window else ("afternoon", "morning")
        return f"Sure. The {first}, between {a[0]} and {a[1]}, or the {second}, between {b[0]} and {b[1]}?"
    if len({o.window for o in offers}) == 1:
        days = [f"{o.date:%A} {o.date:%B} {o.date.day}" for o in offers]
        return f"Sure. Which day would you like: {', '.join(days[:-1])} or {days[-1]}?"
    spoken = [spoken_window(o, ctx) for o in offers]
    return f"Sure. Which one would you like: {', '.join(spoken[:-1])}, or {spoken[-1]}?"


def offer_question(offers: list[WindowOffer], ctx: DialogueContext) -> str:
    spoken = [spoken_window(o, ctx) for o in offers]
    if len(spoken) == 1:
        return f"The first opening I have is {spoken[0]}. Does that work for you?"
    listing = ", ".join(spoken[:-1]) + f", or {spoken[-1]}"
    return f"I have {listing}. Which works best for you?"


# A webhook for a call that has already ended (or a turn too old to be a retry): it changes nothing.
CALL_ALREADY_ENDED = "This call has already ended. Please call us again if you need anything. Goodbye."


# ---- what may be cached as audio -------------------------------------------------------------
def fixed_lines(profile: BusinessProfile) -> list[str]:
    """Every line that holds no caller data: the one set of texts whose audio may be kept beyond
    the call (the stream-mode phrase cache, on disk or in Redis for weeks).

    Fail-closed by construction: a module constant (or a table of them) cannot hold a caller's
    data, so each one is here; a function's line is here only if listed below with the business
    profile as its only input. A line built from the call (name, number, street, ZIP, problem,
    windows and appointments, partial digits) is never listed, nor is anything a model writes.
    """
    constants = [v for k, v in globals().items() if k.isupper() and isinstance(v, str)]
    tables = [
        line
        for k, table in globals().items()
        if k.isupper() and isinstance(table, dict)
        for line in table.values()
        if isinstance(line, str)
    ]
    from_profile = [
        greeting(profile),
        greeting(profile, returning=True),
        after_hours(profile),
        closed_day(profile, ""),
        *(closed_day(profile, holiday.name) for holiday in profile.holidays),
        *(emergency(profile, kind) for kind in get_args(EmergencyKind)),
        *(transfer(reason) for reason in get_args(TransferReason)),
        *(answer(profile, topic) for topic in get_args(QuestionTopic)),
        fee_sentence(profile),
        no_quotes(profile),
        goodbye(profile),
    ]
    return [*constants, *tables, *from_profile]


def fixed_sentences(profile: BusinessProfile) -> frozenset[str]:
    """The sentences of `fixed_lines`, whitespace-normalised: replies reach text-to-speech
    sentence by sentence (split by the same splitter), and a sentence is kept only if it is one
    of these."""
    return frozenset(sentence for line in fixed_lines(profile) for sentence in sentences_of(line))
