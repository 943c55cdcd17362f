"""Caller names: "my name is …", "this is …", first + last, spelled letters, "D as in David".

A name is what follows an introduction, cut at the first word that cannot be part of a name; so
"this is about my furnace" yields nothing while "this is dana kim calling about my furnace" yields
"Dana Kim".
"""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.numbers import TEENS, TENS, UNITS
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext

# How recognisers write spelled letters.
LETTERS: dict[str, str] = {c: c for c in "abcdefghijklmnopqrstuvwxyz"}
LETTERS.update(
    {
        "bee": "b",
        "cee": "c",
        "dee": "d",
        "gee": "g",
        "jay": "j",
        "kay": "k",
        "el": "l",
        "ell": "l",
        "em": "m",
        "en": "n",
        "pee": "p",
        "cue": "q",
        "queue": "q",
        "ar": "r",
        "ess": "s",
        "es": "s",
        "tee": "t",
        "vee": "v",
        "ex": "x",
        "zee": "z",
        "zed": "z",
    }
)
# Letter names that are also everyday words count only inside a run of letters.
_WEAK_LETTERS = {
    "be": "b",
    "see": "c",
    "sea": "c",
    "are": "r",
    "you": "u",
    "why": "y",
    "tea": "t",
    "eye": "i",
    "oh": "o",
    "owe": "o",
    "pea": "p",
    "jay": "j",
    "kay": "k",
}

# Words that end (or rule out) a name after an introduction.
NOT_NAME: frozenset[str] = frozenset(
    """
a about above across after again against all almost already also although always am an and another
any anybody anyone anything apartment are area around as asap ask asking at available away back bad
basically be because been before behind being below best better between broke broken burning busy but
by call called calling calls can cannot cant can't check checking cold come coming completely
condition conditioner cooling could cousin daughter day definitely did didn't do does doesn't doing
don't done down dripping during each early either else emergency enough even evening ever every
everything exactly fine first for freezing from furnace gas get getting go going gone good got great
had has hasn't have haven't having he heat heater heating hello her here hey hi him his home hot
house how husband i i'm if in is isn't it it's its just kind know last late later leaking leak let
like little looking lot loud made make making many may maybe me mean might mine mom more morning most
mother much my myself need needing needs never new next nice no none noon nope not nothing now
number of off oh ok okay old on once one only or other our out over own please pretty probably
problem quick quite rather re really regarding reschedule right said same saying schedule second see
she should sir so some someone something sometimes soon sorry still street such sure system than
thank thanks that that's the their them then there there's these they this those though through
thursday time to today tomorrow too totally trying tuesday two under unit until up upstairs us very
wait waiting want wanted wanting was wasn't water way we we're well were what what's when where
whether which while who why will wife with without won't work working would wrong yeah yep yes yet
you your yours ac thermostat unit noise leaking smells smell wondering hoping glad happy sick tired
frustrated calling monday wednesday friday saturday sunday from the repair service technician tech
outside inside today's tonight weekend week month year years ago ma'am hoping here's just real person
representative operator human agent manager supervisor customer account appointment booked booking
stuck cool warm hot cold bit afraid scared worried concerned pretty super actually also basically
literally honestly maybe probably definitely yeah uh um hmm okay alright fine good
really finally totally quickly hardly barely nearly only early likely lovely usually currently
carrier trane lennox rheem goodman york bryant amana ruud daikin mitsubishi nest honeywell ecobee
american standard coleman payne heil tempstar janitrod frigidaire bosch fujitsu lg samsung
tired stuck frozen cold busted freezing boiling dying sweating melting done over ready here there
home back outside upstairs downstairs ridiculous crazy insane terrible awful urgent important
unbelievable serious seriously hoping able sure glad worried scared concerned confused annoyed
speaking humid stuffy noisy weird strange muggy chilly toasty drafty smelly dusty moldy quiet okay
worse sticky icy wet damp soaked flooded dark blank gas electric central forced dry hard tough
complicated confusing difficult easy simple possible impossible late important mine him us them
off on running blowing cycling rattling iced leaking sparking smoking beeping chirping clicking
humming buzzing making doing getting going coming working trying just only still even also
normal fine good great terrible awful horrible bad weird odd funny crazy nuts unbearable miserable
freezing sweltering roasting stifling brutal rough cozy comfortable uncomfortable
hold huh near rather im ive id ill again what who whom whose which where when how why hey hm
instead not everybody everyone gonna
dear honey hon sweetie sweetheart sugar darling darlin buddy
""".split()
)

# Word shapes that are rarely first names ("taking", "ridiculous", "worried"); "-ly" and most "-ed"
# endings are left out: Kimberly, Beverly, Mohammed.
_NUMBER_WORDS = frozenset({*UNITS, *TEENS, *TENS, "hundred", "thousand", "double", "triple", "oh"})
_NOT_NAME_SUFFIX = re.compile(
    r"(?:ing|ous|ful|ible|able|ive|less|ness|ment|ied|tted|ssed|sed|rned|cked|zed|pped|ved|shed|"
    r"ched|lled|ated|ally|ully|ily|ely)$"
)
# After a strong introduction the next word is a name even if it is also a word ("my name is Will").
_INTRO = Gated(
    re.compile(
        r"\b(?:(?P<strong>(?:the |my |our )?name (?:on|for) the account(?: is|'s)?|(?:name )?is on the account|"
        r"my name is|my name's|my names|name is|name's|the name is|call me|you can call me|"
        r"first name is|first name|spelled|spelt|it's spelled|its spelled|under the name(?: of)?|"
        r"(?:(?:it'?s|put it|book it|it should be) )?under my (?:name|husband'?s?|"
        r"wife'?s?|partner'?s?|son'?s?|daughter'?s?|mom'?s?|mother'?s?|dad'?s?|father'?s?|boyfriend'?s?|"
        r"girlfriend'?s?|landlord'?s?|tenant'?s?)(?: name)?(?: is| it'?s)?|"
        # "put it under the tenant, kayla moore", "put the name under my husband, daniel ortiz"
        r"(?:put|book|have)(?: it| the name| the appointment| that| the account)? under (?:my|the|our) "
        r"(?:husband|wife|partner|son|"
        r"daughter|mom|mother|dad|father|boyfriend|girlfriend|landlord|tenant|renter|owner|homeowner|roommate)(?:'?s)?"
        r"(?: name)?(?: is| it'?s)?|go with|(?:it'?s|it is|that'?s|it'?ll be) (?:gonna|going to) be|"
        r"(?:it'?s|put it|book it|it should be) under(?: the name(?: of)?)?|"
        r"put(?: it| me| that| that one| my name| the name)?(?: down)?(?: under| as| for)?(?: the name(?: as| of)?)?|"
        r"account(?:'s| is)? (?:probably |prolly |still |likely |actually |all )?(?:under|in)(?: the name(?: of)?)?"
        r"(?: my (?:husband|"
        r"wife|partner|son|daughter|mom|mother|dad|father|boyfriend|girlfriend)(?:'s name)?(?: is)?)?)"
        r"|(?:the )?name (?:would be|will be|is gonna be|is going to be|should be)|put (?:my|the|her|his) name(?: down)"
        r"?"
        r"(?: as| under)?"
        r"|this is|it's|its|it is|i'm|i am|im|speaking with|talking to|should be|it should be|(?:and )?the first is)\s+"
    ),
    (
        "account",
        "call me",
        "first name",
        "go with",
        "i am",
        "i'm",
        "im",
        "it is",
        "it'll be going to be",
        "it'll be gonna be",
        "it's",
        "itll",
        "its",
        "my names",
        "name is",
        "name will be",
        "name would be",
        "name's",
        "put",
        "should be",
        "speaking with",
        "spel",
        "talking to",
        "that's going to be",
        "that's gonna be",
        "thats",
        "the first is",
        "this is",
        "under",
    ),
)
_FUNCTION_WORDS = frozenset(
    """
a an the my your our his her their and or but so not no yes is was are it it's its i i'm me you we
they this that there here of to in on at for from with about by just really um uh like calling
wrong right correct incorrect spelled misspelled still also actually should
""".split()
)
_TITLES = frozenset(
    {
        *"mr mrs ms miss mister doctor dr missus sir madam".split(),
        # Clergy: "this is pastor james whitfield", "father o'malley".
        *"pastor reverend rev father deacon rabbi bishop elder".split(),
    }
)
# Brand names that are also common surnames: a surname after a first name ("harriet coleman"),
# a brand before the equipment ("my coleman furnace").
_SURNAME_BRANDS = frozenset("coleman payne york bryant heil ruud lennox".split())
_EQUIPMENT_AFTER = frozenset(
    "furnace unit system ac heater heat pump air conditioner thermostat boiler brand one model".split()
)
_STREET_AFTER = frozenset(
    {
        "street",
        "st",
        "avenue",
        "ave",
        "road",
        "rd",
        "drive",
        "lane",
        "ln",
        "boulevard",
        "blvd",
        "court",
        "circle",
        "way",
        "parkway",
        "trail",
        "cove",
        "place",
        "highway",
        "loop",
        "terrace",
    }
)
_LAST_NAME = Gated(
    re.compile(
        r"\b(?:last name|surname|family name)(?: is|'s)?\s+",
    ),
    (
        "family name",
        "last name",
        "surname",
    ),
)
_WITH_A = Gated(
    re.compile(
        r"\bwith an? ([a-z])\b",
    ),
    (
        "with a ",
        "with an ",
    ),
)
_APOSTROPHE_NAME = re.compile(r"^(?:o|d|l|mc|mac)'[a-z]{2,}$")
_NAME_WORD = re.compile(r"^[a-z][a-z'\-]*$")
_TITLE_PARTS = re.compile(r"(^|[\-'])([a-z])")


def _title(word: str) -> str:
    w = _TITLE_PARTS.sub(lambda m: m.group(1) + m.group(2).upper(), word)
    if len(w) > 2 and w.startswith("Mc"):
        w = "Mc" + w[2].upper() + w[3:]
    if w.endswith("'S"):  # possessive slipped in
        w = w[:-2] + "'s"
    return w


def _spelled_tokens(tokens: list[str]) -> list[str]:
    """Collapse spelled runs ("k i m", "d as in david a n a") into one `=word` token.

    "k-i-m" arrives here as "k i m": normalising drops the hyphens.
    """
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        letters: list[str] = []
        j = i
        while j < n:
            t = tokens[j]
            if j + 2 < n and t in LETTERS and tokens[j + 1] in ("as", "like", "for") and tokens[j + 2]:
                # "d as in david", "d like david", "d for david"
                k = j + 2
                if tokens[j + 1] == "as" and tokens[k] == "in" and k + 1 < n:
                    k += 1
                if tokens[k][0] == LETTERS[t] and tokens[k] not in _FUNCTION_WORDS:  # not "t like the fence"
                    letters.append(LETTERS[t])
                    j = k + 1
                    continue
            if t in LETTERS and (len(t) == 1 or letters or (j + 1 < n and tokens[j + 1] in LETTERS)):
                letters.append(LETTERS[t])
                j += 1
                continue
            if letters and t in _WEAK_LETTERS and (j + 1 < n and (tokens[j + 1] in LETTERS)):
                letters.append(_WEAK_LETTERS[t])
                j += 1
                continue
            break
        # "a" and "i" alone are words; a spelled run needs two letters.
        if len(letters) >= 2 and not (
            len(letters) == 2 and tokens[i] in ("a", "i") and j - i == 2 and tokens[i + 1] not in LETTERS
        ):
            out.append("=" + "".join(letters))
            i = j
            continue
        out.append(tokens[i])
        i += 1
    return out


# Street types that are also common surnames (Lane, Way, Hill): "jessica lane" can be a person.
_SURNAME_STREET_WORDS = frozenset({"lane", "way", "hill", "park", "grove", "court", "brook", "brooks", "field"})


def _collect(tokens: list[str], start: int, limit: int = 3, strong: bool = False, bare: bool = False) -> list[str]:
    """Name words from `start`: a spelled token replaces the word it spells out."""
    words: list[str] = []
    i = start
    if i < len(tokens) and tokens[i] in _TITLES:
        i += 1  # "doctor patel", "mrs johnson"
    while i < len(tokens) and len(words) < limit + 1:
        t = tokens[i]
        if not words and t in ("actually", "um", "uh", "just", "really", "she's", "he's", "that's", "named"):
            i += 1  # "my name's actually jon", "put it under the tenant she's maria santos"
            continue
        if len(words) >= 2 and t.lstrip("=") == words[0] and _said_again(tokens, i, words):
            break  # "j a e lee jae lee", "oluwaseun adeyemi o l u w a s e u n oluwaseun": the name again
        if words and t.lstrip("=") == words[-1]:
            i += 1  # "rachel, rachel green", "brooks b r o o k s brooks": said twice, one name
            continue
        if t in ("like", "as") and words and i + 1 < len(tokens) and tokens[i + 1].startswith("="):
            spelled = tokens[i + 1][1:]
            if spelled[0] == words[-1][0]:
                words[-1] = spelled  # "kim like k y m": the spelling is the name
                i += 2
                continue
        if t.startswith("=") and i + 1 < len(tokens) and _name_word(tokens[i + 1]):
            said = tokens[i + 1]
            if t[1:].endswith(said) and len(t) - 1 - len(said) >= 2 and t[1:] != said:
                # "d a n a k e e m keem": both names spelled in one run, the last one then said.
                words += [t[1 : len(t) - len(said)], said]
                i += 2
                continue
        if t.startswith("="):
            joined = "".join(words)
            if joined and t[1:] == joined or t[1:] in words:  # both names spelled, or one spelled again
                i += 1
                continue
            said_next = i + 1 < len(tokens) and tokens[i + 1] == t[1:]  # "priya s h a r m a sharma"
            if words and not said_next and (words[-1][0] == t[1] or _similar(words[-1], t[1:])):
                words[-1] = t[1:]
            else:
                words.append(t[1:])
            i += 1
            continue
        if t in ("spelled", "spelt", "spelling") and i + 1 < len(tokens) and tokens[i + 1].startswith("="):
            i += 1  # "my name is spelled s m y t h"
            continue
        if (
            strong
            and not words
            and t not in _FUNCTION_WORDS
            and t not in _NUMBER_WORDS
            and (_NAME_WORD.match(t) and len(t) >= 2)
        ):
            words.append(t)
            i += 1
            continue
        if (
            t == "and"
            and words
            and tokens[i + 1 : i + 2] == ["then"]
            and i + 2 < len(tokens)
            and _name_word(tokens[i + 2])
        ):
            i += 2  # "jennifer and then walsh": the next part of the name
            continue
        if t in _SURNAME_BRANDS and words and tokens[i + 1 : i + 2] != [] and tokens[i + 1] in _EQUIPMENT_AFTER:
            break  # "it's jim, our coleman furnace": the brand
        if t in _SURNAME_BRANDS and words:
            words.append(t)  # "harriet coleman": a surname
            i += 1
            continue
        if t in NOT_NAME or t in _NUMBER_WORDS or not _NAME_WORD.match(t) or len(t) < 2:
            break
        if "'" in t and not _APOSTROPHE_NAME.match(t):
            break  # "i'd", "that's": contractions, while O'Brien and D'Angelo are names
        if not words and len(t) > 5 and _NOT_NAME_SUFFIX.search(t):
            break  # "this is ridiculous", "this is taking forever"
        words.append(t)
        i += 1
    # A bare answer to the name question that ends in a surname like a street type: "jessica
    # jessica lane", "tom way" (nothing else said, no number): a person.
    surname = (
        bare
        and i == len(tokens)
        and len(words) == 2
        and words[0] not in _STREET_AFTER
        and words[1] in _SURNAME_STREET_WORDS
        and tokens[start] == words[0]
    )
    if not surname and (i < len(tokens) and tokens[i] in _STREET_AFTER or any(w in _STREET_AFTER for w in words[1:])):
        return []  # "it's duval street", "it's kerbey lane": a street, not a person
    return words[:limit]


def _said_again(tokens: list[str], i: int, words: list[str]) -> bool:
    """The first name word comes again after a spelling of it, or with the rest of the name after it."""
    if i > 0 and tokens[i - 1] == "=" + words[0]:
        return True
    return [t.lstrip("=") for t in tokens[i + 1 : i + len(words)]] == words[1:]


def _similar(word: str, spelled: str) -> bool:
    """A spelling right after a word clarifies that word ("cathy k a t h y")."""
    return abs(len(word) - len(spelled)) <= 2 and word[-1:] == spelled[-1:]


def _name_word(t: str) -> bool:
    return (
        len(t) >= 2
        and _NAME_WORD.match(t) is not None
        and t not in NOT_NAME
        and t not in _FUNCTION_WORDS
        and t not in _NUMBER_WORDS
        and t not in _STREET_AFTER
    )


def _said_again_fuller(tokens: list[str], word: str) -> list[str]:
    """One name word, said again later with the other half: "it's Jon without an h, Jon Pelletier",
    "my last name is Ferreira, F E R R E I R A, Lucas Ferreira" → both words."""
    seen = [k for k, t in enumerate(tokens) if t.lstrip("=") == word]
    for k in seen[1:]:
        if k + 1 < len(tokens) and _name_word(tokens[k + 1]) and k + 2 == len(tokens):
            return [word, tokens[k + 1]]
        taken_back = k > 1 and tokens[k - 2] == "not"  # "kang not kim k a n g": kim is taken back
        if k > 0 and _name_word(tokens[k - 1]) and tokens[k - 1].lstrip("=") != word and not taken_back:
            return [tokens[k - 1], word]
    return [word]


# "jean luc has a hyphen", "al sayed with a dash", "mary kate is hyphenated": the two words are one.
_HYPHEN_REMARK = Gated(
    re.compile(
        r"\b(?P<a>[a-z']+) (?P<b>[a-z']+),? (?:has a|with a|is with a|it'?s got a|is) (?:hyphen|dash)\b"
        r"|\b(?P<a2>[a-z']+) (?P<b2>[a-z']+),? (?:is )?hyphenated\b"
    ),
    (
        "dash",
        "hyphen",
    ),
)
# Who the caller is before the name: "i'm the property manager, karen fletcher".
_ROLE = re.compile(
    r"^(?:(?:hi|hello|yeah|yes|oh|um|uh|so|well) )*(?:i'?m|i am|this is) (?:the|a|her|his|their|your) "
    r"(?:property manager|manager|landlord|landlady|tenant|renter|owner|homeowner|home owner|daughter|son|wife|"
    r"husband|neighbou?r|caretaker|caregiver|care giver|nurse|super|superintendent|realtor|agent|niece|nephew|"
    r"grandson|granddaughter)\b,?"
)
# The name they want written, said after a fuller one: "sandra lee whitaker but just sandra whitaker is fine".
_BUT_JUST = re.compile(
    r"\bbut (?:just )?(?P<n>[a-z'\-]+(?: [a-z'\-]+){0,2}) (?:is fine|is good|is ok|is okay|works|will do|is enough)\b"
)


# A name started and then said again properly: "it's beth well elizabeth carter", "bob i mean robert".
_NAME_REPAIR = Gated(
    re.compile(
        r"(?<=[a-z]) (?:well|i mean|or rather|no wait)(?: (?:it'?s|its|um|uh))? (?=[a-z])",
    ),
    (
        " i mean ",
        " no wait ",
        " or rather ",
        " well ",
    ),
)
_NAME_REPAIR_START = re.compile(
    r"^(?:(?:oh|uh|um|yeah|yes|well|so|ha|haha|hah|okay|ok) )*(?:it'?s |its |this is |i'?m |my name is )?"
)


def _remark_free(utt: Utterance) -> Utterance:
    """The answer with a hyphen remark or a role said before the name taken out (the hyphen kept)."""
    raw = utt.norm
    hy = _HYPHEN_REMARK.search(raw)
    if hy:
        a, b = hy.group("a") or hy.group("a2"), hy.group("b") or hy.group("b2")
        rest = (raw[: hy.start()] + " " + raw[hy.end() :]).strip(" ,")
        if re.search(rf"\b{re.escape(a)} {re.escape(b)}\b", rest):
            raw = re.sub(rf"\b{re.escape(a)} {re.escape(b)}\b", f"{a}-{b}", rest, count=1)
    repair = _NAME_REPAIR.search(raw)
    lead = _NAME_REPAIR_START.match(raw)  # always matches: every part is optional
    lead_end = lead.end() if lead else 0
    if repair and repair.start() > lead_end and raw[repair.end() :].strip():
        raw = raw[:lead_end] + raw[repair.end() :]  # a name started, then said properly
    role = _ROLE.match(raw)
    if role and len(raw[role.end() :].split()) >= 1:
        raw = raw[role.end() :].strip(" ,")
    return utt if raw == utt.norm else Utterance.of(raw)


# Capitals told letter by letter: "dimarco, capital d little i capital m" → DiMarco.
_CASE_REMARK = Gated(
    re.compile(
        r"(?:\b(?:capital|big|upper ?case|little|small|lower ?case) [a-z]\b ?){2,}",
    ),
    (
        "big ",
        "capital ",
        "little ",
        "lower case ",
        "lowercase ",
        "small ",
        "upper",
    ),
)
_CASE_LETTER = re.compile(r"\b(capital|big|upper ?case|little|small|lower ?case) ([a-z])\b")


def _cased(name: str, remark: str) -> str:
    """The name with the capitals the caller told put in the word they spell the start of."""
    letters = [
        (m.group(2).upper() if m.group(1) in ("capital", "big") or "upper" in m.group(1) else m.group(2))
        for m in _CASE_LETTER.finditer(remark)
    ]
    prefix = "".join(letters).lower()
    words = name.split()
    for k, w in enumerate(words):
        if w.lower().startswith(prefix) and len(w) > len(prefix):
            words[k] = "".join(letters) + w[len(prefix) :]
            break
    return " ".join(words)


def extract_name(utt: Utterance, ctx: NluContext) -> str | None:
    """The caller's name, title-cased, from an introduction, a spelling, or a bare answer."""
    casing = _CASE_REMARK.search(utt.norm)
    if casing:
        utt = Utterance.of((utt.norm[: casing.start()] + " " + utt.norm[casing.end() :]).strip())
        name = extract_name(utt, ctx)
        return _cased(name, casing.group(0)) if name else None
    utt = _remark_free(utt)
    if ctx.expect == "name" and (just := _BUT_JUST.search(utt.norm)):
        wanted = just.group("n").split()
        before = utt.norm[: just.start()].split()
        if len(wanted) == 1 and len(before) >= 2 and any(_short_for(wanted[0], w) for w in before):
            utt = Utterance.of(utt.norm[: just.start()])  # a short form told, not the name to write down
        elif all(_name_word(w) for w in wanted):
            return " ".join(_title(w) for w in wanted)
    name = _extract_name(utt, ctx)
    if name is None and ctx.expect == "name" and "," in utt.raw:
        # "gus papadopoulos, good luck with that one": the name, then a remark after the comma.
        head = utt.raw.split(",", 1)[0]
        if 1 <= len(head.split()) <= 4:
            name = _extract_name(Utterance.of(head), ctx)
    return name


def _extract_name(utt: Utterance, ctx: NluContext) -> str | None:
    wa = _WITH_A.search(utt.norm)
    raw_tokens = _WITH_A.sub(" ", utt.norm).split() if wa else utt.tokens
    tokens = _spelled_tokens(raw_tokens)
    text = " ".join(tokens)
    words: list[str] = []
    intro_at = -1
    for m in _INTRO.finditer(text):
        if text[: m.start()].endswith("last "):
            continue  # "last name is lin": the surname, taken below
        start = text[: m.end()].count(" ")
        if words and not _PREFERRED.match(text, m.start()):
            continue
        found = _collect(tokens, start, strong=m.group("strong") is not None)
        if found:
            # "it's wilhelmina but just put billie": the name they want written wins.
            words, intro_at = found, m.start()
            if not _PREFERRED_LATER.search(text, m.end()):
                break
    # "schwartz s c h w a r t z and it's david": the surname spelled, then the first name added
    first_added = text[:intro_at].endswith(" and ") and "=" in text[:intro_at]
    first_named = _FIRST_NAME_INTRO.match(text, intro_at) or first_added
    if words and intro_at > 0 and ctx.expect == "name" and first_named and len(words) == 1:
        before = _collect(tokens, _skip_fillers(tokens, 0), limit=1)
        if before and before[0] != words[0]:
            words = [words[0], before[0]]  # "nguyen, n g u y e n, first name linh" → Linh Nguyen
    elif words and intro_at > 0 and ctx.expect == "name" and len(words) == 1 and text[:intro_at].endswith(" and "):
        before = _collect(tokens, _skip_fillers(tokens, 0), limit=1)
        if before and before[0] != words[0] and text[:intro_at].count(" ") <= 3:
            words = [before[0], words[0]]  # "greg, and it's pohl, p o h l": the surname added
    first_intro = _FIRST_NAME_LATER.search(text, max(intro_at, 0) + 1) if len(words) == 1 else None
    if first_intro:
        first = _collect(tokens, text[: first_intro.end()].count(" "), limit=1, strong=True)
        if first and first[0] != words[0]:
            words = [first[0], words[0]]  # "it's nguyen n g u y e n first name is tuan" → Tuan Nguyen
    if not words and ctx.expect == "name":
        # A bare answer to "what's your name?": "dana kim", "uh it's dana", "k i m".
        start = _skip_fillers(tokens, 0)
        words = _collect(tokens, start, limit=5, bare=True)
        # What follows the name: after the first time its last word is said ("travis t r a v i s and
        # then boone like daniel boone": "like daniel" follows).
        said_at = [k for k in range(start, len(tokens)) if tokens[k].lstrip("=") == (words or [""])[-1]]
        after = said_at[0] + 1 if said_at else start + len(words)
        rest = [t for t in tokens[after:] if t.lstrip("=") not in words]
        said = [t for t in rest if t not in _ADDRESS_TERMS and not t.startswith("=")]
        spelling = not said or said[0] in _SPELLING_REMARK or len(rest) > 1 and rest[0] in ("with", "without")
        last_next = _LAST_CUE.search(" ".join(rest[:4])) is not None
        if (
            rest
            and rest[0] not in ("calling", "here", "speaking", "last")
            and len(tokens) - start > 6
            and not (spelling or last_next)
        ):
            words = []  # a sentence, not a name
    last = _LAST_NAME.search(text)
    if last:
        lw = _collect(tokens, text[: last.end()].count(" "), limit=1)
        if lw and (not words or lw[0] != words[-1]):
            words = (words[:1] + lw) if words else lw
    if not words:
        return None
    if len(words) == 1:
        words = _said_again_fuller(tokens, words[0])
    if wa:  # "kim with a k" / "catherine with a k": the initial is what they say
        letter = wa.group(1)
        if words[-1][0] != letter and words[-1][0] in "ck" and letter in "ck":
            words[-1] = letter + words[-1][1:]
    # Hyphenated names lose their hyphen in normalising: "mary-jane", "jean-luc".
    raw = utt.raw.lower()
    joined: list[str] = []
    for w in words:
        if joined and f"{joined[-1]}-{w}" in raw:
            joined[-1] = f"{joined[-1]}-{w}"
        else:
            joined.append(w)
    if len(joined) >= 3 and joined[0] == joined[-1]:
        if wa and re.search(rf"\b{re.escape(joined[-1])} with an? [a-z]$", utt.norm):
            joined = joined[:-1]  # "katherine ross, katherine with a k": the spelling remark's word
        else:
            joined = joined[1:]  # surname first, then the whole name: "thompson, harold thompson"
    if len(joined) >= 3 and joined[0] != joined[1] and _short_for(joined[0], joined[1]):
        joined = joined[1:]  # "kate um katherine dubois", "bob robert hale": the short name, then the full one
    joined = joined[:3]
    return _fuller(" ".join(_title(w) for w in joined), utt.norm, ctx.current_name)


_ADDRESS_TERMS = frozenset("dear honey hon sweetie sweetheart sugar darling darlin buddy ma'am sir".split())
# What callers add after a name about how it is written: "with two r's", "that's jo anne two words".
_SPELLING_REMARK = frozenset("with without like that's spelled as two double one no capital but".split())
_FILLERS = frozenset(
    "yeah yes sure ok okay well so oh hi hello thing um uh yep yup alright of course certainly absolutely right".split()
)
# Intros that name the name to write down; said after another name, they win.
# "my name is amy chen" after the account's company name: the person's name. "everybody calls me
# bob" is a nickname told, not the name to write down.
_PREFERRED = re.compile(r"(?:just )?(?:put|call me|go with)\b|(?:but )?my name(?: is|'s)\b")
_PREFERRED_LATER = re.compile(r"\b(?:but|just) (?:just )?(?:put|call me|go with)\b|\bmy name(?: is|'s)\b")
_FIRST_NAME_INTRO = Gated(
    re.compile(
        r"(?:and )?(?:the )?first(?: name| is| one is)",
    ),
    (
        "first is",
        "first name",
        "first one is",
    ),
)
_FIRST_NAME_LATER = re.compile(r"\bfirst name(?: is|'s)?\s+")
_LAST_CUE = re.compile(r"\b(?:last|sur|family) ?name\b|\bsurname\b")
_FIRST_CUE = re.compile(r"\bfirst name\b")


# Common English short forms of given names, for a short name said before the full one.
_SHORT_FORMS: dict[str, frozenset[str]] = {
    short: frozenset(full.split())
    for short, full in {
        "bob": "robert",
        "bobby": "robert",
        "rob": "robert",
        "robbie": "robert",
        "beth": "elizabeth",
        "liz": "elizabeth",
        "lizzie": "elizabeth",
        "betty": "elizabeth",
        "eliza": "elizabeth",
        "bill": "william",
        "billy": "william",
        "will": "william",
        "jim": "james",
        "jimmy": "james",
        "mike": "michael",
        "dave": "david",
        "tom": "thomas",
        "tommy": "thomas",
        "dick": "richard",
        "rick": "richard",
        "chuck": "charles",
        "charlie": "charles",
        "kate": "katherine catherine kathryn",
        "katie": "katherine catherine kathryn",
        "cathy": "catherine cathleen",
        "peggy": "margaret",
        "maggie": "margaret",
        "meg": "margaret megan",
        "sue": "susan suzanne",
        "jen": "jennifer",
        "jenny": "jennifer",
        "tony": "anthony antonio",
        "joe": "joseph",
        "sam": "samuel samantha",
        "alex": "alexander alexandra alejandro",
        "andy": "andrew",
        "drew": "andrew",
        "dan": "daniel",
        "danny": "daniel",
        "ed": "edward",
        "eddie": "edward",
        "ted": "edward theodore",
        "larry": "lawrence",
        "jerry": "gerald jerome",
        "greg": "gregory",
        "pat": "patricia patrick",
        "patty": "patricia",
        "nick": "nicholas",
        "steve": "stephen steven",
        "chris": "christopher christine christina",
        "matt": "matthew",
        "ben": "benjamin",
        "jack": "john",
        "debbie": "deborah",
        "becky": "rebecca",
        "hank": "henry",
        "harry": "harold henry",
        "walt": "walter",
        "fred": "frederick",
        "al": "albert alan allen alfred",
        "ron": "ronald",
        "don": "donald",
        "ken": "kenneth",
        "tim": "timothy",
        "vicky": "victoria",
        "abby": "abigail",
        "mandy": "amanda",
        "gabe": "gabriel",
        "manny": "manuel",
        "lupe": "guadalupe",
        "pepe": "jose",
        "paco": "francisco",
    }.items()
}


def _short_for(short: str, full: str) -> bool:
    """`short` is a short form of `full`: a known one, or its first three letters ("kate", "katherine")."""
    return full in _SHORT_FORMS.get(short, ()) or len(short) >= 3 and full.startswith(short[:3])


def _skip_fillers(tokens: list[str], start: int) -> int:
    while start < len(tokens) and tokens[start] in _FILLERS:
        start += 1
    return start


def _fuller(name: str, norm: str, current: str | None) -> str:
    """One name word said as a correction, put in its place in the name we have: "my last name is
    kang" (we have Dana Kim) → Dana Kang; "it's diana not dana" → Diana Kim; "d a n n a" → Danna Kim.
    Left alone when nothing says which half it is."""
    if not current or " " in name:
        return name
    parts = current.split()
    if len(parts) < 2:
        return name
    first, last = parts[0], parts[-1]
    taken = re.search(r"\bnot ([a-z'\-]+)", norm)
    if _LAST_CUE.search(norm) or taken and taken.group(1) == last.lower():
        return f"{' '.join(parts[:-1])} {name}"
    if _FIRST_CUE.search(norm) or taken and taken.group(1) == first.lower():
        return f"{name} {' '.join(parts[1:])}"
    near_first, near_last = _near(name.lower(), first.lower()), _near(name.lower(), last.lower())
    if near_last and not near_first:
        return f"{' '.join(parts[:-1])} {name}"
    if near_first and not near_last:
        return f"{name} {' '.join(parts[1:])}"
    return name


def _near(a: str, b: str) -> bool:
    """A respelling of the same name: same first letter, at most two edits apart."""
    if a == b or not a or not b or a[0] != b[0]:
        return False
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] <= 2
