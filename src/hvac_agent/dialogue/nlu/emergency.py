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
    r"\b(?:smell(?:s|ing|ed)?|odor|odour|whiff|scent|reek(?:s|ing|ed)?|stinks?|stinking)(?: (?:strongly|really|kind of|"
    r"kinda|a lot|faintly|"
    r"like|of|some|natural|propane|a|little|bit|the))* (?:gas|propane)\b"
    # Spanish, as callers mix it in: "huele a gas", "olor a gas", "fuga de gas"
    r"|\b(?:huele|huelo|olor|olores) (?:a|de) gas\b|\bfuga de gas\b"
    r"|\b(?:gas|propane) (?:smell|odor|odour|leak|leaking|smells|is leaking)\b"
    r"|\b(?:leaking|leak of|leaky) (?:gas|propane)\b"
    r"|\b(?:gas|propane|natural gas|methane) (?:detector|alarm|monitor|sensor)s?\b"
    r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,4}? (?:stove|burner|range|oven)(?: \S+){0,2}? (?:on|running|left on)\b"
    r"|\brotten eggs?\b|\bsulfur\b|\bsulphur\b|\bgas (?:line|pipe) (?:is )?(?:broken|leaking|hissing)\b"
    r"|\b(?:smell\w*|stinks?|stinky|odou?r)(?: (?!not\b|no\b|never\b|nothing\b)\S+){0,3}? "
    r"(?:eggs?|sulfur|sulphur|(?:a )?(?:struck )?match(?:es)?|"
    # the odorant's sulphur, as burnt powder: "smells like a firecracker went off"
    r"firecrackers?|fire ?works?|gun ?powder|cap guns?)\b"
    r"|\b(?:firecrackers?|fire ?works?|gun ?powder|cap guns?)(?: \S+){0,3}? (?:smell\w*|odou?rs?|stink\w*|scent)\b"
    # The odorant's other common likenesses: rotten cabbage, "rotting cabbage smell".
    r"|\b(?:rotten|rotting|spoiled) cabbage\b|\b(?:smell\w*|stinks?|stinky|odou?r)(?: \S+){0,3}? cabbage\b"
    r"|\b(?:hiss\w*|smell\w*|stinks?|odou?r)(?: \S+){0,8}? gas (?:line|meter|pipe|valve|hookup|connection)s?\b"
    r"|\bgas (?:line|meter|pipe|valve|hookup|connection)s?(?: \S+){0,8}? (?:hiss\w*|smell\w*|stinks?|odou?r)\b"
)
_CO = re.compile(
    r"\bcarbon monoxide\b|\bmonoxide\b"
    # The letters as a recogniser may write them: "see oh alarm", "c oh detector".
    r"|\b(?:co|c o|co2|c o 2|co two|c o two|cl|see oh|see o|sea oh|cee oh|c oh) "
    r"(?:alarm|alarms|detector|detectors|monitor|sensor|reader|meter|"
    r"levels?|reading)\b"
    # A detector's screen showing the letters: "it says co on the screen", "the display reads c o".
    r"|\b(?:says|reads|reading|shows|showing|flashing|display(?:s|ing)?) (?:co|c o)\b(?! op\b)"
    r"|\b(?:co|c o) (?:on|across) (?:the |its |it'?s )?(?:screen|display|readout)\b"
    # Half the name, with the device or its sound near: "the carbon one is going off", "the
    # detector, the carbon thing, keeps beeping" (not a carbon filter or a carbon copy).
    r"|\bcarbon\b(?! (?:filters?|footprint|copy|copies|steel|fib(?:er|re)|credits?|offsets?|dating|paper))"
    r"(?: \S+){0,6}? (?:alarms?|detectors?|monitors?|sensors?|going off|went off|goes off|beep\w*|blar\w*|"
    r"sound\w*|scream\w*|chirp\w*)\b"
    r"|\b(?:alarms?|detectors?|monitors?|sensors?)(?: \S+){0,8}? carbon\b(?! (?:filters?|footprint|copy))"
    # "…keeps going off, it's the carbon one": which detector, said after the alarm
    r"|\b(?:alarms?|detectors?|monitors?|sensors?|going off|went off|goes off|beep\w*)\b(?: \S+)*? "
    r"(?:the |a )?carbon (?:one|thing|kind)\b"
    # Combined smoke/CO detectors by their brand: "the nest protect is going off".
    r"|\b(?:nest protect|first alert|kidde)\b(?: \S+){0,5}? (?:going off|went off|goes off|beep\w*|blar\w*|"
    r"scream\w*|sound\w*|alarm\w*)\b"
)
_SYMPTOMS = re.compile(
    r"\b(?:dizzy|dizziness|headaches?|nausea|nauseous|nauseated|light ?headed|throwing up|vomiting"
    r"|drowsy|confused|passed out|fainted|feel(?:s|ing)? (?:sick|faint|ill|woozy|queasy|funny|off)|woozy|queasy|"
    r"sick to (?:my|our|their|his|her) stomachs?|lethargic|sleepy|flu ?(?:like )?symptoms|short of breath)\b"
    # Pets show carbon monoxide first: "the dog is acting sick", "my cat's acting weird".
    r"|\b(?:dogs?|cats?|pets?|puppy|kitten|birds?)(?:'s| is| are)? (?:\S+ ){0,2}?(?:acting |seems? |looks? )"
    r"(?:sick|weird|strange|funny|off|drunk|out of it|lethargic|dazed)\b"
    r"|\b(?:dogs?|cats?|pets?|puppy|kitten|birds?)(?:'s| is| are)? (?:keeps? |kept |been |started )?(?:throwing up|"
    r"vomiting|stumbling|wobbly|falling over)\b"
)
# A symptom shared by the household, or tied to the heat coming on, is the carbon monoxide pattern.
_SHARED = re.compile(
    r"\b(?:everyone|everybody|all of us|we all|we both|both of us|the whole family|whole family|the kids|my kids|"
    r"the family|all (?:have|got|feel))\b"
    r"|\b(?:since|when|whenever|every time|after) (?:we |i )?(?:turned|turn|switched|kick|kicked|started|start)\w* "
    r"(?:on )?(?:the )?(?:heat|heater|furnace|heating)\b"
    r"|\b(?:since|when|whenever|every time|after|once) (?:the |our |my )?(?:heat|heater|furnace|heating|boiler) "
    r"(?:came|comes|kicked|kicks|turned|turns|started|starts|is|was|runs|ran|fired|fires)\b(?: on| up| running)?"
    r"|\b(?:when|whenever|every time|while|once) (?:the |our |my )?(?:heat|heater|furnace|heating|boiler)'s "
    r"(?:on|running|going)\b"
    # The caller ties the symptom to the heating equipment: "worst headache ... i think it's the heater".
    r"|\b(?:think|thinking|because of|from|blame|it'?s|its) (?:it'?s |its )?(?:the |our |my )"
    r"(?:heater|furnace|boiler|heating|gas heater|space heater)\b"
)
_SMOKE_FIRE = re.compile(
    r"(?<!cigarette )(?<!cigar )(?<!tobacco )(?<!wildfire )(?<!bbq )(?<!barbecue )\bsmoke\b(?! detectors?\b| alarms?\b)"
    r"|\bsmoke (?:detectors?|alarms?) (?:is |are |keeps |just )?"
    r"(?:going off|went off|sounding|blaring|goes off)\b"
    r"|\b(?:is|are|it'?s|was|started|keeps|been|unit|furnace|vents?) smoking\b|\bsmoking (?:from|out|coming)\b"
    # Smoke said as what the air is like: "it's smoky in the living room", "a smokey haze".
    r"|\bsmok(?:y|ey|iness)\b(?! (?:cigarette|cigar|tobacco|bbq|barbecue|fireplace|flavou?r))"
    r"|\bspark(?:s|ing|ed)?\b"
    r"|\bburning (?:smell|odor|odour|plastic|rubber|wires?|wiring)\b"
    r"|\bsmell(?:s|ing|ed)?(?: \S+){0,5}? burn(?:ing|t)\b|\bsmell of burning\b"
    r"|\bburn(?:ing|t) (?:\S+ ){0,3}?(?:smell|odou?r)\b"
    # ozone: the smell of electrical arcing in a motor or wiring
    r"|\bozone\b(?: \S+){0,3}? (?:smell|odou?r|stink|scent)\b"
    r"|\b(?:smell\w*|odou?r|stinks?|reeks?)(?: \S+){0,4}? ozone\b"
    r"|\belectrical (?:burning )?(?:smell|odor|fire)\b|\b(?:on|caught|catch|catching) fire\b"
    # Scorching, and hot wiring or plastic, are burning said another way.
    r"|\bscorch\w*\b|\bcharred\b|\bburnt (?:rubber|plastic|wires?|wiring|insulation)\b"
    # Arcing: a flash or crackle at the wiring.
    r"|\barc(?:ing|ed)\b|\b(?:flash(?:es|ing)?|crackl\w*|sizzl\w*)(?: \S+){0,3}? (?:from|in|at|out of|behind) "
    r"(?:the |my |our )?(?:breaker\w*|panel|outlet|disconnect|wires?|wiring|walls?|plug)\b"
    r"|\b(?:smell\w*|stinks?|odou?r|reeks?)(?: \S+){0,4}? hot (?:wir\w+|electric\w*|plastic|rubber|insulation|metal)\b"
    # The same smell named first ("a hot wire smell", "electric smell"), or said as electrical.
    r"|\b(?:hot|melt\w*|fried|cooked) (?:wir\w+|electric\w*|plastic|rubber|insulation|outlet)s? "
    r"(?:smell|odou?r|stink|scent)\b|\belectric(?:al)? (?:\S+ )?(?:smell|odou?r|stink)\b"
    r"|\b(?:smell\w*|stinks?|odou?r)(?: (?:like|kinda|kind of|sort of|of|an?|some|really))* "
    r"(?:electric\w*|hot wir\w+|wir(?:es|ing) (?:burning|melting|frying)|an outlet)\b"
    r"|\bfire (?:in|from|coming|inside|started|out of)\b|\bflames\b|\b(?:see|saw) (?:a )?flames?\b"
    r"|\bflames? (?:coming|shooting|rolling|out of|outside|everywhere|from)\b|\bmelt(?:ing|ed)\b"
    # Flame rollout: fire outside the burner, said the trade's way or the plain way.
    r"|\b(?:flame|fire) ?roll ?outs?\b|\bfire (?:rolling|shooting|pouring|blowing|licking|spitting)\b"
    # A flame where no flame belongs: outside the burner, out of the front, "where it shouldn't be".
    r"|\b(?:flame|fire)\b(?! sensor)(?: \S+){0,5}? (?:outside (?:of )?(?:the |my |our )?(?:furnace|heater|burner|"
    r"unit|box|cabinet|panel|door|closet)|out (?:of|from|the (?:front|bottom|side|top)(?: of)?) (?:the |my |our )?"
    r"(?:furnace|heater|burner|unit|box|cabinet|panel|door|vents?|boiler)|where (?:it|they) (?:shouldn'?t|should not|"
    r"isn'?t supposed|aren'?t supposed|don'?t belong|doesn'?t belong)|"
    r"(?:licking|jumping|spilling|dancing|curling|reaching) (?:out|outside|around))"
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
_BATTERY = re.compile(r"\b(?:batter(?:y|ies)|low battery)\b|^(?:\S+ ){0,6}chirp\w*(?: \S+){0,3}$")


# The dust that burns off a heater's first run of the season: a question, not a fire (unless the
# caller says it is not dust: "burning, not like dust").
_DUST = re.compile(r"\bdust\w*\b")
# Gas utilities describe the odorant as rotten eggs or a skunk; a skunk smell with no animal named
# as its source (sprayed, under the house, dead) is treated as gas.
_SKUNK_SMELL = re.compile(
    r"\b(?:smell\w*|stinks?|odou?r|reeks?)(?: \S+){0,4}? skunk\w*\b|\bskunk\w*(?: \S+)? (?:smell|odou?r|stink)"
)
_REAL_SKUNK = re.compile(
    r"\bskunks? (?:sprayed|got|is|was|lives?|living|died|under|in the (?:yard|crawl|attic|garage))\b"
    r"|\bdead skunk|\bsprayed\b|\bskunk (?:family|den)\b"
)
# "we had a fire in the kitchen last year": history, not a fire now.
_PAST_FIRE = re.compile(r"\b(?:had|was) a (?:\w+ )?fire\b|\bfire (?:\S+ ){0,5}(?:last (?:year|month|week)|ago)\b")
_NOW_FIRE = re.compile(r"\b(?:now|right now|again|still|smok\w+|sparks?|sparking|flames?|burning)\b")
_SEEN_FIRE = re.compile(r"\b(?:smoke|smoking|sparks?|sparking|flames?|fire)\b")


def _said(pattern: re.Pattern[str], utt: Utterance) -> bool:
    """The pattern is said and not negated before it ("not like dust", "there's no skunk")."""
    return any(not negated(utt.tokens, token_index(utt.norm, m.start())) for m in pattern.finditer(utt.norm))


# "like a skunk sprayed inside": a likeness, not an animal, so the odorant.
_LIKENESS_BEFORE = re.compile(r"\b(?:like|as if|as though) (?:a |an |some )?(?:skunk (?:just |got |had )?)?$")


def _skunk_gas(utt: Utterance) -> bool:
    if not _hits(_SKUNK_SMELL, utt):
        return False
    real = [m for m in _REAL_SKUNK.finditer(utt.norm) if not _LIKENESS_BEFORE.search(utt.norm[: m.start()])]
    return not any(not negated(utt.tokens, token_index(utt.norm, m.start())) for m in real)


def extract_emergency(utt: Utterance) -> EmergencyKind | None:
    if _hits(_GAS, utt) or _skunk_gas(utt):
        return "gas"
    symptoms = _hits(_SYMPTOMS, utt)
    if (_hits(_CO, utt) and not _BATTERY.search(utt.norm)) or symptoms >= 2 or (symptoms and _SHARED.search(utt.norm)):
        return "carbon_monoxide"
    past = _PAST_FIRE.search(utt.norm) and not _NOW_FIRE.search(utt.norm)
    if _hits(_SMOKE_FIRE, utt) and not past and not (_said(_DUST, utt) and not _SEEN_FIRE.search(utt.norm)):
        return "smoke_fire"
    return None
