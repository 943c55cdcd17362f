"""Sentence splitting of streamed text and the speech guard."""

from __future__ import annotations

from hvac_agent.config import BusinessProfile
from hvac_agent.llm.guard import SpeechGuard
from hvac_agent.llm.splitter import SentenceSplitter, split_sentences


def test_sentences_complete_only_when_the_next_word_starts() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Thanks, Dana. I have you at 4410 Duval St.") == ["Thanks, Dana."]
    assert splitter.feed(" Apt 2. Is that right?") == ["I have you at 4410 Duval St. Apt 2."]
    assert splitter.feed(" Great") == ["Is that right?"]
    assert splitter.flush() == ["Great"]
    assert splitter.flush() == []


def test_split_keeps_prices_initials_and_times_whole() -> None:
    text = "The fee is $89.50 today. Dana K. Smith, right? Window is 8 a.m. to noon!\nOk"
    assert split_sentences(text) == [
        "The fee is $89.50 today.",
        "Dana K. Smith, right?",
        "Window is 8 a.m. to noon!",
        "Ok",
    ]


def test_streamed_in_tiny_pieces_gives_the_same_sentences() -> None:
    text = "Sorry to hear that. What's your name? I'll note it down."
    splitter = SentenceSplitter()
    out: list[str] = []
    for ch in text:
        out += splitter.feed(ch)
    out += splitter.flush()
    assert out == split_sentences(text) == ["Sorry to hear that.", "What's your name?", "I'll note it down."]


def test_guard_allows_only_the_dispatch_fee() -> None:
    guard = SpeechGuard(BusinessProfile())
    assert guard.check("There's a $89 dispatch fee.") == "There's a $89 dispatch fee."
    assert guard.check("The visit fee is eighty nine dollars.") == "The visit fee is eighty nine dollars."
    replaced = guard.check("A new compressor costs about $1,200.")
    assert "1,200" not in replaced and "$89" in replaced
    assert guard.check("That repair would be two hundred dollars.") == ""  # fee sentence only once
    assert guard.check("Sure, the visit is free for you.") == ""
    assert guard.check("I can give you a 20% off coupon.") == ""
    assert guard.dropped == ["price", "price", "freebie", "freebie"]


def test_guard_blocks_exact_times_and_unbacked_claims() -> None:
    guard = SpeechGuard(BusinessProfile())
    assert guard.check("The technician will be there at 3 am.") == ""
    assert guard.check("You're all booked for Tuesday.") == ""
    assert guard.check("Your appointment has been cancelled.") == ""
    ok = "I have Tuesday between 8 AM and noon, or 12 to 4 PM. Which works best?"
    assert guard.check(ok) == ok
    assert guard.check("Your callback number is 5 1 2 5 5 5 0 1 2 3.") != ""
    allowed = SpeechGuard(BusinessProfile(), allow_done_claims=True)
    assert allowed.check("You're all set.") == "You're all set."


def test_tool_call_deltas_interleaved_across_indexes_are_assembled() -> None:
    from hvac_agent.llm.assembly import ToolCallAssembler

    assembler = ToolCallAssembler()
    assembler.add(1, id="call_b", name="check_availability", arguments="")
    assembler.add(0, id="call_a", name="update_caller", arguments='{"na')
    assembler.add(0, id=None, name="_details", arguments='me": "Dana')
    assembler.add(1, id=None, name=None, arguments="{}")
    assembler.add(0, id=None, name=None, arguments=' Kim"}')
    calls = assembler.finish()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_a", "update_caller_details", '{"name": "Dana Kim"}'),
        ("call_b", "check_availability", "{}"),
    ]


def test_model_selection() -> None:
    import datetime as dt

    from hvac_agent.dialogue.nlu.types import Understanding
    from hvac_agent.dialogue.state import CallState
    from hvac_agent.llm.selection import choose_model

    state = CallState(call_sid="CA", started_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    free_text = Understanding(text="my furnace makes a weird noise when it starts up")
    pick = lambda s, u: choose_model(s, u, main="main", fast="fast")  # noqa: E731
    assert pick(state, free_text) == "main"
    assert pick(state.model_copy(update={"asked": "confirm"}), Understanding(text="yes", yes_no="yes")) == "fast"
    assert pick(state, Understanding(text="yeah sure", yes_no="yes")) == "fast"
    assert (
        pick(state.model_copy(update={"asked": "confirm", "frustration": 0.5}), Understanding(text="yes", yes_no="yes"))
        == "main"
    )  # a frustrated caller gets the best
    assert pick(state.model_copy(update={"asked": "confirm", "turn": 20}), Understanding(text="yes")) == "main"
    assert (
        pick(state.model_copy(update={"asked": "confirm"}), Understanding(text="no it's 0132", correction=True))
        == "main"
    )
    assert choose_model(state, None, main="main", fast=None) == "main"
