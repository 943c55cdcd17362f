"""A caller asking to be forgotten ("delete my information"): the words, nothing else.

Kept apart from the intents: it is not a step of booking, and a false hit only asks a question
(nothing is erased without the caller's yes to the confirmation).
"""

from __future__ import annotations

import re

_DATA = r"(?:information|info|data|details|number|phone number|records?|account|personal \w+|name and address)"
_FORGET = re.compile(
    r"\b(?:"
    rf"(?:delete|erase|remove|wipe|clear|get rid of|purge)\s+(?:all\s+)?(?:of\s+)?(?:my|our)\s+{_DATA}"
    rf"|forget\s+(?:about\s+)?(?:me|my\s+{_DATA}|who i am)"
    rf"|(?:don'?t|do not|stop)\s+(?:keep|keeping|store|storing|save|saving)\s+(?:my|our)\s+{_DATA}"
    r"|right to be forgotten"
    r")\b"
)


def wants_forgotten(text: str) -> bool:
    """The caller asks for their personal data to be deleted."""
    return bool(_FORGET.search(" ".join(text.lower().replace("’", "'").split())))
