"""Service addresses: house number, street (type, directionals), unit, and a 5-digit ZIP.

Works on the digitised tokens, so "forty four ten duval street" is already "4410 duval street".
Hand rules cover the way people say addresses on the phone; `usaddress` (a trained CRF) is the
fallback when we asked for an address and the rules found no street type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from hvac_agent.caller_caches import caller_text_cache
from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.names import LETTERS
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext

STREET_TYPES: dict[str, str] = {
    "street": "Street",
    "st": "Street",
    "avenue": "Avenue",
    "ave": "Avenue",
    "av": "Avenue",
    "road": "Road",
    "rd": "Road",
    "drive": "Drive",
    "dr": "Drive",
    "lane": "Lane",
    "ln": "Lane",
    "boulevard": "Boulevard",
    "blvd": "Boulevard",
    "court": "Court",
    "ct": "Court",
    "circle": "Circle",
    "cir": "Circle",
    "way": "Way",
    "place": "Place",
    "pl": "Place",
    "parkway": "Parkway",
    "pkwy": "Parkway",
    "highway": "Highway",
    "hwy": "Highway",
    "trail": "Trail",
    "trl": "Trail",
    "terrace": "Terrace",
    "loop": "Loop",
    "cove": "Cove",
    "cv": "Cove",
    "run": "Run",
    "pass": "Pass",
    "path": "Path",
    "bend": "Bend",
    "crossing": "Crossing",
    "square": "Square",
    "plaza": "Plaza",
    "pike": "Pike",
    "row": "Row",
    "alley": "Alley",
    "expressway": "Expressway",
    "freeway": "Freeway",
    "point": "Point",
    "ridge": "Ridge",
    "glen": "Glen",
    "walk": "Walk",
    "hollow": "Hollow",
    "view": "View",
    "cv.": "Cove",
    "trace": "Trace",
    "landing": "Landing",
    "park": "Park",
    "center": "Center",
}
DIRECTIONS: dict[str, str] = {
    "north": "North",
    "south": "South",
    "east": "East",
    "west": "West",
    "n": "North",
    "s": "South",
    "e": "East",
    "w": "West",
    "northeast": "Northeast",
    "northwest": "Northwest",
    "southeast": "Southeast",
    "southwest": "Southwest",
    "ne": "NE",
    "nw": "NW",
    "se": "SE",
    "sw": "SW",
}
# The halves of a duplex are said as sides: "side a", "we're the b side".
_DUPLEX_SIDE = Gated(
    re.compile(
        r"\bside ([a-d])\b(?! (?:of|door|yard|bit|little|lot))|\bthe ([a-d]) side\b",
    ),
    (
        "side a",
        "side b",
        "side c",
        "side d",
        "the a side",
        "the b side",
        "the c side",
        "the d side",
    ),
)
_PLEX = re.compile(r"\b(?:duplex|triplex|fourplex|quadplex|four ?plex|side by side)\b")
UNIT_WORDS: dict[str, str] = {
    "apartment": "Apt",
    "apt": "Apt",
    "unit": "Unit",
    "suite": "Suite",
    "ste": "Suite",
    "building": "Bldg",
    "bldg": "Bldg",
    "lot": "Lot",
    "space": "Space",
    "room": "Room",
    "hash": "Unit",  # "cameron road hash one": the # said
    "pound": "Unit",  # "shoal creek boulevard pound 14": the # said the other way
}
# Hesitations inside a street name, skipped once the name has begun.
_FILLERS = frozenset({"uh", "um", "umm", "uhm", "er", "erm", "ah", "hmm", "yeah"})
# Words that never belong to a street name: they end the search.
_NOT_STREET = frozenset(
    """
and my is the a an at in on it's its i i'm we our zip code number phone apartment apt unit suite
building lot but so please thanks thank you yes yeah no not it that this with for from of to by
furnace ac heat heater heating air cooling system problem broken out working there here name call
calling about been has have had was were are be will would can could should house home degrees
years year old kids people hours minutes days weeks am pm o'clock dollars bucks times story floor
""".split()
)
_ADDRESS_CUE = re.compile(
    r"\b(?:address|address is|address's|live at|living at|located at|i'?m at|we'?re at|it'?s at|at|on|"
    r"house is|home is)\s*$"
)
_NOT_ZIP_AFTER = frozenset(
    {
        "btu",
        "btus",
        "dollars",
        "bucks",
        "miles",
        "square",
        "sq",
        "feet",
        "degrees",
        "percent",
        "hours",
        "years",
        "times",
        "people",
        "calls",
        "watts",
        "volts",
    }
)
_ZIP_BEFORE = re.compile(r"\b(?:in|at|area|austin|texas|tx|city|town|near)\s*$")
_ZIP_CUE = re.compile(r"\b(?:zip|zipcode|zip code|postal code|postcode)\b")
_NO_UNIT = Gated(
    re.compile(
        r"\b(?:no (?:apartments?|apt|units?|suites?)(?: numbers?)?|not an? (?:apartment|unit|condo)"
        r"|(?:it'?s|its|it is) (?:just )?a (?:single family )?(?:house|home)"
        r"|single family(?: home| house)?|there'?s no (?:unit|apartment|apt)"
        r"|(?:just|only) (?:a|the|one|our|my)(?: one)? (?:house|home)"
        r"|there (?:isn'?t|is not|ain'?t) (?:one|any|an? (?:unit|apartment|apt))|(?:don'?t|do not) have (?:one|any|an? "
        r"(?:unit|apartment|apt)(?: number)?)|^(?:no|nope|nah)(?: there(?:'s| is) not?)?(?: one| none)?$"
        r"|(?:no|nope) (?:it'?s|its) a house|it'?s a standalone|no unit number"
        # "the garage apartment out back, there's no number on it", "not that i know of"
        r"|(?:there'?s|there is|it has|it'?s got) no number|no number on (?:it|the door|there)|not that i know of)\b"
        r"|^(?:that'?s |it'?s |that |it )?(?:not applicable|n a|none|does not apply|doesn'?t apply)$"
    ),
    (
        "aint",
        "apply",
        "apt",
        "don't have a apartment",
        "don't have a unit",
        "don't have an unit",
        "don't have any",
        "don't have one",
        "dont",
        "home",
        "isn",
        "it is a house",
        "it's a house",
        "its a house",
        "just a house",
        "just a one house",
        "just my house",
        "just my one house",
        "just one house",
        "just one one house",
        "just our house",
        "just our one house",
        "just the house",
        "just the one house",
        "n a",
        "nah",
        "no",
        "only",
        "single family",
        "standalone",
        "there ain't a apartment",
        "there ain't a unit",
        "there ain't an unit",
        "there ain't any",
        "there ain't one",
    ),
)


# State names and the postal codes that are not also everyday words ("in", "me", "or", "ok", "hi").
STATES = frozenset(
    """
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah
vermont virginia washington wisconsin wyoming tx ca fl ny nj az nm nv ut ga nc sc tn ky va wv md ct ri
vt nh mn wi il mi ks ia ar ms sd nd mt wy ak
""".split()
)
_NUMBERED_ROADS = frozenset({"highway", "hwy", "route", "fm", "interstate", "rr", "sh", "us"})
_ROAD_QUALIFIERS = frozenset({"county", "ranch", "market", "state", "farm", "private"})


def _numbered_road(toks: list[str], j: int) -> bool:
    t = toks[j]
    if t in _NUMBERED_ROADS:
        return True
    return t in ("road", "rd") and j > 0 and toks[j - 1] in _ROAD_QUALIFIERS


@dataclass
class AddressResult:
    street: str | None = None
    unit: str | None = None
    no_unit: bool = False
    zip: str | None = None
    runs: set[int] = field(default_factory=set)


def _street_word(tok: str) -> str:
    if tok in DIRECTIONS:
        return DIRECTIONS[tok]
    if tok in STREET_TYPES:
        return STREET_TYPES[tok]
    if tok[:1].isdigit():
        return tok
    return tok[:1].upper() + tok[1:]


_MEASURES = frozenset(
    {
        "years",
        "year",
        "degrees",
        "degree",
        "feet",
        "foot",
        "minutes",
        "hours",
        "days",
        "weeks",
        "months",
        "tons",
        "ton",
        "percent",
        "bucks",
        "dollars",
        "times",
        "old",
    }
)
# "unit", "room", "space", "lot" also name equipment and places: "the outside unit", "living room".
_EQUIPMENT_BEFORE = frozenset(
    {
        "the",
        "ac",
        "outside",
        "outdoor",
        "indoor",
        "hvac",
        "whole",
        "heating",
        "cooling",
        "this",
        "that",
        "upstairs",
        "downstairs",
        "attic",
        "window",
        "condenser",
        "furnace",
        "new",
        "old",
        "a",
        "living",
        "bed",
        "dining",
        "family",
        "laundry",
        "utility",
        "crawl",
        "storage",
        "of",
        "c",
    }
)


def _equipment_sense(toks: list[str], i: int) -> bool:
    if toks[i] not in ("unit", "room", "space", "lot", "building"):
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if nxt == "is" and i + 2 < len(toks):
        nxt = toks[i + 2]  # "the unit is 5b": an apartment; "the unit is making noise": equipment
    return i > 0 and toks[i - 1] in _EQUIPMENT_BEFORE and nxt != "number" and not nxt[:1].isdigit()


def _unit_value(toks: list[str], i: int) -> tuple[str, int] | None:
    """The unit designator after a unit word: "2 b" → "2B", "b" → "B", "204" → "204"."""
    if i >= len(toks):
        return None
    while i + 1 < len(toks) and toks[i] in ("number", "is", "actually", "it's", "its", "no", "num"):
        i += 1  # "apartment number 5", "the apartment is actually 4c"
    t = toks[i]
    if re.fullmatch(r"#?\d{1,5}[a-z]?|\d{6,9}", t):
        value = t.lstrip("#").upper()
        if (
            i + 1 < len(toks)
            and toks[i + 1] in LETTERS
            and len(toks[i + 1]) <= 3
            and toks[i + 1]
            not in (
                "a",
                "i",
                "and",
                "are",
                "see",
                "you",
                "why",
                "be",
                "ex",
            )
            and not value[-1].isalpha()
        ):
            return value + LETTERS[toks[i + 1]].upper(), i + 2
        if (
            i + 1 < len(toks)
            and toks[i + 1] == "a"
            and (i + 2 == len(toks) or toks[i + 2] in ("and", "zip", "in"))
            and not value[-1].isalpha()
        ):
            return value + "A", i + 2
        return value, i + 1
    after_a = toks[i + 1] if i + 1 < len(toks) else ""
    if t == "a" and i > 0 and toks[i - 1] in UNIT_WORDS and (after_a in _AFTER_UNIT_A or after_a[:1].isdigit()):
        return "A", i + 1  # "unit a, the front half": the letter, not an article
    if t in LETTERS and len(t) <= 3 and t not in ("and", "are", "you", "see", "why", "be", "i", "a"):
        letter = LETTERS[t].upper()
        if i + 1 < len(toks) and toks[i + 1].isdigit() and len(toks[i + 1]) <= 4:
            return letter + toks[i + 1], i + 2
        return letter, i + 1
    return None


_REPAIR_WORDS = frozenset({"no", "sorry", "mean", "wait", "actually", "scratch"})


def _after_repair(toks: list[str], run_at: dict[int, int]) -> int:
    """Where the unit said again after a slip starts: after the last repair word that has a
    number after it and one before it ("double oh nine no sorry one oh nine"); else 0."""
    for k in range(len(toks) - 1, 0, -1):
        if toks[k] in _REPAIR_WORDS and any(i > k for i in run_at) and any(i < k for i in run_at):
            return k + 1
    return 0


# What may follow "unit a" when "a" is the unit's letter: the end, a ZIP, or a new clause.
_AFTER_UNIT_A = frozenset(
    {"", "the", "and", "in", "zip", "it's", "its", "we're", "that's", "please", "thanks", "austin"}
)


@caller_text_cache  # callers' addresses: emptied on "forget me" (caller_caches.py)
@lru_cache(maxsize=512)
def usaddress_street(text: str) -> str | None:
    import usaddress  # imported lazily: only the fallback needs it

    try:
        parsed = usaddress.parse(text)
    except (usaddress.RepeatedLabelError, ValueError):  # odd input: the fallback then finds nothing
        return None
    keep = (
        "AddressNumber",
        "StreetNamePreDirectional",
        "StreetName",
        "StreetNamePostType",
        "StreetNamePostDirectional",
    )
    words = [w for w, tag in parsed if tag in keep]
    if len(words) < 2 or not words[0].isdigit() or any(w in _NOT_STREET for w in words[1:]):
        return None
    return " ".join(_street_word(w) for w in words)


def extract_address(utt: Utterance, ctx: NluContext, used_runs: set[int]) -> AddressResult:
    res = AddressResult()
    toks = utt.dig_tokens
    run_at = {r.index: k for k, r in enumerate(utt.runs) if k not in used_runs}
    street_end = -1
    # Street: <number> [dir] <name words> <type> [dir]
    for idx, k in sorted(run_at.items()):
        digits = utt.runs[k].digits
        if not 1 <= len(digits) <= 6 or digits.startswith("0"):
            continue
        j = idx + 1
        words: list[str] = []
        if j < len(toks) and toks[j] in DIRECTIONS and j + 1 < len(toks) and toks[j + 1] not in STREET_TYPES:
            # A directional before the name ("north lamar"); before a type it is the name itself
            # ("northeast drive", "west avenue").
            words.append(toks[j])
            j += 1
        name_start = j
        found_type = False
        road_number: int | None = None
        skipped = 0
        while j < len(toks) and j - name_start - skipped < 5:
            t = toks[j]
            if _numbered_road(toks, j) and j + 1 in run_at:
                # "highway 290 west", "county road 130", "fm 1826": the number ends the name
                words += [t, toks[j + 1]]
                road_number = j + 1
                j += 2
                found_type = True
                if j < len(toks) and toks[j] in DIRECTIONS and len(toks[j]) > 2:
                    words.append(toks[j])
                    j += 1
                break
            if t in STREET_TYPES and j > name_start:
                words.append(t)
                j += 1
                found_type = True
                while j < len(toks) and toks[j] in STREET_TYPES:  # "oak hollow cove"
                    words.append(toks[j])
                    j += 1
                if j < len(toks) and toks[j] in DIRECTIONS and len(toks[j]) > 2:
                    words.append(toks[j])
                    j += 1
                break
            if t in _FILLERS:
                j += 1  # "5107 uh evans um yeah evans avenue"
                skipped += 1
                continue
            if t in _NOT_STREET or (t.isdigit() and j > name_start) or t in UNIT_WORDS:
                break
            if t in STATES and not (j + 1 < len(toks) and toks[j + 1] in STREET_TYPES):
                break  # "austin texas" ends the street; "little texas lane" is one
            if t in words:
                words = words[words.index(t) + 1 :]  # said again: the caller started the name over
            words.append(t)
            j += 1
        if not found_type:
            # No street type: accept "4410 duval" when an address was asked for or is cued, and the
            # name is short and followed by nothing, a ZIP or a unit.
            cue = _ADDRESS_CUE.search(" ".join(toks[:idx]))
            if j < len(toks) and toks[j] in STATES and len(words) >= 2:
                words.pop()  # "4410 duval austin texas": the word before the state is the city
            name_words = [w for w in words if w not in DIRECTIONS]
            tail_ok = (
                j >= len(toks)
                or toks[j] in UNIT_WORDS
                or toks[j] in ("and", "zip", "in")
                or (toks[j].isdigit() and len(toks[j]) == 5)
                or toks[j] in STATES
            )
            if not (name_words and len(name_words) <= 3 and tail_ok and (ctx.expect == "address" or cue)):
                continue
            j = name_start + len(words) - (1 if toks[name_start - 1] in DIRECTIONS else 0)
        if not any(w not in DIRECTIONS for w in words):
            continue
        res.street = " ".join([digits] + [_street_word(w) for w in words])
        res.runs.add(k)
        if road_number is not None:
            res.runs.add(run_at[road_number])
        street_end = j
        break
    if res.street is None and ctx.expect == "address" and run_at:
        res.street = usaddress_street(utt.dig)
    # Unit
    split_zip: str | None = None
    for i, t in enumerate(toks):
        after_street = t == "number" and street_end >= 0 and i == street_end  # "hart lane number 209"
        if t in UNIT_WORDS or after_street or (t.startswith("#") and len(t) > 1):
            if _equipment_sense(toks, i):
                continue  # "the unit is 20 years old", "the room is 80 degrees"
            got = _unit_value(toks, i + 1) if t in UNIT_WORDS or after_street else _unit_value(toks, i)
            if got and got[1] < len(toks) and toks[got[1]] in _MEASURES:
                continue
            if got:
                label = UNIT_WORDS.get(t, "Unit")
                value = got[0]
                if value.isdigit() and 6 <= len(value) <= 9:
                    # "apartment three twelve, seven eight seven oh three": one run of digits to the
                    # recogniser, a unit and a ZIP to the caller.
                    value, split_zip = value[:-5], value[-5:]
                res.unit = f"{label} {value}"
                for idx in range(i, got[1]):
                    if idx in run_at:
                        res.runs.add(run_at[idx])
                if label != "Bldg":
                    break  # "building two, apartment 215": the apartment is the unit
    if res.unit is None and (side := _DUPLEX_SIDE.search(utt.norm)):
        if ctx.expect == "unit" or _PLEX.search(utt.norm):
            res.unit = f"Unit {(side.group(1) or side.group(2)).upper()}"  # "it's a duplex, we're side b"
    if res.unit is None and ctx.expect == "unit" and not _NO_UNIT.search(utt.norm):
        # A bare answer to "any apartment or unit number?": "two b", "it's 204", "b".
        # Said again after a slip ("double oh nine no sorry one oh nine"): what follows the repair.
        first = _after_repair(toks, run_at)
        named = [i + 1 for i in range(first, len(toks) - 1) if toks[i] == "number" and i + 1 in run_at]
        if named and len(toks[named[0]]) <= 5 and (got := _unit_value(toks, named[0])):
            res.unit = f"Unit {got[0]}"  # "four doors, ours is number three": the one named
            res.runs.add(run_at[named[0]])
        for i, t in enumerate(toks):
            if res.unit is not None:
                break
            if i < first:
                continue
            if len(t) == 1 and t in LETTERS and toks[i + 1 : i + 3] in (["as", "in"], ["like", "in"]):
                if i + 3 < len(toks) and toks[i + 3][:1] == t:
                    res.unit = f"Unit {t.upper()}"  # "a as in apple"
                    break
            if t == "a" and i + 2 == len(toks) and i + 1 in run_at and len(toks[i + 1]) <= 4:
                res.unit = f"Unit A{toks[i + 1]}"  # "yep a one oh six": the letter before the number
                res.runs.add(run_at[i + 1])
                break
            if re.fullmatch(r"\d{1,4}[a-z]|[a-z]\d{1,4}", t):
                res.unit = f"Unit {t.upper()}"  # "4b", "b12": said as one word
                break
            if i in run_at and run_at[i] in res.runs:
                continue  # the street's house number said again at the unit question is not a unit
            if i + 2 < len(toks) and all(len(x) == 1 and x in LETTERS for x in toks[i : i + 3]):
                break  # "k e r b e y": a word spelled out, not a unit letter
            if t in ("letter", "number") and i + 1 < len(toks) and toks[i + 1] in LETTERS and len(toks[i + 1]) == 1:
                res.unit = f"Unit {toks[i + 1].upper()}"  # "letter a": the letter, not an article
                break
            if i in run_at or (t in LETTERS and len(t) == 1 and t not in ("a", "i")):
                got = _unit_value(toks, i)
                if got:
                    res.unit = f"Unit {got[0]}"
                    for idx in range(i, got[1]):
                        if idx in run_at:
                            res.runs.add(run_at[idx])
                    break
    if res.unit is None and _NO_UNIT.search(utt.norm):
        res.no_unit = True
    # ZIP: a 5-digit run (or ZIP+4) not used by the phone, street or unit, where a ZIP is likely:
    # asked for, named, after a street, "in 78745", "the 78660 area", or said on its own.
    # "a 12000 btu unit" and "we paid 10000" are not ZIPs.
    for idx, k in sorted(run_at.items()):
        if k in res.runs:
            continue
        digits = utt.runs[k].digits
        if len(digits) not in (5, 9):
            continue
        before = " ".join(toks[max(0, idx - 4) : idx])
        after = toks[idx + 1] if idx + 1 < len(toks) else ""
        if after in _NOT_ZIP_AFTER:
            continue
        cued = bool(_ZIP_CUE.search(before)) or ctx.expect in ("zip", "address")
        likely = (
            cued
            or street_end >= 0
            or after == "area"
            or len(toks) <= 3
            or bool(_ZIP_BEFORE.search(before))
            or idx + 1 == len(toks)
            and len(digits) == 5
        )
        if likely and (len(digits) == 5 or cued or street_end >= 0):
            res.zip = digits[:5]
            res.runs.add(k)
            break
    if res.zip is None and split_zip is not None:
        res.zip = split_zip
    return res


# Words that end a street name read backwards from its type ("i meant brodie lane").
_BEFORE_NAME = frozenset(
    "said meant mean called say says wrote typed heard actually sorry oh wait um uh like just really "
    "correct right spelled".split()
)
# A street name after these is the one being taken back: "not kirby lane", "i said duval street".
_TAKEN_BACK = frozenset({"not", "said", "from", "of", "than", "was"})


def street_name_only(utt: Utterance) -> str | None:
    """A street named without its house number, as a correction says it: "it's Kerbey Lane, not
    Kirby" → "Kerbey Lane". The first such name not being taken back; None when there is none."""
    toks = utt.dig_tokens
    j = 0
    while j < len(toks):
        if toks[j] not in STREET_TYPES or j == 0:
            j += 1
            continue
        end = j + 1
        while end < len(toks) and toks[end] in STREET_TYPES:  # "oak hollow cove"
            end += 1
        start = j
        while (
            start > 0
            and j - start < 3
            and toks[start - 1].isalpha()
            and toks[start - 1] not in _NOT_STREET
            and toks[start - 1] not in _BEFORE_NAME
            and toks[start - 1] not in UNIT_WORDS
        ):
            start -= 1
        taken_back = start > 0 and toks[start - 1] in _TAKEN_BACK
        named = [t for t in toks[start:j] if t not in DIRECTIONS]
        if start < j and (named or j - start == 1) and not taken_back:
            words = toks[start:end]
            words = [t for k, t in enumerate(words) if k == 0 or t != words[k - 1]]  # "duncan duncan lane"
            return " ".join(_street_word(t) for t in words)
        j = end
    # A street named without its type, against the one taken back: "it's on speedway, not duval
    # street", "the street is speedway not duval".
    m = _UNTYPED_STREET.search(utt.norm)
    if m and m.group(1) not in _NOT_STREET and not m.group(1).isdigit():
        return " ".join(_street_word(t) for t in m.group(1).split())
    return None


_UNTYPED_STREET = Gated(
    re.compile(
        r"\b(?:it'?s on|is on|live on|we'?re on|street is|street'?s) ([a-z]+(?: [a-z]+)?) not\b",
    ),
    (
        "is on ",
        "it's on ",
        "its on ",
        "live on ",
        "street is ",
        "street's ",
        "streets ",
        "we're on ",
        "were on ",
    ),
)
