"""Life-safety triage: gas, carbon monoxide, smoke/fire — and their negations.

Recall matters more than precision here (a false alarm costs a safety script; a miss can cost a
life), but "no gas smell" and "it doesn't smell like gas" must not trigger: callers say them when
asked the safety question.
"""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu.gate import Gated, Pattern
from hvac_agent.dialogue.nlu.negation import negated, token_index
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.state import EmergencyKind

_GAS = Gated(
    re.compile(
        r"\b(?:smell(?:s|ing|ed)?|odor|odour|whiff|scent|reek(?:s|ing|ed)?|stinks?|stinking)(?: (?:strongly|really|kind"
        r" of|"
        r"kinda|sort of|sorta|a lot|faintly|something|exactly|just|pumping|"
        r"like|of|some|natural|propane|a|little|bit|the))* (?:gas|propane)\b"
        # Spanish, as callers mix it in: "huele a gas", "olor a gas", "fuga de gas"
        r"|\b(?:huele|huelo|olor|olores) (?:a|de) gas\b|\bfuga de gas\b|\bhuevos? podridos?\b"
        # the smell of an unlit burner: "smells like the stove when you forget to light it", "the stove smell"
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,3}? (?:the )?(?:stove ?top|stove|burners?|range)\b"
        r"(?! (?:\S+ )?(?:cooking|food|dinner|breakfast|bacon|grease|smoke))"
        r"|\b(?:stove|burner)(?: ?top)? (?:smell|odou?r)\b|\b(?:leave|left) the stove (?:knob )?on\b|\bstove knob\b"
        r"|\b(?:smell\w*|odou?r)(?: \S+){0,5}? gas (?:stove|station)\b"
        # a soap-bubble test on the piping, or a hiss at the gas piping
        r"|\bsoap\w*\b(?: \S+){0,12}? bubbl\w*|\bbubble test\b"
        r"|\b(?:gas|propane)\b(?: \S+){0,14}? (?:still )?smell (?:it|that)\b"
        # fuel: "like a gas can", "smells like gasoline" (a fuel smell by the equipment)
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,6}? (?:gasoline|kerosene|gas can|fuel|diesel)\b"
        r"|\b(?:gas|propane)(?: (?:kind|sort|type) of)? (?:smell|odor|odour|leak|leaking|smells|is leaking)\b"
        r"|\b(?:leaking|leak of|leaky) (?:gas|propane)\b"
        r"|\b(?:gas|propane|natural gas|methane) (?:detector|alarm|monitor|sensor)s?\b"
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,4}? (?:stove|burner|range|oven)(?: \S+){0,2}? (?:on|running|left on)"
        r"\b"
        r"|\bgassy\b|\beggy\b|\bsulfur\w*|\bsulphur\w*|\beggs? (?:smell|odou?r|stink|scent)\b|\brotten eggs?\b"
        r"|\bsulfur\b|\bsulphur\b"
        r"|\bgas (?:line|pipe) (?:is )?(?:broken|leaking|hissing)\b"
        r"|\b(?:smell\w*|stinks?|stinky|odou?r)(?: (?!not\b|no\b|never\b|nothing\b)\S+){0,6}? "
        r"(?:eggs?|sulfur|sulphur|(?:a )?(?:struck )?match(?:es)?|(?:struck|lit) (?:\S+ ){0,4}match(?:es)?|"
        # the odorant's sulphur, as burnt powder: "smells like a firecracker went off"
        r"firecrackers?|fire ?works?|gun ?powder|cap guns?|farts?)\b"
        r"|\b(?:firecrackers?|fire ?works?|gun ?powder|cap guns?)(?: \S+){0,3}? (?:smell\w*|odou?rs?|stink\w*|scent)\b"
        # The odorant's other common likenesses: rotten cabbage, "rotting cabbage smell".
        r"|\b(?:rotten|rotting|spoiled) cabbage\b|\b(?:smell\w*|stinks?|stinky|odou?r)(?: \S+){0,3}? cabbage\b"
        r"|\b(?:hiss\w*|smell\w*|stinks?|odou?r)(?: \S+){0,8}? gas (?:line|meter|pipe|valve|hookup|connection)s?\b"
        r"|\bgas (?:line|meter|pipe|valve|hookup|connection)s?(?: \S+){0,8}? (?:hiss\w*|smell\w*|stinks?|odou?r)\b"
    ),
    (
        " cabbage",
        " diesel",
        " fuel",
        " kerosene",
        " oven",
        " range",
        "bubble test",
        "burner",
        "egg",
        "fart",
        "fire work",
        "firecracker",
        "firework",
        "gas",
        "gun",
        "match",
        "methane",
        "podrido",
        "propane",
        "soap",
        "stove",
        "sulfur",
        "sulphur",
    ),
)
_CO = Gated(
    re.compile(
        r"\bcarbon monoxide\b|\bmonoxide\b"
        # The letters as a recogniser may write them: "see oh alarm", "c oh detector".
        r"|\b(?:co|c o|co2|c o 2|co two|c o two|cl|see oh|see o|sea oh|cee oh|c oh) "
        r"(?:alarm|alarms|detector|detectors|monitor|sensor|reader|meter|"
        r"levels?|reading|thing|thingy)\b"
        # A meter's reading in parts per million is a carbon-monoxide reading: "it says like 200 ppm".
        r"|\bppm\b|\bp p m\b|\bparts per million\b"
        # a detector's display: "it says peak two hundred", "something about c o", "it says something about carbon"
        r"|\b(?:detector|alarm|monitor|meter)\w*(?:'s)?(?: \S+){0,5}? (?:says|reads|shows|reading|showing) (?:like "
        r"|about )?"
        r"(?:[1-9]\\d*|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|eighty"
        r"|ninety|hundred)\b|\b(?:usually|normally) (?:says|reads|shows) (?:zero|0)\b"
        r"|\bnot the smoke (?:one|alarm|detector)\b|\bpoison\w*\b"
        r"|\b(?:got|found|measured|detected|picked up|reading of) (?:some |a )?(?:co|c o|carbon monoxide)\b"
        r"|\bfumes? (?:smell|odou?r)\b"
        r"|\bpeak (?:(?:of|at|reading) )?(?:[1-9]\\d*|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty"
        r"|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b"
        r"|\b(?:about|something|saying) (?:\S+ )?(?:co|c o|carbon|monoxide)\b(?! op\b| (?:filter|copy|footprint))"
        # told by a nurse or doctor: "our levels were high"
        r"|\b(?:co|carbon monoxide|our|his|her|their|my|the) (?:levels?|numbers?|readings?) (?:were|was|are|is) "
        r"(?:really |very |too |super )?"
        r"(?:high|elevated|up|off the charts)\b"
        # exhaust in the home: "the furnace is putting fumes into the house", "smells like car exhaust up there"
        r"|\b(?:fumes|exhaust)\b(?: \S+){0,3}? (?:in|into|inside|through) (?:the |our |my )?(?:house|home|attic|rooms?|"
        r"basement|vents?)\b|\b(?:putting|blowing|pumping|leaking) (?:\S+ )?(?:fumes|exhaust)\b"
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,3}? (?:car |truck )?(?:exhaust|fumes)\b"
        # A detector's screen showing the letters: "it says co on the screen", "the display reads c o".
        r"|\b(?:says?|said|reads|reading|shows|showing|flashing|display(?:s|ing)?) (?:co|c o)\b(?! op\b)"
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
    ),
    (
        "about ",
        "alarm",
        "c o 2 thing",
        "c o thing",
        "c o two thing",
        "c oh thing",
        "carbon",
        "cee oh thing",
        "cl thing",
        "co thing",
        "co two thing",
        "co2 thing",
        "detected",
        "detector",
        "display",
        "exhaust",
        "first alert",
        "flashing",
        "found",
        "fume",
        "got a c o",
        "got a co",
        "got c o",
        "got co",
        "got some c o",
        "got some co",
        "kidde",
        "level",
        "measured",
        "meter",
        "monitor",
        "monoxide",
        "nest protect",
        "normally",
        "not the smoke one",
        "number",
        "p p m",
        "parts per million",
        "peak ",
        "picked",
        "poison",
        "ppm",
        "reader",
        "reading",
        "readout",
        "reads",
        "said c o",
        "said co",
        "say c o",
        "say co",
        "saying ",
        "says c o",
        "says co",
        "screen",
        "sea oh thing",
        "see o thing",
        "see oh thing",
        "sensor",
        "show",
        "something ",
        "usually",
    ),
)
_SYMPTOMS = Gated(
    re.compile(
        r"\b(?:dizzy|dizziness|headaches?|headachy|nausea|nauseous|nauseated|light ?headed|throwing up|vomiting"
        r"|drowsy|confused|passed out|fainted|feel(?:s|ing)? (?:kind of |kinda |a little |a bit |really |so "
        r"|all )?(?:sick|faint|ill|woozy|queasy|funny|off)|woozy|queasy|"
        r"sick to (?:my|our|their|his|her) stomachs?|lethargic|sleepy|flu ?(?:like )?symptoms|short of breath|"
        r"hung ?over|out of it|threw up|puk\w*|gonna (?:puke|throw up)|tummy ?aches?|stomach ?aches?|coughing|"
        r"chest (?:feels? |is |feeling )?tight|tight chest|buzzing in (?:my|his|her) head|"
        r"(?:making|made|makes) (?:the |my |our |us |him |her |them |everyone )?(?:\S+ )?(?:sick|dizzy|nauseous|ill)"
        r"|room (?:is )?spinning|head (?:is |'s )?(?:pounding|killing (?:me|him|her)|splitting)|"
        r"(?:can'?t|cannot|couldn'?t|could not|barely|hard to) (?:wake|get)(?: \S+)? up|"
        r"eyes (?:are |keep )?(?:burn\w*|watering|sting\w*)|makes? (?:him|her|me|us|them|everyone) (?:feel )?(?:sick|di"
        r"zzy|"
        r"nauseous|woozy)|mareado|mareada|me siento mal|dolor de cabeza)\b"
        # Pets show carbon monoxide first: "the dog is acting sick", "my cat's acting weird".
        r"|\b(?:dogs?|cats?|pets?|puppy|kitten|birds?)(?:'s| is| are)? (?:\S+ ){0,2}?(?:acting |seems? |looks? )"
        r"(?:sick|weird|strange|funny|off|drunk|out of it|lethargic|dazed)\b"
        r"|\b(?:dogs?|cats?|pets?|puppy|kitten)(?:'s| is| are)? (?:\S+ ){0,2}?(?:walking|stumbling|moving) (?:like )?"
        r"(?:(?:she|he|it)'?s )?(?:drunk|funny|weird|wobbly)\b|\b(?:dogs?|cats?) (?:won'?t|can'?t) (?:get|stand) up\b"
        r"|\b(?:birds?|parakeets?|canar(?:y|ies)|budgies?)\b(?: \S+){0,2}? (?:died|dead|passed)\b"
        r"|\b(?:dogs?|cats?|pets?|puppy|kitten|birds?)(?:'s| is| are)? (?:keeps? |kept |been |started )?(?:throwing up|"
        r"vomiting|stumbling|wobbly|falling over)\b"
    ),
    (
        "barely get",
        "bird",
        "budgie",
        "buzzing",
        "can't get",
        "canar",
        "cannot get",
        "cant get",
        "cat",
        "chest",
        "confused",
        "coughing",
        "could not get",
        "couldn",
        "dizz",
        "dog",
        "dolor de cabeza",
        "drowsy",
        "eyes ",
        "fainted",
        "feel",
        "hard to get",
        "headache",
        "headachy",
        "hung",
        "killing",
        "kitten",
        "lethargic",
        "light headed",
        "lightheaded",
        "made ",
        "makes ",
        "making ",
        "maread",
        "me siento mal",
        "nause",
        "out of it",
        "parakeet",
        "passed out",
        "pet",
        "pounding",
        "puk",
        "puppy",
        "queasy",
        "short of breath",
        "sick",
        "sleepy",
        "spinning",
        "splitting",
        "stomach",
        "symptoms",
        "threw up",
        "throw",
        "tummy",
        "vomiting",
        "wake",
        "woozy",
    ),
)
# A symptom shared by the household, or tied to the heat coming on, is the carbon monoxide pattern.
_SHARED = re.compile(
    r"\b(?:everyone|everybody|all of us|we all|we'?re all|they'?re all|all of them|we both|both (?:have|had|got|feel"
    r"|are)|"
    # better away from home, or tied to the heat by time: "they go away when we leave the house"
    r"(?:go|goes|went) away when (?:we|i|they) (?:leave|go out|step out)|better (?:when|once) (?:we|i) (?:leave"
    r"|go out)|"
    r"(?:since|when|whenever|every time|after) (?:we |i )?(?:turned|turn|switched|started) (?:it|that) on|"
    r"heat'?s been on|heater'?s been (?:on|running)|(?:heater|furnace|heat) (?:has been|was) (?:on|running)|"
    # a flame gone wrong beside the symptom: soot, a yellow flame
    r"soot|(?:yellow|orange|floppy) (?:\S+ )?flame|flame (?:is |'s )?(?:\S+ ){0,4}?(?:yellow|orange|floppy)"
    r"|eyes water|black (?:streaks?|stains?|marks?)|"
    r"only (?:at|when i'?m) home|complain\w* (?:of|about)|"
    r"when (?:i|we) (?:go|walk|come) in(?:to)? (?:there|that room|the \w+ room)|"
    r"smell\w*(?: \S+){0,4}? (?:through|from|out of|up through) the (?:floor )?(?:grates?|vents?|registers?|return)|"
    r"both of us|the whole family|whole family|the kids|my kids|"
    r"the family|all (?:have|got|feel))\b"
    r"|\b(?:since|when|whenever|every time|after) (?:we |i )?(?:turned|turn|switched|kick|kicked|started|start)\w* "
    r"(?:on )?(?:the )?(?:heat|heater|furnace|heating)\b"
    r"|\b(?:since|when|whenever|every time|after|once) (?:the |our |my )?(?:heat|heater|furnace|heating|boiler) "
    r"(?:came|comes|kicked|kicks|turned|turns|started|starts|is|was|runs|ran|fired|fires)\b(?: on| up| running)?"
    r"|\b(?:when|whenever|every time|while|once) (?:the |our |my )?(?:heat|heater|furnace|heating|boiler)'s "
    r"(?:on|running|going)\b"
    # The caller ties the symptom to the heating equipment: "worst headache ... i think it's the heater".
    r"|\b(?:heater|furnace|boiler|heat|units?)\b(?: \S+){0,3}? smell\w*"
    r"|\b(?:think|thinking|because of|from|blame|it'?s|its|(?:could|might|must|may) be) (?:it'?s |its )?"
    r"(?:the |our |my )"
    r"(?:heater|furnace|boiler|heating|gas heater|space heater)\b"
)
_SMOKE_FIRE = Gated(
    re.compile(
        r"(?<!cigarette )(?<!cigar )(?<!tobacco )(?<!wildfire )(?<!bbq )(?<!barbecue )(?<!grill )"
        r"\bsmoke\b(?! detectors?\b| alarms?\b"
        # smoke with a harmless source named: "smoke from the grill out back"
        r"| (?:is )?(?:from|off|coming (?:off|from)) (?:of )?(?:the |a |my |our |their |his |her |next door'?s? )?"
        r"(?:grill|bbq|barbecue|smoker|fire ?pit|fireplace|candles?|neighbou?r\w*|wildfires?|toast\w*|kitchen|cooking|"
        r"frying|pan|oven|stove)\b)"
        r"|\bsmoke (?:detectors?|alarms?) (?:is |are |keeps |just )?"
        r"(?:going off|went off|sounding|blaring|goes off|going|screaming)\b"
        # smoke said another way: a haze or a wisp from the equipment, black stuff puffing out
        r"|\b(?:haze|hazy|cloudy|clouds?|wisp\w*|black stuff (?:\S+ ){0,2}?(?:puff|coming|blow|pour)\w*|puffs? of (?:sm"
        r"oke"
        r"|black))\b(?: \S+){0,8}? (?:vents?|registers?|furnace"
        r"|heater|"
        r"closet|return|duct\w*|unit|pipe|flue|bedroom|living room)\b"
        r"|\b(?:vents?|registers?|furnace|heater|closet|return)\b(?: \S+){0,4}? (?:haze|hazy|wisps?)\b"
        r"|\b(?:haze|cloud) (?:\S+ )?(?:in the (?:room|hall\w*|house)|rolling|pouring|coming off)\b"
        r"|\bpuff\w* out (?:of|from) (?:the )?(?:furnace|heater|unit|closet|vents?)\b"
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,4}? (?:campfire|bonfire|wood ?smoke)\b"
        # hot to the touch: a breaker, an outlet, the wiring
        r"|\b(?:breakers?|outlets?|wires?|wiring|panel|plug|switch|disconnect|thermostat)\b(?: \S+){0,5}? "
        r"(?:is |are |feels? |gets? |got )?(?:really |very |super )?hot to (?:the )?touch\b"
        r"|\b(?:box|panel|breakers?|disconnect|outlets?)\b(?: \S+){0,8}? hot to (?:the )?touch\b"
        # fire seen where it should not be: through a crack, flickering in a duct
        r"|\b(?:fire|flames?)(?: \S+){0,2}? through (?:a|the) crack\b|\bflicker\w*\b(?: \S+){0,4}? (?:vents?|ducts?"
        r"|registers?)\b"
        r"|\bcrackl\w* in the (?:ducts?|vents?|walls?)\b"
        r"|\b(?:is|are|it'?s|was|started|keeps|been|unit|furnace|vents?) (?:kind of |kinda |a little "
        r"|sort of )?smoking\b|\bsmoking (?:from|out|coming)\b"
        # Smoke said as what the air is like: "it's smoky in the living room", "a smokey haze".
        r"|\bsmok(?:y|ey|iness)\b(?! (?:cigarette|cigar|tobacco|bbq|barbecue|fireplace|flavou?r))"
        r"|\bspark(?:s|ing|ed)?\b"
        r"|\bburning (?:smell|odor|odour|plastic|rubber|wires?|wiring)\b"
        r"|\bsmell(?:s|ing|ed)?(?: \S+){0,5}? burn(?:ing|t|ed)\b|\bsmell of burning\b"
        r"|\bburn(?:ing|t) (?:\S+ ){0,3}?(?:smell|odou?r)\b"
        # ozone: the smell of electrical arcing in a motor or wiring
        r"|\bozone\b(?: \S+){0,3}? (?:smell|odou?r|stink|scent)\b"
        r"|\b(?:smell\w*|odou?r|stinks?|reeks?)(?: \S+){0,4}? ozone\b"
        r"|\belectrical (?:burning )?(?:smell|odor|fire)\b|\b(?:on|caught|catch|catching) fire\b"
        # Scorching, and hot wiring or plastic, are burning said another way.
        r"|\bscorch\w*\b|\bcharred\b|\bburn(?:t|ed) (?:rubber|plastic|wires?|wiring|insulation)\b|\bburn marks?\b"
        # Arcing: a flash or crackle at the wiring.
        r"|\barc(?:ing|ed)\b|\b(?:an|the) arc\b"
        r"|\b(?:flash(?:es|ing)?|crackl\w*|sizzl\w*|zap\w*|snap\w*)(?: \S+){0,3}? (?:from|in|at|out of|behind|inside|on"
        r"|"
        r"by|near) (?:the |my |our )?(?:\S+ )?(?:breaker\w*|panel|outlet|disconnect|wires?|wiring|walls?|plug|plate|swi"
        r"tch|"
        r"box|contactor|thermostat|compressor)\b"
        r"|\b(?:an?|big|bright|blue|little|white) flash(?:es)?\b(?! ?light)|\bzap(?:s|ped|ping)?\b"
        r"|\b(?:smell\w*|stinks?|odou?r|reeks?)(?: \S+){0,4}? hot (?:wir\w+|electric\w*|plastic|rubber|insulation|metal"
        r")\b"
        # The same smell named first ("a hot wire smell", "electric smell"), or said as electrical.
        r"|\b(?:hot|melt\w*|fried|cooked) (?:wir\w+|electric\w*|plastic|rubber|insulation|outlet)s? "
        r"(?:smell|odou?r|stink|scent)\b|\belectric(?:al)? (?:\S+ )?(?:smell|odou?r|stink)\b"
        r"|\b(?:smell\w*|stinks?|odou?r)(?: (?:like|kinda|kind of|sort of|of|an?|some|really))* "
        r"(?:electric\w*|hot wir\w+|wir(?:es|ing) (?:burning|melting|frying)|an outlet)\b"
        # "smells hot and electrical", "like fried wiring", "an overheating motor" smell
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,4}? (?:electric\w*(?! (?:heat|heater|heating|furnace|strips?|"
        r"baseboards?|bills?|company|car|stove|range|dryer|water|blanket|fireplace))"
        r"|fried (?:wir\w+|electric\w*|plastic|outlet)s?)\b"
        r"|\b(?:smell\w*|stinks?|odou?r)(?: \S+){0,5}? overheat\w* (?:motor|wir\w+|electric\w*)\b"
        r"|\bfire (?:in|from|coming|inside|started|out of)\b"
        # "there's uh fire", "there was a little fire" (a fire said plainly; history is sorted out below)
        r"|\bthere(?:'?s| is| was)(?: (?:uh|um|a|an|like|little|small|some|tiny|kind of|kinda))* fire\b"
        # Flame rollout said plainly: "the flame's ... coming out at me when i open the door".
        r"|\bflames?(?:'s)?(?: \S+){0,9}? (?:coming|came|comes|come) (?:out )?(?:at|toward|towards) "
        r"(?:me|us|you|my face|our faces)\b"
        r"|\b(?:flames?|fire)\b(?: \S+){0,2}? (?:came|comes|coming|come|shot|shoots|shooting|puffed|burst) out(?: past)"
        r"?"
        r"(?: (?:of )?the (?:front|bottom|side|top|door))?\b"
        r"|\bflames\b(?! (?:look|looks|are|seem|seems)(?: \S+)? (?:blue|normal|steady|fine|good|even))"
        r"|\b(?:see|saw) (?:a )?flames?\b|\bfire ?balls?\b"
        # glowing metal where nothing should glow: the flue pipe, the cabinet, "red on the outside"
        r"|\b(?:pipe|flue|metal|panel|cabinet|door|duct|wall|outside|wires?|wiring|cord|plug|outlet|breaker|contactor|"
        r"terminal)\b(?: \S+){0,6}? glow\w*"
        r"|\bglow\w*(?: \S+){0,4}? (?:through the crack|on the outside|outside)\b"
        # paint bubbling or scorched on the equipment, or a smell like something overheating
        r"|\b(?:paint|metal) (?:on|of) (?:the |my |our )?(?:furnace|heater|boiler|cabinet|door|unit|panel|flue|pipe"
        r"|it)\b(?: \S+){0,5}? "
        r"(?:bubbl\w*|blister\w*|discolou?r\w*)"
        r"|\bsmell\w*(?: \S+){0,10}? overheat\w*|\bacrid\b|\bflash(?:es)? of light\b"
        r"|\bflames? (?:coming|shooting|rolling|out of|outside|everywhere|from)\b|\bmelt(?:ing|ed)\b"
        # Flame rollout: fire outside the burner, said the trade's way or the plain way.
        r"|\b(?:flame|fire) ?roll ?outs?\b|\bfire (?:rolling|shooting|pouring|blowing|licking|spitting)\b"
        # A flame where no flame belongs: outside the burner, out of the front, "where it shouldn't be".
        r"|\b(?:flame|fire)\b(?! sensor)(?: \S+){0,5}? (?:outside (?:of )?(?:the |my |our )?(?:furnace|heater|burner|"
        r"unit|box|cabinet|panel|door|closet|screen|(?:little )?window)|out (?:of|from|the (?:front|bottom|side"
        r"|top)(?: of)?) (?:the |my |our )?"
        r"(?:furnace|heater|burner|unit|box|cabinet|panel|door|vents?|boiler|screen|(?:little )?window)|where (?:it|the"
        r"y"
        r"|there) (?:shouldn'?t|should not|"
        r"isn'?t supposed|aren'?t supposed|don'?t belong|doesn'?t belong)|"
        r"(?:licking|jumping|spilling|dancing|curling|reaching) (?:out|outside|around))"
    ),
    (
        " overheat",
        "acrid",
        "an outlet",
        "arc",
        "black stuff ",
        "blister",
        "bubbl",
        "burn mark",
        "burned",
        "burning",
        "burnt",
        "charred",
        "cloud",
        "cooked",
        "crack",
        "discolo",
        "electric",
        "fire",
        "flame",
        "flash",
        "flicker",
        "fried",
        "frying",
        "glow",
        "haze",
        "hazy",
        "hot",
        "melt",
        "ozone",
        "puff",
        "scorch",
        "sizzl",
        "smoke",
        "smokin",
        "smoky",
        "snap",
        "spark",
        "wisp",
        "zap",
    ),
)


# "the co detector is not going off", "gas smell isn't there": negated after the phrase.
_NEGATED_AFTER = re.compile(
    r"(?: (?:alarm|detector))?(?: (?:is|are|was|has|have) (?:not|never)| (?:isn'?t|wasn'?t|aren'?t|hasn'?t|"
    r"haven'?t|didn'?t|doesn'?t|never))\b"
)


def _denied(m: re.Match[str], utt: Utterance) -> bool:
    """Negated before the phrase ("no gas smell") or after it ("the detector is not going off")."""
    return negated(utt.tokens, token_index(utt.norm, m.start())) or _NEGATED_AFTER.match(utt.norm, m.end()) is not None


def _hits(pattern: Pattern, utt: Utterance) -> int:
    return sum(1 for m in pattern.finditer(utt.norm) if not _denied(m, utt))


# A chirping detector wants a battery; it is not alarming.
_BATTERY = re.compile(
    r"\b(?:batter(?:y|ies)|low battery|beep(?:ed|s)? once|chirp(?:ed|s)? once|one beep|single beep)\b"
    r"|^(?:\S+ ){0,6}chirp\w*(?: \S+){0,3}$"
)


# The dust that burns off a heater's first run of the season: a question, not a fire (unless the
# caller says it is not dust: "burning, not like dust").
_DUST = re.compile(r"\bdust\w*\b")
# Gas utilities describe the odorant as rotten eggs or a skunk; a skunk smell with no animal named
# as its source (sprayed, under the house, dead) is treated as gas.
_SKUNK_SMELL = Gated(
    re.compile(
        r"\b(?:smell\w*|stinks?|odou?r|reeks?)(?: \S+){0,4}? skunk\w*\b|\bskunk\w*(?: \S+)? (?:smell|odou?r|stink)"
    ),
    ("skunk",),
)
_REAL_SKUNK = re.compile(
    r"\bskunks? (?:sprayed|got|is|was|lives?|living|died|under|in the (?:yard|crawl|attic|garage))\b"
    r"|\bdead skunk|\bsprayed\b|\bskunk (?:family|den)\b"
)
# "we had a fire in the kitchen last year": history, not a fire now.
_PAST_FIRE = re.compile(r"\b(?:had|was) a (?:\w+ ){0,2}fire\b|\bfire (?:\S+ ){0,5}(?:last (?:year|month|week)|ago)\b")
_NOW_FIRE = re.compile(
    r"\b(?:now|right now|again|still|smoking|sparks?|sparking|flames?|burning|got out|on (?:the|their|its) way|"
    r"evacuat\w*|fire department|nine one one|9 ?1 ?1)\b(?! out\b)"
)
_SEEN_FIRE = re.compile(r"\b(?:smoke|smoking|sparks?|sparking|flames?|fire)\b")


def _said(pattern: Pattern, utt: Utterance) -> bool:
    """The pattern is said and not negated before it ("not like dust", "there's no skunk")."""
    return any(not negated(utt.tokens, token_index(utt.norm, m.start())) for m in pattern.finditer(utt.norm))


# "like a skunk sprayed inside": a likeness, not an animal, so the odorant.
_LIKENESS_BEFORE = re.compile(r"\b(?:like|as if|as though) (?:a |an |some )?(?:skunk (?:just |got |had )?)?$")


def _skunk_gas(utt: Utterance) -> bool:
    if not _hits(_SKUNK_SMELL, utt):
        return False
    real = [m for m in _REAL_SKUNK.finditer(utt.norm) if not _LIKENESS_BEFORE.search(utt.norm[: m.start()])]
    return not any(not negated(utt.tokens, token_index(utt.norm, m.start())) for m in real)


# A rotten smell is the odorant when the caller has gas equipment: "a rotten smell by the gas furnace".
_ROTTEN_SMELL = Gated(
    re.compile(
        r"\brott(?:en|ing)(?: kind of| sort of| like| kinda)? (?:smell|odou?r|stench|stink)\b|\b(?:smell\w*"
        r"|stinks?) (?:\S+ ){0,2}?rott(?:en|ing)\b"
    ),
    (
        "rotten",
        "rotting",
    ),
)
_GAS_NAMED = re.compile(r"\b(?:gas(?! company| bill| station| utility)|propane|(?:gas )?meter)\b")
# "how do i shut off the gas, it smells really bad": shutting off the gas because of a smell.
_SHUT_OFF_GAS = re.compile(r"\b(?:shut|turn)(?:ting)? (?:off|down) (?:the |my |our )?(?:gas|propane)\b")
# A hiss by the gas piping, with a smell: "a hissing behind the furnace where the pipe is, smells like garbage".
_HISS = Gated(
    re.compile(
        r"\bhiss\w*",
    ),
    ("hiss",),
)
_PIPING = re.compile(r"\b(?:pipes?|line|meter|valve|furnace|heater|water heater|stove)\b")
# Refrigerant hisses too: a hiss at the cooling side is not gas.
_COOLING_SIDE = re.compile(
    r"\b(?:ac|a c|air condition\w*|outdoor unit|outside unit|condenser|compressor|refrigerant|freon|coolant|coil"
    r"|heat pump)\b"
)
_SMELL_WORD = re.compile(r"\b(?:smell\w*|odou?r|stinks?|reeks?)\b")
# A detector sounding, with one symptom, is carbon monoxide whichever detector it is.
_ALARM_SOUNDING = re.compile(
    r"\b(?:alarm|detector|monitor)s?\b(?: \S+){0,5}? (?:went off|going off|goes off|keeps? (?:going off|beeping"
    r"|sounding)|"
    r"beeping|sounding|blaring|screaming|(?:says|reads|reading|shows) (?:like |about )?(?:[1-9]\d*|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred))\b"
    r"|\bgoing beep\b|\bbeep beep\b"
)
# Detectors as things to buy, fit or ask about ("do you install carbon monoxide detectors", "should
# i have a co detector", "it's seven years old, says replace") are not an alarm. The mention counts
# again when anything says the detector is sounding or reading ("going off", "says 200").
_CO_DEVICE_TALK = re.compile(
    r"\b(?:install\w*|put(?:ting)? (?:\S+ ){1,4}in|sell|buy|replace\w*|new one|end of (?:its )?life|expired?|"
    r"should (?:i|we) (?:have|get)|do (?:i|we) need|check(?:s|ing)? for|wiring|supposed to (?:say|read|show)|"
    r"(?:says|reads|shows|reading) (?:zero|0|nothing)|how much|test(?:ing|s)?|brand new|where (?:to|should i"
    r"|i should|we should) (?:put"
    r"|place|"
    r"mount|install)|don'?t have (?:one|a|any))\b"
)
_CO_SOUNDING = re.compile(
    r"\b(?:went off|going off|goes off|keeps? (?:going|beeping|sounding)|beeping|alarm(?:ing|ed)|sounding|blar\w*|"
    r"scream\w*|ppm|flashing)\b"
    r"|\b(?:says|said|reads|reading|showing|shows) (?:like |about |around |over )?(?:[1-9]\d*|co|c o|high|danger\w*|"
    r"emergency|warning|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred)\b"
)
# Sulphur in the water is the water heater's anode, not gas: "smells like sulfur when i run the hot water".
_SULPHUR_WATER = re.compile(
    r"\b(?:run(?:ning)? the (?:hot )?water|(?:hot |tap |the |my )water (?:smells|stinks|tastes)|"
    r"(?:from|out of|at) the (?:(?:bathroom |kitchen )?sink |tub |shower |floor )?(?:tap|faucet|shower|sink|drain"
    r"|trap)|"
    r"when i shower|p ?trap)\b"
)
# A danger over and done with: "we had a gas leak last month that atmos fixed", "the co alarm went off
# last week, the fire department said levels were zero".
_WHEN_PAST = Gated(
    re.compile(
        r"\b(?:last (?:week|month|night|year|winter|time)|yesterday|(?:days?|weeks?|months?) ago)\b",
    ),
    (
        "ago",
        "last month",
        "last night",
        "last time",
        "last week",
        "last winter",
        "last year",
        "yesterday",
    ),
)
_RESOLVED = re.compile(
    r"\b(?:fixed|repaired|took care of|turned out|was (?:nothing|fine|the detector|a false)|false alarm|all clear|"
    r"levels? (?:were|was) (?:zero|fine|normal|ok|okay)|(?:said|says) (?:it was |it'?s |everything (?:was |is )?|"
    r"we(?:'re| are| were) )(?:fine|ok|okay|safe|good|clear)|checked (?:everything|it out|it all|the house))\b"
)
# The cause found and dealt with: "a burner was left on, i turned it off and aired it out". (A smell
# that is only gone now still counts: gas comes and goes.)
_GONE = re.compile(
    r"\b(?:aired (?:it|the house|the place|everything) out|(?:was|were) left on|false alarm|turn(?:s"
    r"|ed)? out (?:it was|to be)|"
    r"got rid of|(?:when|while) (?:i |you |we )?light(?:ing)? (?:the |a )?(?:stove|burner|oven|grill)|"
    r"that'?s (?:just )?the stove|it always does that)\b"
)
# Household smoke explained by its cause: "the vents smell like burnt popcorn cause my son burned popcorn".
_EXPLAINED = re.compile(
    r"\b(?:cause|because|'cause|from|it was|that'?s|thats|turned out)\b(?: \S+){0,4}? (?:burn\w*|cook\w*|sear\w*"
    r"|fry\w*|"
    r"the (?:oven|stove|toaster|grill|fireplace|candles?))"
)
# Household smoke: cooking, a fireplace, candles, said as the source.
_HOUSEHOLD_SMOKE = re.compile(
    r"\b(?:toast|cooking|cooked|breakfast|dinner|bacon|steaks?|turkey|popcorn|sear\w*|fry\w*|oven|grill(?:s|ed|ing)?"
    r"|fireplace|"
    r"candles?|incense|cigarettes?|burned the|burnt the)\b"
)
_EQUIPMENT = re.compile(
    r"(?<!not the )(?<!not my )(?<!not our )\b(?:furnace|heater|heat pump|unit|vents?|registers?|ac|a c|thermostat"
    r"|wires?|wiring|outlets?|breakers?|panel|"
    r"closet|attic|ducts?|blower|air handler|compressor|condenser|boiler|gas logs?|gas fireplace|logs)\b"
)
_STILL_NOW = Gated(
    re.compile(
        r"\b(?:still|again|right now|today|tonight|currently|keeps|back|worse)\b"
        r"|\bnow (?:it|there|i|we)(?:'?s| is| can| \S+)? (?:\S+ )?(?:smell\w*|hear|see|going|beeping|back|again)\b"
    ),
    (
        "again",
        "back",
        "currently",
        "keeps",
        "now i",
        "now there",
        "now we",
        "right now",
        "still",
        "today",
        "tonight",
        "worse",
    ),
)
# Said just after the danger, the danger is present again: "about a gas smell and it's still there".
_AGAIN_AFTER = re.compile(r"(?: \S+){0,4}? (?:still|again|back|now|worse)\b")
# A danger named as what the call or a price is about, not as happening: "do you charge extra to come
# out for a gas smell", "i talked to somebody yesterday about a burning smell".
_ASKED_ABOUT = re.compile(
    r"(?:\b(?:do|does|would|will) (?:you|y'?all|it|they)\b(?: \S+){0,6}? (?:for|about)"
    r"|\b(?:called|talked|spoke|spoken)\b(?: \S+){0,5}? (?:earlier|yesterday|before|last \w+)(?: \S+){0,2}? about"
    r"|\b(?:if|in case|what if) (?:i|we|you|they|there'?s|there is|there was)(?: ever)?"
    r"(?: \S+)?)"
    r" (?:a |an |the )?$"
)
# "is that smoke or is it defrosting": steam or fog from the equipment, asked about.
_STEAM = re.compile(r"\b(?:steam\w*|fog\w*|vapou?r|mist|defrost\w*)\b")
_SMOKE_ASKED = re.compile(
    r"\b(?:is (?:that|it|this)|or|(?:looks?|kinda|kind of|sort of)(?: \S+)? like) (?:\S+ )?smoke\b"
)
# The first minutes of heat in a season burn off dust: "toasty burnt smell but only the first few minutes".
_BURN_OFF = re.compile(
    r"\bfirst (?:few |couple (?:of )?|\w+ )?(?:minutes?|seconds?)\b|\bburns? (?:it )?off\b"
    r"|\bfirst (?:time|run|use|day)\b(?: \S+){0,6}? (?:this|of the|for the) (?:year|season|fall|winter)\b"
)


def _counts(m: re.Match[str], utt: Utterance) -> bool:
    """A hit not negated and not only asked about ("do you come out for a gas smell")."""
    if _denied(m, utt):
        return False
    return not (_ASKED_ABOUT.search(utt.norm[: m.start()]) and not _AGAIN_AFTER.match(utt.norm, m.end()))


def _hits_now(pattern: Pattern, utt: Utterance) -> int:
    return sum(1 for m in pattern.finditer(utt.norm) if _counts(m, utt))


_CLAUSE_BREAK = re.compile(r"\b(?:but|though|although|anyway|so|also|plus|that'?s not|thats not)\b")


def _near_equipment(m: re.Match[str], utt: Utterance) -> bool:
    """The equipment named in the danger's own clause: the danger is the equipment's."""
    before = [b.end() for b in _CLAUSE_BREAK.finditer(utt.norm, 0, m.start())]
    after = _CLAUSE_BREAK.search(utt.norm, m.end())
    clause = utt.norm[before[-1] if before else 0 : after.start() if after else len(utt.norm)]
    return _EQUIPMENT.search(clause) is not None


def _gas(utt: Utterance) -> bool:
    if _hits_now(_GAS, utt) or _skunk_gas(utt):
        return not (_SULPHUR_WATER.search(utt.norm) and not _said(_GAS_NAMED, utt))
    smell = _SMELL_WORD.search(utt.norm) is not None
    hiss = _HISS.search(utt.norm) is not None
    rotten = _hits_now(_ROTTEN_SMELL, utt) > 0
    if rotten and (_said(_GAS_NAMED, utt) or _PIPING.search(utt.norm)):
        return True  # a rotten smell by gas equipment: "that rotten smell around the water heater and furnace"
    if smell and (_SHUT_OFF_GAS.search(utt.norm) or hiss) and _said(_GAS_NAMED, utt):
        return True
    # a hiss at the gas piping, smelled or not ("a hissing by the pipe into the furnace, like a tire")
    return hiss and _PIPING.search(utt.norm) is not None and (smell or not _COOLING_SIDE.search(utt.norm))


# Sent out of the house, or the equipment shut off, by someone who measured: "the firefighters
# measured something and shut off the furnace", "a man from the city told us to get out".
_EVACUATED = Gated(
    re.compile(
        r"\b(?:told|asked|made|said for) (?:us|me|everyone|everybody|them) (?:to )?(?:get out|leave|evacuate|go outside"
        r")\b"
        r"|\b(?:we'?re|we are|were|i'?m|i am|everyone'?s|everyone is) (?:all )?(?:outside|out of the house) (?:now"
        r"|already)\b"
        r"|\b(?:measured|tested|metered|detected|found)\b(?: \S+){0,8}? (?:shut|turned) (?:off|down) (?:the |our |my )?"
        r"(?:furnace|heater|boiler|gas)\b"
        r"|\b(?:fire ?fighters?|fire department|fire dept|gas company|utility)\b(?: \S+){0,10}? (?:shut|turned) (?:off"
        r"|down) "
        r"(?:the |our |my )?(?:furnace|heater|boiler)\b"
    ),
    (
        "already",
        "asked",
        "detected",
        "fire",
        "found",
        "gas company",
        "made",
        "measured",
        "metered",
        "now",
        "said",
        "tested",
        "told",
        "utility",
    ),
)


def _carbon_monoxide(utt: Utterance) -> bool:
    if _EVACUATED.search(utt.norm):
        return True
    symptoms = _hits(_SYMPTOMS, utt)
    if symptoms >= 2 or symptoms and (_SHARED.search(utt.norm) or _ALARM_SOUNDING.search(utt.norm)):
        return True
    if not _hits_now(_CO, utt) or _BATTERY.search(utt.norm):
        return False
    return not (_CO_DEVICE_TALK.search(utt.norm) and not _said(_CO_SOUNDING, utt))


def _smoke_fire(utt: Utterance) -> bool:
    hits = [m for m in _SMOKE_FIRE.finditer(utt.norm) if _counts(m, utt)]
    if not hits:
        return False
    household = _HOUSEHOLD_SMOKE.search(utt.norm)
    if household and (_EXPLAINED.search(utt.norm) or not any(_near_equipment(m, utt) for m in hits)):
        return False  # "smoky in the living room, that's from our fireplace", "burnt toast, just breakfast"
    seen = _SEEN_FIRE.search(utt.norm)
    past = _PAST_FIRE.search(utt.norm) and not _NOW_FIRE.search(utt.norm)
    burn_off = (_said(_DUST, utt) or _BURN_OFF.search(utt.norm)) and not seen
    steam = _STEAM.search(utt.norm) and _SMOKE_ASKED.search(utt.norm)
    return not (past or burn_off or steam)


def extract_emergency(utt: Utterance) -> EmergencyKind | None:
    kind: EmergencyKind | None = None
    if _gas(utt):
        kind = "gas"
    elif _carbon_monoxide(utt):
        kind = "carbon_monoxide"
    elif _smoke_fire(utt):
        kind = "smoke_fire"
    return None if settled(utt) else kind


def settled(utt: Utterance) -> bool:
    """A danger over and done with (fixed, checked and cleared) or its cause dealt with, and not back."""
    now = _STILL_NOW.search(utt.norm)
    return bool(_WHEN_PAST.search(utt.norm) and _RESOLVED.search(utt.norm) and not now or _GONE.search(utt.norm))
