"""What the caller wants: book, cancel, reschedule, ask, talk to a person, or leave."""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.negation import negated, token_index
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import Intent, QuestionTopic

_IDENTITY = Gated(
    re.compile(
        r"\b(?:are you|am i (?:talking|speaking) (?:to|with)|is this|is that|you'?re|you are|is it) "
        r"(?:a |an |the )?(?:real|live|actual)? ?(?:person|human|robot|bot|computer|machine|ai|a i|"
        r"recording|automated|artificial intelligence|people)\b"
        r"|\bwho (?:is this|am i (?:talking|speaking) (?:to|with)|are you|is speaking)\b"
        r"|\bwhat are you\b|\bare you real\b"
    ),
    (
        "are you ",
        "is it ",
        "is that ",
        "is this ",
        "speaking",
        "talking",
        "what are you",
        "who are you",
        "who is this",
        "you are ",
        "you're ",
        "youre ",
    ),
)
# Asking for a person. Words that are unambiguous count anywhere; roles ("agent", "manager",
# "the office", "a person") only when asked for, since callers also mention their insurance agent,
# their property manager, or the person who came out last time.
_ROLE = (
    r"(?:agent|manager|person|human|humans|dispatcher|receptionist|owner|office|someone|somebody|"
    r"anyone|anybody|supervisor|technician|tech|people|guy|lady|woman|man)"
)
# "I need someone" / "can I get a technician" ask for a visit; these roles only for a person now.
_DESK_ROLE = r"(?:agent|manager|person|human|dispatcher|receptionist|supervisor|owner|office)"
_NOT_OURS = r"(?<!insurance )(?<!property )(?<!building )(?<!leasing )(?<!estate )(?<!apartment )"
_HUMAN = Gated(
    re.compile(
        r"\b(?:representative|rep|operator|real person|live person|actual person|human being|real human|"
        r"actual human|live human|someone real|somebody real|customer service|supervisor|transfer me|"
        r"put me through|live agent|real agent)\b"
        rf"|\b(?:talk|speak|speaking|talking)(?: to| with)? (?:a |an |the |your |some )?(?:real |live |actual "
        rf"|other )?{_NOT_OURS}{_ROLE}\b"
        rf"|\b(?:connect me|transfer me|put me through|get me|give me|let me have|i want|i need|i'?d like|"
        rf"can i have|can i get|is there)(?: to| with| through to)? (?:a |an |the |your |some )?(?:real |live "
        rf"|actual |other )?{_NOT_OURS}{_DESK_ROLE}\b"
        rf"|^(?:an? |the |your |some )?(?:real |live )?{_ROLE}(?: please| now| right now)?$"
        r"|\b(?:someone|somebody|anyone|anybody) (?:i can|i could) (?:talk|speak)\b"
        r"|^(?:(?:hi|hey|hello|yeah|yes|um|uh|so|oh) )*is (?!(?:it|this|that|there|anyone|anybody|someone|somebody|he|"
        r"she|they|my|the|your|a|an)\b)[a-z]+(?: [a-z]+)? (?:there|in|around|available|working today|in today)\b"
        r"|\breturning (?:a|your|his|her|their|the) call\b|\bwho (?:should|do|can|would) i (?:talk|speak)\b"
        r"|\b(?:get|reach|talk to|speak to|speak with) (?:a|an) (?:person|actual \w+|real \w+|employee|human)\b"
        r"|\bconnect me (?:with|to)\b"
        # "someone from the front desk", "whoever's in charge": a person at the company, said indirectly.
        r"|\b(?:someone|somebody|anyone|anybody|a person) (?:from|at|in) (?:the |your )?(?:front desk|front office|"
        r"office)\b"
        r"|\b(?:whoever'?s|whoever is|the person|someone|somebody) in charge\b"
        # "whoever handles scheduling", "i need to speak to whoever does the books"
        r"|\bwhoever (?:handles|does|runs|takes care of|deals with|is in charge of|schedules|answers)\b"
        # someone who speaks the caller's language: "you have somebody speak spanish"
        r"|\b(?:someone|somebody|anyone|anybody|person|people)(?: who| that)? (?:speaks?|habla) (?:spanish|espa[nñ]ol|"
        r"vietnamese|chinese|mandarin|korean|arabic|french)\b|\bhabla(?:s)? espa[nñ]ol\b"
        rf"|^(?:{_DESK_ROLE}|representative|operator)(?: (?:{_DESK_ROLE}|representative|operator))+$"
        r"|\bhuman being\b|\breal people\b|\bnot (?:a |an )?(?:robot|machine|computer|bot)\b"
        rf"|\bis (?:the |your )?{_DESK_ROLE} (?:in|there|available|around)\b"
        r"|\b(?:can|could|have|will) (?:someone|somebody|you have someone|you have somebody|the office)(?: from "
        r"(?:the|your) office)? (?:call|give) me (?:back|a call)\b"
        r"|\b(?:don'?t|do not) (?:want to|wanna) (?:talk|speak) (?:to|with) (?:a |the |this |an )?"
        r"(?:robot|machine|computer|bot|ai|a i|recording)\b"
    ),
    (
        "agent",
        "anybody",
        "anyone",
        "computer",
        "connect",
        "customer service",
        "dispatcher",
        "espa",
        "get a ",
        "get an ",
        "guy",
        "is ",
        "lady",
        "machine",
        "man",
        "not a bot",
        "not an bot",
        "not bot",
        "office",
        "operator",
        "owner",
        "people",
        "person",
        "put me through",
        "reach",
        "receptionist",
        "rep",
        "returning",
        "robot",
        "somebody",
        "someone",
        "speak",
        "supervisor",
        "talk",
        "tech",
        "transfer me",
        "whoever",
    ),
)
# "I don't need a person": only a verb's negation refuses one ("no, I want a person" asks for one).
_REFUSED = re.compile(r"\b(?:don'?t|do not|doesn'?t|not|never|no need for)(?: \S+){0,3} ?$")
# A wish to cancel a visit; "I had to cancel last time" and "cancel that" (scratch that) are not.
_CANCEL = Gated(
    re.compile(
        r"\b(?:cancel(?:l?ing)?|call off) (?:my |the |our |this |an? |tomorrow'?s |today'?s |\w+day'?s )?"
        r"(?:appointment|visit|service|service call|booking|technician|tech|reservation)\b"
        r"|\b(?:want|need|like|have|going|gonna|wanna|trying) to cancel\b|\bcancellation\b"
        r"|^(?:(?:yes|yeah|i|please|just|so) )*cancel(?: it| please| it please| everything)?$|\bplease cancel\b"
        r"|\bcancel (?:it|them|the whole thing|everything)(?: please)?$|\bcall (?:it|the visit) off\b"
        r"|\bdon'?t need (?:the|my) (?:appointment|visit|technician)\b"
        # "we won't need the maintenance visit", "nobody needs to come out", "going with another company".
        r"|\b(?:don'?t|do not|won'?t|will not|no longer|not gonna|not going to) (?:need|want|be needing) (?:the|my|our|"
        r"that|"
        r"this) (?:\S+ )?(?:visit|appointment|service call|tune ?up|maintenance|technician|tech|booking)\b"
        r"|\b(?:nobody|no one|no-one) (?:needs to|has to|should|will need to) come\b"
        r"|\b(?:gonna|going to|decided to|we'?ll|i'?ll|we'?re|i'?m) (?:go|going) with (?:another|a different|some other"
        r"|"
        r"someone else)\b|\b(?:went|found|hired|got) (?:with )?(?:another company|someone else|somebody else|a differen"
        r"t "
        r"company)\b"
        r"|\b(?:take|get) (?:me|us|it|that|him|her|them|my \S+(?: \S+)?|our \S+(?: \S+)?) off (?:the|your|my) "
        r"(?:schedule|calendar|books|list)\b"
        r"|\b(?:scratch|drop|kill|nix) (?:my|the|our|that|it|tomorrow'?s|\w+day'?s)\b(?! (?:ac|air|unit|furnace))"
        # "cancel the one for unit six", "cancel the one on friday": a visit named by its place or day.
        r"|\bcancel (?:the|that|our|my) (?:one|ones|thing)\b"
        r"|\bcall(?:ing)? off (?:the|my|our|that|tomorrow'?s|\w+day'?s)\b"
        r"|\b(?:don'?t|do not|won'?t|will not|no longer|not gonna|not going to) (?:need|want|be needing) "
        r"(?:it|that|the \S+(?: \S+)?|anybody|anyone|someone|somebody|y'?all|you(?: guys)?)(?: to come)? "
        r"(?:anymore|any more|after all|out|to come|tomorrow|today|on \w+day)\b"
        r"|\b(?:don'?t|do not|won'?t|will not|no longer|not gonna|not going to) (?:need|want|be needing) "
        r"(?:the (?:technician|tech|visit|appointment|service call|guy)|anybody|anyone|someone|somebody|y'?all|"
        r"you(?: guys)?)(?: to come(?: out)?)?$"
        r"|\b(?:don'?t|do not|no need to) (?:send|come)\b(?! (?:the wrong|till|until))"
        r"|\bnever ?mind (?:on|about) (?:the|that|my) (?:appointment|visit|tune ?up|service|repair|booking)\b"
        r"|\bno (?:need|reason) (?:for|to send) (?:the|a|my|your|anybody|anyone|someone) ?(?:technician|tech|visit|"
        r"appointment|service|guy|person)?\b"
        # "you can cancel me for wednesday", "cancel us"
        r"|\bcancel (?:me|us)\b"
        # "the maintenance you have next week isn't needed": the visit named, then not needed
        r"|\b(?:visit|appointment|maintenance|tune ?up|service|tech|technician|guy|booking|cleaning|inspection)\b"
        r"(?: \S+){0,7} (?:isn'?t|is not|won'?t be|no longer|not) (?:needed|necessary)(?: anymore| any more| after all)"
        r"?"
        r"(?:$|,| so\b| because\b| thanks\b)"
        # "can you guys just not come today"
        r"|\b(?:can|could|would) (?:you|y'?all)(?: guys| all)? (?:just )?not (?:come|send|show)\b"
        # "i had somebody scheduled ... but the tenant moved out, so forget it"
        r"|\b(?:scheduled|booked|set up|coming)\b.*\b(?:forget (?:it|about it)|scratch (?:it|that)|call it off)\b"
    ),
    (
        " off my schedule",
        " off the schedule",
        " off your schedule",
        "books",
        "calendar",
        "call it off",
        "call off ",
        "call the visit off",
        "calling off ",
        "cancel",
        "come",
        "different",
        "do not need ",
        "do not want ",
        "don't need ",
        "don't want ",
        "dont",
        "drop ",
        "else",
        "forget",
        "kill ",
        "list",
        "longer",
        "mind",
        "necessary",
        "needed",
        "needing",
        "nix ",
        "no need for a",
        "no need for my",
        "no need for someone",
        "no need for the",
        "no need for your",
        "not going to need ",
        "not going to want ",
        "not gonna need ",
        "not gonna want ",
        "other",
        "reason",
        "scratch ",
        "send",
        "show",
        "will not need ",
        "will not want ",
        "won't need ",
        "won't want ",
        "wont",
    ),
)
_RESCHEDULE = Gated(
    re.compile(
        r"\bre ?schedul(?:e|ing)\b|\b(?:move|change|push|switch|shift|bump) (?:my|the|our) "
        r"(?:appointment|visit|booking|time|day)\b|\b(?:different|another|new) (?:day|time|date)\b"
        r"|\bpush (?:it|that) back\b|\bmove (?:it|that) to\b|\bchange (?:it|that) to\b"
        r"|\b(?:need|want|have|like) to (?:move|change|push|switch|shift) (?:it|that|the appointment)\b"
        r"|\bpostpon\w*|\brebook\w*|\b(?:push|bump|move|switch|shift) (?:it|that|this|them)(?: over)? (?:to|back|up|out"
        r")\b"
        # "switch it to heat" is the thermostat's mode, not the visit.
        r"(?! (?:heat|heating|cool|cooling|ac|a c|auto|fan|off|on|emergency|em)\b)"
        r"|\b(?:switch|move|change) my (?:\S+ )?(?:slot|window|time)\b|\bcan i move it\b"
        r"|\b(?:be )?(?:moved|pushed|changed|switched|bumped) (?:to|back|up)\b|\bpush(?:ed)? (?:back|out) (?:the|my)\b"
        r"|\b(?:move|push|bump|shift) (?:the|my|our) (?:\S+ )?(?:visit|appointment|tune ?up|service|repair|tech|"
        r"technician|cleaning|install\w*)\b|\b(?:come|do it|make it|switch it) (?:on )?\S+ instead\b"
        r"|\binstead of (?:\w+day|tomorrow|today|the morning|the afternoon)\b"
        r"|\b(?:earlier|later) (?:time|slot|day|window)\b"
        r"|\b(?:change|move|switch) (?:when|what time|what day|the (?:time|day|date) (?:when|that))\b"
        r"|\b(?:can|could) (?:we|you|i) (?:push|move|bump) (?:it|that|this)$"
        r"|\b(?:booked|scheduled|have an appointment|have a visit)\b.*\b(?:something|anything|a time|a day|an opening) "
        r"(?:later|earlier|else|different)\b"
        # A visit they have, wanted at another time: "i got an appointment for the first but i'd like it earlier".
        r"|\b(?:appointment|visit|booked|scheduled)\b.*\b(?:like|want|need|make|have|get|move) (?:it|that|them|him) "
        r"(?:earlier|sooner|later)\b"
        # A visit the caller has, then the time they want: "you have me down for the third, i'd like the fifth",
        # "we had somebody set up for the fourteenth, can that be the twenty first instead".
        r"|(?!.*\b(?:cancel\w*|call (?:it )?off|forget (?:it|about it))\b)"  # "...and i want to cancel that" cancels
        r"\b(?:you (?:have|got) (?:me|us|it|him|her) (?:down|booked|scheduled|on the books)|(?:i'?m|we'?re) "
        r"(?:down|booked|scheduled)|(?:we|i) (?:had|have|got) (?:somebody|someone|a tech\w*|a guy|an? (?:appointment|"
        r"visit)) (?:set up|scheduled|booked|coming)) (?:for|on)\b.*\b(?:i'?d (?:like|rather|prefer)|i want|can (?:that"
        r"|it|"
        r"we|you) (?:be|do|make)|could (?:that|it|we|you) (?:be|do|make)|instead|rather|prefer|make it)\b"
    ),
    (
        "another day",
        "another time",
        "booked",
        "books",
        "bump",
        "change",
        "date",
        "different",
        "down",
        "earlier",
        "else",
        "i got ",
        "i had ",
        "i have ",
        "instead",
        "later",
        "move",
        "new day",
        "new time",
        "postpon",
        "push",
        "re schedule",
        "re scheduling",
        "rebook",
        "reschedul",
        "scheduled",
        "shift",
        "sooner",
        "switch",
        "we got ",
        "we had ",
        "we have ",
    ),
)
_BOOK = Gated(
    re.compile(
        r"\b(?:book|schedule|set up|make|get) (?:an? |the )?(?:appointment|service call|visit|repair|"
        r"tech|technician|service|someone|somebody)\b|\bbook(?:ing)?\b|\bschedul(?:e|ing)\b"
        r"|\b(?:send|get|need|want|have) (?:someone|somebody|a tech|a technician|a guy|a repairman|a repair "
        r"man) (?:out|over|to come|to look|to take a look|to check|to fix|to repair)\b|\bcome (?:out|over|by|take a loo"
        r"k)\b"
        r"|\bneed (?:a |an )?(?:repair|service|technician|tech|appointment)\b|\bservice call\b"
        r"|\b(?:can|could|when can|when could|will) (?:you|someone|somebody|a tech|a technician) "
        r"(?:come|get here|get out|stop by|send)\b"
    ),
    (
        "appointment",
        "book",
        "can you come",
        "can you get here",
        "can you get out",
        "can you send",
        "can you stop by",
        "come by",
        "come out",
        "come over",
        "come take a look",
        "could",
        "get a guy ",
        "have a guy ",
        "need a guy ",
        "repair",
        "schedule",
        "scheduling",
        "send a guy ",
        "service",
        "somebody",
        "someone",
        "tech",
        "visit",
        "want a guy ",
        "will",
    ),
)
_HOURS = Gated(
    re.compile(
        r"\b(?:how late|how early|what time (?:does|do|will|is) (?:the office|you|y'?all|your office|somebody|someone) "
        r"(?:open|close|start|get in)|(?:do|will) (?:you|y'?all) (?:guys )?(?:do|work|come(?: out)?) (?:on )?"
        r"(?:evenings?|nights?|after (?:five|six|hours)|weekends?|saturdays?|sundays?|holidays?)|"
        r"open (?:late|early|in the morning)|"
        # "hours" of the business, not "the furnace runs for hours".
        r"(?<!for )(?<!few )(?<!many )(?<!couple )(?<!several )hours(?! (?:and|on end|straight|at a time|now|later|ago)"
        r")|"
        r"what time do you (?:open|close)|when do you (?:open|close)|are you open|"
        r"when are you open|open on (?:saturdays?|sundays?|weekends?)|"
        r"open (?:on |for |over )?(?:thanksgiving|christmas(?: eve)?|new year'?s(?: day| eve)?|the holidays?|"
        r"memorial day|labor day|easter|the fourth|july (?:4th|fourth)|black friday)|open (?:today|tomorrow|now)|"
        r"business hours|work (?:on |the )?(?:weekends|saturdays?|sundays?)|open (?:on )?(?:weekends|holidays)|"
        # When a visit can be, asked on its own: "can somebody come on a sunday", "do y'all ever come out
        # in the evening or is it only daytime".
        r"(?:can|could|will|would|do|does) (?:you|y'?all|somebody|someone|anybody|anyone|a tech\w*)(?: guys)? "
        r"(?:ever )?(?:come|work|come out)(?: out)? (?:on )?(?:a |the )?(?:sundays?|saturdays?|weekends?|holidays?|"
        r"evenings?|at night|after hours)(?: (?:also|too|as well))?$|"
        r"ever (?:come|come out|work|do (?:visits|calls))(?: \S+){0,8}? (?:in the evening|evenings|at night|"
        r"later in the day|"
        r"after (?:four|five|six|4|5|6))|only (?:daytime|during the day|business hours))\b"
    ),
    (
        "at night",
        "do y'all come ",
        "do y'all do ",
        "do y'all work ",
        "do you come ",
        "do you do ",
        "do you work ",
        "evening",
        "ever come",
        "ever do calls",
        "ever do visits",
        "ever work",
        "guys",
        "holiday",
        "hours",
        "how early",
        "how late",
        "only during the day",
        "open",
        "saturday",
        "sunday",
        "time",
        "weekend",
        "when do you close",
        "will",
        "yall",
    ),
)
_AREA = Gated(
    re.compile(
        r"\b(?:service area|do you (?:guys |all |folks )?(?:service|serve|cover|go to|come to|work in|"
        r"come out to|go out to)|"
        r"what areas?|areas? (?:do )?you (?:serve|cover|service)|are you in my area|in your area|"
        # "are you guys in my area", "are y'all in south austin too"
        r"(?:are|is) (?:you|y'?all|your company)(?: guys| all| folks)? (?:\S+ )?(?:in|out in|over in|near|around) "
        r"(?:my|our) (?:area|neck of the woods|neighbou?rhood|part of town)|"
        r"(?:are|is) (?:you|y'?all)(?: guys| all| folks)? (?:in|out in|over in) (?:south|north|east|west|central) |"
        # "are you guys in pflugerville": a place named after "in" (not "in business", "in the area code")
        r"^(?:(?:hi|hey|hello|yeah|um|uh|so|and|quick question) )*(?:are|is) (?:you|y'?all)(?: guys| all| folks)? "
        r"(?:in|out in|over in|near|around|by) (?!a |an |the |my |our |your |business|stock|charge|network|"
        r"there|here|town today|today|now|open)\w+(?: \w+)?(?: too| as well| area)?$|"
        # "come out to round rock" asks about the area; "come out to my place", "to look at it" asks for a visit.
        r"come out (?:to(?! (?:my|our|the|this|look|fix|check|take|see|do|clean|service|help)\b)|that far)|"
        r"how far do you|too far|as far as|that far|out (?:that|this) way|"
        r"(?:do|will|would|can) (?:you|y'?all) (?:guys |folks )?(?:go|come|drive|travel|get) (?:out )?(?:to|into)|"
        r"(?:do|will) (?:you|y'?all) (?:guys )?(?:service|serve|cover) (?!(?:my|the|our) (?:ac|a c|furnace|unit|system|"
        r"heater|heat pump|boiler))\w+|"
        r"(?:would|do|will) (?:you|y'?all) (?:guys )?send (?:someone|somebody|anyone|anybody|people|techs?|a tech|"
        r"technicians?|a technician|a guy) (?:out )?(?:to|as far as|all the way to) "
        r"(?!(?:my|our|the|a|an|fix|look|check|repair|come|take|"
        r"see|help|do|clean|service|us|me)\b)[a-z]+)\b"
    ),
    (
        "are",
        "around",
        "can y'all come ",
        "can y'all get ",
        "can y'all go ",
        "can you come ",
        "can you get ",
        "can you go ",
        "come out to",
        "cover",
        "do y'all come ",
        "do y'all get ",
        "do y'all go ",
        "do y'all service ",
        "do you all come to",
        "do you all go out to",
        "do you all go to",
        "do you all service",
        "do you all work in",
        "do you come ",
        "do you get ",
        "do you go ",
        "do you service",
        "do you work in",
        "drive",
        "far",
        "folks",
        "guys",
        "in my part of town",
        "in our part of town",
        "is y'all all by ",
        "is y'all all in ",
        "is y'all all out in ",
        "is y'all all over in ",
        "is y'all by ",
        "is y'all in ",
        "is y'all out in ",
        "is y'all over in ",
        "is you all by ",
        "is you all in ",
        "is you all out in ",
        "is you all over in ",
        "is you by ",
        "is you in ",
        "is you out in ",
        "is you over in ",
        "near",
        "neighborhood",
        "neighbourhood",
        "out that way",
        "out this way",
        "send",
        "serve",
        "travel",
        "will",
        "woods",
        "would",
        "yall",
    ),
)
_PRICE = Gated(
    re.compile(
        r"\b(?:how much|cost|costs|price|prices|pricing|fee|fees|charge|charges|rates?|estimates?|quotes?|"
        # "is the eighty nine dollars applied to the repair": the fee, by its amount or where it goes.
        r"dollars|bucks|(?:applied|go|goes|count|counts|credited) (?:to|toward|towards) (?:the |my )?(?:repair|bill|"
        r"work|job|cost)|"
        r"expensive|dispatch fee|service fee|trip charge|what do you charge|ballpark|what(?:'?s| does| would| will) "
        r"(?:it|that|a \S+(?: \S+)?) (?:run|set me back)|run (?:me|us)|how much for)\b"
    ),
    (
        "applied to ",
        "ballpark",
        "bucks",
        "charge",
        "cost",
        "count to ",
        "counts to ",
        "credited to ",
        "dollars",
        "estimate",
        "expensive",
        "fee",
        "go to ",
        "goes to ",
        "how much",
        "pric",
        "quote",
        "rate",
        "run me",
        "run us",
        "toward",
        "what does ",
        "what will ",
        "what would ",
        "what's ",
        "whats ",
    ),
)
_QUOTE = Gated(
    re.compile(
        r"\b(?:pricing)\b",
    ),
    ("pricing",),
)
# The profile's FAQ topics (issue 10): asked about, not a request for a visit.
_TOPIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "financing",
        re.compile(
            r"\b(?:financ\w*|monthly payments?|payment plans?|interest|credit check|synchrony|greensky|"
            r"zero percent|0 percent|0%|no money down|apr|"
            r"credit (?:compan\w+|lines?|programs?)|lenders?)\b"
        ),
    ),
    (
        "warranty",
        re.compile(
            r"\b(?:warrant\w*|guarantee\w*|(?:breaks?|fails?|goes out|happens|stops working) "
            r"again|pay (?:again|twice)|covered|stand behind)\b"
        ),
    ),
    (
        "discounts",
        re.compile(
            r"\b(?:discount\w*|first responders?|veterans? pricing|coupons?|specials?|promotions?|"
            r"deals?(?! with)|rebates? (?:do|from) you)\b"
        ),
    ),
    ("licensing", re.compile(r"\b(?:licen[sc]ed?|license number|insured|bonded|liability insurance|certified)\b")),
    (
        "payment",
        re.compile(
            r"\b(?:credit cards?|debit|(?:by|with|a|personal|take|accept) checks?(?! up| out| on| in)|"
            r"checks? (?:okay|ok|"
            r"fine)|cash|amex|american express|visa|mastercard|master card|discover card|google pay|"
            r"samsung pay|venmo|zelle|paypal|apple pay|pay (?:up front|"
            r"upfront|after|the technician|with|by)|forms? of payment|do i pay|"
            r"(?:when|how) do i (?:have to |need to )?pay|"
            r"send (?:me )?(?:a|the) bill|bill me|invoice me)\b"
        ),
    ),
    (
        "brands",
        re.compile(
            r"\b(?:brands?|trane|carrier|lennox|rheem|goodman|mitsubishi|daikin|bryant|york|ruud|"
            r"american standard|amana|fujitsu|dealer)\b"
        ),
    ),
]
_ASKS = re.compile(
    r"\b(?:do you|do y'?all|are you|are your|is (?:it|that|there|your|cash)|can i|what|which|how|"
    r"does|is that something|any|when|do i|do we|should i|will i|would i|if|whether|wondering)\b|\?$"
    r"|^(?:(?:hi|hey|hello|yeah|um|uh|so|and|quick question) )*(?:do|does|are|is|can|will|would)\b"
)
_STARTS_ASKING = re.compile(r"^(?:(?:hi|hey|hello|yeah|um|uh|so|and|quick question) )*(?:do|does|are|is|will|would)\b")
# "a quote for a new system" wants a visit to quote; "how much is a quote" asks a price.
_QUOTE_WORD = Gated(
    re.compile(
        r"\b(?:quote|estimate)\b",
    ),
    (
        "estimate",
        "quote",
    ),
)
_PRICE_WORD = re.compile(r"\b(?:how much|charge|cost|costs|fee|free)\b")
# A visit asked for after the question: "what would that run, can somebody come look".
_BOOKED_AFTER = re.compile(
    r"\b(?:can|could|will|would) (?:somebody|someone|you|y'?all|a tech|a technician) (?:come|send|get out|stop by)\b"
    r"|\b(?:send|get) (?:somebody|someone|a tech|a technician) out\b|\bi'?d like to (?:book|schedule)\b"
)
# Questions about the equipment or the company that ask for advice, not a visit: answered as
# `other` (said plainly when the profile has no answer), with an offer to book.
_ADVICE = re.compile(
    r"\b(?:is (?:it|that|this) (?:normal|okay|ok|bad|safe|common|a problem)|is it normal|how often (?:should|do)|"
    r"what size|what kind of filter|what(?:'?s| is) the best|should i (?:be|keep|set|leave|turn|run|replace|get)|"
    r"do i (?:need|have) to|are you (?:guys )?the (?:company|ones|people|guys)|was that you|did y'?all|"
    r"how (?:long|many years) (?:does|do|should|will) (?:a|an|the|my)|what temperature should|"
    r"should i (?:be )?(?:worr\w*|concerned)|is (?:that|it|this) something to worry about)\b"
)
# A yes/no question to the company ("do you do commercial", "are your techs background checked").
_COMPANY_Q = re.compile(
    r"^(?:(?:hi|hey|hello|yeah|um|uh|so|okay|quick question) )*(?:do|does|are) (?:you|y'?all|your)\b"
)


def advice(norm: str) -> bool:
    """A question asking for advice about the equipment ("is that normal", "should I worry")."""
    return _ADVICE.search(norm) is not None


_QUESTION_CUE = re.compile(
    r"\b(?:what|when|how|do you|are you|is there|can you tell|wondering|question|is it|does it)\b"
)
# Farewells end a call anywhere; "that's it", "never mind" only answer "anything else?" (or open a
# call): "yeah that's it" to a read-back question must not hang up.
_FAREWELL = Gated(
    re.compile(
        r"\b(?:bye|goodbye|good bye|bye bye|see ya|have a good (?:day|night|one|evening|weekend)|"
        r"have a nice (?:day|one|evening)|talk to you later)\b"
    ),
    (
        "bye",
        "have a good day",
        "have a good evening",
        "have a good night",
        "have a good one",
        "have a good weekend",
        "nice",
        "see ya",
        "talk to you later",
    ),
)
# Leaving at the opening: "wrong number" at a read-back corrects the phone instead.
_LEAVING = re.compile(
    r"\b(?:wrong number|wrong place|dialed wrong|misdialed|(?:i'?ll|i will|gonna|going to|let me) call (?:you )?back"
    r"(?: later| another time| tomorrow)?$|hanging up|i'?m gonna go|meant to (?:call|dial|reach)|"
    r"(?:called|dialed|got|have) the wrong (?:company|business|place|number)|"
    # "sorry i thought this was the pharmacy": a wrong number said another way.
    r"i thought (?:this|it|you) (?:was|were) (?:the |a |an )?(?!(?:comfort|heating|hvac|ac|a c|air)\b)\w+|"
    # "is this pizza hut? oh, no? sorry": another business asked for, then an apology
    r"^(?:\S+ )?is this (?:the |a |an )?(?!(?:comfort|heating|hvac|ac|a c|air)\b)\w+.*\b(?:sorry|oops|my bad|"
    r"wrong)$|"
    # "my husband's already on the other line with you guys, never mind"; "i'll figure it out myself"
    r"never ?mind(?: then| sorry| thanks| thank you)?$|"
    r"i'?ll (?:just )?(?:figure it out|handle it|deal with it|take care of it|fix it|sort it out)"
    r"(?: myself| on my own| then)?$)\b"
)
_DONE = re.compile(
    r"^(?:(?:no|nope|nah|ok|okay|alright|well|yeah|um|uh) )*(?:that'?s all|that'?s it|that'?s everything|"
    r"nothing else|i'?m all set|we'?re all set|i'?m good|we'?re good|never ?mind(?! (?:the|that|about|my|our))|"
    r"forget it|"
    r"no thanks|no thank you|that will be all|that'?ll be all)\b"
)


def extract_intent(utt: Utterance, ctx: NluContext) -> tuple[Intent | None, QuestionTopic | None]:
    t = utt.norm
    m = _HUMAN.search(t)
    if m and m.group(0).startswith(("don't", "dont", "do not")):
        return "human", None  # "I don't want to talk to a robot"
    ident = _IDENTITY.search(t)
    if ident and m and m.start() >= ident.end() and not _REFUSED.search(t, ident.end(), m.start()):
        return "human", None  # "you're a robot right? I need a human being"
    if (
        ident
        and re.search(r"\b(?:real|live|actual) (?:person|human|people)\b", ident.group(0))
        and not re.search(r"\bor (?:a |an )?(?:machine|robot|bot|computer|recording|ai)\b", t)
    ):
        return "human", None  # "is this a real person": hoping for one ("... or a machine" asks what we are)
    if ident:
        return "question", "identity"
    if m and not _REFUSED.search(t, 0, m.start()):
        return "human", None
    if _RESCHEDULE.search(t):
        return "reschedule", None
    m = _CANCEL.search(t)
    if m and not negated(utt.tokens, token_index(t, m.start()), window=3):
        return "cancel", None
    question = _QUESTION_CUE.search(t) is not None or ctx.expect == "anything_else"
    if _ASKS.search(t) or "?" in utt.raw:
        for topic, pattern in _TOPIC_PATTERNS:
            if topic == "brands" and _ADVICE.search(t):
                continue  # "what size filter does a Goodman take": advice about, not which brands
            if (found := pattern.search(t)) and not _BOOKED_AFTER.search(t, found.end()):
                return "question", topic  # type: ignore[return-value]  # the labels are QuestionTopics
    wants_quote = _QUOTE_WORD.search(t) and not _PRICE_WORD.search(t)
    price = _PRICE.search(t)
    if price and _BOOKED_AFTER.search(t, price.end()):
        price = None  # "what would that run us, can somebody come look": a visit is asked for
    asking = question or _STARTS_ASKING.search(t) is not None  # "is the 89 dollars applied to the repair"
    if not wants_quote and (_QUOTE.search(t) or price and (asking or len(utt.tokens) <= 4)):
        return "question", "price"
    if _HOURS.search(t):
        return "question", "hours"
    if _ADVICE.search(t) and not _BOOK.search(t):
        return "question", "other"
    if _AREA.search(t) and not re.search(
        r"\bservice (?:my|the|our|a) (?:ac|a c|furnace|unit|system|heater|heat pump|boiler|mini split)\b", t
    ):
        return "question", "service_area"
    if _FAREWELL.search(t) and not _BOOK.search(t):
        return "goodbye", None
    if ctx.expect in ("intent", None) and _LEAVING.search(t) and not _BOOK.search(t):
        return "goodbye", None
    if ctx.expect in ("anything_else", "intent", None) and _DONE.search(t) and not _BOOK.search(t):
        return "goodbye", None
    if ctx.expect == "anything_else" and re.fullmatch(
        r"(?:no|nope|nah|no thanks|no thank you)"
        r"(?: (?:thanks|thank you))?",
        t,
    ):
        return "goodbye", None
    if _BOOK.search(t):
        return "book", None
    if _COMPANY_Q.search(t) and len(utt.tokens) <= 12:
        return "question", "other"
    return None, None
