"""Every sentence the bot says, in one place, so a safeguarding lead can review them together."""

from __future__ import annotations

BOT_NAME = "Case Review Referrals"

WELCOME_TITLE = "Referrals for serious case reviews"
WELCOME_PURPOSE = (
    "I help practitioners refer a case to the Safeguarding Children Partnership for a rapid"
    " review or a Child Safeguarding Practice Review: when a child has died or been seriously"
    " harmed and abuse or neglect is known or suspected. I also keep the partnership's"
    " statutory timescales."
)
NOT_FOR_INDIVIDUAL_CHILDREN_TITLE = "I cannot take concerns about an individual child"
NOT_FOR_INDIVIDUAL_CHILDREN = (
    "If a child is in immediate danger, call **999** now. If you are worried about a child,"
    " contact the children's front door (MASH) for the area where the child lives. The"
    " partnership team cannot take calls about individual children or families."
)
FRONT_DOORS_HEADING = "Children's front doors"
FRONT_DOOR_FACT = "{name}: {office} (office hours) · {out_name}: {out_of_hours} (out of hours)"
FRONT_DOOR_UNLISTED = (
    "Use the children's front door of the local authority where the child lives; its number"
    " is on the council's website."
)
HOW_TO_START = (
    "To refer a case, press **Start a referral** or type *refer*. Type *help* at any time to"
    " see this again."
)
START_REFERRAL = "Start a referral"
HELP = "Help"

REFERRAL_NOT_YET_AVAILABLE = (
    "Referral intake is being set up for this partnership. Until it opens, please use your"
    " partnership's referral form."
)
DID_NOT_UNDERSTAND = "I didn't understand that. Type *help* to see what I can do."
CARD_NOT_RECOGNISED = "That card is no longer active. Type *help* to start again."
TURN_FAILED = (
    "Sorry, something went wrong on my side and I could not finish that. Please try again. If"
    " a child is in immediate danger, call 999."
)
TURN_CONFLICT = (
    "Two messages from this conversation arrived at the same moment and I could only handle"
    " one. Please send your last message again."
)
CHANNEL_INTRODUCTION = (
    "I will post new referrals and milestone reminders for {partnership} in this channel."
)
CHANNEL_UNASSIGNED = (
    "I have been added to this team. A partnership administrator needs to set this team and"
    " channel as a partnership's review channel before I post referrals here."
)
