"""Life-safety triage: gas, carbon monoxide, smoke/fire — and their negations.

Recall matters more than precision here (a false alarm costs a safety script; a miss can cost a
life), but "no gas smell" and "it doesn't smell like gas" must not trigger: callers say them when
asked the safety question.
"""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu.negation import negated, token_index
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.state import EmergencyKind

_GAS = re.compile(
    r"\b(?:smell(?:s|ing|ed)?|odor|odour|whiff|scent)(?: (?:strongly|really|kind of|kinda|a lot|faintly|"
    r"like|of|some|natural|propane|a|little|bit))* (?:gas|propane)\b"
    r"|\b(?:gas|propane) (?:smell|odor|odour|leak|leaking|smells|is leaking)\b"
    r"|\b(?:leaking|leak of|leaky) (?:gas|propane)\b"
    r"|\brotten eggs?\b|\bsulfur\b|\bsulphur\b|\bgas (?:line|pipe) (?:is )?(?:broken|leaking|hissing)\b"
)
_CO = re.compile(
    r"\bcarbon monoxide\b|\bmonoxide\b"
    r"|\b(?:co|c o|co2|c o 2|co two|c o two|cl) (?:alarm|alarms|detector|detectors|monitor|sensor)\b"
)
_SYMPTOMS = re.compile(
    r"\b(?:dizzy|dizziness|headaches?|nausea|nauseous|nauseated|light ?headed|throwing up|vomiting"
    r"|drowsy|confused|passed out|fainted|feel(?:ing)? sick|feel(?:ing)? faint)\b"
)
_SMOKE_FIRE = re.compile(
    r"\bsmoke\b(?! detectors?\b| alarms?\b)|\bsmoke (?:detectors?|alarms?) (?:is |are |keeps |just )?"
    r"(?:going off|went off|sounding|blaring|goes off)\b"
    r"|\b(?:is|are|it'?s|was|started|keeps|been|unit|furnace|vents?) smoking\b|\bsmoking (?:from|out|coming)\b"
    r"|\bspark(?:s|ing|ed)?\b"
    r"|\bburning (?:smell|odor|odour|plastic|rubber|wires?|wiring)\b"
    r"|\bsmell(?:s|ing|ed)? (?:like )?(?:something )?(?:is )?burn(?:ing|t)\b|\bsmell of burning\b"
    r"|\belectrical (?:burning )?(?:smell|odor|fire)\b|\b(?:on|caught|catch|catching) fire\b"
    r"|\bfire (?:in|from|coming|inside|started|out of)\b|\bflames\b|\b(?:see|saw) (?:a )?flames?\b"
    r"|\bflames? (?:coming|shooting|rolling|out of|outside|everywhere|from)\b|\bmelt(?:ing|ed)\b"
)


# "the co detector is not going off", "gas smell isn't there": negated after the phrase.
_NEGATED_AFTER = re.compile(
    r"(?: (?:alarm|detector))? (?:is |are |was |has |have )?(?:not|isn'?t|wasn'?t|aren'?t|hasn'?t|"
    r"haven'?t|didn'?t|never|doesn'?t)\b"
)


def _hits(pattern: re.Pattern[str], utt: Utterance) -> int:
    count = 0
    for m in pattern.finditer(utt.norm):
        if negated(utt.tokens, token_index(utt.norm, m.start())):
            continue
        if _NEGATED_AFTER.match(utt.norm, m.end()):
            continue
        count += 1
    return count


# A chirping detector wants a battery; it is not alarming.
_BATTERY = re.compile(r"\b(?:chirp\w*|batter(?:y|ies)|low battery)\b")


def extract_emergency(utt: Utterance) -> EmergencyKind | None:
    if _hits(_GAS, utt):
        return "gas"
    if (_hits(_CO, utt) and not _BATTERY.search(utt.norm)) or _hits(_SYMPTOMS, utt) >= 2:
        return "carbon_monoxide"
    if _hits(_SMOKE_FIRE, utt):
        return "smoke_fire"
    return None
