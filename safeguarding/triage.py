"""Safety-first triage of a practitioner's message to the review bot.

`classify` is pure, offline and deterministic. It normalises the text (lower case, common
abbreviations and typos), finds weighted lexical cues for each label and decides in a fixed
order: emergency first, then a review referral against a concern about a child, then other
services, case status, process questions and chit-chat. Unknown text about a child falls to
`individual_concern`, because a missed worry about a child costs far more than a spare signpost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# Regexes over very long pastes stay linear, but there is no reason to scan a novel.
MAX_CHARS = 20_000


class TriageLabel(StrEnum):
    """Where a message belongs."""

    EMERGENCY = "emergency"
    INDIVIDUAL_CONCERN = "individual_concern"
    REVIEW_REFERRAL = "review_referral"
    PROCESS_QUESTION = "process_question"
    CASE_STATUS = "case_status"
    OTHER_SERVICE = "other_service"
    CHIT_CHAT = "chit_chat"


@dataclass(frozen=True, slots=True)
class Triage:
    """The label, whether to show the safety signpost, and the cues that decided it."""

    label: TriageLabel
    safety_signpost: bool
    cues: tuple[str, ...]


# --- normalisation -----------------------------------------------------------------------------

_TOKEN_MAP: dict[str, str] = {
    # contractions typed without the apostrophe
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "cannot": "can not",
    "couldnt": "could not",
    "wont": "will not",
    "wouldnt": "would not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "shouldnt": "should not",
    "aint": "is not",
    "hes": "he is",
    "shes": "she is",
    "theres": "there is",
    "thats": "that is",
    "whats": "what is",
    "wheres": "where is",
    "whens": "when is",
    "hows": "how is",
    "whos": "who is",
    "im": "i am",
    "ive": "i have",
    "theyre": "they are",
    "youre": "you are",
    "weve": "we have",
    # texting shorthand
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "pleas": "please",
    "rn": "right now",
    "atm": "at the moment",
    "asap": "urgently",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "yday": "yesterday",
    "yest": "yesterday",
    "2day": "today",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "wiv": "with",
    "wid": "with",
    "b4": "before",
    "bc": "because",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "abt": "about",
    "wat": "what",
    "wot": "what",
    "ppl": "people",
    "hosp": "hospital",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "sis": "sister",
    "bro": "brother",
    "sibs": "siblings",
    "sib": "sibling",
    "mins": "minutes",
    "min": "minutes",
    "hrs": "hours",
    "hr": "hour",
    "wk": "week",
    "wks": "weeks",
    "yrs": "years",
    "yr": "year",
    "thx": "thanks",
    "thnx": "thanks",
    "thanx": "thanks",
    "tx": "thanks",
    "ty": "thanks",
    "tyvm": "thanks",
    "ref": "reference",
    "yp": "young person",
    "yps": "young people",
    # people and children
    "kid": "child",
    "kids": "children",
    "kidz": "children",
    "kiddies": "children",
    "kiddie": "child",
    "childrens": "children",
    "bby": "baby",
    "babby": "baby",
    "babi": "baby",
    "bubba": "baby",
    "todler": "toddler",
    "mums": "mum",
    "dads": "dad",
    "mam": "mum",
    "mom": "mum",
    "mummy": "mum",
    "mommy": "mum",
    "daddy": "dad",
    "neighbours": "neighbour",
    "neighbor": "neighbour",
    "nieghbour": "neighbour",
    # common misspellings
    "dangr": "danger",
    "danga": "danger",
    "dnager": "danger",
    "breathin": "breathing",
    "breating": "breathing",
    "breathng": "breathing",
    "screamin": "screaming",
    "screming": "screaming",
    "threating": "threatening",
    "threatning": "threatening",
    "thretening": "threatening",
    "threatenin": "threatening",
    "knif": "knife",
    "nife": "knife",
    "kinfe": "knife",
    "stabed": "stabbed",
    "missin": "missing",
    "misssing": "missing",
    "tabs": "tablets",
    "od": "overdose",
    "oded": "overdosed",
    "worryed": "worried",
    "woried": "worried",
    "worred": "worried",
    "concered": "concerned",
    "conserned": "concerned",
    "safegaurding": "safeguarding",
    "refferal": "referral",
    "referal": "referral",
    "refferral": "referral",
    "refferals": "referrals",
    "referals": "referrals",
    "refered": "referred",
    "reffered": "referred",
    "reffer": "refer",
    "reveiw": "review",
    "reivew": "review",
    "reveiws": "reviews",
    "critera": "criteria",
    "criterea": "criteria",
    "crtieria": "criteria",
    "ambulence": "ambulance",
    "polce": "police",
    "becuase": "because",
    "becasue": "because",
    "serous": "serious",
    "seriousley": "seriously",
    # the sector's abbreviations
    "nai": "non accidental injury",
    "dv": "domestic violence",
    "da": "domestic abuse",
    "sw": "social worker",
    "csc": "children social care",
    "cp": "child protection",
    "cpp": "child protection plan",
    "cin": "child in need",
    "lac": "looked after child",
    "cla": "looked after child",
    "s47": "section 47",
    "hv": "health visitor",
    "dsl": "designated safeguarding lead",
    "rr": "rapid review",
    "rrs": "rapid reviews",
    "csprs": "cspr",
    "scr": "serious case review",
    "scrs": "serious case reviews",
    "iass": "ias",
    "iases": "ias",
    "sin": "serious incident notification",
    "ehash": "mash",
    "iart": "mash",
    "edt": "emergency duty team",
    "picu": "intensive care",
    "nicu": "intensive care",
    "icu": "intensive care",
    "itu": "intensive care",
    "cse": "child sexual exploitation",
    "cce": "child criminal exploitation",
    "dhr": "domestic homicide review",
    "foi": "freedom of information",
    "ae": "a and e",
}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_CASE_REF = re.compile(r"\b[a-z]{2,4}-\d{4}-\d{1,4}\b")
_AGE = re.compile(
    r"\b(\d{1,2})\s*-?\s*(?:yo|y/o|y\.o\.?|yrs? olds?|years? olds?|yr|yrs)\b(?!\s+ago)"
)
_SCHOOL_YEAR = re.compile(r"\b(?:y|yr|year)\s?(\d{1,2})s?\b")
_PRONOUN_IS = re.compile(r"\b(he|she|it|there|that|what|who|where|here|how|when)'s\b")
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'s\b"), ""),
)
# Sentence punctuation becomes a bar token so that cues do not join words across clauses.
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?()\[\]\-\u2013\u2014/]+")


BARE_REFERRAL_CUE = "review:bare_referral"
CHILD_DEATH_WITHOUT_SUSPICION = "other:child_death_without_suspicion"


def asks_which_referral(triage: Triage) -> bool:
    """Whether to ask which referral is meant: a referral to children's social care (the front
    door, now) or a case review referral. Never for an emergency: 999 comes first."""
    return triage.label is not TriageLabel.EMERGENCY and BARE_REFERRAL_CUE in triage.cues


def is_bare_referral(text: str | None) -> bool:
    """Whether a message only says its writer wants to make a referral, with nothing about it."""
    return _BARE_REFERRAL.fullmatch(normalise(text)) is not None


def normalise(text: str | None) -> str:
    """Lower-case the message, expand abbreviations and typos; punctuation becomes `|`."""
    if not isinstance(text, str):
        return ""
    lowered = text[:MAX_CHARS].translate(_APOSTROPHES).lower()
    lowered = _CASE_REF.sub(" casereference ", lowered)
    lowered = lowered.replace("a&e", "a and e").replace("&", " and ")
    lowered = re.sub(r"\bno[- ]one\b", "nobody", lowered)
    lowered = _AGE.sub(r" \1 year old ", lowered)
    lowered = _SCHOOL_YEAR.sub(r" schoolyear \1 ", lowered)
    lowered = _PRONOUN_IS.sub(r"\1 is", lowered)
    for pattern, replacement in _CONTRACTIONS:
        lowered = pattern.sub(replacement, lowered)
    words: list[str] = []
    for token in _TOKEN.findall(lowered):
        if not token[0].isalnum():
            if words and words[-1] != "|":
                words.append("|")
            continue
        words.append(_TOKEN_MAP.get(token, token))
    while words and words[-1] == "|":
        words.pop()
    return " ".join(words)


# --- cues --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cue:
    name: str
    weight: float
    pattern: re.Pattern[str]
    negatable: bool = True


def _cue(name: str, weight: float, *alternatives: str, negatable: bool = True) -> _Cue:
    joined = "|".join(alternatives)
    return _Cue(name, weight, re.compile(rf"(?<![a-z0-9])(?:{joined})(?![a-z0-9])"), negatable)


_NEGATORS = frozenset({"not", "no", "never", "nobody", "nothing", "without", "nor", "neither"})

_CHILD = (
    r"child|children|baby|babies|infant|newborn|toddlers?|boys?|girls?|(?<!adult )sons?"
    r"|(?<!adult )daughters?|pupils?|students?|lads|teens|teenagers"
    r"|teen|teenager|young person|young people|youngster|lad|nephew|niece|grandson"
    r"|granddaughter|grand daughter|sibling|siblings|brother|sister|twins|unborn"
    r"|little ones?|looked after child|foster child|schoolyear \d+"
)
_YOUNG = (
    r"baby|babies|infant|newborn|toddler|little ones?|little boy|little girl|small child"
    r"|young child|(?:[1-9]|10) year old|ages? [1-9]"
)
_WEAPON = (
    r"knife|knives|machete|gun|guns|blade|axe|hammer|weapon|firearm|crossbow|baseball bat"
    r"|shotgun|rifle|screwdriver|scissors"
)
_VIOLENT_ING = (
    r"hitting|beating|attacking|strangling|choking|stabbing|kicking|punching|hurting|raping"
    r"|assaulting|dragging|chasing|smashing|throttling|battering|going for|shaking|slapping"
    r"|strangle|stab"
)
_VIOLENT_PAST = (
    r"punched|hit (?:her|him|them|the)|kicked|strangled|stabbed|attacked|pushed|thrown|beaten"
    r"|slapped|assaulted|shot|battered|choked|head ?butted"
)
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"

# Emergency cues that are about now whatever the tense of the rest: they fire unless the message
# is plainly a report of something over (a death, a review), with no sign of now.
_EMERGENCY_NOW = (
    _cue(
        "emergency:not_breathing",
        4,
        r"not breathing",
        r"stopped breathing",
        r"can not breathe",
        r"struggling to breathe",
        r"turning blue",
        r"gone blue",
        r"is blue",
        r"and blue",
        r"doing cpr",
        r"choking on",
        r"going (?:purple|blue|grey|floppy)",
        r"turning (?:purple|grey)",
        negatable=False,
    ),
    _cue(
        "emergency:violence_in_progress",
        4,
        rf"(?:is|are|keeps|now|currently|still) (?:{_VIOLENT_ING})",
        r"being (?:attacked|strangled|choked|stabbed|dragged|kicked|punched|battered|chased|"
        r"forced into)",
        r"(?:can|could) hear (?:\w+ ){0,4}(?:screaming|crying|thuds|beating|hitting|shouting"
        r"|banging)",
        r"screaming for help",
        r"fighting with (?:knives|a knife|weapons)",
        rf"just (?:{_VIOLENT_PAST})",
        r"overdosing",
    ),
    _cue(
        "emergency:threat_to_kill",
        4,
        r"(?:will|going to|gonna|threatening to|threaten to|is threatening|wants to|about to"
        r"|coming (?:round |over |back |here )?to|on (?:his|her|their) way (?:round |over )?to)"
        r" (?:kill|stab|murder|shoot|jump|hang|strangle|end it|end (?:his|her|their) life"
        r"|set (?:the house|it|the flat) on fire|burn)",
        r"(?:not|never) see (?:them|him|her) alive",
        r"holding (?:the|a|her|his) (?:baby|child|toddler) over",
        r"trying to hang",
        r"leaning out",
    ),
    _cue(
        "emergency:danger_now",
        4,
        r"in (?:immediate )?danger (?:now|right now)",
        r"in immediate danger",
        r"danger now",
    ),
    _cue("emergency:missing_since", 4, r"missing since", r"missing from", r"wandered off"),
    _cue(
        "emergency:child_on_road_or_water",
        4,
        r"wandering (?:on|near|along|in) (?:the |a )?(?:motorway|road|railway|dual carriageway)",
        r"(?:pushed|push|pushing|thrown|threw|throw|fallen|fell) (?:\w+ ){0,3}into (?:the |a )?"
        r"(?:canal|river|water|sea|lake|reservoir|pond|pool)",
        r"(?:on|onto) the (?:roof|ledge|balcony rail|railings|window ?sill)",
        r"climbed (?:out of|onto|over|up)",
    ),
    _cue("emergency:999", 3, r"999", r"ambulance (?:coming|on (?:the|its) way|not here)"),
    _cue("emergency:bleeding", 4, r"bleeding (?:badly|a lot|heavily|everywhere|on the floor)"),
)

# Emergency cues whose tense is ambiguous: they count unless the message is about the past.
_EMERGENCY_IF_CURRENT = (
    _cue(
        "emergency:weapon",
        4,
        rf"(?:has|have|got|with|holding|waving|pulled|carrying|brandishing|pointing)"
        rf" (?:\w+ ){{0,2}}(?:{_WEAPON})(?! licen[cs]e| crime| offences?| convictions?)",
        rf"(?:{_WEAPON}) to (?:his|her|their|my) (?:throat|neck|head)",
        rf"(?:{_WEAPON}) in (?:his|her|their) (?:bag|pocket|hand)",
        rf"(?:man|woman|boy|lad|someone|person|he|she) (?:\w+ ){{0,3}}(?:with|has) (?:an? )?"
        rf"(?:{_WEAPON})",
    ),
    _cue(
        "emergency:in_danger",
        4,
        r"(?:child|children|baby|girl|boy|she|he|they) (?:is|are) in danger",
        r"in danger",
    ),
    _cue(
        "emergency:abduction",
        4,
        r"snatched",
        r"abducted",
        r"dragged into",
        r"forced into (?:a|the) (?:car|van)",
        r"hostage",
        r"will not let (?:us|me|them|her|him) (?:leave|out|go)",
        r"can not (?:get out|escape|leave)",
        r"broken in",
        r"kidnapp\w*",
    ),
    _cue(
        "emergency:overdose",
        4,
        r"(?:has|have|just|she|he|they) (?:taken|took|swallowed|drunk|drank|ingested)"
        r" (?:\w+ ){0,4}(?:tablets|pills|paracetamol|overdose|bleach|batteries|meds|medication"
        r"|drugs|methadone|poison)",
        r"overdosed",
        r"(?:after|from) taking (?:\w+ ){0,3}(?:tablets|pills|methadone|drugs|medication|meds)",
        r"taken (?:an )?overdose",
        r"drunk bleach",
        r"swallowed",
    ),
    _cue(
        "emergency:medical",
        4,
        r"unconscious",
        r"unresponsive",
        r"not responding(?! to)",
        r"not moving",
        r"lifeless",
        r"will not wake",
        r"can not wake",
        r"not wak(?:ing|e) up",
        r"lying (?:there|still|motionless|on the (?:floor|ground|road))",
        r"round (?:her|his|their) neck",
        r"ligature",
        r"noose",
        r"barricaded",
        r"passed out",
        r"floppy",
        r"fitting",
        r"having a seizure",
        r"collapsed",
        r"bleeding",
        r"cut (?:her|his|their) (?:wrists|throat)",
    ),
    _cue(
        "emergency:fire",
        4,
        r"(?:fire|burning|on fire|blaze|smoke|gas leak)(?: (?:\w+|\|)){0,8}"
        r" (?:children|child|baby|inside|trapped|in there)",
        r"(?:children|child|baby)(?: (?:\w+|\|)){0,8} (?:fire|burning|gas leak|alight)",
        r"trapped",
        r"(?:is|are) (?:alight|on fire|burning)",
    ),
    _cue(
        "emergency:missing",
        4,
        r"(?:is|are|has gone|have gone|gone|went|been|reported|now) missing",
        r"can not find (?:him|her|them|my|our|the (?:child|baby|boy|girl|toddler))",
        r"not (?:come|came|got|arrived|returned) (?:home|back)",
        r"(?:has|have) not (?:arrived|come home|returned)",
        r"ran away",
        r"run away",
        r"ran off",
        r"(?:we|i) have lost (?:a|the|our|my)",
    ),
    _cue(
        "emergency:young_child_alone",
        3,
        rf"(?:{_YOUNG})(?: \w+){{0,5}} (?:left )?(?:home )?alone",
        rf"alone (?:in|with|at) (?:\w+ ){{0,3}}(?:{_YOUNG}|her|him)",
        r"alone with her",
        r"no adults?",
        r"nobody (?:answering|home|there|with)",
        r"(?:left|locked) in (?:a|the) (?:car|flat|house)",
    ),
    _cue(
        "emergency:violence",
        3,
        r"being (?:beaten|hit|hurt|followed|threatened|abused|held|raped|assaulted)",
        r"grabbed (?:a|the) (?:child|girl|boy|baby|toddler)",
        r"(?:is )?coming to (?:get|hurt|take|find) (?:her|him|them|me|us)",
        r"going for",
        r"kicking off",
        rf"(?:{_VIOLENT_PAST})",
        rf"(?:dad|mum|father|mother|he|she|they|man|partner|boyfriend|stepdad) (?:{_VIOLENT_ING})",
        r"throwing (?:\w+ )?(?:at|things)",
    ),
    _cue("emergency:word", 2, r"emergency(?! duty)", r"help me", r"urgent(?:ly)?"),
    _cue("emergency:cry_for_help", 4, r"help(?: (?:\| )?help)+", r"sos", negatable=False),
)

_NOW = _cue(
    "now",
    1,
    r"right now",
    r"just now",
    r"at the moment",
    r"as we speak",
    r"currently",
    r"this minute",
    r"now(?= \||$)",
    r"now (?:what|and|he|she|they|i|we|shouting|screaming|hitting|in the)",
    r"is now",
    r"immediately",
    r"tonight",
    r"this (?:morning|afternoon|evening)",
    r"still (?:there|here|inside|in there|at school|going on|happening)",
    r"(?:minutes|mins|an hour|hour|hours) ago",
    r"just",
    r"help",
    r"\d+ ?(?:am|pm)",
    r"all day",
    r"crying|screaming|unwell|terrified|distressed|in distress|freezing",
    r"(?:is|are) trying to|i can (?:see|hear)|in (?:an|1|one) hour|when (?:he|she|they) gets?"
    r" home|been going on",
    negatable=False,
)
# The two-factor rule: an acute danger and a sign that it is happening now, in any wording.
_ACUTE_DANGER = _cue(
    "danger",
    1,
    r"breath\w*|chok\w*|suffocat\w*|blue lips|round (?:her|his|their|my) neck|ligature|noose",
    r"pills|tablets|paracetamol|overdos\w*|swallowed|bleach|poison\w*|says goodbye|goodbye",
    r"balcony|roof|ledge|window ?sill|rail|bridge|multistorey|cliff|canal|river|motorway",
    r"railway|tracks|knife|knives|machete|gun|blade|axe|hammer|bat|weapon|firearm",
    r"strangl\w*|stab\w*|banging|screaming|shook|shaken|shaking|punch\w*|slapping|beating",
    r"(?:going to|gonna|will) (?:beat|hurt|batter|hit|kill)",
    r"(?:take|taking) (?:him|her|them|the (?:baby|child|children))"
    r"(?= \||$| away| out| off| from| to| with)|driven off",
    r"drove off|into a (?:car|van)|snatch\w*|abduct\w*|get in|turned up|barricad\w*|hostage",
    r"never arrived|not arrived|not (?:come|came) home|can not find|missing|wandered",
    r"no adults?|no parents?|nobody (?:home|there|in|else)|left in charge|on (?:his|her|their|its)"
    r" own|lost (?:a|the|our|my|their)|gone off with|not answering",
    r"bleeding|unconscious|unresponsive|seizure|fitting|convuls\w*|floppy|collapsed|feels hot",
    r"burning up|not moving|lifeless|limp|on the floor|out of it|allergic reaction|anaphyla\w*",
    r"boiling|baking|too hot|overheat\w*|hypotherm\w*|freezing|cold to touch",
    r"fire|smoke|flames|alight|lighter|matches|gas|petrol|drowning|in the water|railings",
    r"flyover|climbed|fight|fighting|battered|battering|kicking|hitting|attacking|dragging",
    r"hit by a (?:car|van|bus|lorry)|can not get out|stranger|razor|purple|raping|noose",
    r"touching (?:her|him)|groping|terrified|scald\w*|refus\w* (?:conveyance|to let)",
    r"into a wall|end it|kill (?:him|her|them|us|the|himself|herself)|inflicted",
)
_IMMEDIATE = _cue(
    "happening_now",
    1,
    r"right now|just now|at the moment|as we speak|currently|this minute|now(?= \||$)",
    r"now (?:what|and|he|she|they|i|we)|is now|just|(?:is|are) trying to|immediately",
    r"(?:i am|we are|i have|we have) (?:at|in|with|outside|on|got) (?:the|a|her|his|their)",
    r"i am at|we are at|i am in a and e|i can (?:see|hear)|we can (?:see|hear)",
    r"there (?:is|are) (?:a|an|some|two|three|\d+)|in (?:an|1|one) hour|in \d+ minutes",
    r"when (?:he|she|they) gets? home|been going on|(?:minutes|mins|an hour|hour|hours) ago",
    r"\d+ ?(?:am|pm) now|tonight|still (?:there|here|inside|in there|going)|999",
    r"(?:ring|call) (?:the )?police|please help|help me|nobody is leaving|someone help",
    r"quick(?:ly)?|hurry|nobody else here|(?:i am|we are) here|is (?:alight|on fire|burning)",
    r"(?:we have|i have|have|just) found (?:a|an|the|her|him|them)|found (?:a|an) \d+ year old",
    r"live|livestream\w*|streaming|on scene|in front of me|with me now|before we arrived",
    r"(?:has|have) left with|left with the|i am on the|we are on the",
    r"(?:has|have) (?:just )?(?:climbed|got|gone|run|fallen|taken|swallowed|locked|turned)",
    r"lying (?:there|still)|as i type|on (?:facetime|the phone) (?:to|with) me",
    r"(?:we|i) have lost|(?:is|are) \w+ing",
    r"will not come|pls come|please come|come quick|its (?:boiling|freezing)",
    negatable=False,
)

# Signs that an ambiguous emergency cue describes the past.
_PAST = _cue(
    "past",
    1,
    rf"last (?:week|month|year|weekend|term|monday|tuesday|wednesday|thursday|friday"
    rf"|saturday|sunday|{_MONTHS})",
    r"(?:days|weeks|months|years) ago",
    rf"in (?:{_MONTHS})",
    r"previously",
    r"historic\w*",
    r"back in",
    r"at the time",
    r"no longer",
    r"survived|nearly died",
    r"(?:in|admitted to) (?:hospital|intensive care)",
    r"was (?:stabbed|shot|killed|found|assaulted|shaken|attacked|taken|seriously|abducted)",
    r"weekend",
    r"allegation|alleged\w*|accused",
    r"drowning of|used to|had been|history of|last night|in (?:19|20)\d\d|when (?:he|she) was"
    r" (?:little|younger|a baby|\d+)|as a child",
    negatable=False,
)
# Signs that the message reports something over (a death, a review): they outweigh every
# emergency cue unless the message also says that something is happening now.
# The child is now safe: "now" in these sentences is not a sign of danger now.
_SAFE_NOW = _cue(
    "safe_now",
    1,
    r"(?:is|are) (?:now )?safe|safe now|now safe|recovering|doing well|came (?:home|back)",
    r"returned (?:home|safe)|been found|was found safe|no longer|is now in",
    r"(?:with|in) (?:foster care|care|hospital|their gran|the grandparents)",
    negatable=False,
)
_STRICT_NOW = _cue(
    "strictly_now",
    1,
    r"right now|just now|at the moment|as we speak|currently|this minute|immediately",
    r"still (?:there|here|inside|in there|going)|screaming|crying|bleeding|tonight",
    negatable=False,
)
# "What should I do if a child is in danger?": a question about a situation, not a report of one.
_HYPOTHETICAL = _cue(
    "hypothetical",
    1,
    r"^(?:what|how|who|where|when|should|do|does|can) (?:\w+ ){0,6}(?:if|when) (?:a|the|my|our)"
    r" (?:child|young person|pupil|student|baby)",
    r"^if (?:a|the) (?:child|young person|pupil|baby)",
    negatable=False,
)
# A pattern over time is a concern for the front door, not an emergency.
_HABITUAL = _cue(
    "habitual",
    1,
    r"keeps|often|always|regularly|every (?:day|night|week|weekend|time)|most (?:days|nights"
    r"|evenings|weekends)|sometimes|at times|used to|history of|repeated(?:ly)?",
    negatable=False,
)
_STRONG_PAST = _cue(
    "report_of_past_event",
    1,
    r"died|death of|deaths?|passed away|deceased|post mortem|later died|murdered",
    r"took (?:his|her|their) own life|suicide of|died by suicide|was found dead|drowned",
    r"rapid review|cspr|panel|ias|individual agency summary|chronology|serious incident",
    r"refer(?:ral|ring)? for (?:a )?(?:rapid )?review|learning review",
    negatable=False,
)

_DEATH = _cue(
    "death",
    1,
    r"died|dies|death|dead|deceased|passed away|killed|murder\w*|fatal\w*|suicide",
    r"took (?:his|her|their) own life|hanged|drowned|drowning|sudi|stillb\w+",
    r"homicide|loss of life|nearly died",
    negatable=False,
)
_HARM = _cue(
    "serious_harm",
    1,
    r"serious(?:ly)? (?:\w+ )?(?:harm\w*|injur\w*|assault\w*|sexual\w*|neglect\w*|hurt)",
    r"head injur\w*|haemorrhag\w*|retinal|broken (?:arm|leg|bones?|ribs?)",
    r"seriously",
    r"life (?:changing|threatening|long)|lifelong|lasting (?:injur\w*|damage|harm)",
    r"brain (?:injury|damage|bleed)|bleeding on the brain|subdural\w*|skull|fractur\w*",
    r"intensive care|non accidental injury|shaken|starv\w*|malnourish\w*",
    r"severe(?:ly)? (?:neglect\w*|malnourish\w*|injur\w*|assault\w*)",
    r"permanent|long term (?:impact|damage|harm|impairment)|serious harm",
    r"sexually exploited|sexually abused over|stabbed|shot|burns|scald\w*|dog attack",
    r"bitten|restraint injury|mental health impact|hit by (?:a )?(?:train|car|bus|lorry|van)",
    r"coma|scalded|to death",
)
_SUSPICION = _cue(
    "abuse_or_neglect_suspected",
    1,
    r"neglect\w*|abuse[ds]?|abusive|non accidental|suspected|suspicious",
    r"unexplained (?:injur\w*|bruis\w*|fractur\w*|marks?|burns?|bleed\w*|head)",
    r"no explanation|police (?:investigat\w*|involved)|investigat\w+|arrested|charged|bail",
    r"concerns?|known to (?:the )?(?:children social care|social care|services|police|youth"
    r" justice|csc|mash|early help)|child protection|exploit\w*|under the influence",
    r"intoxicated|drunk",
    r"drugs?|unsupervised|missed (?:chances|opportunities|signs)|agencies|shaken|assault\w*",
    r"co sleeping|unsafe sleeping|open to|previous referrals|disclosed|supervision|sex offender",
    r"starv\w*|malnourish\w*|squalor|cigarette burns|gangs?|staff|custody|children social care",
    r"social care|early help|camhs|fleeing police|killed by|fgm|bruis\w*|injuries",
    r"left alone|home alone|left unsupervised|inconsistent|delay\w* in seeking",
    r"no agency (?:acted|did|picked|noticed|intervened|helped)|nobody acted",
    r"(?:repeatedly )?fail(?:ed|ing) to|investigation|not consistent|restraint",
    r"agencies (?:missed|failed)|missed it|failed to act|attacked|assaulted|beaten|punched",
    r"at the hands of|shook|hit by (?:his|her|their|mum|dad)|roam",
)
_NO_SUSPICION = _cue(
    "no_suspicion",
    1,
    r"no (?:\w+ ){0,2}concerns?|natural causes|expected death|as expected|expected|sids",
    r"post mortem (?:normal|clear|found natural)|normal post mortem|no safeguarding issues",
    r"cystic fibrosis|complications|brain tumou?r",
    r"palliative|hospice|life limiting|cancer|leuka?emia|tumou?r|meningitis|sepsis",
    r"heart condition|cardiac arrest|long term illness|illness|premature|neonatal|stillb\w+",
    r"not a safeguarding|no suspicion|no risk factors|car crash|road accident|accident",
    r"nothing (?:to suggest|suggesting|to indicate)|not suspected|unexpected|cot death",
    r"no (?:suggestion|indication|sign|signs|evidence) (?:of|that)",
    negatable=False,
)

_REVIEW_WORK = _cue(
    "review:agency_summary_or_chronology",
    3.5,
    r"(?:ias|individual agency summary|agency summary|chronology)"
    r"(?: \w+){0,6} (?:attached|to follow|is done|done|late|uploaded|enclosed|by the deadline)",
    r"(?:complete|completed|completing|write|written|writing|doing|done|finished)"
    r" (?:an? |the |our )?(?:ias|individual agency"
    r" summary|chronology|one) for (?:the|baby|child)",
    r"(?:attached|attaching|here is|please find|uploading|uploaded|sending|submitting|send you"
    r"|provide|complete|enclosed|find)(?: (?:\w+|\|)){0,4} (?:ias|individual agency summary"
    r"|agency summary|chronology)",
    r"the (?:police|health|education|trust) (?:ias|chronology)",
    r"(?:ias|chronology) (?:from|for) (?:the )?(?:police|health|education|ambulance)",
    negatable=False,
)
_REFER_FOR_REVIEW = _cue(
    "review:referral_for_review",
    3,
    r"refer\w*(?: \w+){0,8} (?:for|to) (?:a |the )?(?:rapid review|review|cspr|partnership"
    r"|panel|learning review|consideration)",
    r"(?:rapid review|review|cspr|learning review) referral",
    r"referral (?:for|to) (?:a |the )?(?:rapid review|review|cspr|partnership)",
    r"(?:meets|meet|meeting) (?:the )?(?:criteria|threshold|serious harm)",
    r"(?:partnership|panel|partners) to (?:consider|look at|review)",
    r"serious harm (?:threshold|case|criteria)",
    r"for (?:the )?(?:partnership|panel)(?:'s)? consideration",
    r"consideration (?:of|for) (?:a )?(?:rapid review|review|cspr)",
    r"(?:panel|partners) to consider a review",
    r"(?:want|wish|like|need|needed)(?: \w+){0,3} (?:rapid review|cspr|review)",
    r"rapid review needed|needs a rapid review",
    r"notification (?:of a )?serious incident|serious incident notification|notification",
    r"(?:wish|want|like|would like|need) to refer",
    r"refer(?:ring)? (?:baby|child) [a-z]\b",
    r"referring|refer please|please treat as a referral|submit a referral",
    r"make a referral(?! to (?:mash|children|social|the front))",
    r"serious incident",
    r"serious case",
    r"la (?:notified|aware|became aware)|notified (?:the )?panel|review group needs",
)
_REVIEW_WORDS = _cue(
    "review:process_words",
    1,
    r"rapid review|cspr|child safeguarding practice review|serious case review|learning review",
    r"national panel|the panel|ias|individual agency summary|chronology",
)

_REFER_FRONT_DOOR = _cue(
    "concern:refer_to_front_door",
    3,
    r"(?:refer|referral|referring|report|reporting|contact|tell|pass on|ring)(?: \w+){0,6}"
    r" (?:to )?(?:mash|children social"
    r" care|social care|children services|front door|emergency duty team|social services)",
    r"(?:mash|section 47|children social care|social care) referral",
    r"referral to make",
    r"report (?:a |my )?(?:safeguarding )?concerns?",
    r"take a referral for a child",
)
_CONCERN = _cue(
    "concern:worry_about_child",
    2,
    r"worr(?:ied|y|ying)|concern(?:ed|s)?|uneasy|suspect|i think (?:\w+ ){0,6}(?:is|are) being",
    r"disclos\w*|(?<!been )told (?:me|us|her|him|his|our|my|the|a|their|staff|school)"
    r"(?! outcome| decision| about the review)|(?:says|said|saying|reports) (?:\w+ ){0,4}"
    r"(?:dad|mum|he|she|her|his|they|being|scared|nothing|if)",
    r"keeps (?:saying|going missing|coming|turning up)",
    r"not in (?:immediate )?danger|no immediate danger|not an emergency|not urgent",
)
_HARM_SIGNS = _cue(
    "concern:signs_of_harm",
    1.5,
    r"bruis\w*|marks?|black eye|burn|injur\w*|neglect\w*|hungry|dirty|filthy|lice|thin",
    r"self harm\w*|cutting|exploit\w*|county lines|groom\w*|child sexual exploitation|fgm",
    r"forced to marry|radicalis\w*|domestic (?:violence|abuse)|hits?|hurts?|beaten|violent",
    r"scared|frightened|afraid|drinking|heroin|cannabis|drugs|dealing|using|alcohol",
    r"missing appointments|misses every|not engaging|not (?:attending|go to) school",
    r"never go to school|begging|sofa surfing|homeless|nude images|blackmail\w*",
    r"sexuali[sz]ed|touch\w*|pregnant|failed to thrive|lost weight|tooth decay",
    r"left (?:on their own|alone|in the car)|no food|no beds|no coat|locked in",
    r"smacked|slipper|belt|shouts?|shouting|threatening texts|wanting to die|feels like hurting",
    r"mental health|postnatal|previous children removed|removed|caring for|young carer",
    r"against the plan|not visited|unregulated|relationship with a \d+ year old|older men",
    r"with a \d+ year old man|going missing|abuse[ds]?|abuser|gifts|snapchat|online",
    r"suicidal|kill(?:ing)? (?:himself|herself|themselves|myself)|want(?:s|ing)? to die",
    r"makes (?:her|him) sleep|in (?:his|her) bed|owes money|dealers|gang\w*|lost control",
    r"can not cope|history of violence|no electricity|out of it|drunk|cocaine|staying out",
    r"nappy rash|same clothes|unkempt|smell\w*|poor hygiene|flinch\w*|modern slavery",
)
_CHILD_CASE = _cue(
    "concern:about_a_child",
    1,
    r"on (?:a |my )?(?:caseload|child protection plans?)|child in need|looked after child",
    r"in my class|my (?:pupil|student)s?|our (?:pupil|student)|the family|a family|my grandson",
    r"my grand ?daughter|next door|neighbour|on my caseload",
)

_LADO_ROLE = (
    r"teacher|teaching assistant|coach|scout leader|youth worker|volunteer|nursery (?:worker"
    r"|practitioner|staff)|childminder|child minder|foster carer|residential worker|care worker"
    r"|staff member|member of staff|caretaker|minibus driver|bus driver|police officer|doctor"
    r"|nurse|social worker|tutor|instructor|priest|vicar|imam|club leader|colleague|employee"
    r"|carer|leader|supply teacher|dance teacher|swimming instructor|choir ?master|mentor"
    r"|pastor|chaplain|lifeguard|babysitter|nanny|au pair|steward|teaching staff"
    r"|(?:\w+ )?(?:club|school|nursery|youth|sports|church|care) (?:worker|leader|staff)"
)
_LADO_ACT = (
    r"messag\w*|texting|sending|kissing|touching|touched|relationship with|inappropriate\w*"
    r"|hit|hitting|hits|smack\w*|slap\w*|grab\w*|shook|shaking|restrain\w*|force fed|assault\w*"
    r"|abus\w*|viewing|looking at|indecent|sexual\w*|groom\w*|arrested|accused|alleged\w*"
    r"|took photos|snapchat\w*"
    r"|behaved|comments|rough\w*|shout\w* at|pushed|punched|kicked|photos|pics|images"
)
_LADO = _cue(
    "other:lado_allegation",
    4,
    rf"(?:{_LADO_ROLE})s?(?: \w+){{0,8}} (?:{_LADO_ACT})",
    rf"allegation (?:against|about) (?:\w+ ){{0,3}}(?:{_LADO_ROLE})",
    rf"allegation (?:\| )?(?:\w+ ){{0,2}}(?:{_LADO_ROLE})",
    negatable=False,
)
_LADO_WORD = _cue("other:lado", 4, r"lado|allegations? against", negatable=False)
_PROFESSIONAL_SELF = _cue(
    "professional_is_referrer",
    1,
    rf"(?:{_LADO_ROLE}) here",
    rf"i am (?:a|the) (?:\w+ )?(?:{_LADO_ROLE})",
    rf"^(?:{_LADO_ROLE}) \|",
    rf"(?:told|to) (?:our|my|the) (?:{_LADO_ROLE})",
    negatable=False,
)
_LADO_REMOVED = _cue(
    "professional_removed", 1, r"arrested|suspended|dismissed|no longer works", negatable=False
)

_ADULT = _cue(
    "other:adult",
    3.5,
    r"vulnerable adult|adult safeguarding|safeguarding adults|adults? (?:review|at risk)",
    r"adult with|an adult|is an adult|adult son|adult daughter|elderly|dementia|care home",
    r"older (?:man|woman|person|people)|self neglect|pensioner|woman in her \d+s|in (?:his|her)"
    r" (?:20|30|40|50|60|70|80|90)s",
    r"(?:1[89]|[2-9]\d) year old|aged (?:1[89]|[2-9]\d)|(?:she|he|who|neighbour) is"
    r" (?:1[89]|[2-9]\d)(?! \w)|pension|benefits",
    r"financially abus\w*|abusing his mother|abusing her father|nursing home|my aunt",
    r"(?:woman|man|lady|gentleman) (?:\| )?(?:1[89]|[2-9]\d)(?! \w)",
    r"(?:woman|man|lady|aunt|uncle|grandmother|grandfather|husband|wife) (?:\w+ ){0,3}"
    r"(?:being|is being|has been) (?:abused|hit|exploited|neglected|beaten|assaulted)",
    negatable=False,
)
_ABOUT_CHILD = _cue("about_a_child", 1, _CHILD, r"(?:[0-9]|1[0-7]) year old|aged (?:[0-9]|1[0-7])")
_ADULT_VICTIM = _cue(
    "adult_victim",
    1,
    r"(?:woman|man|mother|father|husband|wife|lady|gentleman|adult) (?:was |has been |who )?"
    r"(?:killed|murdered|died|dead|found dead)",
    negatable=False,
)
# Words that make unknown text worth a signpost rather than chit-chat.
_SAFETY_WORDS = _cue(
    "safety_words",
    1,
    r"danger\w*|risk|unsafe|scared|frightened|abuse\w*|violen\w*|hurt\w*|harm\w*|police",
    r"ex|partner|boyfriend|stepdad|threat\w*|neglect\w*|safeguarding|worried|concern\w*",
    r"overdos\w*|self harm\w*|suicid\w*|missing|knife|weapon|exploit\w*|groom\w*",
    negatable=False,
)
_ADULT_STRONG = _cue(
    "adult_explicit",
    1,
    r"(?:1[89]|[2-9]\d) year old|aged (?:1[89]|[2-9]\d)|is (?:1[89]|[2-9]\d)(?! \w)",
    r"elderly|dementia|care home|vulnerable adult|adult safeguarding|pensioner|is an adult",
    r"pension|nursing home|(?:woman|man|lady) (?:\| )?(?:1[89]|[2-9]\d)(?! \w)",
    negatable=False,
)
_REVIEW_DESTINATION = _cue(
    "review_destination",
    1,
    r"rapid review|cspr|review|panel|partnership|ias|chronology|learning review",
    negatable=False,
)
# Words of the partnership's business: a message with none of them is seldom about it.
_DOMAIN_WORDS = (
    r"reviews?|referr?\w*|refer|panel|partnership|partners|safeguarding|ias|cspr|chronology"
    r"|criteria|lado|mash|child|children|report|reports|agency|agencies|police|la|ofsted"
    r"|family|families|serious|incident|harm|notification|confidential|neglect|health"
)
_DOMAIN = _cue("domain_words", 1, _DOMAIN_WORDS, negatable=False)
_SAR = _cue("other:safeguarding_adults_review", 2, r"sar", negatable=False)
# "I want to make a referral" and its kin, with nothing about the case: which referral is meant?
_BARE_REFERRAL = re.compile(
    r"(?:(?:hi|hello|hey|morning|afternoon) (?:\| )?)?"
    r"(?:i (?:want|would like|need|wish|have) to |can i |could i |how do i |id like to"
    r" |i am here to )?"
    r"(?:make|do|submit|put in|send|raise|log)? ?(?:a |an )?(?:new )?refer(?:ral)?"
    r"(?: (?:about|for|on) (?:a |an )?(?:child|young person|kid|family|baby|pupil))?"
    r"(?: please)?"
)
_CHILD_AGE = re.compile(r"(?<![0-9])(?:[0-9]|1[0-7]) year old|aged (?:[0-9]|1[0-7])\b")
_PRESS = _cue(
    "other:press",
    4,
    r"journalist|reporter|newspaper|daily mail|telegraph|bbc|itv|sky news|radio",
    r"media (?:enquiry|inquiry|request)|press (?:enquiry|release|office)|press",
    r"(?:request for|a|for|wanting a|asking for) (?:comment|quote|interview)",
    r"my mp|councillor|writing (?:for|an article)|courier|gazette|herald|echo|chronicle|mercury",
    r"magazine|podcast|documentary",
    negatable=False,
)
_FOI = _cue(
    "other:foi_or_records",
    4,
    r"freedom of info\w*|subject access|data request|my records|gdpr|my data|my file",
    negatable=False,
)
_COMPLAINT = _cue("other:complaint", 4, r"complain\w*", negatable=False)
_CDOP_WORD = _cue(
    "other:cdop", 4, r"cdop|child death (?:review|overview)", r"death with no", negatable=False
)
_DHR = _cue("other:domestic_homicide_review", 4, r"domestic homicide review", negatable=False)
_JOB = _cue(
    "other:job",
    4,
    r"apply(?:ing)? for|vacanc\w*|recruit\w*|job (?:advert|application|vacancy|opening)",
    r"(?:manager|officer|coordinator|admin|administrator) (?:job|role|post)",
    negatable=False,
)

_STATUS = _cue(
    "status:progress_words",
    2,
    r"update|any news|news (?:on|re)|any word|progress|status|latest|heard (?:nothing|back)",
    r"hear (?:back|anything)|when will i hear|chas(?:e|ing)|follow(?:ing)? up|outcome",
    r"decision (?:been|made|about)|been (?:made|received|signed|sent|published|submitted"
    r"|appointed|commissioned|agreed|accepted|logged|assigned|told|delayed|decided)",
    r"yet|still (?:open|waiting|on hold|going ahead|on track)|on hold|what stage|stage",
    r"where are we|up to|get through|got our|confirm|come of|being published|delayed",
    r"any movement|due back|on track|signed off|gone (?:to|in)|go in|responded|accepted",
    r"reply late|when is the (?:rapid review|publication)|happening with|who is dealing",
    r"submitted on time|published|decided|dealing with|been received|heard nothing",
    r"submitted|received|agreed|back for|(?:come|came) (?:in|back)|decision (?:on|for)",
    r"heard (?:from|anything)|hear from|current position|position on|done|replied|booked",
    r"a date yet|finished|extended|let me know (?:if|whether)|what happened (?:with|to)",
    negatable=False,
)
_STATUS_QUESTION = _cue(
    "status:has_it_happened",
    1,
    r"(?:^|\| )(?:\w+ \| )?(?:has|have|did|was|were|is|are|when|when is|when will"
    r"|when does) (?:the|my|our|a|anyone|all|you|we|it|there)",
    negatable=False,
)
_SPECIFIC_CASE = _cue(
    "specific_case",
    1.5,
    r"casereference|(?:baby|child) [a-z]\b|my referral|our referral|the referral|i referred",
    r"the (?!rapid|learning|local|national|final|serious|whole|same|next|draft|cspr|review)"
    r"\w+ (?:\w+ )?(?:case|review|referral|rapid review|cspr|twins|sisters|brothers|baby)",
    r"(?:cspr|review|rapid review) (?:for|of|on) (?:baby|child|the)",
    r"referral (?:i|we) (?:made|sent|submitted)|referral from|sent a referral|the case|my ias",
    r"our ias|referral i sent|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"(?:last|this) (?:week|month)|yesterday|from last",
    negatable=False,
)

_QUESTION_START = re.compile(
    r"^(?:\w+ \| )?(?:what|how|who|where|when|why|which|is there|are there|can|could|do|does"
    r"|should|if|explain|tell me|is (?:a|an|the|neglect|it)|are|would)\b"
)
_PROCESS = _cue(
    "process:topic",
    2,
    r"criteria|timescales?|working days?|forms?(?! tutor)|template|training|published",
    r"publication|flowchart|referrals? (?:confidential|directly)|who needs to|who has to",
    r"who signs|sign off|what evidence",
    r"guidance|policy|process|threshold|role|difference|stand for|mean|meaning|counted",
    r"count|counts|eligible|example|guide|briefings?|newsletter|who (?:decides|makes|writes"
    r"|notifies|chairs|sits|should)|safeguarding partners|information do you need",
    r"subgroup|review group|consent|involved|told about|what is (?:an? )?(?:ias|individual"
    r"|serious|rapid|learning|cspr|child safeguarding)",
    r"how long|how many|how often|how are families|who is on|who sits",
    r"do i need|do we have|is there|are there",
    r"where (?:can|is the)|when is the next|working together",
    r"still a thing|panel do|meeting like|attend|which partnership|another area|local authority",
    r"deadline is missed|what if|near misses|role of|what happens|take referrals|clock start",
    r"(?:the )?(?:ias|individual agency summar\w*|agency summar\w*)(?: \w+){0,3}"
    r" (?:due|deadline|template|format|length)|(?:ias|agency summary) (?:deadline|due date)",
    negatable=False,
)
# Present-simple openers ask how things work in general, not where a case has got to.
_GENERAL_OPENER = re.compile(
    r"^(?:do|does|how|why|should|which|what if|is there|are there|can|could|would)\b"
)
_PROCESS_QUESTION = _cue(
    "process:question",
    1,
    r"^(?:what|how|who|where|why|which|can|could|do|does|should|if|is|are)\b",
    r"how do (?:i|we|you)|how does|who do i|what does|does (?:the|a|this)",
    negatable=False,
)

_CHAT = _cue(
    "chat:greeting_or_thanks",
    2,
    r"hi+|hiya|hello|hey|yo|morning|afternoon|evening|good (?:morning|afternoon|evening|day)",
    r"gm|thanks?|thank you|cheers|ta|brill|brilliant|great|cool|nice|perfect|ok|okay|alright",
    r"fine|good|bye|see you|later|sorry|no|nope|yes|test\w*|lol|hmm+|um+|never ?mind",
    r"wrong (?:chat|channel)|what is this|who are you|real person|is this a bot|bot|joke",
    r"weather|christmas|new year|friday|how are you|your day|star|all|everyone|there|mate",
    r"help|start|menu|what can you do|can you hear me|anyone|please|today|that|is",
    negatable=False,
)

_ONGOING_RISK = _cue(
    "signpost:other_children_at_risk",
    1,
    r"(?:siblings?|brothers?|sisters?|twins?|other (?:\w+ )?(?:child|children|toddlers|residents)"
    r"|older (?:child|brother|sister|sibling)|younger (?:children|child|brother|sister|sibling)"
    r"|\d+ year old|children aged|other two|residents)(?: (?:\w+|\|)){0,5}"
    r" (?:still|remains?|at home|living|in the home|at the (?:address|property|house)"
    r"|with (?:mum|dad|the parents|both parents|parents|the same))",
    r"(?:still|back) (?:living|at home|at the address|in the house|there)",
    r"released on bail|not (?:been )?arrested|moved back in|other children (?:at home|there)",
    r"(?:other|more) children (?:aged|in the home)|at home with (?:mum|dad|the parents|both)",
    r"still living",
    r"(?:still|remains?) (?:\w+ ){0,4}(?:sibling|siblings|brother|sister|children|baby|twin)",
    r"remains? (?:in|at) (?:the )?(?:home|house|address|property)",
    r"remains? in (?:their|his|her|the parents|mum|dad) care",
    r"(?:with|and) the (?:\d+|two|three|four) other children",
)


@dataclass(frozen=True, slots=True)
class _Hit:
    name: str
    weight: float


def _negated(norm: str, start: int) -> bool:
    words = norm[:start].split()
    before = words[-3:]
    if before and before[-1] in ("or", "and", "nor"):
        # "no abuse or neglect": the negation carries across the conjunction.
        before = words[-5:]
    if "|" in before:
        before = before[before.index("|") + 1 :]
    return any(word in _NEGATORS for word in before)


def _fires(cue: _Cue, norm: str) -> bool:
    for match in cue.pattern.finditer(norm):
        if not cue.negatable or not _negated(norm, match.start()):
            return True
    return False


def _fired(cues: Iterable[_Cue], norm: str) -> list[_Hit]:
    return [_Hit(c.name, c.weight) for c in cues if _fires(c, norm)]


# --- decision ----------------------------------------------------------------------------------


# Harm about to happen: someone who harms the child is about to reach them, or the child is about
# to be taken, hurt or lost, within hours. Both halves must be there.
_THREAT = _cue(
    "threat",
    1,
    r"the one who|who (?:hurts|hurt|abuses|abused|raped|rapes|hits|hit) (?:her|him|them|me)",
    r"does the hurting|exploit\w*|rap(?:e|ed|ing)|abuser|sex offender|fgm|cutting|be cut",
    r"flown (?:abroad|out|to)|fly(?:ing)? (?:her|him|them) (?:abroad|out|to)|taken abroad",
    r"nai|non accidental|injured baby|ligature|absconded|booked a room|groom\w*",
    r"(?:met|talking to) (?:on|online)|man (?:she|he) met|older man|older men",
    negatable=False,
)
_SOON = _cue(
    "soon",
    1,
    r"today|tonight|this (?:afternoon|evening)|at \d+(?: ?(?:am|pm))?|in (?:an|1|one|half an) hour",
    r"(?:at|by|in) the (?:gate|door|car park|carpark|reception)|outside (?:now|the school)",
    r"on (?:his|her|their) way|about to|(?:is|are) leaving|trying to leave|heading (?:for|to)",
    r"just (?:left|grabbed|taken|run|ran)|(?:has|have) (?:just )?(?:taken|grabbed)",
    r"(?:picking|collecting|pick|collect) (?:her|him|them) up|(?:being|be) (?:collected|picked up)",
    negatable=False,
)


def _emergency(norm: str) -> list[_Hit]:
    # "They were safe but now ...": what follows the last "but" is the state of things now.
    safe = _fires(_SAFE_NOW, norm.rsplit(" but ", 1)[-1])
    is_now = _fires(_STRICT_NOW if safe else _NOW, norm)
    if not is_now and (_fires(_STRONG_PAST, norm) or _fires(_HYPOTHETICAL, norm)):
        return []
    hits = _fired(_EMERGENCY_NOW, norm)
    current = _fired(_EMERGENCY_IF_CURRENT, norm)
    if _fires(_ACUTE_DANGER, norm) and _fires(_IMMEDIATE, norm) and not _fires(_HABITUAL, norm):
        current.append(_Hit("emergency:danger_and_happening_now", 4))
    if _fires(_THREAT, norm) and _fires(_SOON, norm) and not _fires(_HABITUAL, norm):
        current.append(_Hit("emergency:harm_about_to_happen", 4))
    is_past = safe or _fires(_PAST, norm)
    if current and (is_now or not is_past):
        hits += current
        if is_now:
            hits.append(_Hit("now", 1))
    if sum(h.weight for h in hits) >= 4:
        return hits
    return []


class _Reading:
    """One message's normalised text, with each cue evaluated at most once."""

    def __init__(self, norm: str) -> None:
        self.norm = norm
        self.words = [w for w in norm.split() if w != "|"]
        self._seen: dict[str, bool] = {}

    def has(self, cue: _Cue) -> bool:
        if cue.name not in self._seen:
            self._seen[cue.name] = _fires(cue, self.norm)
        return self._seen[cue.name]

    def child_age(self) -> bool:
        return _CHILD_AGE.search(self.norm) is not None


class _Scores:
    """Running scores per label and the names of the cues that added to them."""

    def __init__(self) -> None:
        self.by_label: dict[TriageLabel, float] = dict.fromkeys(TriageLabel, 0.0)
        self.cues: list[str] = []

    def add(self, label: TriageLabel, name: str, weight: float) -> None:
        self.by_label[label] += weight
        self.cues.append(name)

    def cap(self, label: TriageLabel, below: TriageLabel) -> None:
        """Keep `label` under `below`: a decision rule overrides the raw scores."""
        self.by_label[label] = min(self.by_label[label], self.by_label[below] - 0.5)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the message is about, read once and shared by the scoring steps."""

    about_child: bool
    adult_only: bool
    outcome: bool
    suspicion: bool
    no_suspicion: bool
    death: bool
    front_door: bool
    worry: tuple[_Cue, ...]
    specific: bool
    generic_question: bool
    general_opener: bool
    lado: bool


def _facts(r: _Reading) -> _Facts:
    about_child = r.has(_ABOUT_CHILD)
    adult_only = r.has(_ADULT) and not r.child_age() and (not about_child or r.has(_ADULT_STRONG))
    death = r.has(_DEATH)
    worry = tuple(c for c in (_CONCERN, _HARM_SIGNS, _CHILD_CASE) if r.has(c))
    specific = r.has(_SPECIFIC_CASE) or r.child_age() or (about_child and bool(worry))
    return _Facts(
        about_child=about_child,
        adult_only=adult_only,
        # Death or serious harm of a child: an adult's death is for other reviews.
        outcome=(death or r.has(_HARM)) and not adult_only and not r.has(_ADULT_VICTIM),
        suspicion=r.has(_SUSPICION),
        no_suspicion=r.has(_NO_SUSPICION),
        death=death,
        front_door=r.has(_REFER_FRONT_DOOR),
        worry=worry,
        specific=specific,
        # A question about how things work, not about a particular child or case.
        generic_question=_QUESTION_START.search(r.norm) is not None and not specific,
        general_opener=_GENERAL_OPENER.search(r.norm) is not None and not specific,
        lado=r.has(_LADO) and not r.has(_PROFESSIONAL_SELF),
    )


def _score_review(r: _Reading, f: _Facts, s: _Scores) -> None:
    if not f.generic_question:
        for cue in (_REVIEW_WORK, _REFER_FOR_REVIEW, _REVIEW_WORDS):
            if r.has(cue):
                s.add(TriageLabel.REVIEW_REFERRAL, cue.name, cue.weight)
        if f.outcome and f.suspicion:
            s.add(TriageLabel.REVIEW_REFERRAL, "review:serious_outcome_and_suspicion", 4)
        elif f.outcome and not f.no_suspicion:
            s.add(TriageLabel.REVIEW_REFERRAL, "review:serious_outcome", 2)
    if _BARE_REFERRAL.fullmatch(r.norm):
        s.add(TriageLabel.REVIEW_REFERRAL, BARE_REFERRAL_CUE, 3)


def _score_other_service(r: _Reading, f: _Facts, s: _Scores) -> None:
    if f.death and f.no_suspicion and not f.suspicion:
        s.add(TriageLabel.OTHER_SERVICE, CHILD_DEATH_WITHOUT_SUSPICION, 5)
    for cue in (_CDOP_WORD, _DHR, _PRESS, _FOI, _COMPLAINT, _JOB, _LADO_WORD, _SAR):
        if r.has(cue):
            s.add(TriageLabel.OTHER_SERVICE, cue.name, cue.weight)
    if f.lado:
        s.add(TriageLabel.OTHER_SERVICE, _LADO.name, _LADO.weight)
    if f.adult_only:
        s.add(TriageLabel.OTHER_SERVICE, _ADULT.name, _ADULT.weight)
    if r.has(_ADULT_VICTIM) and not r.child_age():
        s.add(TriageLabel.OTHER_SERVICE, _ADULT_VICTIM.name, 2)


def _score_concern(f: _Facts, s: _Scores) -> None:
    if f.front_door:
        s.add(TriageLabel.INDIVIDUAL_CONCERN, _REFER_FRONT_DOOR.name, _REFER_FRONT_DOOR.weight)
    # A general question about, say, neglect is not a worry about a particular child.
    if not f.generic_question or f.front_door:
        for cue in f.worry:
            s.add(TriageLabel.INDIVIDUAL_CONCERN, cue.name, cue.weight)
    if f.about_child and f.worry:
        s.add(TriageLabel.INDIVIDUAL_CONCERN, "concern:a_particular_child", 1.5)


def _score_questions(r: _Reading, f: _Facts, s: _Scores) -> None:
    status = r.has(_STATUS)
    if status:
        # "Does the referrer get told the outcome?" asks how things work, not about a case.
        weight = _STATUS.weight / 2 if f.general_opener else _STATUS.weight
        s.add(TriageLabel.CASE_STATUS, _STATUS.name, weight)
    if status or (r.has(_STATUS_QUESTION) and r.has(_SPECIFIC_CASE)):
        for cue in (_STATUS_QUESTION, _SPECIFIC_CASE):
            if r.has(cue):
                s.add(TriageLabel.CASE_STATUS, cue.name, cue.weight)
    if "casereference" in r.words:
        s.add(TriageLabel.CASE_STATUS, "status:case_reference", 1.5)
    if r.has(_PROCESS):
        s.add(TriageLabel.PROCESS_QUESTION, _PROCESS.name, _PROCESS.weight)
    if r.has(_PROCESS_QUESTION) and (r.has(_PROCESS) or r.has(_DOMAIN)):
        s.add(TriageLabel.PROCESS_QUESTION, _PROCESS_QUESTION.name, _PROCESS_QUESTION.weight)
        if f.general_opener:
            s.add(TriageLabel.PROCESS_QUESTION, "process:general_opener", 1)
    if len(r.words) <= 6 and r.has(_CHAT) and not r.has(_DOMAIN):
        s.add(TriageLabel.CHIT_CHAT, _CHAT.name, _CHAT.weight)


def _apply_rules(r: _Reading, f: _Facts, s: _Scores) -> None:
    # A death or serious harm with abuse or neglect suspected is a review, whatever the worry
    # words around it, unless the writer asks for the front door.
    if f.outcome and f.suspicion and not f.front_door and not f.generic_question:
        s.cap(TriageLabel.INDIVIDUAL_CONCERN, below=TriageLabel.REVIEW_REFERRAL)
    # Asking for the front door is a concern about a child, even with serious injuries in it.
    if f.front_door and not r.has(_REVIEW_DESTINATION):
        s.cap(TriageLabel.REVIEW_REFERRAL, below=TriageLabel.INDIVIDUAL_CONCERN)
    # Asking where a known case has got to is status, unless the message also carries the
    # review's work or a new incident.
    if (
        s.by_label[TriageLabel.CASE_STATUS] >= 3
        and not r.has(_REVIEW_WORK)
        and not (f.outcome and f.suspicion)
    ):
        s.cap(TriageLabel.REVIEW_REFERRAL, below=TriageLabel.CASE_STATUS)


# Ties go to the label that is safer to over-answer.
_PRIORITY = (
    TriageLabel.INDIVIDUAL_CONCERN,
    TriageLabel.REVIEW_REFERRAL,
    TriageLabel.OTHER_SERVICE,
    TriageLabel.CASE_STATUS,
    TriageLabel.PROCESS_QUESTION,
    TriageLabel.CHIT_CHAT,
)


def _decide(r: _Reading, f: _Facts, s: _Scores) -> TriageLabel:
    best = max(_PRIORITY, key=lambda label: (s.by_label[label], -_PRIORITY.index(label)))
    if s.by_label[best] > 0:
        return best
    # Nothing matched: text about a child, or with safety words, is treated as a worry.
    if (f.about_child or r.has(_SAFETY_WORDS)) and len(r.words) >= 3:
        s.cues.append("fallback:text_about_a_child")
        return TriageLabel.INDIVIDUAL_CONCERN
    return TriageLabel.CHIT_CHAT


def _signpost(label: TriageLabel, r: _Reading, f: _Facts, cues: list[str]) -> bool:
    if label in (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN):
        return True
    reasons: list[str] = []
    if r.has(_ONGOING_RISK):
        reasons.append(_ONGOING_RISK.name)
    if label is TriageLabel.OTHER_SERVICE and f.lado and not r.has(_LADO_REMOVED):
        reasons.append("signpost:professional_still_in_contact")
    if r.has(_HYPOTHETICAL) and (r.has(_ACUTE_DANGER) or r.has(_SAFETY_WORDS)):
        reasons.append("signpost:question_about_a_child_in_danger")
    if label is TriageLabel.REVIEW_REFERRAL and "review:bare_referral" in cues:
        reasons.append("signpost:referral_may_be_about_a_child")
    cues.extend(reasons)
    return bool(reasons)


def mentions_ongoing_risk(text: str | None) -> bool:
    """Whether text says other children are still at risk now (siblings at home, the adult back).

    For free text inside a referral form, where the classifier's fallback (any text about a
    child is a worry) would fire on every answer.
    """
    return _Reading(normalise(text)).has(_ONGOING_RISK)


def classify(text: str | None) -> Triage:
    """Triage one message: the label, whether to show the safety signpost, and why."""
    reading = _Reading(normalise(text))
    if not reading.words:
        return Triage(TriageLabel.CHIT_CHAT, False, ("empty",))
    emergency = _emergency(reading.norm)
    if emergency:
        return Triage(TriageLabel.EMERGENCY, True, tuple(dict.fromkeys(h.name for h in emergency)))
    facts = _facts(reading)
    scores = _Scores()
    _score_review(reading, facts, scores)
    _score_other_service(reading, facts, scores)
    _score_concern(facts, scores)
    _score_questions(reading, facts, scores)
    _apply_rules(reading, facts, scores)
    label = _decide(reading, facts, scores)
    signpost = _signpost(label, reading, facts, scores.cues)
    return Triage(label, signpost, tuple(scores.cues))
