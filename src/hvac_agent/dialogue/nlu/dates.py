"""Which visit window the caller wants, in the business timezone, relative to an injected now.

"tomorrow morning", "next tuesday afternoon", "friday", "the first one", "the earliest you have",
"as soon as possible", "not monday" → a `WindowChoice`, mapped onto the windows just offered when
it matches one. Cheap patterns first; dateparser only for what they miss (it costs milliseconds).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from hvac_agent.caller_caches import caller_text_cache
from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext, WindowChoice
from hvac_agent.dialogue.state import WindowOffer

PartOfDay = Literal["morning", "afternoon"]

WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "mon": 0,
    "mondays": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "tuesdays": 1,
    "wednesday": 2,
    "wed": 2,
    "weds": 2,
    "wednesdays": 2,
    "wensday": 2,  # as recognisers and hurried typists spell it
    "wendsday": 2,
    "wednsday": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "thursdays": 3,
    "friday": 4,
    "fri": 4,
    "fridays": 4,
    "saturday": 5,
    "sat": 5,
    "saturdays": 5,
    "sunday": 6,
    "sun": 6,
    "sundays": 6,
}
MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_WD = "|".join(sorted((k for k in WEEKDAYS if k not in ("sun", "sat", "wed", "mon")), key=len, reverse=True))
_MO = "|".join(
    sorted(
        (
            k
            for k in MONTHS
            if k not in ("may", "march", "jan", "jun", "jul", "sep", "oct", "dec", "aug", "apr", "feb", "nov")
        ),
        key=len,
        reverse=True,
    )
)
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"

_DATE = re.compile(
    rf"\b(?P<rel>day after tomorrow|tomorrow|today|tonight|this (?:morning|afternoon|evening))\b"
    rf"|\b(?:(?P<mod>next|this|this coming|coming|on|following) )?(?P<wd>{_WD})\b"
    rf"(?: (?:the )?(?P<wdday>\d{{1,2}})(?:st|nd|rd|th))?"
    rf"|\b(?P<mo>{_MO}|may|march|jan|jun|jul|sep|oct|dec|aug|apr|feb|nov) (?:the )?{_ORD}\b"
    rf"|\bthe (?P<day>\d{{1,2}})(?:st|nd|rd|th)(?: of (?P<mo2>{_MO}))?\b"
)
_NEGATE_BEFORE = re.compile(
    r"(?:\bnot|\b(?:anything|any day|anytime|everything|all|any) but|\bexcept|"
    r"\bcan'?t do|\bcannot do|\bno|\bwithout|\bbesides|\bother than|"
    r"\bnot on|\bjust not|\bcan'?t make|\bunavailable|\bbusy|\bdon'?t want|\bnot available|"
    r"\bat work|\bworking|\bi work|\bi have work|\bout of town|\baway|\bnot home|"
    r"\bwon'?t be (?:home|there|around))"
    r"(?: (?:on|the|this|next|in the))? ?$"
)
_NEGATE_AFTER = re.compile(
    r"^(?:'?s| is| are)? ?(?:doesn'?t work|don'?t work|won'?t work|is bad|no good|not good|is out|"
    r"isn'?t good|doesn'?t suit|is no good|i can'?t|we can'?t|i'?m busy|i'?m not|is not good|"
    r"are bad|is full|not gonna work|isn'?t going to work|are out|is not|"
    r"(?:is|looks|seems) (?:iffy|tricky|tough|hard|rough|dicey|not great)|isn'?t great)"
)
_EARLIEST = re.compile(
    r"\b(?:earliest|soonest|as soon as (?:possible|you can|you could)|asap|a s a p|first available|"
    r"next available|first opening|the sooner the better|whatever'?s (?:first|soonest|earliest|"
    r"available first)|whenever is (?:first|soonest)|right away|as early as possible|"
    r"quickest|fastest|earliest possible|first one available|first you have|next opening|"
    r"(?:whichever|whatever)(?:'s| is)? (?:sooner|earlier|first))\b"
)
# "am"/"pm" count only after a working hour: "i am dana" is not a morning, "2 am" is not a visit.
_MORNING = re.compile(
    r"\b(?:morning|mornings|before noon|before lunch|early in the day|first thing|"
    r"(?:7|seven|8|eight|9|nine|10|ten|11|eleven)(?: am| a m| o'?clock)? (?:to|till|until|and|through) "
    r"(?:12|twelve|noon)|(?:7|seven|8|eight|9|nine|10|ten|11|eleven) (?:am|a m|o'?clock)|"
    # "tuesday at nine", "tuesday am"; not the hour the caller is busy until ("i get off work at eleven")
    r"(?<!off )(?<!work )(?<!until )(?<!till )(?<!busy )"
    r"at (?:like |about |around )?(?:8|eight|9|nine|10|ten|11|eleven)(?! (?:pm|p m|at night|tonight))|"
    r"(?<=day )(?:am|a m)|"
    r"early(?! next| this| as| in the week))\b"
)
_AFTERNOON = re.compile(
    r"\b(?:afternoon|afternoons|after noon|after lunch|later in the day|after (?:12|twelve|1|one)(?: pm| o'?clock)?|"
    r"(?:12|twelve|noon|1|one|2|two)(?: pm| p m| o'?clock)? (?:to|till|until|and|through) "
    r"(?:4|four|5|five)|(?:noon|12 pm|twelve pm|(?:1|one|2|two|3|three|4|four) (?:pm|p m|o'?clock))|"
    r"at (?:like |about |around )?(?:1|one|2|two|3|three)(?! (?:am|a m))|(?<=day )(?:pm|p m))\b"
)
_PICK = re.compile(
    r"\b(?:(?:the )?(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|last|latter|former|middle|"
    r"earlier|later|other)(?: (?:mon|tues|wednes|thurs|fri|satur)day)?"  # "the earlier tuesday one"
    r"(?: one| option| choice| window| slot| time| day| appointment)"
    r"|(?:option|number|choice) (?P<num>one|two|three|four|1|2|3|4)\b"
    r"|^(?:(?:um|uh|the|number|option|el|la|numero) )*(?P<num2>one|two|three|1|2|3|uno|una|dos|tres|primero|"
    r"primera|segundo|segunda|tercero|tercera)(?: please| works| is (?:good|fine)| then| por favor)?$"
    r"|^(?:the )?(?P<ord2>first|1st|second|2nd|third|3rd|last)(?: please| works| is (?:good|fine)|"
    r" sounds good| thanks)?$"
    r"|\b(?<!\bon )the (?P<ord3>first|second|third|last)(?: please| works| is (?:good|fine)| sounds good| "
    r"thanks|$))"
)
_THAT_ONE = re.compile(
    r"^(?:yes|yeah|yep|sure|ok|okay|that|that one|that works|works for me|sounds good|perfect|"
    r"that'?s fine|that'?s good|let'?s do (?:it|that)|book it|great)\b"
)
_NONE_OF = re.compile(
    r"\b(?:none of (?:those|them|these)|neither(?: of (?:those|them))?|those (?:don'?t|won'?t) work|"
    r"(?:that|those) (?:times|days|windows) (?:don'?t|won'?t) work|nothing (?:there )?works)\b"
)
# "the first of december", "second of december": the month's day said with the ordinal first.
_ON_THE_ORDINAL = re.compile(r"\bon the (first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b(?! one\b)")
_ORDINAL_OF_MONTH = Gated(
    re.compile(
        rf"\b(?:the )?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{{1,2}}(?:st|nd|rd|th)) "
        rf"of ({_MO}|dec|nov|jan)\b"
    ),
    (
        " of april",
        " of august",
        " of dec",
        " of february",
        " of jan",
        " of july",
        " of june",
        " of nov",
        " of october",
        " of sept",
    ),
)
_ORDINAL_DAY = {
    w: str(i) for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split(), 1)
}
# A day the caller is busy: "i have a doctor's appointment tuesday".
_BUSY_BEFORE = re.compile(
    r"\b(?:i|we) (?:have|'?ve got|got) (?:a |an |my )?(?:\S+ ){0,2}(?:appointment|meeting|class|shift)s? $"
)
_MONTH_SECOND = Gated(
    re.compile(
        rf"\b({_MO}|may|march|jan|jun|jul|sep|oct|dec|aug|apr|feb|nov) (?:the )?second\b",
    ),
    ("second",),
)
_NOT_A_DAY = re.compile(
    r" (?:available|one|1|option|choice|opening|slot|thing|window|time|appointment|floor|story|level|name|"
    r"grade|place|half|week|couple|few)\b"
)
_PAST = re.compile(
    r"\b(?:since|last|yesterday|until|till|started|starting|happened|was|were|came|broke|stopped|noticed|"
    r"began|ago|fine|worst|worse|only)(?: \S+){0,2} $"
)
_LEADING_NO = re.compile(r"(?:no|nope|nah)(?: no)?(?: (?:the|in the|on|on the|make it|it'?s|its))? ?")
_WEEK_FROM = re.compile(rf"\b(?:a|one) week from (?:today|now|tomorrow|{_WD})\b")
_NEXT_MONTH = re.compile(r"\b(?:sometime |early )?next month\b")
_COUNT = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "couple": 2,
    "couple of": 2,
    "few": 3,
}
_RELATIVE = Gated(
    re.compile(
        r"\bin (?:a |the next )?(?P<n>a|one|two|three|four|five|six|seven|couple(?: of)?|few|\d{1,2}) "
        r"(?P<unit>days?|weeks?)\b"
        rf"|\b(?:a|one) week from (?P<from>today|now|tomorrow|{_WD})\b"
        r"|\b(?P<wknd>(?:this |the |next |this coming )?weekend)\b"
        r"|\b(?P<nextweek>(?:sometime |early |anytime |any time |any day )?next week|the week after next)\b"
        r"|\b(?P<endweek>(?:the )?end of (?:the|this) week|later this week)\b"
    ),
    (
        " day",
        " week",
        "weekend",
    ),
)
# What the patterns above do not know ("next month", "a fortnight"): dateparser, at a few ms.
_FALLBACK_HINT = re.compile(
    r"\b(?:fortnight|beginning of (?:next )?month|end of (?:the |this |next )?month|"
    r"first week of|second week of)\b"
)
_ORD_VALUE = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "one": 0,
    "two": 1,
    "three": 2,
    "four": 3,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "former": 0,
    "earlier": 0,
    # Spanish: "uno", "la segunda", "el tercero".
    **dict.fromkeys(("uno", "una", "primero", "primera"), 0),
    **dict.fromkeys(("dos", "segundo", "segunda"), 1),
    **dict.fromkeys(("tres", "tercero", "tercera"), 2),
}


def local_today(ctx: NluContext) -> dt.date:
    return ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()


def offer_part(offer: WindowOffer) -> PartOfDay:
    return "morning" if int(offer.window[:2]) < 12 else "afternoon"


def _weekday_date(today: dt.date, wd: int, mod: str | None) -> dt.date:
    ahead = (wd - today.weekday()) % 7
    if ahead == 0:
        ahead = 7
    if mod == "next":
        # "next friday" said on a Thursday means the Friday of next week, not tomorrow.
        days_to_week_end = 6 - today.weekday()
        if ahead <= days_to_week_end:
            ahead += 7
    return today + dt.timedelta(days=ahead)


def _month_day(today: dt.date, month: int, day: int) -> dt.date | None:
    for year in (today.year, today.year + 1):
        try:
            d = dt.date(year, month, day)
        except ValueError:
            return None
        if d >= today:
            return d
    return None


def _day_of_month(today: dt.date, day: int) -> dt.date | None:
    """ "the 30th": this month if still ahead, else next month."""
    for k in range(3):
        month = (today.month - 1 + k) % 12 + 1
        year = today.year + (today.month - 1 + k) // 12
        try:
            d = dt.date(year, month, day)
        except ValueError:
            continue
        if d >= today:
            return d
    return None


@caller_text_cache  # caller words: emptied on "forget me" (caller_caches.py)
@lru_cache(maxsize=256)
def parse_with_dateparser(text: str, base: dt.datetime, tz: str) -> dt.date | None:
    import dateparser  # slow to import and to run: only for phrases the patterns miss

    found = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base,
            "TIMEZONE": tz,
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return found.date() if found else None


def _dates(utt: Utterance, ctx: NluContext, picked: bool) -> tuple[list[dt.date], list[dt.date]]:
    """(wanted dates, excluded dates) in the order said."""
    today = local_today(ctx)
    text = _ORDINAL_OF_MONTH.sub(
        lambda m: f"{m.group(2)} {_ORDINAL_DAY.get(m.group(1)) or m.group(1)[:-2]}", utt.dig
    )  # "(the) first of december", "1st of december" → "december 1"
    text = _MONTH_SECOND.sub(r"\1 2nd", text)
    # "the one on the second": a day of the month said as an ordinal word after "on the".
    text = _ON_THE_ORDINAL.sub(lambda m: f"on the {_ORDINAL_DAY[m.group(1)]}th", text)
    wanted: list[dt.date] = []
    excluded: list[dt.date] = []
    week_from = _WEEK_FROM.search(text)
    if week_from:  # "a week from monday": not monday itself
        week_later = _relative(week_from.group(0), today)
        if week_later is not None:
            wanted.append(week_later)
        text = text[: week_from.start()] + text[week_from.end() :]
    for m in _DATE.finditer(text):
        d: dt.date | None = None
        if m.group("rel"):
            rel = m.group("rel")
            d = today + dt.timedelta(days=2 if rel.startswith("day after") else 1 if rel == "tomorrow" else 0)
        elif m.group("wd"):
            if m.group("wdday"):
                d = _day_of_month(today, int(m.group("wdday")))
                if d is not None and d.weekday() != WEEKDAYS[m.group("wd")]:
                    d = None  # "wednesday first thing": the weekday said, not the 1st of the month
            if d is None:
                d = _weekday_date(today, WEEKDAYS[m.group("wd")], m.group("mod"))
        elif m.group("mo"):
            d = _month_day(today, MONTHS[m.group("mo")], int(m.group(m.lastindex or 0)))
        elif m.group("day"):
            if not m.group("mo2") and int(m.group("day")) <= 4 and (picked or _NOT_A_DAY.match(text, m.end())):
                continue  # "the first one", "the first available": a choice, not the 1st of the month
            if m.group("mo2"):
                d = _month_day(today, MONTHS[m.group("mo2")], int(m.group("day")))
            else:
                d = _day_of_month(today, int(m.group("day")))
        if d is None:
            continue
        before = text[max(0, m.start() - 24) : m.start()]
        after = text[m.end() : m.end() + 30]
        if _PAST.search(before):
            continue  # "since monday", "last friday", "it started this morning": the problem's story
        if _LEADING_NO.fullmatch(text[: m.start()]) and not m.group(0).endswith("s"):
            wanted.append(d)  # "no, monday": the answer to a read-back, not "no mondays"
        elif (
            _NEGATE_BEFORE.search(before)
            or _NEGATE_AFTER.search(after)
            or _BUSY_BEFORE.search(text[max(0, m.start() - 48) : m.start()])
        ):
            excluded.append(d)
        else:
            wanted.append(d)
    if not wanted and not excluded:
        rel = _relative(utt.norm, today)
        if rel is not None:
            wanted.append(rel)
    if not wanted and not excluded and _NEXT_MONTH.search(utt.norm):
        wanted.append((today.replace(day=1) + dt.timedelta(days=32)).replace(day=1))
    if not wanted and not excluded and ctx.expect == "window" and _FALLBACK_HINT.search(utt.norm):
        base = ctx.now.astimezone(ZoneInfo(ctx.timezone)).replace(tzinfo=None, second=0, microsecond=0)
        d = parse_with_dateparser(utt.norm, base, ctx.timezone)
        if d is not None and d >= today:
            wanted.append(d)
    return wanted, excluded


def _relative(text: str, today: dt.date) -> dt.date | None:
    """ "in two days", "a week from monday", "this weekend", "next week" (its Monday)."""
    m = _RELATIVE.search(text)
    if m is None:
        return None
    monday_next = today + dt.timedelta(days=7 - today.weekday())
    if m.group("n"):
        n = _COUNT.get(m.group("n")) or int(m.group("n")) if m.group("n").isdigit() else _COUNT[m.group("n")]
        return today + dt.timedelta(days=n * (7 if m.group("unit").startswith("week") else 1))
    if m.group("from"):
        base = m.group("from")
        start = (
            today
            if base in ("today", "now")
            else today + dt.timedelta(days=1)
            if base == "tomorrow"
            else _weekday_date(today, WEEKDAYS[base], None)
        )
        return start + dt.timedelta(days=7)
    if m.group("wknd"):
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7)
        if m.group("wknd").startswith("next") and saturday - today <= dt.timedelta(days=6 - today.weekday()):
            saturday += dt.timedelta(days=7)
        return saturday
    if m.group("nextweek"):
        return monday_next + dt.timedelta(days=7 if "after next" in m.group("nextweek") else 0)
    if m.group("endweek"):
        friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
        return friday if friday > today else None
    return None


def _part(utt: Utterance) -> PartOfDay | None:
    text = utt.norm
    m_am = _MORNING.search(text)
    m_pm = _AFTERNOON.search(text)
    for m, other in ((m_am, "afternoon"), (m_pm, "morning")):
        if m is None:
            continue
        before = text[max(0, m.start() - 20) : m.start()]
        after = text[m.end() : m.end() + 26]
        if _PAST.search(before):
            continue
        if _LEADING_NO.fullmatch(text[: m.start()]) and not m.group(0).endswith("s"):
            continue  # "no, the afternoon"
        if _NEGATE_BEFORE.search(before) or _NEGATE_AFTER.search(after):
            # "not in the morning" → the afternoon
            return "afternoon" if other == "afternoon" else "morning"
    if m_am and m_pm:
        return "morning" if m_am.start() < m_pm.start() else "afternoon"
    if m_am:
        return "morning"
    if m_pm:
        return "afternoon"
    return None


# The caller takes any window of what they said: "any time tuesday", "either one on tuesday is fine".
_EITHER = re.compile(
    r"\b(?:any ?time|either (?:one|is|works|of them)|whichever|whatever(?:'s| is) (?:open|free|first)|"
    r"(?:it )?(?:doesn'?t|does not|don'?t) matter|both (?:work|are fine|are good))\b"
)


# A choice taken back and said again: "tuesday no wait wednesday is better".
_WINDOW_REPAIR = re.compile(
    r"\b(?:no wait|wait no|no sorry|sorry no|actually no|no actually|on second thought|scratch that|"
    r"no no|i mean)\b"
)
_TAKEN_BACK = re.compile(r"\b(?:that|it|this one|that one) (?:won'?t|doesn'?t|wouldn'?t|isn'?t going to) work\b")


def extract_window(utt: Utterance, ctx: NluContext) -> WindowChoice | None:
    """The caller's wish for a visit time, with `offer_index` set when it picks one of `ctx.offered`."""
    repairs = list(_WINDOW_REPAIR.finditer(utt.norm))
    if repairs and (rest := utt.norm[repairs[-1].end() :].strip()):
        said_before = _extract_window(Utterance.of(utt.norm[: repairs[-1].start()]), ctx)
        said_after = _extract_window(Utterance.of(rest), ctx)
        if said_before is not None and said_after is not None:
            return said_after  # what is said after the repair is meant
        if said_before is not None and _TAKEN_BACK.search(rest):
            # "the later tuesday one no wait that won't work either": the day said is ruled out
            day = said_before.date
            if day is None and said_before.offer_index is not None and ctx.offered:
                day = ctx.offered[said_before.offer_index].date
            return WindowChoice(exclude_dates=[day] if day else [])
    return _extract_window(utt, ctx)


def _extract_window(utt: Utterance, ctx: NluContext) -> WindowChoice | None:
    offered = ctx.offered
    choice = WindowChoice()
    found = False
    pick = _PICK.search(utt.norm) if (offered or ctx.expect == "window") else None
    key = ""
    if pick:
        key = pick.group("ord") or pick.group("num") or pick.group("num2") or pick.group("ord2") or pick.group("ord3")
        if key in ("last", "latter", "later"):
            idx = len(offered) - 1 if offered else None
        elif key in ("middle",) and len(offered) == 3:
            idx = 1
        elif key == "other" and len(offered) == 2:
            idx = None
        else:
            idx = _ORD_VALUE.get(key or "")
        if idx is not None and (not offered or 0 <= idx < len(offered)):
            choice.offer_index = idx if offered else None
            if not offered:
                choice.earliest = idx == 0
            found = True
    if _EARLIEST.search(utt.norm):
        choice.earliest = True
        found = True
    wanted, excluded = _dates(utt, ctx, picked=pick is not None)
    part = _part(utt)
    if wanted:
        choice.date = wanted[0]
        found = True
    if excluded:
        choice.exclude_dates = excluded
        found = True
    if part:
        choice.part_of_day = part
        found = True
    if _NONE_OF.search(utt.norm) and offered:
        choice.exclude_dates = sorted({o.date for o in offered})
        return choice
    if not found:
        if offered and ctx.expect == "window" and len(offered) == 1 and _THAT_ONE.search(utt.norm):
            return WindowChoice(offer_index=0)
        return None
    if choice.date is not None and choice.date.weekday() not in ctx.business_weekdays:
        choice.closed_day = True
    if offered and key and (wanted or part):
        _rank_within(choice, offered, set(wanted), key)
    if offered and choice.offer_index is None:
        # "friday or monday": whichever was offered first
        matches = _matching(offered, set(wanted), choice.part_of_day, choice.exclude_dates)
        if choice.date is not None or choice.part_of_day is not None:
            flexible = choice.earliest or key or _EITHER.search(utt.norm)
            if len(matches) > 1 and len(wanted) <= 1 and not flexible:
                choice.between = matches  # one day or one part said, and it fits two offers
            elif matches:
                choice.offer_index = matches[0]
        elif choice.earliest and matches:
            choice.offer_index = matches[0]
    return choice


def _rank_within(choice: WindowChoice, offered: Sequence[WindowOffer], dates: set[dt.date], key: str) -> None:
    """ "The later one on tuesday": the ordinal counts among the offers of the day (or part) said."""
    within = _matching(offered, dates, choice.part_of_day)
    if len(within) == 1:
        choice.offer_index = within[0]  # "the first one on wednesday" when wednesday has one
        return
    if not within:
        choice.offer_index = None  # "thursday the third": a day not offered, not the third offer
        return
    rank = len(within) - 1 if key in ("last", "latter", "later") else _ORD_VALUE.get(key)
    if rank is not None and rank < len(within):
        choice.offer_index = within[rank]


def _matching(
    offered: Sequence[WindowOffer], dates: set[dt.date], part: PartOfDay | None, excluded: Sequence[dt.date] = ()
) -> list[int]:
    """Indexes of the offers on the days and part of day said (any when none said), in time order."""
    order = sorted(range(len(offered)), key=lambda i: (offered[i].date, offered[i].window))
    return [
        i
        for i in order
        if (not dates or offered[i].date in dates)
        and (part is None or offer_part(offered[i]) == part)
        and offered[i].date not in excluded
    ]
