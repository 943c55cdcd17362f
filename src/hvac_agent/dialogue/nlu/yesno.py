"""Yes or no, as people say it on the phone: hedges, fillers, "uh huh", "that's wrong"."""

from __future__ import annotations

import re
from typing import Literal

_LEAD = (
    r"^(?:(?:oh|well|so|um|uh|ah|okay so|hmm|mm|and|i mean|i think|i guess|yeah well|actually|wait|you know what)\s+)*"
)
_YES = re.compile(
    _LEAD + r"(?:yes|yeah|yea|yep|yup|ya|yah|yess|yes sir|yes ma'?am|sure|sure thing|of course|"
    r"correct|that'?s correct|that is correct|right|that'?s right|that is right|exactly|absolutely|"
    r"affirmative|definitely|certainly|ok|okay|o k|alright|all right|uhhuh|"
    r"sounds good|sounds great|that sounds good|perfect|great|go (?:right |on )?ahead|please do|do it|"
    r"that works|works for me|that'?ll work|that would work|that'?s it|you got it|yes please|"
    r"i do|it is|it does|that'?s fine|fine|that'?s good|good|that'?s perfect|bingo|totally|"
    r"you bet|for sure|yes it is|yeah it is|that one|book it|let'?s do it|let'?s do that|"
    r"that'?s me|that'?s the one|correctamundo|si|i guess so|i think so|i believe so|go for it|i suppose(?: so)?|"
    # A bare hedge is a yes (the writers' brief): "i guess", "i guess that's fine"; Spanish yes
    # ("sí" arrives as "si": `normalise` drops accents).
    r"i guess(?: (?:that'?s|it'?s) (?:fine|ok|okay|alright|good))?$|guess so|claro|dale|"
    r"please$|yes please|"
    r"do that|let'?s go|yes indeed|indeed|(?:that|it|this|everything|all that|that all|it all)(?:'s| all| is)? "
    r"(?:sounds|looks|is) (?:right|good|correct|great|perfect|fine)|looks good|looks right|all good)\b"
)
_NO = re.compile(
    _LEAD + r"(?:no|nope|nah|naw|no no|negative|wrong|that'?s wrong|that is wrong|incorrect|"
    r"that'?s incorrect|(?:that'?s|that is|it'?s|it is) not (?:right|correct|true|it)|not right|"
    r"not correct|not quite|not really|no thanks|no thank you|nope not|i don'?t(?! know)|i do not|"
    r"it'?s not|it is not|that'?s not it|absolutely not|definitely not|no way|not at all|"
    r"none|nothing|no sir|no ma'?am|uhuh|that doesn'?t work|"
    r"that won'?t work|neither|not that one|i'?m good|we'?re good|all good|i'?m all set|"
    r"that'?s all(?! (?:correct|right|good|fine|perfect))|that'?s it thanks|nah i'?m good|i changed my mind|"
    r"changed my mind|(?:don'?t|do not) book|(?:i'?m going to|i'?m gonna|i'?ll|i think i'?ll|i'?m gonna have to) pass|"
    r"pass(?: for now| thanks| thank you)|(?:i'?d|i would) rather not|not (?:today|right now|now|yet)(?: thanks)?$|"
    r"hold off|cancel (?:it|that)|please (?:don'?t|do not)|(?:don'?t|do not) do (?:it|that)|"
    # Not now: "not yet i need to think about it" ("let me think about it" alone is undecided).
    r"not yet)\b"
)
# Answers that start like "no" but are not a refusal.
_NOT_NO = re.compile(
    r"^(?:no problem|no worries|no doubt|not a problem|no that'?s (?:right|correct))\b"
    # "no, that's fine, go ahead": the "no" waves off a worry, the go-ahead is the answer
    r"|^(?:no|nope|nah)(?: (?:no|that'?s|it'?s|that is|you'?re|we'?re))? (?:fine|good|ok|okay|alright|all good)"
    r"(?: \S+){0,2}? (?:go ahead|book it|do it|go for it|let'?s do it)\b"
)
# "all good, book it": the soft "no thanks" words ("all good", "i'm good") said with a go-ahead
_SOFT_NO = re.compile(r"\b(?:all good|i'?m good|we'?re good|i'?m all set)\b")
_GO_AHEAD = re.compile(r"\b(?:book it|go ahead|go for it|let'?s do it|do it|sign me up|lock it in|yes|yeah|yep)\b")
_CONTRADICTION = re.compile(
    r"^(?:yes|yeah|yep|yup|correct|right)\b.*\b(?:not (?:correct|right)|incorrect|wrong|no no)\b"
)
_YES_INSIDE = re.compile(
    r"\b(?:that'?s (?:right|correct)|sounds good|that works|works for me|yes|go for it|go ahead|"
    r"book it)\b"
)
# "yes but the number is …" / "yeah except": a correction, not an agreement.
_YES_BUT = re.compile(
    r"^(?:(?:oh|well|um|uh)\s+)*(?:yes|yeah|yep|yup|sure|right|correct|mostly|almost|close|"
    r"that'?s (?:correct|right|all correct|all right)|that is (?:correct|right)|all correct|looks good|"
    r"sounds good|everything'?s (?:right|correct))\b"
    r"(?:\s+\S+){0,3}?\s+(?:but|except|only|however)\b"
)


_BUT_YES = re.compile(r"\bbut (?:yeah|yes|yep|sure|ok|okay|fine)\b(?: \S+){0,3}$")
_CHANGED_MIND = re.compile(r"\b(?:changed my mind|change of plans|(?:don'?t|do not) book|hold off|not anymore)\b")
_UNSURE = re.compile(
    _LEAD + r"(?:i don'?t know|i'?m not sure|not sure|no idea|i have no idea|maybe|"
    r"i'?m not certain|i can'?t remember|i don'?t remember|hold on|wait|one sec)\b"
)


# Where no yes/no question was asked, only a plain leading yes/no counts: "it's not warm enough"
# and "no heat" describe the problem.
_PLAIN_YES = re.compile(_LEAD + r"(?:yes|yeah|yep|yup|yea|sure|ok|okay|correct|right|uhhuh)\b")
_PLAIN_NO = re.compile(
    _LEAD + r"(?:no|nope|nah|uhuh)\b(?! (?:heat|heating|air|ac|a c|hot|cold|cool|cooling|power|water|"
    r"airflow|warm|one|idea|problem|worries)\b)"
)


def extract_yes_no(norm: str, asked: bool = True) -> tuple[Literal["yes", "no"] | None, bool]:
    """(yes/no, correction): a "yes but …" is neither yes nor no, and marks a correction.

    `asked` says whether the agent's last question could be answered yes or no.
    """
    if _UNSURE.search(norm):
        # "hold on, don't book it yet": the pause comes with a refusal.
        return ("no" if asked and _CHANGED_MIND.search(norm) else None), False
    if not asked:
        if _YES_BUT.search(norm):
            return None, True
        if _PLAIN_NO.search(norm):
            return "no", False
        if _PLAIN_YES.search(norm):
            return "yes", False
        return None, False
    if _YES_BUT.search(norm):
        return None, True
    if _NOT_NO.search(norm):
        return "yes", False
    if _CONTRADICTION.search(norm):
        return None, False  # "yes not correct" (a recogniser's "yes that's correct"): ask again
    if _BUT_YES.search(norm):
        return "yes", False  # "i don't love the fee but yeah go ahead": the decision comes last
    if _SOFT_NO.search(norm) and _GO_AHEAD.search(norm) and not re.search(r"\b(?:not|don'?t|no)\b", norm):
        return "yes", False
    if _NO.search(norm):
        return "no", False
    if _CHANGED_MIND.search(norm):
        return "no", False
    if _YES.search(norm):
        return "yes", False
    # Short answers with the agreement inside: "um yes it is", "that is correct yes".
    if len(norm.split()) <= 5 and _YES_INSIDE.search(norm) and not re.search(r"\bnot\b", norm):
        return "yes", False
    return None, False
