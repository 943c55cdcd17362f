"""The current call's fixed lines: the sentences it may hear that hold no caller data.

The dialogue declares them (`CallService`, from `scripts.fixed_sentences`, at each call's start and
turn); stream mode's phrase cache reads them to decide what audio may outlive the call. A context
variable, because the speech tasks that reach the cache are started by the call's turn and copy its
context; its default, empty, declares nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

from hvac_agent.llm.splitter import split_sentences

_declared: ContextVar[frozenset[str]] = ContextVar("hvac_fixed_phrases", default=frozenset())


def sentences_of(text: str) -> list[str]:
    """`text`'s sentences as text-to-speech receives them (the same splitter), whitespace-normalised:
    the form in which fixed lines are declared and looked up."""
    return [" ".join(sentence.split()) for sentence in split_sentences(text)]


def allow_phrases(sentences: frozenset[str]) -> None:
    """Declare, for this call from here on (and the tasks it starts), the sentences that hold no
    caller data (`scripts.fixed_sentences`): the only ones whose audio may be cached."""
    _declared.set(sentences)


def allowed_phrases() -> frozenset[str]:
    """The sentences this call declared fixed (empty when it declared none)."""
    return _declared.get()
