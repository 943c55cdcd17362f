"""What is wrong and how urgent it is, from the caller's own description."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hvac_agent.dialogue.nlu.gate import Gated, Pattern
from hvac_agent.dialogue.nlu.negation import negated, token_index
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import EmergencyKind, IssueCategory, Urgency

# "heat" is not the weather: "a heat wave", "the heat index", "the heat outside".
_HEAT_EQUIP = (
    r"(?:furnace|heater|heat(?! ?wave| index| outside)|heating|boiler|radiators?|heat pump|"  # not the weather
    r"pilot(?: light)?|baseboards?)"
)
_COOL_EQUIP = (
    r"(?:ac|a c|a/c|air conditioner|air conditioning|air conditioning unit|air|cooling|"
    r"central air|mini split|cooler|condenser|compressor|heat pump|outdoor unit|outside unit|"
    r"outdoor fan|outside fan|condenser fan)"
)
_BROKEN = (
    r"(?:out|not working|isn'?t working|ain'?t working|is not working|stopped working|stopped|broken|broke|"
    r"down|dead|died|quit|quit working|gone out|went out|won'?t (?:turn on|start|come on|kick on|"
    r"run|work|ignite|light|stay on)|doesn'?t (?:work|turn on|come on|kick on|run)|"
    r"(?:not|isn'?t) (?:turning|coming|kicking) on|keeps (?:shutting|turning) off|shut off|failed|"
    r"on the fritz|not running|isn'?t running|giving out|gave out|gave up|given up|"
    r"kaput|went kaput|busted|conked out|crapped out|pooped out|bit the dust|messed up|not blowing|"
    r"bad|shot|busted|not working right|not right|went bad|gone bad|fried|burned out|burnt out)"
)
# Failure phrases specific enough to follow the equipment a few words later: "the furnace kicks on
# and then shuts off", "the ac runs all day and never reaches the set temperature".
_FAILS_LATER = (
    r"(?:shuts? off|turns? off|cuts? (?:out|off)|keeps shutting off|won'?t (?:turn on|start|"
    r"come on|kick on|stay on|keep up|cool|heat)|never (?:reaches|gets to|gets (?:warm|cold|cool))|"
    r"can'?t keep up|not keeping up|isn'?t (?:spinning|turning|keeping up)|not spinning|"
    r"stopped working|doesn'?t (?:cool|heat|get (?:warm|cold|cool))|keeps (?:restarting|rebooting|"
    r"turning (?:on and off|off and on)|clicking (?:on and off|off))|(?:is |are |got )?(?:frozen|iced up|"
    r"icing up|covered in ice))"
)
_ROOMS = r"(?:upstairs|downstairs|bedrooms?|rooms?|one room|back room|second floor|basement)"

_NO_HEAT = Gated(
    re.compile(
        rf"\bno (?:heat|heating|hot air|warm air)\b|\bnot (?:heating|getting warm|warming)\b"
        rf"|\b(?:isn'?t|is not|wasn'?t|won'?t|doesn'?t|not) (?:heat|heating|warming|warm)(?:ing)?\b"
        rf"|\b{_HEAT_EQUIP}(?:'s)? (?:is |has |just |went |completely |totally |finally |now |officially )*{_BROKEN}"
        rf"|\b{_HEAT_EQUIP}(?:'s)? (?:\S+ ){{0,6}}?{_FAILS_LATER}"
        rf"|\bonly (?:the )?{_ROOMS} (?:gets?|is|are) (?:warm|heated|heat)\b"
        rf"|\b{_ROOMS} (?:is|are|stays?) (?:still |always |really |so )?(?:cold|freezing|chilly|like (?:ice|an icebox|"
        rf"a freezer|an igloo))\b"
        rf"|\b(?:it'?s|its|it is|getting|house is|home is|so) (?:really |very |so )?(?:cold|freezing) "
        rf"(?:in here|inside|in the house|in my house|in the home)"
        rf"|\bblowing cold air\b.*\b{_HEAT_EQUIP}\b|\b{_HEAT_EQUIP}\b.*\bblowing cold air\b"
        rf"|\bpilot (?:light )?(?:is |keeps )?(?:out|going out|won'?t (?:light|stay lit))\b|\bno hot water\b"
        rf"|\bwon'?t ignite\b|\bneeds? (?:a )?new (?:furnace|heat exchanger|igniter|ignitor|"
        rf"flame sensor|boiler|heater)\b|\b(?:fix|repair|work on) (?:my|the|our) (?:furnace|heater|"
        rf"boiler|heating)\b|\b(?:furnace|heater|boiler|heating) (?:fixed|repaired|looked at)\b"
        rf"|\b(?:heat|heater|furnace|heat pump|boiler)s?\b(?: \S+){{0,6}} blow\w* (?:cold|cool|chilly)\b"
    ),
    (
        " blow",
        "baseboard",
        "boiler",
        "chilly",
        "cold",
        "doesn",
        "fix",
        "freez",
        "furnace ",
        "furnace's ",
        "heat ",
        "heat's ",
        "heater ",
        "heater's ",
        "heating",
        "ignit",
        "isn't heat",
        "isn't warm",
        "isnt",
        "like an icebox",
        "like an igloo",
        "like ice",
        "need a new furnace",
        "need a new heater",
        "need new furnace",
        "need new heater",
        "needs",
        "no heat",
        "no hot air",
        "no hot water",
        "no warm air",
        "not getting warm",
        "not heat",
        "not warm",
        "only",
        "pilot",
        "radiator",
        "repair",
        "sensor",
        "wasn",
        "won",
        "work on my furnace",
        "work on my heater",
        "work on our furnace",
        "work on our heater",
        "work on the furnace",
        "work on the heater",
    ),
)
_NO_COOL = Gated(
    re.compile(
        rf"\bno (?:ac|a c|air conditioning|cold air|cool air|cooling)\b"
        rf"|\bnot (?:cooling|blowing cold|getting cold|cold enough)\b"
        rf"|\b(?:quit|quits|stopped|stops|ain'?t) (?:blowing|putting out|pushing|making) (?:cold|cool)\b"
        rf"|\b(?:isn'?t|is not|won'?t|doesn'?t|not|wasn'?t) (?:cool|cooling|blowing cold)(?:ing)?\b"
        rf"|\b{_COOL_EQUIP}(?:'s)? (?:is |has |just |went |completely |totally |finally |now |officially )*{_BROKEN}"
        rf"|\b{_COOL_EQUIP}(?:'s)? (?:\S+ ){{0,6}}?{_FAILS_LATER}"
        rf"|\bonly (?:the )?{_ROOMS} (?:gets?|is|are) (?:cool|cold)\b"
        rf"|\b{_ROOMS} (?:is|are|stays?) (?:still |always |really |so )?(?:hot|warm|stuffy|an oven)\b"
        rf"|\b(?:fix|repair|work on|service) (?:my|the|our) (?:ac|a c|air conditioner|"
        rf"air conditioning|central air)\b|\b(?:ac|a c|air conditioner|air conditioning|central air) (?:fixed|repaired|"
        rf"looked at)\b"
        rf"|\bblowing (?:warm|hot) air\b"
        rf"|\b(?:ac|a c|air conditioner|air conditioning|mini split|unit)\b(?: \S+){{0,6}} blow\w* (?:warm|hot)\b"
        rf"|\b(?:it'?s|its|it is|getting|house is) (?:really |very |so )?"
        rf"(?:hot|warm|boiling|an oven) (?:in here|inside|in the house|in my house)"
        rf"|\bfrozen (?:coil|coils|lines?|up)\b"
        rf"|\bice (?:on|all over|forming on|building up on|covering) (?:the )?(?:outdoor |outside |indoor )?"
        rf"(?:unit|coils?|lines?|pipes?|ac|condenser)\b"
        rf"|\b(?:unit|coils?|lines?) (?:is |are )?(?:frozen|iced up|icing up|covered in ice)\b"
        rf"|\b(?:way |much |really |a lot )?hotter (?:than|upstairs|downstairs|in)\b|\btoo hot\b"
        rf"|\bneeds? (?:a )?new (?:compressor|condenser|capacitor|coil|evaporator coil|ac|a c)\b"
    ),
    (
        " blow",
        "a c ",
        "a c's ",
        "a/c",
        "ac ",
        "ac's ",
        "air ",
        "air's ",
        "an oven",
        "boiling",
        "capacitor",
        "central",
        "coil",
        "compressor",
        "condenser",
        "cool",
        "covered in ice",
        "fix",
        "frozen",
        "heat pump ",
        "heat pump's ",
        "hot",
        "ice all over ",
        "ice building up on ",
        "ice covering ",
        "ice forming on ",
        "ice on ",
        "iced up",
        "icing up",
        "making",
        "mini split ",
        "mini split's ",
        "need a new a c",
        "need a new ac",
        "need new a c",
        "need new ac",
        "needs",
        "no a c",
        "no ac",
        "no cold air",
        "not cold enough",
        "not getting cold",
        "only",
        "outdoor",
        "outside fan ",
        "outside fan's ",
        "outside unit ",
        "outside unit's ",
        "pushing",
        "putting",
        "service my a c",
        "service my ac",
        "service our a c",
        "service our ac",
        "service the a c",
        "service the ac",
        "stuffy",
        "warm",
        "work on my a c",
        "work on my ac",
        "work on our a c",
        "work on our ac",
        "work on the a c",
        "work on the ac",
    ),
)
_LEAK = Gated(
    re.compile(
        r"(?<!gas )(?<!propane )\bleak(?:s|ing|ed|y)?\b|\bdripping\b|\bdrip(?:s)?\b|\bpuddles?\b|\bflood(?:ing|ed)?\b"
        r"|\bwater (?:is |keeps |was )?(?:on|under|around|all over|everywhere|coming|pouring|in|leaking|"
        r"dripping|gushing|spraying)\b|\b(?:pouring|gushing) water\b"
        r"|\b(?:soaked|soaking|soggy|sweating|wet (?:spot|floor|carpet|ceiling|wall|drywall)|is wet|are wet|"
        r"getting wet|bucket|water stains?|stains? on (?:the |my )?ceiling|ceiling stains?|backed up|backing up|"
        r"(?:drain |condensate |drip )?pan (?:is |was )?(?:full|overflowing)|drain (?:line|pipe) (?:is )?(?:clogged|"
        r"plugged|stopped up))\b|\bwater (?:inside|under|by|near|around|behind|from)\b"
        r"|\bcondensate\b|\bdrain (?:line|pan) (?:is )?(?:clogged|overflowing|full)\b|\boverflow(?:ing)?\b"
    ),
    (
        "backed up",
        "backing up",
        "bucket",
        "condensate",
        "drain",
        "drip",
        "flood",
        "full",
        "leak",
        "overflow",
        "puddle",
        "soak",
        "soggy",
        "stain",
        "sweating",
        "water",
        "wet",
    ),
)
_NOISE = Gated(
    re.compile(
        r"\bnois(?:e|es|y)\b|\bloud\b|\bbang(?:ing|s)?\b|\brattl(?:e|ing|es)\b|\bsqueal(?:ing|s)?\b|\bscreech\w*\b"
        r"|\bsqueak\w*\b|\bclank\w*\b|\bwhistl\w*\b|\bgrind\w*\b"
        r"|\bgrind(?:ing|s)?\b|\bbuzz(?:ing|es)?\b|\bhumm?(?:ing)?\b|\bclick(?:ing|s)\b|\bscreech(?:ing)?\b"
        r"|\bwhistl(?:e|ing)\b|\bknock(?:ing|s)?\b|\bthump(?:ing)?\b|\bscreaming\b|\bsqueak(?:ing|y)?\b"
        r"|\bvibrat(?:ing|ion|es)\b|\bhiss(?:ing)?\b|\bpopping\b|\bclanking\b"
    ),
    (
        "bang",
        "buzz",
        "clank",
        "click",
        "grind",
        "hiss",
        "hum",
        "knock",
        "loud",
        "noise",
        "noisy",
        "popping",
        "rattl",
        "screaming",
        "screech",
        "squea",
        "vibrat",
        "whistl",
    ),
)
_SMELL = re.compile(
    r"\bsmell(?:s|ing|y)?\b|\bodou?rs?\b|\bstinks?\b|\bstinky\b|\bmusty\b|\bmildew\b|\bmold(?:y)?\b"
    r"|\brotten eggs?\b|\bsulfur\b|\bfumes\b"
)
_THERMOSTAT = re.compile(r"\bthermostats?\b|\bnest\b|\becobee\b|\bhoneywell\b|\bscreen is blank\b|\bwall control\b")
_MAINT = Gated(
    re.compile(
        r"\bmaintenance\b|\btune ?ups?\b|\bcheck ?ups?\b|\binspections?\b|\bfilters?\b|\bservic(?:e|ed|ing) "
        r"(?:my|the|our) (?:system|unit|furnace|ac|a c|air conditioner|heater|heat pump|boiler|hvac)\b"
        r"|\b(?:system|unit|furnace|ac|heater|heat pump|boiler) serviced\b|\bannual\b|\bseasonal\b"
        r"|\bclean(?:ing)? (?:the |my )?(?:unit|system|coils)\b"
        r"|\b(?:a|the) cleaning (?:on|of|for) (?:the |my |our )?(?:\S+ )?"
        r"(?:splits?|units?|system|ac|a c|furnace|heat pump)\b"
        r"|\bget (?:it|my system|the system) checked\b|\bcheck(?:ed)? (?:it|my system|"
        r"the system) (?:out|over)\b|\bbefore (?:winter|summer)\b|\bpreventive\b|\bpreventative\b"
    ),
    (
        "annual",
        "before summer",
        "before winter",
        "check",
        "clean",
        "filter",
        "inspection",
        "maintenance",
        "prevent",
        "seasonal",
        "service",
        "servicing",
        "tune up",
        "tuneup",
    ),
)
_HEAT_WORDS = re.compile(rf"\b{_HEAT_EQUIP}\b|\bcold\b|\bfreezing\b")
_COOL_WORDS = re.compile(rf"\b{_COOL_EQUIP}\b|\bhot\b")
_EQUIPMENT_BROKEN = re.compile(
    rf"\b(?:unit|system|hvac|it|thing|equipment) (?:is |has |just |went |completely )*{_BROKEN}"
)

_PROBLEM_IS = Gated(
    re.compile(
        r"\b(?:problem|issue) is\b|\b(?:it'?s|it is|its) the (?:heat|ac|a c|furnace|air)\b",
    ),
    (
        "issue is",
        "it is the a c",
        "it is the ac",
        "it is the air",
        "it is the furnace",
        "it is the heat",
        "it's the a c",
        "it's the ac",
        "it's the air",
        "it's the furnace",
        "it's the heat",
        "its the a c",
        "its the ac",
        "its the air",
        "its the furnace",
        "its the heat",
        "problem is",
    ),
)
_COLD_AIR = re.compile(r"\b(?:air|vents?)(?: \S+){0,6} (?:is|are|feels?|blows?|blowing) (?:cold|cool|freezing)\b")
_TROUBLE = re.compile(
    r"\b(?:won'?t|isn'?t|doesn'?t|can'?t|never|problems?|issues?|trouble|shuts? off|"
    r"stops?|stopped|quit|fails?|failing|struggling|barely)\b"
)
_HEAT_NAMED = re.compile(r"\b(?:furnace|heater|heating|heat(?! ?wave| index| outside)|boiler|heat pump)\b")
_COOL_NAMED = re.compile(r"\b(?:ac|a c|air conditioner|air conditioning|cooling|central air)\b")
_ELDER_AGE = Gated(
    re.compile(
        r"\b(?:(?:mom|mother|dad|father|grandma|grandmother|grandpa|grandfather|parents?|she|he|husband|wife|"
        # "my dad who lives with me is ninety": a short clause between the relative and the age
        r"aunt|uncle)(?: (?:who|that)(?: \S+){1,4}?)?(?:'s| is| are)|(?:she|he|they)'?re|(?:she|he|they) (?:is|are)|"
        r"i'?m|i am) (?:almost |over |like )?"
        r"(?:[7-9]\d|1[01]\d)\b|\b(?:[7-9]\d|1[01]\d) years? old\b"
    ),
    (
        "10",
        "11",
        "7",
        "8",
        "9",
    ),
)
_VULNERABLE: list[tuple[Pattern, str]] = [
    (
        Gated(
            re.compile(
                r"\b(?:infant|baby|babies|newborn|toddler|new born|(?:\d+|one|two|three|four|five|six|"
                r"seven|eight|nine|ten|eleven) (?:month|week)s? old|"
                # "i've got a one year old", "our two year old son": a toddler, said by age.
                r"(?:got|have|has|with|our|my) (?:a |an )?(?:one|two|1|2|one and a half|year and a half)(?: ?years?)? o"
                r"ld|"
                r"(?:one|two|1|2) years? old (?:son|daughter|baby|kid|child|boy|girl|twins|grandbaby|grandson|"
                r"granddaughter))\b"
            ),
            (
                " old",
                "babies",
                "baby",
                "infant",
                "new born",
                "newborn",
                "toddler",
            ),
        ),
        "infant in the home",
    ),
    (
        Gated(
            re.compile(
                r"\b(?:elderly|seniors?|grandma|grandpa|grandmother|grandfather|aging|"
                r"(?:[6-9]\d|1[01]\d) years? old|old (?:mother|father|mom|dad|parents?|man|lady)|"
                r"in (?:her|his|their) (?:[6-9]0s|eighties|nineties|seventies)|retired)\b"
            ),
            (
                " year old",
                " years old",
                "60s",
                "70s",
                "80s",
                "90s",
                "aging",
                "eighties",
                "elderly",
                "grand",
                "nineties",
                "old dad",
                "old father",
                "old lady",
                "old man",
                "old mom",
                "old mother",
                "old parent",
                "retired",
                "senior",
                "seventies",
            ),
        ),
        "elderly occupant",
    ),
    (
        Gated(
            re.compile(
                r"\b(?:medical|oxygen|dialysis|disabled|disability|wheelchair|chemo|chemotherapy|"
                r"hospice|heart condition|respiratory|copd|asthma|bedridden|bed ridden|surgery|"
                r"pregnant|immunocompromised|on a ventilator|ventilator|heart (?:problems?|trouble|issues?|"
                r"condition|disease|patient)|health (?:problems?|issues?|condition)|sick|ill|cancer|"
                r"diabetic|diabetes|kidney|lung|breathing (?:problems?|issues?|trouble)|recovering|"
                r"just (?:got )?(?:home )?from the hospital|stroke|dementia|special needs|"
                # Conditions named by their short names: "dad has ms", "she's got parkinson's".
                r"(?:has|have|with|got) (?:ms|m s|als|copd|lupus|epilepsy|seizures|parkinson'?s)|multiple sclerosis|"
                r"parkinson'?s|alzheimer'?s|heat (?:sensitiv\w*|intoleran\w*|stroke|exhaustion)|"
                r"(?:heat|cold) (?:makes|make|affects|hits) (?:it |her |him |them |me )?(?:\S+ )?(?:worse|hard|bad))\b"
            ),
            (
                "als",
                "alzheimer",
                "asthma",
                "bad",
                "bed ridden",
                "bedridden",
                "breathing",
                "cancer",
                "chemo",
                "copd",
                "dementia",
                "diabet",
                "dialysis",
                "disab",
                "epilepsy",
                "exhaustion",
                "got m s",
                "got ms",
                "hard",
                "has m s",
                "has ms",
                "have m s",
                "have ms",
                "health",
                "heart",
                "hospi",
                "ill",
                "immunocompromised",
                "intoleran",
                "kidney",
                "lung",
                "lupus",
                "medical",
                "multiple sclerosis",
                "oxygen",
                "parkinson",
                "pregnant",
                "recovering",
                "respiratory",
                "seizures",
                "sensitiv",
                "sick",
                "special needs",
                "stroke",
                "surgery",
                "ventilator",
                "wheelchair",
                "with m s",
                "with ms",
                "worse",
            ),
        ),
        "medical need",
    ),
]
_FREEZING = re.compile(
    r"\b(?:below freezing|freezing (?:outside|out there|tonight|weather|temperatures?|temps)|"
    r"(?:single|low) digits|snow(?:ing|storm)?|ice storm|blizzard|sub ?zero|"
    r"pipes? (?:are |is |might |could |will |gonna |going to |about to )*(?:freez(?:e|ing)|burst|froze)|"
    r"frozen pipes?|(?:it'?s|its) freezing|freezing in here|(?:are|is|we'?re|i'?m|getting) freezing|[1-3]\d degrees|"
    # Freezing weather said by what it does: icy roads, sleet, a freeze.
    r"icy|iced roads|sleet\w*|freezing rain|(?:this|a|the|hard) freeze)\b"
)
# "supposed to drop to 19 tonight", "a hard freeze", "in the twenties this week".
_COLD_FORECAST = re.compile(
    r"\b(?:(?:drop|get|go|going|down|dip|fall)\w* (?:down )?(?:to|into|in) (?:the )?(?:[0-3]?\d|teens|twenties|"
    r"single digits)\b|\b(?:[0-9]|[12]\d|3[0-2]) degrees\b|hard freeze|freeze warning|cold (?:snap|front)|arctic|"
    r"in the (?:teens|twenties)|"
    r"(?:[0-2]?\d|3[0-2]) (?:degrees )?(?:tonight|outside|out there|out|this morning))"
)
_ACTIVE_LEAK = re.compile(
    r"\b(?:is |are |it'?s |keeps |still )?(?:leaking|pouring|gushing|flooding|spraying|overflowing)\b"
    r"|\bwater (?:everywhere|all over|coming (?:through|down|out)|through the ceiling|pouring)\b"
    r"|\bwater (?:is |on |all over )+(?:the |my )?(?:floor|ground|carpet|ceiling)\b"
    r"|\bdripping (?:through|from) the ceiling\b|\bceiling is dripping\b|\bwon'?t stop (?:leaking|dripping)\b"
    # water still coming: a stain that grows, a ceiling that bubbles or sags, a pan running over
    r"|\b(?:spreading|getting (?:bigger|worse|larger)|keeps? (?:getting bigger|growing|spreading)|growing|"
    r"bubbling|sagging|running over|leaked through|leaking again|water(?:'s| is)? coming out|"
    r"water (?:\S+ ){0,2}?all around)\b"
)
# Water where it should not be is an active leak (turn the system off); refrigerant is not water.
_WATER = re.compile(
    r"\b(?:water|wet|soaked|soaking|soggy|damp|drip\w*|puddles?|flood\w*|overflow\w*|"
    r"leak(?:s|ing)?|ceiling|bucket|towels?|stain\w*|backed up|backing up|full)\b"
)
# Water that stays where it is (a stain, a pan that holds it, a float switch that stopped the
# system, a drain dripping outside): looked at soon, not an active leak, unless it spills.
_HELD_WATER = re.compile(
    r"^(?!.*\b(?:spill\w*|overflow\w*|over the edge|onto|backing up|backed up|inside instead|through|dripping from|"
    r"spreading|getting (?:bigger|worse|larger)|growing|bubbling|sagging|running over|"
    r"everywhere|all over|pouring|gushing|drywall|insulation|carpet|floor)\b)"
    r"(?:.*\bstain\w*\b(?!.*\b(?:drip\w*|wet|leaking)\b)|.*\b(?:pan|float switch)\b|.*\b(?:line|pipe) outside drips?\b)"
)
_REFRIGERANT = re.compile(r"\b(?:freon|refrigerant|coolant|r ?22|r ?410a?|hiss\w*|leak in the coil)\b")
_PAST_LEAK = re.compile(
    r"\b(?:was leaking|leaked|used to leak|had a (?:\w+ )?(?:leak|puddle)|stopped leaking|fixed|"
    r"went away|dried up|dry now|(?:isn'?t|not) (?:leaking|dripping)(?: now| anymore)?|"
    # Water found and gone, or now and then: no leak running now.
    r"dry (?:today|this morning)|dried|nothing (?:active|wet)|wiped|last summer|"
    r"some (?:mornings|days|nights)|once in a while|every (?:so often|now and then)|now and then|occasionally|"
    r"(?:weeks?|months?|days?) ago|last (?:week|month|year))\b"
)
_NOT_URGENT = re.compile(
    r"\b(?:not (?:really |that |very |super |too )?(?:urgent|an emergency|a big deal|in a (?:rush|hurry))|"
    r"no rush|no hurry|it can wait|"
    r"can wait|whenever|not that urgent|nothing urgent|routine|no emergency|just (?:a )?(?:tune|check|"
    r"maintenance))\b"
)
_SAYS_URGENT = re.compile(
    r"\b(?:urgent|emergency|asap|as soon as possible|right away|immediately|"
    r"today if possible|really need someone today)\b"
)
# Answers to "what's the problem?" that are not a problem: questions back, asking to repeat or
# wait, "I don't know" on its own.
_META = re.compile(
    r"^(?:(?:sorry|um|uh|oh|well|hello|hi)\s+)*(?:what|who|why|how|where|when|can you|could you|can i|"
    r"could i|do you|are you|is this|is that|pardon|excuse me|huh|repeat|say (?:that|it) again|hold on|"
    r"hang on|wait|one sec|one second|just a sec|give me a|are you there|hello)\b"
    r"|^(?:i don'?t know|no idea|not sure|i'?m not sure|dunno|i have no idea)$"
)


def _mostly_digits(utt: Utterance) -> bool:
    spoken_numbers = sum(r.n_tokens for r in utt.runs)
    return spoken_numbers * 2 >= len(utt.tokens)


_SPOKEN_DIGIT = (
    r"(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety)"
)
_CLAUSE_CUT = re.compile(
    rf"\b(?:at {_SPOKEN_DIGIT}|my (?:name|number|phone|address|zip)|i'?m at|we'?re at|i live|the address|zip|"
    r"and (?:my|the) (?:name|number|address)|you can reach|call me|this is [a-z]+ [a-z]+ calling|"
    r"can you|could you|can someone|could someone|can somebody|please send|i need someone|"
    r"when can|how soon)"
)
# Verbs worth keeping before "my filter", "the system": "change my filter", "check the system".
_LEAD_VERBS = frozenset(
    {"change", "replace", "clean", "check", "service", "inspect", "fix", "repair", "look", "tune", "install", "move"}
)
# Read-backs go to speech synthesis: "ac" must be spelled out, not said as a word.
_ACRONYMS = re.compile(r"\b(?:ac|a c|a/c|hvac|co|c o)\b")
_CLAUSE_SPLIT = re.compile(r"[.,;!?]| and | but | so | also ")
_ISSUE_LEAD = re.compile(r"^(?:yeah|yes|well|so|okay|ok|and|hi|hello|um|uh|oh|like)\s+")
_CALLING_ABOUT = re.compile(
    r"^(?:i'?m calling (?:because|about|since)|calling (?:because|about)|"
    r"the (?:problem|issue) is|it'?s that|i think)\s+"
)


@dataclass
class IssueResult:
    category: IssueCategory | None = None
    issue: str | None = None
    urgency: Urgency | None = None
    reasons: list[str] = field(default_factory=list)
    # The rules named the category themselves (an install, a bill, short cycling is `other` by
    # the rules, not for want of a better one): the semantic head does not replace it.
    firm: bool = False


_NEGATIVE_START = ("no ", "not ", "isn't", "isnt", "won't", "wont", "doesn't", "doesnt", "wasn't")


def _any(pattern: Pattern, utt: Utterance) -> bool:
    for m in pattern.finditer(utt.norm):
        if m.group(0).startswith(_NEGATIVE_START):
            return True  # "no heat" is itself the complaint; "no gas, no heat" must not cancel it
        if not negated(utt.tokens, token_index(utt.norm, m.start()), window=3):
            return True
    return False


# What the writer's rules call `other` however the equipment is named: a request for something
# other than a repair of a symptom (install, replace, quote, second opinion, move, permit), and
# complaints that are neither heat nor cold (bills, humidity, airflow, cycling, breakers).
_OTHER = Gated(
    re.compile(
        r"\b(?:install\w*|replac\w*|swap\w* (?:out )?(?:the |my |our )?(?:old )?(?:thermostat|unit|system|furnace|ac|a "
        r"c|"
        r"heater|condenser|heat pump|boiler)|new (?:system|unit|furnace|ac|a c|air conditioner|heat pump|"
        r"thermostat|ductwork|ducts)|quotes?|estimates?|bids?|second opinion|another opinion|upgrad\w*|"
        r"electric(?:ity)? bills?|power bills?|energy bills?|utility bills?|bills? (?:is|are|was|has been|went)|"
        r"humid\w*|sticky|clammy|muggy|dehumidif\w*|airflow|air flow|barely (?:blows?|any air|comes? out)|"
        r"(?:barely|hardly|never) (?:gets?|puts? out|pushes?|blows?) (?:any |much )?air|(?:hardly any|not much|barely a"
        r"ny) "
        r"air|(?:comes?|turns?|kicks?|fires?|clicks?|starts?) (?:on|up) (?:\S+ ){0,5}?(?:then|and) (?:\S+ ){0,2}?"
        r"(?:off|shuts? "
        r"off|clicks? off|quits)"
        r"(?: \S+){0,4} (?:back on|again)|"
        r"weak (?:air|flow)|no air (?:coming )?(?:out|from)|short cycl\w*|cycl(?:es|ing) (?:on and off|"
        r"real fast|fast|constantly|a lot)|keeps cycling|(?:on|off) (?:and|then) (?:off|on) (?:every|like|all)|"
        r"(?:turns?|kicks?|clicks?|shuts?|comes?) (?:on|off) (?:and|then) (?:(?:turns?|kicks?|clicks?|shuts?|"
        r"comes?) )?(?:off|on|back on)(?: again)? (?:every|like|after|all|a minute|right|real (?:quick|fast)|"
        r"quick|over and over|again and again|constantly|repeatedly)|on off on off|"
        r"(?:breaker|fuse)s?(?: \S+){0,4}? (?:keeps? )?(?:trip\w*|blow\w*|popp\w*|flipp\w*|kick\w* off)|"
        r"tripp?ing the breaker|"
        # Short cycling said plainly: "runs about five minutes then stops then starts then stops".
        r"(?:runs?|running|comes? on|starts?|kicks? on)(?: \S+){0,4}? (?:then |and )?(?:stops|shuts? off|quits|cuts? ou"
        r"t|"
        r"turns? off)(?: \S+){0,2}? (?:then |and )(?:starts?|comes? (?:right )?(?:back )?on|kicks? (?:back )?on|"
        r"starts? (?:right )?back up)|"
        # Damage to the equipment itself: a dent, a truck, hail.
        r"dent\w*|hail damage|(?:backed|ran|crashed|drove) (?:\S+ ){0,3}?into (?:it|the unit|my unit)|knocked over|"
        r"shuts? off(?: \S+){0,5}? (?:starts?|comes?|kicks?|turns?) (?:up |back )?(?:on )?again|"
        r"duct(?:s|work)?(?: \S+){0,4}? leak\w*|leaky duct(?:s|work)?|"
        r"leak\w* (?:\S+ ){0,3}(?:in|from|out of) (?:the |my |our )?"
        r"duct(?:s|work)?|"
        r"(?:vents?|registers?|ducts?|grilles?) (?:are |is )?sweating|condensation on (?:the |my |our |all |of )*"
        r"(?:\S+ )?(?:vents?|registers?|ducts?|grilles?)|"
        r"(?:insulation|covering|foam|wrap\w*)(?: \S+){0,4} (?:refrigerant |copper |suction )?lines?|"
        r"add(?:ing)? (?:a |an |another )?(?:return|vent|register|duct|zone)|(?:not )?up to code|code violations?|"
        r"zon(?:e|es|ing)|dampers?|"
        # Duct cleaning is its own job (the writers' brief lists it under `other`), not a tune-up.
        r"duct cleaning|clean\w* (?:out )?(?:the |my |our |all |all the |all of the )?(?:air )?(?:ducts?|ductwork)|"
        r"(?:ducts?|ductwork) (?:\S+ ){0,2}?cleaned|"
        r"convert\w*|relocat\w*|seal\w* (?:the |my |our )?(?:ducts?|ductwork)|(?:ducts?|ductwork) (?:sealed|repaired|"
        r"replaced)|duct (?:sealing|repair)|(?:move|relocate)\w* (?:the|my|our) (?:ac|a c|unit|condenser|system|thermos"
        r"tat|"
        r"equipment|outside unit|furnace)|(?:ac|a c|unit|condenser|system|thermostat|furnace) moved|permit|"
        r"inspection for (?:the )?(?:sale|buyer|closing)|leaning|"
        r"tilt\w*|sank|sinking|recharg\w*|top(?:ped)? (?:it |them )?off|(?:more|some|add|low on|needs?) "
        r"(?:freon|refrigerant|coolant)|"
        r"won'?t (?:stop|shut off)|never (?:stops|shuts off)|runs? (?:non ?stop|constantly|all the time))\b"
    ),
    (
        " again",
        " and come on",
        " and come right on",
        " and comes on",
        " and comes right on",
        " and start",
        " back on",
        "add",
        "air flow",
        "airflow",
        "barely",
        "bid",
        "bill",
        "breaker",
        "clammy",
        "click on and ",
        "clicks on and ",
        "code violation",
        "come on and ",
        "comes on and ",
        "condensation on ",
        "constantly",
        "convert",
        "coolant",
        "covering",
        "cycl",
        "damper",
        "dent",
        "duct",
        "estimate",
        "foam",
        "freon",
        "fuse",
        "hail damage",
        "hardly",
        "humid",
        "inspection",
        "install",
        "insulation",
        "into",
        "kick",
        "knocked over",
        "leaning",
        "move",
        "muggy",
        "never",
        "new",
        "no air coming from",
        "no air coming out",
        "no air from",
        "no air out",
        "nonstop",
        "not much air",
        "off",
        "on and on all",
        "on and on every",
        "on and on like",
        "opinion",
        "permit",
        "quote",
        "recharg",
        "refrigerant",
        "relocat",
        "replac",
        "run all the time",
        "run non stop",
        "runs all the time",
        "runs non stop",
        "sank",
        "shut on and ",
        "shuts on and ",
        "sinking",
        "sticky",
        "swap",
        "sweating",
        "then",
        "tilt",
        "turn on and ",
        "turns on and ",
        "up to code",
        "upgrad",
        "weak",
        "won't stop",
        "wont stop",
        "wrap",
        "zone",
        "zoning",
    ),
)
# Symptoms that settle heat or cooling even next to an `other`, noise or leak word: the caller says
# the air, the room or the system does not heat or cool.
_SYMPTOM = Gated(
    re.compile(
        r"\b(?:no (?:heat|heating|ac|a c|cooling|cold air|hot air|warm air|air conditioning)|"
        r"(?:not|ain'?t) (?:heating|cooling|blowing (?:cold|cool|warm|hot)|getting (?:warm|cold|cool)|keeping up|warm|"
        r"cold)|"
        r"(?:hasn'?t|haven'?t|has not|hadn'?t) (?:worked|been working|heated|cooled|come on|kicked on)|"
        r"(?:isn'?t|doesn'?t|won'?t|wasn'?t|didn'?t) (?:heat|cool|get (?:warm|cold|cool)|blow (?:cold|warm|hot)|"
        r"keep up|turn on|come on|kick on|start|ignite|light|fire)\w*|(?:heat|heater|furnace|ac|air|boiler)'?s out|"
        r"blow(?:s|ing)? (?:warm|hot|cold|cool|room temperature|"
        r"lukewarm) air|(?:warm|hot|cold) air|won'?t get (?:below|above|under|over|past)|stopped working|"
        r"not working|isn'?t working|quit|died|dead|went out(?! of)|is out|(?:are|is|got|keeps?) (?:freezing|frozen|"
        r"iced)|ice|frost\w*|(?:hot|warm|cold|freezing|an oven|stuffy) (?:in here|inside|in the house|upstairs)|"
        r"(?:house|home|place|room|it)(?:'s| is| stays)? (?:getting |staying |still |so |really |pretty |"
        r"way too )*(?:cold|hot|"
        r"warm|freezing|chilly|an oven)|"
        # The heat or cold that does not come, said around a sound: "isn't getting cold", "nothing's warming
        # up", "clicks but never lights", radiators "stone cold".
        r"(?:isn'?t|is not|not|aren'?t) getting (?:cold|cool|warm|hot)|nothing(?:'s| is)? (?:warming|heating|cooling|co"
        r"ld|"
        r"cool|warm|getting "
        r"(?:warm|cold|hot))|never (?:lights|ignites|fires|catches|gets (?:warm|cold|hot))|"
        r"(?:radiators?|registers?|vents?)(?: \S+){0,2}? (?:are |is )?(?:all )?(?:stone |ice |dead )?cold)\b"
    ),
    (
        "ac's out",
        "acs out",
        "air's out",
        "airs out",
        "an oven",
        "boiler's out",
        "boilers out",
        "chilly",
        "cold",
        "cool",
        "dead",
        "didn",
        "died",
        "doesn",
        "freezing",
        "frost",
        "frozen",
        "furnace's out",
        "furnaces out",
        "hadn",
        "has not been working",
        "has not come on",
        "has not heated",
        "has not kicked on",
        "has not worked",
        "hasn",
        "haven",
        "heat's out",
        "heater's out",
        "heaters out",
        "heating",
        "heats out",
        "hot",
        "ice",
        "ignite",
        "is out",
        "isn",
        "keeping",
        "never catches",
        "never fires",
        "never lights",
        "no a c",
        "no ac",
        "no air conditioning",
        "no heat",
        "not working",
        "quit",
        "stopped working",
        "stuffy",
        "temperature",
        "warm",
        "wasn",
        "went out",
        "won",
    ),
)
_FAN_STILL = Gated(
    re.compile(
        r"\bfan\b(?: \S+){0,6} (?:isn'?t|is not|not|won'?t|doesn'?t|stopped|quit) (?:\S+ )?(?:spin|turn|run|"
        r"mov|go|work)\w*\b|\b(?:isn'?t|not|won'?t|doesn'?t) (?:spin\w*|turn(?:s|ing|ed)?\b(?! on\b))"
        r"|\bfan\b(?: \S+){0,6} (?:just )?(?:sits there|sitting there|stuck|won'?t budge|not moving|doesn'?t move)\b"
    ),
    (
        "fan",
        "spin",
        "turn",
    ),
)
# "ice cold" is a feel, not ice.
_ICE = Gated(
    re.compile(
        r"(?<!like )\b(?:ice(?! cold)|iced|icing|icy|frost\w*|frozen|froze)\b",
    ),
    (
        "frost",
        "froze",
        "ice",
        "icing",
        "icy",
    ),
)
_BOARD_CODE = re.compile(
    r"\berror codes?\b|\b(?:light|led)s? (?:blinks?|blinking|flashing|flashes)\b"
    r"|\b(?:blinking|flashing) (?:light|code|led)s?\b"
)
# Refrigerant escaping is a leak, whatever else is asked (a quote, a recharge) or heard (a hiss).
_REFRIGERANT_LEAK = Gated(
    re.compile(
        r"\b(?:freon|refrigerant|coolant)\b(?: \S+){0,8}? (?:leak\w*|losing|escaping)\b"
        r"|\b(?:leak\w*|losing|lose|loses)(?: \S+){0,8}? (?:freon|refrigerant|coolant)\b"
        r"|\bleak (?:in|on|at) the (?:coil|lines?|line set|evaporator|condenser)\b"
    ),
    (
        "coolant",
        "freon",
        "leak",
        "refrigerant",
    ),
)
_WATER_PIPES = re.compile(
    r"\b(?:water pipes?|pipes? (?:might|could|will|gonna|going to|are going to) freeze|"
    r"pipes? (?:burst|bursting))\b"
)
# "thermostat says 70 but it's way hotter", "my thermostat's broke it reads 52": the control is
# the fault. "thermostat says cooling but it's 81" is the cooling that fails.
_THERMOSTAT_FAULT = re.compile(
    r"\b(?:thermostat|nest|ecobee|honeywell|t ?stat|wall control)(?: thing)?(?:'s| is)? (?:\S+ ){0,3}"
    r"(?:blank|error|codes?|"
    r"flashing|blinking|keeps? saying|dead|broke\w*|wrong|off by|frozen|stuck|"
    r"unresponsive|not responding|(?:isn'?t|is not|not) turning on|"
    r"won'?t (?:change|respond|let|turn|go|switch|hold|stay|read)|doesn'?t "
    r"(?:respond|change|do anything|work)|isn'?t (?:responding|working|reading)|not (?:working|reading)|"
    r"reads? (?:\d+|wrong)|says? \d+|shows? \d+|keeps? (?:resetting|changing|going)|screen|display|"
    r"batter\w*|no power|went out|lost power|clicks? but)\b|\bthermostat\b.*\b(?:checked|another "
    r"(?:one|thermometer)|different thermometer|wrong temp\w*)\b|\b(?:screen|display) "
    r"(?:is |went |'s )?(?:blank|dead|dim|off|black)\b"
)
# A new or replaced thermostat is the thermostat's job (the writers' brief: "smart-thermostat install"),
# unless other equipment is part of it.
_THERMOSTAT_JOB = Gated(
    re.compile(
        r"\b(?:install\w*|replac\w*|put in|putting in|hook\w* up|set up|upgrad\w*|swap\w*|new|digital|smart|wi ?fi)"
        r"(?: \S+){0,5}? (?:thermostats?|nest|ecobee|honeywell)\b"
        r"|\b(?:thermostats?|nest|ecobee)(?: \S+){0,6}? (?:install\w*|replac\w*|put in|hooked up|set up|upgraded|swappe"
        r"d)\b"
    ),
    (
        " ecobee",
        " honeywell",
        " nest",
        " thermostat",
        "hooked up",
        "install",
        "put in",
        "replac",
        "set up",
        "swapped",
        "upgraded",
    ),
)
_OTHER_EQUIPMENT = re.compile(
    r"\b(?:system|unit|furnace|ac|a c|air conditioner|heat pump|mini split|boiler|condenser|ducts?|ductwork|zon\w*|"
    r"humidifier|dehumidifier|heater)\b"
)
_WALL_THING = Gated(
    re.compile(
        r"\b(?:screen|display|buttons?|numbers?|readout)(?: \S+){0,2}? (?:on|of) the (?:wall thing\w*|thing on the wall"
        r")\b"
        r"|\b(?:wall thing\w*|thing on the wall)(?:'s| is)? (?:\S+ ){0,3}(?:blank|dead|dark|flicker\w*|blink\w*|"
        r"frozen|stuck|wrong)\b"
    ),
    (
        "thing on the wall",
        "wall thing",
    ),
)
# Temperatures said for the house: "house is 61 degrees", "it's eighty one in here".
_INDOOR_TEMP = Gated(
    re.compile(
        r"\b(?:house|home|inside|in here|it'?s|its|it is|upstairs|downstairs|room|bedroom|apartment|thermometer"
        r"(?: \S+){0,3}?) "
        r"(?:is |was |at |reads |says |stays |sits |only )*(?:like |about |almost |around |over |nearly )?(\d{2,3})"
        r"(?: degrees)?(?: (?:in here|inside|in the house))?\b|\b(\d{2,3}) degrees (?:in|inside)\b"
        r"|\b(?:won'?t|can'?t|doesn'?t|never) (?:get|go|drop|cool|warm|heat)\w* (?:\S+ ){0,2}?(?:below|under|above|"
        r"over|past) (\d{2,3})\b"
    ),
    (
        " degrees in",
        "apartment",
        "can't cool",
        "can't get",
        "can't go",
        "can't heat",
        "can't warm",
        "cant",
        "doesn",
        "downstairs",
        "drop",
        "home",
        "house",
        "in here",
        "inside",
        "it is",
        "it's",
        "its",
        "never cool",
        "never get",
        "never go",
        "never heat",
        "never warm",
        "room",
        "thermometer",
        "upstairs",
        "won't cool",
        "won't get",
        "won't go",
        "won't heat",
        "won't warm",
        "wont",
    ),
)
_SEASONAL = Gated(
    re.compile(
        r"\b(?:maintenance|tune ?ups?|check ?ups?|(?:fall|spring|winter|summer|yearly|annual|seasonal|"
        r"twice a year) (?:visit|service|check|inspection|maintenance)|service plan|maintenance plan|"
        r"(?:serviced|looked at|cleaned|checked) in (?:a while|years|ages|forever|like \S+ years|\S+ years)|"
        r"safety (?:check|inspection)|"
        r"(?:checked|looked at|serviced|tuned up|inspected|gone over)(?: out| over)? before (?:the )?(?:cold|winter|sum"
        r"mer|"
        r"heat|hot|freeze|season)|"
        r"last serviced|look (?:it|things|everything) over|checked out before|"
        # "give his ac a once over", "that time of year again", "the yearly thing", "clean my mini split heads"
        r"once ?over|that time of (?:the )?year|the (?:yearly|annual) (?:thing|one|visit)|"
        r"clean(?:ed|ing)? (?:out )?(?:my|the|our) (?:\S+ )?(?:heads|coils?|blower wheel)|"
        r"(?<!fan )(?<!fan inside )(?<!blower )(?:working|runs?|running) (?:fine|great|good|okay)|nothing(?:'s| is) wro"
        r"ng|"
        r"(?:blow|flush|clean) (?:out )?(?:the )?(?:condensate|drain)(?: line)?|(?:furnace|ac|a c|system|heater|hvac|"
        r"heat pump|boiler) (?:check|checkup|check up|inspection)|clean\w* (?:and|&) "
        r"(?:check|inspect)\w*|"
        # "haven't had anybody look at it in five years", "check out the heater for the winter",
        # "just routine", "flush the boiler and bleed the radiators", an inspection a city or a rental
        # permit needs, "time for a cleaning"
        r"(?:look|looked) at (?:\S+ ){0,3}in (?:like |about |over )?(?:\S+ )?(?:years?|ages|forever|a while)|"
        r"(?:it'?s |its )?been (?:like |about |over )?(?:\S+ )?(?:years|two years|a couple years|a few years)|"
        r"for (?:the )?(?:winter|summer|season|cold weather)|just (?:a )?routine|routine (?:check|service|visit)|"
        r"bleed\w* (?:the )?radiators?|flush\w* (?:out )?(?:the )?(?:boiler|system|drain|condensate)|"
        r"(?:heating|hvac|furnace|ac|mechanical|annual|city|rental) inspection|inspection (?:for|before)|"
        r"rental (?:permit|inspection)|time for (?:a |the |its )?(?:cleaning|check\w*|service|tune ?up)|"
        r"once a year|swap (?:the |out the )?filters?|filter (?:light|reminder|change|swap))\b"
    ),
    (
        "annual",
        "bleed",
        "check",
        "clean",
        "condensate",
        "drain",
        "fall",
        "filter",
        "flush",
        "gone",
        "great",
        "inspected",
        "inspection",
        "look at ",
        "look everything over",
        "look it over",
        "look things over",
        "looked at ",
        "maintenance",
        "nothing is wrong",
        "nothing's wrong",
        "okay",
        "once",
        "rental permit",
        "routine",
        "run fine",
        "run good",
        "running fine",
        "running good",
        "runs fine",
        "runs good",
        "season",
        "service plan",
        "serviced",
        "spring service",
        "spring visit",
        "summer",
        "that time of the year",
        "that time of year",
        "time for ",
        "tune up",
        "tuned",
        "tuneup",
        "twice",
        "weather",
        "winter",
        "working fine",
        "working good",
        "yearly",
        "years",
    ),
)
_NOISE_LIKE = Gated(
    re.compile(
        r"\b(?:sounds? like|sounding like|rumbl\w*|shudder\w*|roar\w*|whin(?:e|es|ing)|groan\w*|"
        r"scrap(?:e|es|ing)|chirp\w*|tick(?:s|ing)|clunk\w*|clang\w*|screams?|howl\w*|racket|"
        r"(?:making|makes|made) (?:a |this |that |some )?(?!no |not |any )(?:\S+ )?(?:sound|racket|noise)|boom\w*)\b"
    ),
    (
        "boom",
        "chirp",
        "clang",
        "clunk",
        "groan",
        "howl",
        "noise",
        "racket",
        "roar",
        "rumbl",
        "scrap",
        "scream",
        "shudder",
        "sound",
        "tick",
        "whin",
    ),
)


def _strong_symptom(utt: Utterance) -> bool:
    return _any(_SYMPTOM, utt) or _indoor_temperature(utt) is not None


def _indoor_temperature(utt: Utterance) -> IssueCategory | None:
    """A house temperature said as a number: below 68 is no heat, above 78 no cooling."""
    for m in _INDOOR_TEMP.finditer(utt.dig):
        value = next((int(g) for g in m.groups() if g), None)
        if value is None or value > 120:
            continue
        if 30 <= value < 66:
            return "no_heat"
        if 79 <= value <= 120:
            return "no_cooling"
    return None


# "the AC is fine but the fan screeches": whatever else is wrong, it heats or cools.
_WORKS_FINE = re.compile(
    r"\b(?:ac|a c|air|heat|heater|furnace|system|it|cooling|heating)(?:'s| is)? "
    r"(?:working |running |cooling |heating )?"
    r"(?:fine|great|okay|ok)\b"
    r"|(?<!fan )(?<!fan inside )(?<!blower )\b(?:works|cools|heats|runs) (?:fine|great|okay|ok)\b"
)
_HOUSE_COLD = Gated(
    re.compile(
        r"\b(?:house|home|place|rooms?|it)(?:'s| is)? "
        r"(?:just |keeps |getting |staying |still |so |really |pretty |way too )*"
        r"(?:cold|freezing|chilly|colder(?: and colder)?|like (?:ice|an icebox|a freezer|an igloo))\b"
        r"|\b(?:on|in) heat(?: mode)?\b|\bheat mode\b"
    ),
    (
        "chilly",
        "cold",
        "freez",
        "heat mode",
        "in heat",
        "like an icebox",
        "like an igloo",
        "like ice",
        "on heat",
    ),
)
_HOUSE_HOT = Gated(
    re.compile(
        r"\b(?:house|home|place|rooms?|it)(?:'s| is)? "
        r"(?:just |keeps |getting |staying |still |so |really |pretty |way too )*"
        r"(?:hot|warm|an oven|stuffy|sweltering|(?:hotter|warmer)(?: and (?:hotter|warmer))?)\b"
        r"|\b(?:on|in) cool(?:ing)?(?: mode)?\b|\bcool(?:ing)? mode\b"
    ),
    (
        "an oven",
        "hot",
        "in cool",
        "mode",
        "on cool",
        "stuffy",
        "sweltering",
        "warm",
    ),
)


def _one_side(utt: Utterance, no_heat: Pattern, no_cooling: Pattern) -> IssueCategory | None:
    """`no_heat` or `no_cooling` when exactly one of the two patterns is said."""
    heat, cool = bool(no_heat.search(utt.norm)), bool(no_cooling.search(utt.norm))
    if heat != cool:
        return "no_heat" if heat else "no_cooling"
    return None


def _house_feel(utt: Utterance) -> IssueCategory | None:
    return _one_side(utt, _HOUSE_COLD, _HOUSE_HOT)


# The mode the caller wants, said against what comes out: "blowing warm when i have it on cool",
# "only blows cold even when i put it on the sun".
_WANTED_MODE = Gated(
    re.compile(
        r"\b(?:when|while|even when|even though|but|and) (?:i'?ve |i |we |we'?ve )?(?:have|had|put|set|turn|switch)\w* "
        r"it "
        r"(?:on|to|in) (?:the )?(?:little )?(?P<mode>cool\w*|heat\w*|ac|sun|snowflake|warm)\b"
    ),
    (
        " it in ",
        " it on ",
        " it to ",
    ),
)
# "the thermostat says it's heating but nothing happens": the mode named fails.
_MODE_FAILS = re.compile(
    r"\b(?:says|shows|set to|on|in|calling for) (?:it'?s |its )?(?P<mode>heat|heating|cool|cooling|ac|air)(?: on|"
    r" mode)?"
    r"(?: (?!but\b)\S+){0,6}? (?:but|and) (?:then )?(?:nothing|no air|it'?s not|isn'?t|doesn'?t|not|"
    r"the (?:house|air|vents?|registers?)|"
    r"it'?s still|there'?s nothin\w*)"
)


# The heat or the cold that does not come, said beside a sound or a part: which one it is.
_NO_WARMTH = re.compile(
    r"\b(?:(?:isn'?t|is not|not|aren'?t) getting (?:warm|hot)|nothing(?:'s| is)? (?:warming|heating|warm|"
    r"getting (?:warm|"
    r"hot))|"
    r"never (?:lights|ignites|fires|catches|gets (?:warm|hot)|warms up|heats up)|"
    r"(?:doesn'?t|does not|won'?t|not|no) (?:give|giving|put(?:ting)? out|make|making|blow|blowing) "
    r"(?:the |any |no )?(?:(?:hot|warm) air|heat)|"
    r"(?:radiators?|registers?)(?: \S+){0,2}? (?:are |is )?(?:all )?(?:stone |ice |dead )?cold)\b"
)
_NO_CHILL = Gated(
    re.compile(
        r"\b(?:(?:isn'?t|is not|not|aren'?t) getting (?:cold|cool)|nothing(?:'s| is)? (?:cooling|cold|cool|getting (?:c"
        r"old|"
        r"cool)))\b"
    ),
    (
        "getting",
        "nothing",
    ),
)


_OUTDOOR_UNIT = re.compile(
    r"\b(?:(?:unit|thing|box|part) (?:outside|out back|out there)|(?:outside|outdoor) (?:unit|thing|box|part)|"
    r"thing outside|condenser)\b"
)


def _named_side(utt: Utterance) -> IssueCategory | None:
    return _one_side(utt, _HEAT_NAMED, _COOL_NAMED)


def _absent_comfort(utt: Utterance) -> IssueCategory | None:
    return _one_side(utt, _NO_WARMTH, _NO_CHILL)


# The cold or the warmth the caller misses, said of the air or the system: "the air inside is warm",
# "it isn't cooling", "blowing cold".
_FELT_NO_COOL = re.compile(
    r"\b(?:not|isn'?t|wasn'?t|barely|won'?t|doesn'?t|ain'?t|stopped|quit|no longer) (?:\S+ )?(?:cool\w*|cold)\b"
    r"|(?<!no )(?<!not )\b(?:warm|hot) air\b|\bair(?: inside| in here| coming out)? (?:is |'s )?(?:warm|hot)\b"
    r"|\bblow\w* (?:warm|hot)\b|\bno (?:cold|cool) air\b|\bno (?:ac|a c|cooling)\b"
)
_FELT_NO_HEAT = re.compile(
    r"\b(?:not|isn'?t|wasn'?t|barely|won'?t|doesn'?t|ain'?t|stopped|quit|no longer) (?:\S+ )?(?:heat\w*|warm\w*)\b"
    r"|(?<!no )(?<!not )\b(?:cold|cool) air\b|\bblow\w* (?:cold|cool)\b|\bno (?:heat|heating|hot air|warm air)\b"
)
# The heating or cooling itself said to be down, whatever else is seen: "the heater's dead".
_SIDE_DOWN = re.compile(
    rf"\b(?:{_HEAT_EQUIP}|{_COOL_EQUIP})(?:'s)? (?:is |has |just |went |completely |totally |finally |now )*{_BROKEN}"
)


def _felt_side(utt: Utterance) -> IssueCategory | None:
    """No heat or no cooling when the caller says how the home or the air feels; None when only
    the equipment's state is told (ice on the lines, a fan that will not spin)."""
    return _indoor_temperature(utt) or _house_feel(utt) or _one_side(utt, _FELT_NO_HEAT, _FELT_NO_COOL)


# A whole turn that is only how the home feels: "cold", "it's freezing in here", "way too hot".
_BARE_FEEL = re.compile(
    r"^(?:(?:um|uh|so|well|it'?s|its|it is|too|really|very|just|super|way|way too|so so) )*"
    r"(?:(?P<cold>cold|freezing|chilly|frigid)|hot|boiling|sweltering|roasting)(?: (?:in here|inside|in the house))?$"
)


# A request with the equipment named and no symptom: "my ac is acting up", "i need somebody to look at
# my heater", "something's wrong with the ac" (the writers' `other`: not clearly one of the others).
_VAGUE = Gated(
    re.compile(
        r"\bacting (?:up|weird|funny|strange|wonky)\b|\bsomething(?:'s| is)? (?:wrong|off|up|going on) with\b"
        r"|\b(?:look at|check on|check out|take a look at|come look at|see about) (?:my|the|our) (?:\S+ )?(?:heater|"
        r"furnace|ac|a c|"
        r"unit|system|heat pump|air conditioner|boiler|equipment|hvac)\b"
    ),
    (
        "acting",
        "check on my ",
        "check on our ",
        "check on the ",
        "check out my ",
        "check out our ",
        "check out the ",
        "look at my ",
        "look at our ",
        "look at the ",
        "see",
        "something",
    ),
)
# Water heaters are not the company's trade: `other`, unless space heating is named too.
_WATER_HEATER = Gated(
    re.compile(
        r"\b(?:water heater|hot water heater|tankless|hot water (?:for|in) (?:the |my )?(?:shower|kitchen|sink|tap|"
        r"bath\w*))\b"
    ),
    (
        "hot water for ",
        "hot water in ",
        "tankless",
        "water heater",
    ),
)
_SPACE_HEATING = re.compile(r"\b(?:furnace|boiler|radiators?|baseboards?|heat pump|ac|a c|air conditioner|vents?)\b")


# The setting against the house: "set at 70 but it's 78 in here", "turned it up to 72 and it's still
# sitting at 64". The house above the setting is the cooling failing, below it the heating.
_SETPOINT = re.compile(
    r"\b(?:set (?:it )?(?:at|to|on|for)|turned (?:it |the heat |the ac )?(?:up|down) to|(?:put|have|got|keep|had) "
    r"(?:it|the thermostat|thermostat) (?:at|on|to|set (?:at|to))|(?:thermostat|nest|ecobee|t ?stat)(?:'s| is)? "
    r"(?:at|says|set (?:at|to)|on)|setting (?:is|at|of)) (\d{2})\b"
)
# "the thermostat says 75 but it's 82 in here" may be its reading that is wrong; with the house
# still moving away from it ("and climbing", "can't get there") it is the setting.
_TREND = re.compile(
    r"\b(?:climbing|going up|goes up|rising|keeps? (?:going|getting|climbing|dropping|rising)|dropping|"
    r"can'?t get|won'?t get|never gets?|not getting)\b"
)
_ACTUAL = re.compile(
    r"\b(?:it'?s|its|it is|house is|home is|reading|reads|sitting at|sits at|stays? at|stuck at|still at|"
    r"climbing(?: to)?|getting to|hit|hits|showing|only) (?:\S+ ){0,2}?(\d{2})\b(?! (?:years?|minutes?|hours?|days?))"
)
_READING_DOUBTED = re.compile(r"\b(?:thermometer|off by|wrong|reads? wrong|accurate|calibrat\w*)\b")


def _setpoint_gap(utt: Utterance) -> IssueCategory | None:
    """No heat or no cooling from the setting and the house temperature said side by side."""
    setting = _SETPOINT.search(utt.dig)
    if setting is None or _READING_DOUBTED.search(utt.norm):
        return None
    if setting.group(0).split()[-2] == "says" and not _TREND.search(utt.norm):
        return None
    wanted = int(setting.group(1))
    for m in _ACTUAL.finditer(utt.dig):
        if m.start(1) == setting.start(1):
            continue
        actual = int(m.group(1))
        if not (50 <= wanted <= 90 and 40 <= actual <= 110):
            continue
        if actual >= wanted + 3:
            return "no_cooling"
        if actual <= wanted - 3:
            return "no_heat"
    return None


# "the heat pump won't switch over to cool": the mode it will not go into is the one missing.
_MODE_REFUSED = re.compile(
    r"\b(?:won'?t|doesn'?t|will not|does not|can'?t|isn'?t|not|never) (?:switch|go|change|flip|kick)\w*"
    r"(?: over| back)? (?:in)?to (?:the )?(?P<mode>cool|cooling|ac|air|heat|heating)\b"
)


def _mode_refused(utt: Utterance) -> re.Match[str] | None:
    """The mode the system will not go into, unless it is the thermostat that is stuck."""
    return None if _THERMOSTAT.search(utt.norm) else _MODE_REFUSED.search(utt.norm)


_HEATS_FINE = Gated(
    re.compile(r"\bheat(?:s|ing)?(?: \S+)? (?:fine|great|okay|ok|good)\b|\bheat(?:ing)? (?:works|is working)\b"),
    (
        " fine",
        " good",
        " great",
        " is working",
        " ok",
        " works",
    ),
)
_COOLS_FINE = Gated(
    re.compile(
        r"\bcool(?:s|ing)?(?: \S+)? (?:fine|great|okay|ok|good)\b|\bcooling (?:works|is working)\b",
    ),
    ("cool",),
)
_FAILS = r"\b(?:not|won'?t|doesn'?t|isn'?t|never|nothing on) (?:\S+ )?"
_COOL_FAILS = re.compile(_FAILS + r"(?:cool\w*|cold|ac)\b")
_HEAT_FAILS = re.compile(_FAILS + r"(?:heat\w*|warm\w*)\b")


def _other_side_fails(utt: Utterance) -> IssueCategory | None:
    """One side works ("it'll heat fine but not cool") and the other is said to fail."""
    heats, cools = bool(_HEATS_FINE.search(utt.norm)), bool(_COOLS_FINE.search(utt.norm))
    if heats and not cools and _COOL_FAILS.search(utt.norm):
        return "no_cooling"
    if cools and not heats and _HEAT_FAILS.search(utt.norm):
        return "no_heat"
    return None


# Air neither warm nor cold: which side is missing depends on what the caller wants from it.
_TEPID_AIR = Gated(
    re.compile(
        r"\b(?:room temp(?:erature)?|lukewarm|tepid)\b",
    ),
    (
        "lukewarm",
        "room temp",
        "tepid",
    ),
)
_SENSOR = re.compile(r"\b(?:sensor|display|screen|reading|shows|showing|blank|wrong)\b")
_TEPID_CUES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"\b(?:on|to|put it on|set (?:it )?(?:on|to)|says|calling for) heat\b|\bheat(?:'s| is)? on\b"),
        re.compile(r"\b(?:on|to|put it on|set (?:it )?(?:on|to)|says|calling for) (?:cool|ac|a c)\b"),
    ),
    (
        re.compile(r"\b(?:heater|furnace|boiler|radiators?|heating|heat strips?|heat(?:'s)? (?:blowing|running))\b"),
        re.compile(r"\b(?:ac|a c|air conditioner|air conditioning|central air|mini split|cool\w*)\b"),
    ),
    (
        re.compile(r"\bnot (?:\S+ )?warm\b|\bwarm(?:s|ing)? up\b|\bblankets?\b"),
        re.compile(r"\bnot (?:\S+ )?cold\b|\bmuggy\b|\bhot\b"),
    ),
)


def _tepid_side(utt: Utterance, ctx: NluContext) -> IssueCategory:
    """Room-temperature air is no heat when the caller wants heat (the mode, the equipment, "not
    warm"), no cooling when they want cold; a heat pump alone goes by the season."""
    for heat, cool in _TEPID_CUES:
        if side := _one_side(utt, heat, cool):
            return side
    if "heat pump" in utt.norm:
        return "no_heat" if ctx.now.month in (10, 11, 12, 1, 2, 3) else "no_cooling"
    return "no_cooling"


def side_said_outright(utt: Utterance) -> bool:
    """The heat or the cooling is named by what the caller set against what they get ("set it to
    heat and it blows cool", "set at 70 but it's 78 in here"): no trained head overrules that."""
    return bool(
        _WANTED_MODE.search(utt.norm)
        or _MODE_FAILS.search(utt.norm)
        or _setpoint_gap(utt)
        or _mode_refused(utt) is not None
        or _other_side_fails(utt)
    )


def _category(utt: Utterance, ctx: NluContext) -> IssueCategory | None:
    """The writer's categories by rules of thumb, in order: what the caller asks for (an install,
    a quote, a tune-up) or names (a noise, a leak, the thermostat) settles it unless a heating or
    cooling symptom is said outright."""
    if bare := _BARE_FEEL.match(utt.norm):
        return "no_heat" if bare.group("cold") else "no_cooling"
    if _WATER_HEATER.search(utt.norm) and not _SPACE_HEATING.search(utt.norm):
        return "other"
    if wanted := _WANTED_MODE.search(utt.norm):
        return "no_heat" if wanted.group("mode").startswith(("heat", "sun", "warm")) else "no_cooling"
    if gap := _setpoint_gap(utt):
        return gap
    if _TEPID_AIR.search(utt.norm) and not _SENSOR.search(utt.norm):
        return _tepid_side(utt, ctx)
    if refused := _mode_refused(utt):
        return "no_heat" if refused.group("mode").startswith("heat") else "no_cooling"
    if (other_side := _other_side_fails(utt)) is not None:
        return other_side
    strong = _strong_symptom(utt) and not _WORKS_FINE.search(utt.norm)
    mode = _MODE_FAILS.search(utt.norm)
    if mode:
        return "no_heat" if mode.group("mode").startswith("heat") else "no_cooling"
    if _THERMOSTAT_FAULT.search(utt.dig) and not re.search(r"\b(?:install\w*|upgrad\w*|new|smart)\b", utt.norm):
        return "thermostat"
    if (_THERMOSTAT_JOB.search(utt.norm) and not _OTHER_EQUIPMENT.search(utt.norm) and not strong) or (
        _WALL_THING.search(utt.norm) and not strong
    ):
        return "thermostat"
    if _any(_REFRIGERANT_LEAK, utt) and not strong:
        return "leak"
    if _BOARD_CODE.search(utt.norm) and not strong and not _THERMOSTAT.search(utt.norm):
        return "other"  # a control board's error code: a diagnosis, neither heat nor cold said
    if _any(_OTHER, utt) and not (
        strong
        and not re.search(
            r"\b(?:quote|estimate|bid|second opinion|replace (?:it|the|my)|new (?:system|unit))\b", utt.norm
        )
    ):
        return "other"
    if _FAN_STILL.search(utt.norm) and not re.search(r"\b(?:furnace|heater|heating|boiler)\b", utt.norm):
        return _felt_side(utt) or "other"  # the writers' brief: an outdoor fan not spinning is `other`
    if not strong and (_any(_NOISE, utt) or _any(_NOISE_LIKE, utt)):
        return "noise"
    if _any(_SEASONAL, utt) and not strong:
        return "maintenance"
    if (
        _ICE.search(utt.norm)
        and not _WATER_PIPES.search(utt.norm)
        and not re.search(r"\b(?:ice storm|icy roads?|freezing out|below freezing)\b", utt.norm)
    ):
        # The writers' brief: frozen coils are `other` unless the heat or the cold is felt missing.
        if felt := _felt_side(utt):
            return felt
        if not _SIDE_DOWN.search(utt.norm):
            return "other"
    if not strong:
        if _any(_LEAK, utt):
            return "leak"
    temperature = _indoor_temperature(utt) or _house_feel(utt)
    if temperature is not None and not _any(_NO_HEAT, utt) and not _any(_NO_COOL, utt):
        return temperature
    heat = _any(_NO_HEAT, utt)
    cool = _any(_NO_COOL, utt)
    if (heat or cool) and temperature is not None:
        heat, cool = temperature == "no_heat", temperature == "no_cooling"
    if heat and cool:
        # "heat pump isn't working": the season decides
        heat_only = _HEAT_WORDS.search(utt.norm) and not re.search(
            r"\b(?:ac|a c|air conditioner|air conditioning|cooling|hot)\b", utt.norm
        )
        cool_only = not re.search(r"\b(?:furnace|heater|heating|boiler|cold|freezing)\b", utt.norm)
        if heat_only and not cool_only:
            cool = False
        elif cool_only and not heat_only:
            heat = False
        else:
            winter = ctx.now.month in (10, 11, 12, 1, 2, 3)
            heat, cool = winter, not winter
    if heat:
        return "no_heat"
    if cool:
        return "no_cooling"
    if (absent := _absent_comfort(utt)) is not None:
        return absent
    if strong and (named := _named_side(utt)) is not None:
        return named  # "look at my heater, it ain't warm": a symptom said, the equipment says which
    if _any(_EQUIPMENT_BROKEN, utt):
        # "it just stopped": a system that does not run is the problem, whatever noise came first.
        winter = ctx.now.month in (10, 11, 12, 1, 2, 3)
        if _HEAT_WORDS.search(utt.norm) and not _COOL_WORDS.search(utt.norm):
            return "no_heat"
        if _COOL_WORDS.search(utt.norm) and not _HEAT_WORDS.search(utt.norm):
            return "no_cooling"
        if _OUTDOOR_UNIT.search(utt.norm) and "heat pump" not in utt.norm:
            return "no_cooling"  # "the unit outside is just sitting there": the condenser, the cooling
        return "no_heat" if winter else "no_cooling"
    if _any(_LEAK, utt):
        return "leak"
    if _any(_SMELL, utt):
        return "smell"
    if _any(_NOISE, utt):
        return "noise"
    if _any(_THERMOSTAT, utt):
        return "thermostat"
    if _any(_MAINT, utt):
        return "maintenance"
    if _COLD_AIR.search(utt.norm) and _HEAT_NAMED.search(utt.norm):
        return "no_heat"  # "the air coming out of the vents is cold and the heat is on"
    if _TROUBLE.search(utt.norm):
        # Last resort: equipment named next to a word of trouble ("the ac ... shuts off at night").
        heat_named = bool(_HEAT_NAMED.search(utt.norm))
        cool_named = bool(_COOL_NAMED.search(utt.norm))
        if heat_named != cool_named:
            return "no_heat" if heat_named else "no_cooling"
    if _VAGUE.search(utt.norm) and not strong:
        return "other"
    if ctx.expect == "confirm" or _PROBLEM_IS.search(utt.norm):
        # "the problem is the ac, not the furnace": the equipment named (and not denied) says it.
        heat_named = _any(_HEAT_NAMED, utt)
        cool_named = _any(_COOL_NAMED, utt)
        if heat_named and not cool_named:
            return "no_heat"
        if cool_named and not heat_named:
            return "no_cooling"
    return None


_PATTERNS_BY_CATEGORY: dict[str, tuple[Pattern, ...]] = {
    "no_heat": (_NO_HEAT, _EQUIPMENT_BROKEN),
    "no_cooling": (_NO_COOL, _EQUIPMENT_BROKEN),
    "leak": (_LEAK,),
    "smell": (_SMELL,),
    "noise": (_NOISE,),
    "thermostat": (_THERMOSTAT,),
    "maintenance": (_MAINT,),
}


_DETERMINERS = frozenset(
    {
        "my",
        "our",
        "the",
        "his",
        "her",
        "their",
        "i",
        "we",
        "i've",
        "we've",
        "there's",
        "it's",
        "it",
        "this",
        "there",
        "i'm",
        "we're",
    }
)
_BACK_STOP = frozenset(
    {
        "at",
        "and",
        "but",
        "so",
        "calling",
        "about",
        "because",
        "name",
        "number",
        "hi",
        "hello",
        "yes",
        "yeah",
        "here",
        "zip",
        "since",
        "hey",
    }
)


def _span(clause: str, start: int) -> str:
    """From a problem phrase in `clause`, back up to its subject ("my furnace …") and cut the tail."""
    toks = clause.split()
    i = clause.count(" ", 0, start)
    j = i
    while j > 0 and i - j < 8:
        prev = toks[j - 1]
        if prev[:1].isdigit() or prev in _BACK_STOP:
            break
        j -= 1
        if prev in _DETERMINERS:
            if j > 0 and toks[j - 1] in _LEAD_VERBS:
                j -= 1
            break
    text = " ".join(toks[j:])
    cut = _CLAUSE_CUT.search(text, len(" ".join(toks[j:i])) + 1)
    return text[: cut.start()].strip() if cut else text


def _issue_text(utt: Utterance, category: IssueCategory | None, ctx: NluContext) -> str | None:
    """The caller's words about the problem: the phrases that mention it, without name/number."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(utt.norm) if c.strip()]
    pats = _PATTERNS_BY_CATEGORY.get(category or "", ())
    extra = (_NOISE, _LEAK, _SMELL, _THERMOSTAT, _NO_HEAT, _NO_COOL)
    keep: list[str] = []
    for c in clauses:
        m = next((m for p in pats if (m := p.search(c))), None)
        if m is None and category and keep:
            m = next((m for p in extra if (m := p.search(c))), None)
        if m is None:
            continue
        c = _span(c, m.start())
        c = _ISSUE_LEAD.sub("", c)
        c = _CALLING_ABOUT.sub("", c)
        if c and c not in keep:
            keep.append(c)
    if not keep and category in ("no_heat", "no_cooling"):
        named = _HEAT_NAMED if category == "no_heat" else _COOL_NAMED
        for c in [*clauses, utt.norm]:  # one clause with both, else the whole turn
            m = named.search(c)
            t = _TROUBLE.search(c)
            if m and t:
                keep.append(_ISSUE_LEAD.sub("", _span(c, min(m.start(), t.start()))))
                break
    problem_is = _PROBLEM_IS.search(utt.norm)
    if not keep and problem_is and category:
        rest = utt.norm[problem_is.start() :]
        keep.append(re.sub(r"^(?:the )?(?:problem|issue) is\s+", "", rest))
    if not keep and ctx.expect == "issue" and not _META.search(utt.norm) and not _mostly_digits(utt):
        whole = _ISSUE_LEAD.sub("", utt.norm)
        cut = _CLAUSE_CUT.search(whole)
        whole = whole[: cut.start()].strip() if cut else whole
        if len(whole.split()) >= 2:
            keep.append(whole)
    if not keep:
        return None
    issue = ", ".join(keep)
    if len(issue) > 140:
        issue = issue[:140].rsplit(" ", 1)[0]
    issue = _ACRONYMS.sub(lambda m: m.group(0).replace(" ", "").replace("/", "").upper(), issue)
    return issue[0].upper() + issue[1:]


def whole_issue(utt: Utterance) -> str | None:
    """The caller's whole turn as the problem (tidied, without name/number tails): what a
    content-bearing answer to "how can I help?" records when no phrase names the problem."""
    whole = utt.norm
    while (lead := _ISSUE_LEAD.sub("", whole)) != whole:
        whole = lead  # "hi yeah so ...": every greeting and filler in front
    cut = _CLAUSE_CUT.search(whole)
    whole = (whole[: cut.start()].strip() if cut and cut.start() > 0 else whole).strip()
    if not whole:
        return None
    if len(whole) > 140:
        whole = whole[:140].rsplit(" ", 1)[0]
    whole = _ACRONYMS.sub(lambda m: m.group(0).replace(" ", "").replace("/", "").upper(), whole)
    return whole[0].upper() + whole[1:]


def extract_issue(utt: Utterance, ctx: NluContext, emergency: EmergencyKind | None) -> IssueResult:
    res = IssueResult()
    res.category = _category(utt, ctx)
    res.firm = res.category is not None
    if res.category is None and emergency == "gas":
        res.category = "smell"
    res.issue = _issue_text(utt, res.category, ctx)
    if res.category is None and res.issue and ctx.expect == "issue":
        res.category = "other"
    settle_urgency(utt, ctx, res, emergency)
    return res


# Cold the caller can see or feel as freezing inside the home.
_FREEZING_INSIDE = re.compile(
    r"\b(?:see (?:my|our|your|his|her|their) breath|breath (?:is )?(?:showing|steaming)|"
    r"(?:wearing|in|sleeping in) (?:our |my |their )?(?:coats?|jackets?|gloves|hats?) (?:inside|in the house|indoors)|"
    r"icicles? inside)\b"
)


_OUTSIDE_AFTER = re.compile(r" (?:degrees )?(?:out|outside|out there|today|this afternoon)\b")


def _extreme_inside(utt: Utterance) -> IssueCategory | None:
    """A home too cold or too hot to live in: said as a number (50 or below, 90 or above) or seen."""
    if _FREEZING_INSIDE.search(utt.norm):
        return "no_heat"
    for m in _INDOOR_TEMP.finditer(utt.dig):
        value = next((int(g) for g in m.groups() if g), None)
        if value is None:
            continue
        if 30 <= value <= 50:
            return "no_heat"
        if 90 < value <= 120 and not _OUTSIDE_AFTER.match(utt.dig, m.end()):
            return "no_cooling"  # over ~90 inside ("ninety something in the kitchen" is not over it)
    return None


def settle_urgency(utt: Utterance, ctx: NluContext, res: IssueResult, emergency: EmergencyKind | None) -> None:
    """Urgency and its reasons for `res.category` (called again when the semantic head names the
    category the rules could not)."""
    reasons: list[str] = []
    # The writer's rule: occupants make it urgent only when the home has no heat or cooling (so
    # for a leak or a noise they are not looked for at all).
    if res.category in (None, "no_heat", "no_cooling"):
        for pattern, reason in _VULNERABLE:
            if _any(pattern, utt):
                reasons.append(reason)
        if "elderly occupant" not in reasons and _ELDER_AGE.search(utt.dig):
            reasons.append("elderly occupant")  # "my mom is eighty two", "she's 85"
    if res.category == "no_heat" and (_any(_FREEZING, utt) or _COLD_FORECAST.search(utt.dig)):
        reasons.append("no heat in freezing weather")
    elif res.category in ("no_heat", "no_cooling") and (extreme := _extreme_inside(utt)) == res.category:
        reasons.append("freezing inside" if extreme == "no_heat" else "extreme heat inside")
    if (
        res.category == "leak"
        and (_any(_ACTIVE_LEAK, utt) or _WATER.search(utt.norm))
        and not _PAST_LEAK.search(utt.norm)
        and not _REFRIGERANT.search(utt.norm)
        and not _HELD_WATER.search(utt.norm)
    ):
        reasons.append("active water leak")
    res.urgency = None
    if emergency is not None:
        res.urgency = "emergency"
        res.reasons = [emergency.replace("_", " ")] + reasons
        return
    if reasons:
        res.urgency = "urgent"
    elif _NOT_URGENT.search(utt.norm):
        res.urgency = "routine"
    elif ctx.expect == "urgency" and _SAYS_URGENT.search(utt.norm):
        res.urgency = "urgent"
        reasons.append("caller says it is urgent")
    res.reasons = reasons
