"""The answer to "How can I help?": rules first, the semantic heads for what rules cannot name.

Issue 10's rule: a content-bearing answer is a service request (the caller's words become the
problem, category `other` when nothing fits) unless it is another intent; only silence, fillers and
noise get a re-prompt. Emergencies get two nets: the keyword extractor, or a high similarity to the
emergency examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hvac_agent.dialogue.nlu import semantic
from hvac_agent.dialogue.nlu.emergency import settled
from hvac_agent.dialogue.nlu.intents import advice
from hvac_agent.dialogue.nlu.issues import IssueResult, extract_issue, settle_urgency, side_said_outright, whole_issue
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import EmergencyKind, Intent, IssueCategory, QuestionTopic

OPENING_EXPECTS = frozenset({None, "intent", "issue"})

# The second emergency net: mean cosine of the two nearest emergency examples, and its lead over
# the best other intent's. False alarms cost a safety script, so set high.
EMERGENCY_MIN = 0.7
EMERGENCY_MARGIN = 0.1


@dataclass(frozen=True)
class Bars:
    intent_min: float  # an intent the rules did not see is taken at or above this
    intent_override: float  # ...and replaces a rules "book" (cancel/reschedule/person around a visit)
    category_min: float
    topic_min: float
    question_min: float  # a question the intent head only leans to is taken...
    topic_agrees: float  # ...when the topic head names a profile topic this surely


# On the mean cosine of the two nearest examples (MiniLM, unit vectors).
NEAREST = Bars(
    intent_min=0.45, intent_override=0.6, category_min=0.4, topic_min=0.35, question_min=0.4, topic_agrees=0.5
)
# On the trained heads' probabilities (chosen leave-one-batch-out; the figures are flat around them).
TRAINED = Bars(intent_min=0.5, intent_override=0.7, category_min=0.3, topic_min=0.4, question_min=0.4, topic_agrees=0.6)
# The trained category head this sure replaces a category the rules named (leave-one-batch-out:
# it is right more often than the keyword it disagrees with; emergencies keep the rules' category).
CATEGORY_OVERRULES = 0.9

_FILLER = frozenset(
    "um uh er ah oh hmm mm hm hello hi hey yes yeah yep okay ok so well like sorry what huh hold on wait "
    "one sec second moment there is anyone can you hear me the a i you".split()
)
_GAS_WORDS = re.compile(r"\b(?:gas|propane|eggs?|sulfur|sulphur|stove)\b")
_CO_WORDS = re.compile(r"\b(?:co|c o|monoxide|headaches?|dizzy|nause\w*|alarm|detector)\b")
# Fire smelled, not only seen: "smells like an electrical fire" is a smell, "smoke pouring out" is not.
_SMELLED = re.compile(
    r"\b(?:smell\w*|odou?r|stinks?|scent)(?: \S+){0,4}? (?:fire|smoke|smoky|sparks?)\b"
    r"|\b(?:fire|smoke|smoky|burning|electrical) (?:smell|odou?r|stink|scent)\b"
)
_BURN_SMELL = re.compile(r"\b(?:smell\w*|odou?r|stinks?)\b")
# Smells callers name that are not dangerous, and the caller's own "not gas".
# Household odours (damp, bacteria, stored things): never combustion, whatever the encoder hears.
# Not "fishy" or "skunk": those are how callers describe hot plastic and the gas odorant.
_BENIGN_SMELL = re.compile(
    r"\b(?:musty|mildew\w*|mou?ld\w*|sewer|socks|feet|dog|gym|stale|swampy|earthy|dusty|dust|moth ?balls?|damp|dank|"
    r"cellar|basement|crawl ?space|towels?|laundry|rags?|wet (?:carpet|clothes)|"
    r"vinegar|pee|urine|not (?:like )?(?:gas|smoke)|"
    # a smell called only odd: the rules ask nothing of it, and the encoder alone must not call it a fire
    r"(?:weird|funny|strange|odd|different) (?:smell|odou?r)|smells? (?:weird|funny|strange|odd|off|different))\b"
)
# Words about an existing visit or the call itself, not a problem: without the encoder to tell,
# such a line is not taken as a service request by default.
# The caller's own "no gas", "not smoking": the semantic net must not hear the danger word alone.
_DENIED_DANGER = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|does not|no|not|never|without|isn'?t|wasn'?t)(?: \S+){0,3}? (?:gas|smoke|smoking|"
    r"burning|sparks?|fire|flames?|carbon monoxide|co|propane|eggs?)\b|\bdust\w*\b"
    # A flame that will not light is the no-heat complaint: "the flame won't stay lit", "no flame".
    r"|\b(?:flame|pilot)s?(?: \S+){0,3}? (?:won'?t|doesn'?t|does not|never|isn'?t|not|keeps) (?:stay |come |catch|"
    r"light|lit|going out|goes out|on)"
)
_ABOUT_A_VISIT = re.compile(
    r"\b(?:cancel\w*|appointment|reschedul\w*|visit|talk|speak|call back|calling back|person|message)\b"
)
# A caller asking for a new visit in so many words: the encoder's nearness of "appointment" to the
# cancel and reschedule examples must not turn "I'd like to book an appointment" into a cancel.
_ASKS_FOR_A_NEW_VISIT = re.compile(
    r"\b(?:book|schedule|make|set up|setup|get|need|want|like)\b(?:\s+\w+){0,3}\s+"
    r"(?:appointment|visit|service call|service|technician|tech|someone|somebody)\b"
)
# "can you send someone out": a visit, though "someone" is near the person examples.
_SOMEONE_OUT = re.compile(
    r"\b(?:send|get|need|want|have)\b(?: \w+){0,2}? (?:someone|somebody|a tech\w*|a guy|anyone|anybody) "
    r"(?:out|over|to come|to (?:install|fix|repair|replace|put (?:it |them |one )?in|hook (?:it |them )?up|"
    r"look at|check|set (?:it |them )?up))\b"
    r"|\bcome (?:out|over|by)\b"
)
_CHANGES_A_VISIT = re.compile(r"\b(?:cancel\w*|reschedul\w*|move|change|push|call off|instead|different)\b")
# Cancel and reschedule are near each other to the encoder; the words settle which one.
_ANOTHER_TIME = re.compile(
    r"\b(?:instead|later|earlier|another (?:day|time)|different (?:day|time)|something (?:later|else|earlier)|"
    r"push(?:ed)?|move(?:d)?|(?:can|could) (?:it|the (?:visit|appointment|tech|technician)|you|we|they) "
    r"(?:happen|be|come|do it) (?:on )?(?:\w+day|tomorrow|next))\b"
)
_NO_VISIT_WANTED = re.compile(
    r"\b(?:(?:not gonna|not going to|won'?t|don'?t|do not|no longer|will not) (?:need|want)|no need|never ?mind"
    r"|take (?:me|us) off|forget (?:it|about it)|(?:isn'?t|is not|not) needed|scratch (?:it|that))\b"
)
# Nothing asked yet: the caller is talking to someone else, asks to hear it again, or only says who
# they are ("hold on, kevin! turn that down", "sorry can you say that again", "hi my name is gloria and um").
_NOT_A_REQUEST = re.compile(
    r"^(?:(?:\S+ ){0,2}(?:hold on|hang on|one (?:sec|second|moment|minute)|just a (?:sec|second|minute|moment)|"
    r"give me (?:a|one) (?:sec|second|minute))\b"
    r"|(?:\S+ ){0,4}(?:say (?:that|it) again|repeat (?:that|it)|come again|what did you say|didn'?t (?:hear|catch) "
    r"(?:that|you|what you said))\b"
    r"|(?:(?:hi|hello|hey|yes|yeah|um|uh|oh|so) )*(?:my name is|my name'?s|this is) \w+(?: \w+)?(?: (?:and|um|uh|so|"
    r"here))*$)"
)
# A question that also asks for the visit, or tells a problem now: the writers' "a question plus a
# problem is a service" ("how much is a tune up, i'd like to get one", "are you open today, the ac is
# grinding", "is that normal or should somebody look at it").
_WANTS_VISIT = re.compile(
    r"\b(?:i'?d (?:like|love|want) (?:to )?(?:get|book|schedule|sign up|have|set up)(?: (?:one|it|that|them|this|"
    r"somebody|someone))?|sign (?:me |us )?up|i want (?:one|to get one|to book|to sign up)|"
    r"set (?:one|it|that|this|them) up|book (?:one|it|that)|"
    r"(?:should|can|could|would) (?:somebody|someone|a tech\w*|you|y'?all) (?:come )?(?:out )?(?:look|check|"
    r"take a look|see about)|(?:how|when) (?:do|can|could) (?:i|we) (?:get|book|schedule|set up) (?:that|it|one|this|"
    r"somebody|someone)|get (?:that|it|one|this) (?:scheduled|booked|set up|done)|"
    # "i want to go ahead and get one", "put me on the calendar"
    r"i (?:want|wanna|would like|'?d like) to go ahead and (?:get|book|schedule|set up|have)|"
    r"(?:put|get) (?:me|us|one|it|that|this) (?:on|in) (?:the |your )?(?:calendar|schedule|books)|"
    # "i'd like somebody to come quote it", "can someone come do it today"
    r"(?:i'?d like|i want|i need|(?<!do )(?<!should )(?:can|could|would)) (?:you (?:guys |all )?|y'?all |"
    r"(?:somebody|someone|a tech\w*|a guy) )(?:to )?come (?:out|over|by|look|do|fix|check|quote|give|see|take)"
    r"(?! to\b)|"
    # "i need the ac fixed", "i need my ac checked": the caller's own equipment, a job wanted
    r"(?<!do )(?<!should )(?<!would )i (?:need|want|'?d like) (?:my|the|our|it|this|that|them)(?: \S+){0,3}? "
    r"(?:fixed|repaired|looked at|checked|checked out|serviced|replaced|cleaned|installed|quoted|tuned up|"
    r"inspected)|"
    # "mine needs to be replaced": the caller's own equipment needs a job
    r"\b(?:mine|ours|(?:my|our)(?: \S+){1,3}?) (?:needs?|has to) (?:to be )?"
    r"(?:replac|repair|fix|look|servic|check|clean)\w*)\b"
)
_PROBLEM_NOW = frozenset({"no_heat", "no_cooling", "leak", "noise"})
# The caller's own problem given as the reason for the question: "... cause my heat went out last night",
# "is it normal for water to be under my furnace, cause there's quite a bit".
_BECAUSE_PROBLEM = re.compile(r"\b(?:cause|'cause|because|since|cuz) (?:my|our|the|there'?s|it'?s|mine'?s|we|i)\b")
# Equipment seen stuck now ("my ac is frozen solid"): a problem, though its category is `other`.
_STUCK_NOW = re.compile(
    r"\b(?:frozen|froze|iced|icing|covered in ice|frost\w*|(?:isn'?t|not|won'?t|doesn'?t) spin\w*)\b"
)
# The caller's own equipment doing something now ("my furnace is humming", "the ac unit is making a
# noise"), not a kind of job asked about ("do you fix leaks").
_MINE_NOW = re.compile(
    r"\b(?:my|our|the) (?:\S+ ){0,3}?(?:is|are|'s|keeps|has|have|won'?t|isn'?t|aren'?t|doesn'?t|stopped|started|"
    r"making|makes|quit|died|went)\b"
)
# A second thing told after a question: "..., is that normal, and also the upstairs isn't warming up".
_ALSO = re.compile(
    r"\b(?:and )?(?:also|plus|on top of that|another thing is)\b(?: \S+){0,2}? (?:my|our|the) (?:\S+ ){0,3}?"
    r"(?:is|are|'s|keeps|has|have|won'?t|isn'?t|aren'?t|doesn'?t|stopped|started|quit|died|went)\b"
)
_ASKS_FIRST = re.compile(r"(?:is|are|do|does|can i|could i|what|how|who|why|when|where)\b")
_QUESTION_SHAPE = re.compile(r"\b(?:is (?:it|that|this) normal|should i|how often|do you|are you|what size)\b")


def content_words(utt: Utterance) -> int:
    return sum(1 for t in utt.tokens if t not in _FILLER)


def opening(
    utt: Utterance,
    ctx: NluContext,
    iss: IssueResult,
    emergency: EmergencyKind | None,
    intent: Intent | None,
    question: QuestionTopic | None,
) -> tuple[EmergencyKind | None, Intent | None, QuestionTopic | None]:
    """Settle an opening line; fills `iss` (problem, category, urgency) in place for a service."""
    model = semantic.active()
    # A keyword emergency is settled by the rules: the encoder's call (a few ms) is not needed.
    guess = model.guess(utt.norm) if model is not None and emergency is None and content_words(utt) else None
    if (
        emergency is None
        and guess is not None
        and guess.emergency_score >= EMERGENCY_MIN
        and guess.emergency_margin >= EMERGENCY_MARGIN
        and not _QUESTION_SHAPE.search(utt.norm)
        and not _BENIGN_SMELL.search(utt.norm)
        and not _DENIED_DANGER.search(utt.norm)
        and not settled(utt)
    ):
        emergency = _kind(utt)
        iss.urgency = "emergency"
        iss.reasons = [emergency.replace("_", " "), *iss.reasons]
    if emergency is not None:
        iss.category = _emergency_category(utt, emergency)
        if iss.issue is None:
            iss.issue = whole_issue(utt)
        return emergency, intent, question
    if ctx.expect == "issue":
        if guess is not None and iss.category in (None, "other") and not iss.firm:
            iss.category = _category(guess) or iss.category
        return emergency, intent, question

    if intent is None and iss.category is None and _NOT_A_REQUEST.search(utt.norm):
        return emergency, None, None  # asked again, nothing taken as the problem
    cleared = False  # the head's intent cleared the rules' problem; else `iss` is as extract_issue gave it
    if guess is not None and guess.intent in ("cancel", "reschedule", "person", "question", "goodbye"):
        bars = _bars(guess)
        new_visit = (
            guess.intent in ("cancel", "reschedule")
            and _ASKS_FOR_A_NEW_VISIT.search(utt.norm) is not None
            and not _CHANGES_A_VISIT.search(utt.norm)
        ) or (guess.intent == "person" and _SOMEONE_OUT.search(utt.norm) is not None)
        # A category the rules named (a tune-up, a noise) is a service unless the head is sure; a person
        # is never the head's guess alone over a problem named ("... you can reach me at 512 ..."): the
        # rules hear every way of asking for one said outright.
        named = iss.firm and iss.category != "other"
        head_person_only = guess.intent == "person" and named
        strong = guess.intent_score >= bars.intent_override and not new_visit and not head_person_only
        agrees = guess.intent == "question" and guess.topic != "other" and guess.topic_score >= bars.topic_agrees
        bar = bars.question_min if agrees else bars.intent_min
        weak_ok = intent is None and not named and not new_visit and guess.intent_score >= bar
        if weak_ok or (intent == "book" or named) and strong:
            intent = _INTENT[guess.intent]
            if intent == "cancel" and _ANOTHER_TIME.search(utt.norm):
                intent = "reschedule"  # a visit still wanted, at another time
            elif intent == "reschedule" and _NO_VISIT_WANTED.search(utt.norm):
                intent = "cancel"
            if intent == "question":
                question = None
            iss.issue, iss.category, iss.urgency, iss.reasons = None, None, None, []
            cleared = True
    if intent == "question" and question is None:
        topic = guess.topic if guess is not None and guess.topic_score >= _bars(guess).topic_min else "other"
        question = topic  # type: ignore[assignment]  # every topic label is a QuestionTopic
    # The problem is extracted again only when the head cleared it (extract_issue is pure: an
    # uncleared `iss` is what it would give again).
    told = extract_issue(utt, ctx, emergency) if intent == "question" and cleared else iss
    if intent == "question" and _books_too(utt, told):  # (the head's question may have cleared the rules' problem)
        intent, question = "book", None
        if iss.category is None and cleared:  # the head's question cleared what the rules had found
            fresh = extract_issue(utt, ctx, emergency)
            iss.category, iss.issue, iss.urgency, iss.reasons, iss.firm = (
                fresh.category,
                fresh.issue,
                fresh.urgency,
                fresh.reasons,
                fresh.firm,
            )
    if intent in ("human", "cancel", "reschedule", "goodbye", "question"):
        return emergency, intent, question

    service = intent == "book" or iss.category is not None
    if not service:
        if guess is not None:
            service = guess.intent == "service" or (guess.intent != "unclear" and content_words(utt) >= 3)
        else:
            service = (
                content_words(utt) >= 3 and not _ABOUT_A_VISIT.search(utt.norm) and not _ASKS_FIRST.match(utt.norm)
            )
    if not service:
        return emergency, intent, question
    intent = "book"
    if guess is not None and (
        iss.category in (None, "other") and not iss.firm or _head_overrules(guess, iss) and not side_said_outright(utt)
    ):
        iss.category = _category(guess) or iss.category
        settle_urgency(utt, ctx, iss, emergency)
    if iss.issue is None:
        iss.issue = whole_issue(utt)
    if iss.category is None:
        iss.category = "other"
    return emergency, intent, question


def _books_too(utt: Utterance, iss: IssueResult) -> bool:
    """A question that comes with a request for the visit, or with a problem the rules named firmly."""
    if _WANTS_VISIT.search(utt.norm):
        return True
    problem_now = iss.category in _PROBLEM_NOW or iss.category == "other" and _STUCK_NOW.search(utt.norm)
    if not (iss.firm and problem_now):
        return False
    if _BECAUSE_PROBLEM.search(utt.norm):
        return True  # "do you charge extra on a holiday cause my heat went out": the question is about their visit
    if not _MINE_NOW.search(utt.norm):
        return False
    # "is that normal": advice asked about what is told; a problem told after "also" is a second thing
    return not advice(utt.norm) or _ALSO.search(utt.norm) is not None


_INTENT: dict[str, Intent] = {
    "cancel": "cancel",
    "reschedule": "reschedule",
    "person": "human",
    "question": "question",
    "goodbye": "goodbye",
}


def _head_overrules(guess: semantic.Guess, iss: IssueResult) -> bool:
    """The trained category head is sure, and the rules named another category."""
    return guess.trained and guess.category_score >= CATEGORY_OVERRULES and guess.category != iss.category


def _bars(guess: semantic.Guess) -> Bars:
    return TRAINED if guess.trained else NEAREST


def _category(guess: semantic.Guess) -> IssueCategory | None:
    if guess.category_score < _bars(guess).category_min:
        return None
    return guess.category  # type: ignore[return-value]  # the head's labels are the categories


def _kind(utt: Utterance) -> EmergencyKind:
    if _GAS_WORDS.search(utt.norm):
        return "gas"
    if _CO_WORDS.search(utt.norm):
        return "carbon_monoxide"
    return "smoke_fire"


def _emergency_category(utt: Utterance, kind: EmergencyKind) -> IssueCategory:
    """The writer's convention: gas, CO and burning smells are `smell`; sparks, smoke or flames seen
    with no smell said are `other`."""
    if kind != "smoke_fire":
        return "smell"
    # A smell said, even beside smoke seen ("there's smoke and it smells like burning"), is `smell`.
    if _SMELLED.search(utt.norm) or _BURN_SMELL.search(utt.norm):
        return "smell"
    return "other"
