"""Every sentence the bot says, in one place, so a safeguarding lead can review them together."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from safeguarding.calendar import MONTH_NAMES, day_month_year
from safeguarding.cases import CaseStatus
from safeguarding.decisions import (
    CaseNote,
    DecisionError,
    DecisionKind,
    DecisionProblem,
    LearningOutcome,
    LearningSharing,
    NoteCode,
    Outcome,
    PanelAnswer,
    Param,
    Publication,
    SummaryCode,
    SummaryItem,
)
from safeguarding.leading import ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND, LeadRule, NoLead
from safeguarding.partnerships import Partner
from safeguarding.referral import DateProblem
from safeguarding.timeline import (
    CaseDateField,
    CaseDatesOrderError,
    MilestoneKey,
    TimelineInputError,
)

BOT_NAME = "Case Review Referrals"

# Working Together 2023 (chapter 5, "Learning from serious child safeguarding incidents")
# replaced serious case reviews with rapid reviews and child safeguarding practice reviews.
WELCOME_TITLE = "Refer a serious child safeguarding incident for review"
WELCOME_PURPOSE = (
    "I help practitioners refer a case to the Safeguarding Children Partnership for a"
    " rapid review or a Child Safeguarding Practice Review. This is for when a child has"
    " died or been seriously harmed and abuse or neglect is known or suspected. I also"
    " track the case's time limits. Some are set in law; the national Panel's guidance"
    " expects a rapid review in 15 working days."
)
NOT_FOR_INDIVIDUAL_CHILDREN_TITLE = "I cannot take concerns about an individual child"
NOT_FOR_INDIVIDUAL_CHILDREN = (
    "If a child is in immediate danger, call **999** now. If you are worried about a"
    " child, contact the children's front door (MASH) for the area where the child lives."
    " The partnership team cannot take calls about one child or family."
)
FRONT_DOORS_HEADING = "Children's front doors"
# Both lines of a front door, each a CONTACT_FACT (see contact_line).
FRONT_DOOR_FACT = "{office} · {out_of_hours}"
FRONT_DOOR_HOURS_NOT_CONFIRMED = (
    "Where both numbers are shown, we do not know the front door's opening hours. Call"
    " the office-hours number in the working day and the out-of-hours number at other"
    " times. If no one answers, call the other one."
)
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

# Referral dialog: what the flow says between cards.
REFERRAL_HELP_NOTE = (
    "You are in the middle of a referral, and everything you entered is saved. To carry on,"
    " press **Start a referral** or type *refer*. Type *cancel* to stop."
)
# "Start a referral" pressed while one is in progress: said once, before its current card.
REFERRAL_ALREADY_IN_PROGRESS = "You already have a referral in progress. Here is where you left it."
STATUS_DRAFT_KEPT = "Your referral in progress is saved. Carry on with its card when you are ready."
REFERRAL_DRAFT_GONE = (
    "I no longer have that referral draft: it was cancelled or it expired. Type *refer* to"
    " start again."
)
# Typed "refer" mid-referral when the draft is no longer kept: a new referral starts at once.
REFERRAL_STARTED_AFRESH = (
    "I no longer have your earlier referral draft: it was cancelled or it expired. Here is a"
    " new referral, from the start."
)
REFERRAL_NEW_AFTER_FILED = (
    "Your last referral was filed as {reference}. Here is a new referral, from the start."
)
REFERRAL_ALREADY_FILED = "That referral has already been filed as {reference}."
# Said only while a filing holds the draft: that filing sends the reference when it is done,
# or, if it stopped, the bot finishes it and sends it here (or at the next Submit).
REFERRAL_BEING_FILED = (
    "Your referral is being filed. I will send you its reference here when it is done. If it"
    " has not come in five minutes, press Submit again."
)
REFERRAL_CHANGED_ELSEWHERE = (
    "This referral was changed from another window or device. Here is where it stands now."
)
REFERRAL_USE_THE_CARD = (
    "Please answer using the card. Type *help* for help or *cancel* to stop the referral."
)
REFERRAL_STALE_CARD = "That card is from an earlier step. Here is where your referral is now."
REFERRAL_ENDED_AFTER_REDIRECT = (
    "Thank you. Nothing has been filed. If a serious incident has also happened, type *refer*"
    " to start a referral."
)
REFERRAL_LEAD_SHOULD_AGREE = (
    "Please make sure your agency's safeguarding lead agrees to this referral. You can carry on"
    " meanwhile."
)
REFERRAL_SECTION_MISSING = "One section still needs answers before the referral can be filed."
REFERRAL_AREA_GONE = (
    "The area you chose is no longer served here. Please choose the area where the child lives."
)
REFERRAL_LEAD_NOT_SERVED = (
    "The child was harmed in an area that is not served here. The local authority for"
    " that area leads the rapid review and must notify the national Panel, so it must be"
    " told. Please contact its children's front door (MASH) too. Your referral will go to"
    " {partnership}, where the child lives, which takes part."
)
REFERRAL_CANCELLED = (
    "Referral cancelled. What you had entered has been deleted. To start a new one, type *refer*."
)
REFERRAL_RECEIVED_SUMMARY = "Referral {reference} received"
CASE_CARD_SUMMARY = "New referral {reference}"
EMERGENCY_SUMMARY = "Call 999 now if a child is in danger"
CONCERN_SUMMARY = "Contact the children's front door"
# Safety signposts: typed at any point, inside or outside a referral.
OFFICE_HOURS = "office hours"
OUT_OF_HOURS = "out of hours"
EMERGENCY_CALL = "Call {number} now"
EMERGENCY_EXPLAIN = (
    "If a child is in danger now, call the police on 999. Do not wait for a reply here: this"
    " chat is not monitored for emergencies."
)
EMERGENCY_THEN_FRONT_DOOR = (
    "Then tell the children's front door for the area where the child lives:"
)
CONCERN_TITLE = "Please contact the children's front door"
CONCERN_REASON = (
    "The partnership team cannot take concerns about one child or family. Call the children's"
    " front door (MASH) for the area where the child lives: it can act straight away."
)
CONCERN_999 = "If a child is in immediate danger, call 999."
CONCERN_ALSO_INCIDENT = (
    "Maybe a serious incident has also happened. That is when a child has died or been"
    " seriously harmed, and abuse or neglect is known or suspected. If so, you can go on"
    " with a referral."
)
# The same signposts in the middle of a referral. Typed: the referral's card is above them.
SIGNPOST_REFERRAL_SAVED = "Your referral is saved. Carry on with the card above when you are ready."
# Sent because of what was typed into one of the referral's cards: why, and the next card
# follows below them.
SIGNPOST_FROM_ANSWER_DANGER = "Something you wrote may mean a child is in danger now."
SIGNPOST_FROM_ANSWER_RISK = "Something you wrote may be about a child at risk now."
SIGNPOST_ANSWER_SAVED = (
    "Your answers are saved. Carry on with the next card below when you are ready."
)
# "I want to make a referral": which one? One reply that asks, with both ways on it.
WHICH_REFERRAL_TITLE = "Which referral do you mean?"
WHICH_REFERRAL_CHILD = (
    "**A referral about a child you are worried about now.** This goes to the children's"
    " front door (MASH) where the child lives. Please call them now:"
)
WHICH_REFERRAL_REVIEW = (
    "**A case review referral.** A child has died or been seriously harmed, and abuse or"
    " neglect is known or suspected. I can take this referral here."
)
START_REVIEW_REFERRAL = "Start a case review referral"
WHICH_REFERRAL_SUMMARY = "Which referral do you mean?"
OFFER_REFERRAL = (
    "It sounds like a serious incident you may want to refer for a review. Start a referral"
    " and I will guide you through it; your answers are saved as you go."
)
# Answers outside a referral.
FAQ_UNKNOWN = (
    "I don't have an answer to that. Please ask your partnership's business unit. If it"
    " is about one child, contact the children's front door."
)
FAQ_UNKNOWN_WITH_CONTACT = (
    "I don't have an answer to that. Please ask the partnership's business unit: {contact}."
)
FAQ_MORE = "More on the partnership's page: {page}"
CASE_STATUS_NOT_YOURS = (
    "I can only share the progress of a referral with the person who made it and the"
    " partnership's leads. Please ask the partnership's business unit."
)
CASE_STATUS_NONE = (
    "You have no referrals filed with me. For any other case, ask the business unit of"
    " your partnership."
)
# {children}: initials and age, as the channel shows them, so referrals can be told apart.
CASE_STATUS_LINE = "**{reference}** · {children} (submitted {submitted}): {status}."
CASE_STATUS_NO_CHANNEL = (
    "filed here, but {partnership} has no Teams review channel, so send it to the partnership"
    " yourself if you have not yet"
)
CASE_STATUSES = {
    "referred": "received; the review subgroup will consider it",
    "rapid_review": "a rapid review is under way",
    "no_serious_incident": "not notified as a serious incident",
    "local_review": "a local Child Safeguarding Practice Review is under way",
    "learning_review": "a learning review is planned",
    "national_review": "the national Panel is reviewing it",
    "no_further_review": "no further review",
    "published": "the review has been published",
    "closed": "closed",
}
YOUR_COUNCIL = "your local council's website has the contact"
OTHER_SERVICE_BUSINESS_UNIT = (
    "That is for the partnership's business unit rather than this bot: {contact}."
)
OTHER_SERVICES = {
    "cdop": (
        "The Child Death Overview Panel (CDOP) reviews the death of every child, whatever the"
        " cause. When no abuse or neglect is known or suspected, the death goes to CDOP only,"
        " not to a safeguarding practice review. Contact: {contact}. If you do suspect abuse or"
        " neglect, type *refer*: a safeguarding review then runs alongside CDOP's."
    ),
    "lado": (
        "An allegation about someone who works with children goes to the Local Authority"
        " Designated Officer (LADO). Contact: {contact}."
    ),
    "adult_safeguarding": (
        "This concerns an adult, which is for adult safeguarding (and possibly a Safeguarding"
        " Adults Review or domestic homicide review). Contact: {contact}. If children are"
        " affected too, contact the children's front door."
    ),
}
# Lead decisions on the case card.
DECISION_INPUT_REQUIRED = "Required"
DECISION_ON = "Date"
DECISION_REASON = "Reason"
DECISION_DISAGREE_REASON = "Why do you disagree?"
DECISION_OUTCOME = "Recommendation"
DECISION_CRITERIA = "Statutory criteria the case meets"
DECISION_HAVE_REGARD = "Also having regard to"
DECISION_REASONS = "Reasons, against the criteria"
DECISION_PANEL_REPLY = "The Panel's reply"
PANEL_REPLIES: dict[PanelAnswer, str] = {
    "national_review": "A national review",
    "local_review": "Local review agreed",
    "agrees": "Agrees with the partners' decision (no local CSPR)",
    "more_information": "More information requested",
}
DECISION_PANEL_REQUESTED = "What the Panel asked for (required if it asked for more information)"
DECISION_ON_BEHALF = "I am recording this for the local authority (business unit)"
DECISION_SAFETY_NEEDED = "Is immediate action needed to keep children safe?"
SAFETY_CHOICES = {"true": "Yes: actions were agreed", "false": "No immediate action is needed"}
DECISION_SAFETY_ACTIONS = "The actions agreed (required if action is needed)"
DECISION_LEARNING_OUTCOME = "Outcome"
LEARNING_OUTCOMES: dict[LearningOutcome, str] = {
    "learning_identified": "Learning identified",
    "no_new_learning": "No new learning",
}
DECISION_LEARNING_SUMMARY = "The learning, in brief"
DECISION_LEARNING_SHARED = "How the learning was shared"
LEARNING_SHARING_CHOICES: dict[LearningSharing, str] = {
    "published": "Published",
    "briefing": "A briefing for practitioners (such as a 7-minute briefing)",
    "within_partnership": "Within the partnership only",
}
DECISION_LINK_IF_PUBLISHED = "Address, if published (https://...)"
DECISION_CLOSE_REASON = "Why the case is closed"
DECISION_LEAD_TOLD_ON = "Date the local authority where the child was harmed was told"
DECISION_REVIEWER = "Reviewer"
DECISION_PUBLISH = "Publish"
PUBLISH_CHOICES = {"full": "In full", "improvements_only": "The improvements only"}
DECISION_PUBLISH_REASON = "Reason (required to publish the improvements only)"
DECISION_PLANNED_FOR = "Planned publication date"
DECISION_LINK = "Address of the published report (https://...)"
DECISION_MILESTONE = "Milestone"
DECISION_NEW_DATE = "New due date"
# Individual Agency Summaries: who was asked, whose came in.
DECISION_SUMMARIES_ASKED_ON = "Date the agencies were asked"
DECISION_AGENCIES_TO_ASK = "Agencies asked (from the referral)"
DECISION_AGENCIES_NAMED = "Other agencies asked, by name (one a line)"
DECISION_SUMMARIES_NONE_NAMED = (
    "If you name no agency, the request is kept for the whole case and the bot cannot"
    " chase each agency."
)
DECISION_SUMMARIES_RECEIVED_ON = "Date the summaries came in"
DECISION_AGENCIES_RECEIVED = "Whose summaries came in"
DECISION_RECORD = "Record"
DECISION_CONFIRM = "Record this decision?"
DECISION_REFRESH = "Refresh"
DECISION_NONE_AVAILABLE = "No decisions are open on this case."
DECISION_LEADS_ONLY = "Decisions on this case are recorded by the partnership's leads."
# On the read-only card: a lead whose client does not refresh cards presses it for their buttons
# (the same Action.Execute as the card's refresh).
DECISION_GET_BUTTONS = "Record a decision (leads)"
# Shown back to someone who is not a lead when they press it: not an error, nothing is audited.
DECISION_LEADS_ONLY_PRESSED = (
    "Only the partnership's leads record decisions on this case. Your copy stays read-only."
)
# A lead pressed it, but who is a lead cannot be checked now.
DECISION_LEADS_UNKNOWN_NOW = "I can't check who is a lead right now. Please press it again shortly."
AGREEMENT_PROPOSAL = "Proposed"
AGREEMENT_AGREED = "agreed ({name})"
AGREEMENT_DISAGREED = "disagrees: {reason}"
AGREEMENT_AWAITED = "awaited"
AGREEMENT_FINAL = "Recommendation agreed by all three partners"
AGREEMENT_PENDING = "Recommendation: agreement of the three partners"
NOTES_HEADING = "On record"
DECISION_RECORDED = "Recorded: {label}."
DECISION_ALREADY = "That was already recorded; nothing changed."
DECISION_REFUSED_NOT_LEAD = "Only the partnership's leads can record decisions on this case."
DECISION_REFUSED_UNAVAILABLE = (
    "I can't check who is a lead right now, so nothing was recorded. Please try again shortly."
)
DECISION_CONFLICT = "{name} has just recorded: {label}. {problem}"
DECISION_CHECK_AGAIN = "Yours was not recorded: check the case and decide again."
DECISION_CASE_GONE = "This case is no longer available here."
REFERRER_UPDATE_TITLE = "Update on referral {reference}"
# Milestone reminders and the weekly digest.
REMINDER_DUE_IN = "Due in {days} working days: {milestone} ({reference})"
REMINDER_DUE_TODAY = "Due today: {milestone} ({reference})"
REMINDER_OVERDUE = "Overdue: {milestone} ({reference})"
REMINDER_LATE = "Posted late: the bot was not running when this reminder fell due."
REMINDER_FILED_AFTER_DUE = "This was already overdue when the case was filed."
REMINDER_SUMMARY = "{reference}: {milestone}"
REMINDER_CASE = "Case"
REMINDER_MILESTONE = "Milestone"
REMINDER_DUE = "Due"
REMINDER_ORIGINAL_DUE = "Originally due"
# How long is left, said the same way on reminders and (in lower case) in the digest.
REMINDER_TIME_LEFT = "Time left"
TIME_LEFT_DUE_TODAY = "Due today"
TIME_LEFT_OVERDUE = "Overdue by {days}"
REMINDER_RESPONSIBLE = "Responsible"
REMINDER_ESCALATION = "For the attention of {leads}."
REMINDER_DONE = "Done"
REMINDER_DONE_ON = "Done on"
REMINDER_SLIP = "Slip"
REMINDER_OUTSTANDING = "Summaries not in yet"
REMINDER_CHASE = "Chase the agencies whose summaries are not in yet."
REMINDER_LEADS_ONLY = "The partnership's leads record what was done from this reminder."
REMINDER_GET_BUTTONS = "Record what was done (leads)"
REMINDER_LEADS_ONLY_PRESSED = (
    "Only the partnership's leads record what was done. Your copy stays read-only."
)
REMINDER_RECORDED = "{label}: recorded by {role} on {day}."
REMINDER_MOVED = "Moved to {day}."
REMINDER_CLOSED_DONE = "Done on {day}. Nothing is left to do for this reminder."
REMINDER_CLOSED = "Nothing is left to do for this reminder."
DIGEST_TITLE = "Weekly digest: {partnership}"
DIGEST_WEEK = "Week of {day}. Overdue first."
DIGEST_NOTHING_OPEN = "No open cases."
DIGEST_NOT_YET_KNOWN = "date not known yet"
DIGEST_OVERDUE = "overdue by {days}"
DIGEST_DUE_TODAY = "due today"
DIGEST_DAYS_LEFT = "{days} left"
DIGEST_UNDELIVERED = "Reminders that could not be posted (please check):"
PERSONAL_CHAT_ONLY = (
    "Referrals hold children's details, so I deal with them and their progress only in"
    " your own chat with me. Open a chat with me and type *refer*. If a child is in"
    " immediate danger, call 999."
)
# A status question in a team channel: the same rule, pointing to the word that answers it.
PERSONAL_CHAT_ONLY_STATUS = (
    "Referrals hold children's details, so I show their progress only in your own chat with"
    " me. Open a chat with me and type *status*. If a child is in immediate danger, call 999."
)
DID_NOT_UNDERSTAND = "I didn't understand that. Type *help* to see what I can do."
CARD_NOT_RECOGNISED = "That card is no longer active. Type *help* to start again."
TURN_FAILED = (
    "Sorry, something went wrong on my side and I could not finish that. Please try again. If"
    " a child is in immediate danger, call 999."
)
TURN_CONFLICT = (
    "Two messages from this chat came at the same moment and I could only handle one."
    " Please send your last message again. If a child is in immediate danger, call 999."
)
CHANNEL_INTRODUCTION = (
    "I will post new referrals and milestone reminders for {partnership} in this channel."
)
CHANNEL_UNASSIGNED = (
    "I have been added to this team. I will post referrals here once an admin sets this"
    " channel up as a review channel."
)

# --- Referral intake ---
# Every sentence of the referral cards (cards/referral.py) and of the checks on their answers
# (dialogs/referral_forms.py). Agency, criteria and parallel-process names come from
# safeguarding/referral.py, where the data model keeps them.

# The safety question, asked before anything else.
SAFETY_TITLE = "Before we start"
SAFETY_QUESTION = (
    "Is a child in immediate danger, or is this a worry about a child now? Or has a"
    " serious incident already happened?"
)
SAFETY_DANGER = "A child is in danger now"
SAFETY_WORRY = "It's a current worry about a child"
SAFETY_INCIDENT = "A serious incident has happened"

# Redirecting danger and current worries.
REDIRECT_DANGER_TITLE = "Call 999 now"
REDIRECT_DANGER_TEXT = "If a child is in immediate danger, call **999** before anything else."
REDIRECT_DANGER_THEN = "Then tell the children's front door for the area where the child lives:"
REDIRECT_WORRY_TITLE = "Contact the children's front door"
REDIRECT_WORRY_REASON = (
    "The partnership team cannot take concerns about one child or family. The children's"
    " front door can act on them straight away."
)
REDIRECT_FRONT_DOORS_NOW = "Children's front doors to call now:"
CONTACT_OFFICE_HOURS = "office hours"
CONTACT_OUT_OF_HOURS = "out of hours"
CONTACT_FACT = "{name}: {number} ({hours})"
# A line whose configured name is only its hours ("Out of hours"): the name is not repeated.
CONTACT_FACT_UNNAMED = "{number} ({hours})"
CONTACT_WEB_PAGE = "Web page: {url}"
CONTACT_WEB_PAGE_ACTION = "Open front door web page {number}"
REDIRECT_CONTINUE = "It is also a serious incident: continue the referral"
REDIRECT_END = "End here"

# Section cards: progress, errors and buttons.
STEP_TITLES = {
    "safety": "Safety check",
    "area": "Where the child lives and where it happened",
    "referrer": "About you",
    "child": "The child",
    "incident": "The incident",
    "agencies": "Agencies involved",
    "criteria": "Why this case should be reviewed",
    "actions": "Safety actions and other processes",
    "review": "Check and submit",
}
PROGRESS = "Step {number} of {total} · {title}"
ERRORS_SUMMARY = "Please check the fields marked below."
# Before each message in red, so the words say what the colour does.
ERROR_PREFIX = "Error: {message}"
# The banner over a card with messages names every field that has one, in card order.
ERRORS_CHECK_FIELDS = "Check: {fields}."
FIELDS_SEPARATOR = ", "
# How the banner names each input ("step.input").
FIELD_NAMES = {
    "area.area": "where the child lives",
    "area.other_area": "the name of the area",
    "area.harm_area": "where the child was harmed",
    "referrer.name": "your name",
    "referrer.role": "your role",
    "referrer.agency": "your agency",
    "referrer.contact": "your email address or phone number",
    "referrer.lead_agreed": "whether your safeguarding lead agreed",
    "child.name": "name or initials",
    "child.unborn": "unborn",
    "child.date_of_birth": "date of birth",
    "child.expected_date": "expected date of birth",
    "child.sex": "sex",
    "child.ethnicity": "ethnicity",
    "child.disability": "disability",
    "child.statuses": "what applies to the child",
    "incident.date": "date of the incident",
    "incident.confirm_adult": "the 18 or over box",
    "incident.la_aware": "when the LA became aware",
    "incident.kind": "what happened to the child",
    "incident.location": "where it happened",
    "incident.description": "what happened",
    "agencies.involved": "agencies involved",
    "agencies.other": "other agencies",
    "agencies.still_involved": "whether agencies are still involved",
    "criteria.abuse_or_neglect": "abuse or neglect",
    "criteria.about_a_professional": "someone who works with children",
    "criteria.criteria": "the criteria",
    "criteria.reasons": "why it should be reviewed",
    "actions.safety_actions": "safety actions",
    "actions.parallel": "other processes",
    "actions.media_interest": "media interest",
}
CONTINUE = "Continue"
# Every step after the safety question has Back; what is on the card is kept for later.
BACK = "Back"
BACK_TO_REVIEW = "Back to the review"
# Added to the label of an input that must be answered (the server checks it, so Back works
# with the input still empty).
REQUIRED_LABEL = "{label} (required)"
CANCEL_REFERRAL = "Cancel referral"
YES = "Yes"
NO = "No"
NOT_KNOWN = "Not known"
NOT_GIVEN = "Not given"
NONE_CHOSEN = "None"

# Area.
AREA_LABEL = "Where does the child live?"
AREA_PLACEHOLDER = "Choose an area"
AREA_NOTE = (
    "The local authority where the child died or was seriously harmed leads the rapid"
    " review, wherever the child lives. For harm outside England, the one where the child"
    " lives leads. The partnership where the child lives is told and takes part."
)
OTHER_AREA_LABEL = "If the child lives in an area not listed, which? (optional)"
HARM_AREA_LABEL = "Where did the child die or come to serious harm?"
# The places on the area card that no partnership here covers.
PLACES_NOT_LISTED = {
    ELSEWHERE_IN_ENGLAND: "Another area in England, not listed",
    OUTSIDE_ENGLAND: "Outside England",
}

# Referrer.
REFERRER_NAME_LABEL = "Your name"
REFERRER_ROLE_LABEL = "Your role"
REFERRER_AGENCY_LABEL = "Your agency"
REFERRER_CONTACT_LABEL = "Your email address or phone number"
# A second referral: About you filled from the same user's last one, to check.
REFERRER_PREFILLED = "Filled in from your last referral, {reference}. Check it is still right."
LEAD_AGREED_LABEL = "Has your agency's safeguarding lead said yes to this referral?"
LEAD_AGREED_NOTE = "Your agency's safeguarding lead should agree before you refer a case."

# Child.
CHILD_NAME_LABEL = "Name or initials"
CHILD_NAME_NOTE = (
    "Initials are enough (JMS, or A.J.S. with stops). A name is cut to its first letters for"
    " the channel. The channel shows only initials and age."
)
CHILD_UNBORN_TITLE = "The child is unborn"
CHILD_DOB_LABEL = "Date of birth"
CHILD_EXPECTED_LABEL = "Expected date of birth (for an unborn child)"
CHILD_SEX_LABEL = "Sex"
CHILD_ETHNICITY_LABEL = "Ethnicity"
CHILD_DISABILITY_LABEL = "Does the child have a disability?"
CHILD_STATUSES_LABEL = "Do any of these apply to the child?"
CHILDREN_ADDED = "Children added so far: {children}"
CHILD_EDITING = "You are changing child {number} of {total}."
CHILD_ADD_ANOTHER = "Save and add another child"
SEX_CHOICES = {"female": "Female", "male": "Male", "other": "Other", "not_known": "Not known"}
CHILD_STATUS_CHOICES = {
    "looked_after": "Looked after / CLA",
    "child_protection_plan": "Child protection plan",
    "child_in_need": "Child in need",
    "care_leaver": "Care leaver",
}
UNBORN = "Unborn"

# Incident.
INCIDENT_DATE_LABEL = "Date of the incident"
LA_AWARE_LABEL = "When did the local authority become aware? Leave blank if not known"
INCIDENT_KIND_LABEL = "What happened to the child?"
INCIDENT_KIND_CHOICES = {
    "death": "The child died",
    "serious_harm": "The child was seriously harmed",
    "other": "Something else",
}
INCIDENT_LOCATION_LABEL = "The place it happened, such as the home or a hospital (optional)"
INCIDENT_DESCRIPTION_LABEL = "What happened, in brief"
INCIDENT_DESCRIPTION_PLACEHOLDER = "The facts you know, in no more than 1500 characters."
CONFIRM_ADULT_TITLE = "The dates are right: the person was 18 or over"

# Agencies.
AGENCIES_INVOLVED_LABEL = "Which agencies were involved with the child or family?"
AGENCIES_OTHER_LABEL = "Any other agency involved (name it)"
STILL_INVOLVED_LABEL = "Are agencies still involved?"

# Criteria.
ABUSE_OR_NEGLECT_LABEL = "Is abuse or neglect known or suspected?"
ABUSE_OR_NEGLECT_CHOICES = {
    "known": "Known",
    "suspected": "Suspected",
    "not_suspected": "Not suspected",
}
ABOUT_A_PROFESSIONAL_LABEL = "Is this about the conduct of someone who works with children?"
CRITERIA_LABEL = "Which of these do you think the case highlights?"
REASONS_LABEL = "Why do you think the case should be reviewed?"

# Actions.
SAFETY_ACTIONS_LABEL = (
    "What immediate actions have been taken to keep this child and other children safe?"
)
PARALLEL_LABEL = "Which other processes are running?"
MEDIA_INTEREST_LABEL = "Is there media interest?"

# Review.
REVIEW_TITLE = "Check your referral"
REVIEW_INTRO = "Check each section. Use Edit to change anything, then submit the referral."
EDIT = "Edit"
# Each Edit button on the review says what it edits ("step" from STEP_EDITS).
STEP_EDITS = {
    "area": "Edit where",
    "referrer": "Edit about you",
    "incident": "Edit the incident",
    "agencies": "Edit the agencies",
    "criteria": "Edit why",
    "actions": "Edit the safety actions",
}
EDIT_CHILD = "Edit the child"
EDIT_CHILD_NUMBERED = "Edit child {number}"
SUBMIT_REFERRAL = "Submit referral"
CHILD_HEADING = "Child {number}"
FACT_CHANNEL_INITIALS = "Shown on the channel as"
SCREENING_HEADING = "What your answers suggest"
SCREENING_STILL_CONSIDERED = (
    "This does not stop your referral: the partnership will still consider it."
)
DUPLICATE_WARNING = "This looks like an existing case: {references}. You can still submit."
DUPLICATE_ADVICE = (
    "If it is the same child and the same incident, do not submit it. Tell the partnership's"
    " business unit instead. If something new has happened, for example the child has since"
    " died, submit it."
)
DUPLICATE_CONTACT = "Business unit: {contacts}."
# On the case card of a referral that looked like an existing case when it was filed.
CASE_MAYBE_DUPLICATE = (
    "May be the same child as {references}: the same initials and date of birth, and an"
    " incident within 30 days."
)
OUTCOME_LABELS = {
    "rapid_review": "A rapid review",
    "learning_review": "A learning review",
    "cdop": "Child death review (CDOP)",
    "lado": "The Local Authority Designated Officer (LADO)",
    "adult_review": "Adult safeguarding (Safeguarding Adults Review)",
    "looked_after_death": "Notification of a looked-after child's death",
    "care_leaver_death": "Notification of a care leaver's death",
}
# One sentence per route of the screening (safeguarding/referral.py `screen`), in its order.
SCREENING_EXPLANATIONS = {
    "rapid_review": (
        "Abuse or neglect is known or suspected, and the child has died or been seriously"
        " harmed. This meets the criteria for a serious incident notification (Children Act"
        " 2004 s16C(1)), which starts a rapid review."
    ),
    "looked_after_death": (
        "The child was looked after. The local authority tells the Secretary of State and"
        " Ofsted of the death, whether or not abuse or neglect is suspected."
    ),
    "care_leaver_death": (
        "The young person was a care leaver aged 24 or under. The local authority tells the"
        " Secretary of State for Education and Ofsted of the death."
    ),
    "lado": (
        "It concerns the conduct of someone who works with children, which the Local Authority"
        " Designated Officer (LADO) must hear about."
    ),
    "cdop": (
        "The Child Death Overview Panel (CDOP) reviews the death of every child, whatever the"
        " cause. It does so alongside any safeguarding review."
    ),
    "adult_review": (
        "The person was 18 or over at the time, so this is for adult safeguarding and maybe a"
        " Safeguarding Adults Review."
    ),
    "learning_review": (
        "It does not meet the criteria for a serious incident notification: abuse or neglect,"
        " with a death or serious harm. The partnership may still hold a learning review."
    ),
}

# Fact titles, shared by the review and channel cards.
FACT_AREA = "Area"
FACT_PARTNERSHIP = "Partnership"
FACT_OTHER_AREA = "Child's home area"
FACT_HOME_AREA = "Where the child lives"
FACT_HARM_AREA = "Where it happened"
FACT_LEADS = "Leads"
FACT_LEAD_WHY = "Why"
FACT_TAKES_PART = "Takes part"
FACT_NAME = "Name"
FACT_ROLE = "Role"
FACT_AGENCY = "Agency"
FACT_CONTACT = "Contact"
FACT_LEAD_AGREED = "Safeguarding lead agreed"
FACT_BORN = "Date of birth"
FACT_EXPECTED = "Expected"
FACT_SEX = "Sex"
FACT_ETHNICITY = "Ethnicity"
FACT_DISABILITY = "Disability"
FACT_STATUSES = "Status"
FACT_INCIDENT_DATE = "Incident date"
FACT_LA_AWARE = "LA aware"
FACT_INCIDENT_KIND = "Incident"
FACT_LOCATION = "Where"
FACT_DESCRIPTION = "What happened"
FACT_AGENCIES = "Agencies"
FACT_OTHER_AGENCY = "Other agency"
FACT_STILL_INVOLVED = "Still involved"
FACT_ABUSE_OR_NEGLECT = "Abuse or neglect"
FACT_ABOUT_A_PROFESSIONAL = "About a professional"
FACT_CRITERIA = "Criteria"
FACT_REASONS = "Reasons"
FACT_SAFETY_ACTIONS = "Safety actions"
FACT_PARALLEL = "Other processes"
FACT_MEDIA_INTEREST = "Media interest"
FACT_REFERRING_AGENCY = "Referring agency"
FACT_CHILDREN = "Children"
FACT_SCREENING = "Screening suggests"
# Between the screening's routes on the channel card.
ROUTES_SEPARATOR = "; "
FACT_SIN_DUE = "SIN due"
FACT_RAPID_REVIEW_DUE = "Rapid review expected by"
# The same lines once done: the day it was done, under a title that says so.
FACT_SIN_MADE = "SIN made"
FACT_RAPID_REVIEW_SENT = "Rapid review sent to the Panel"
# Where the case is, for the review subgroup: the first line of the case card.
FACT_CASE_STATUS = "Status"
CASE_STATUS_FACTS = {
    "referred": "New referral, not yet decided",
    "rapid_review": "Rapid review under way",
    "no_serious_incident": "Not notified as a serious incident",
    "local_review": "Local Child Safeguarding Practice Review under way",
    "learning_review": "Learning review planned",
    "national_review": "The national Panel is reviewing it",
    "no_further_review": "No further review",
    "published": "Review published",
    "closed": "Closed",
}
FACT_AGENCY_SUMMARIES = "Agency summaries"
# A case the partnership takes part in, another local authority leading: instead of the SIN and
# rapid-review dates, who counts them and whether that authority was told.
FACT_LEAD_CLOCK = "Notification and rapid review"
LEAD_CLOCK_ELSEWHERE = (
    "The local authority where the child was harmed notifies and leads (Children Act 2004"
    " s16C(1)): no deadlines are counted here"
)
FACT_LEAD_TOLD = "Leading local authority told"
LEAD_TOLD_NOT_YET = "not recorded yet: tell it, then record it here"
# The agency summaries fact: "3 of 5 in: Police (12 Jan), GP (13 Jan); outstanding: Housing".
SUMMARIES_IN_COUNT = "{returned} of {asked} in"
SUMMARIES_ALL_IN = "All {asked} in"
SUMMARIES_RETURNED_LIST = "{count}: {agencies}"
SUMMARIES_OUTSTANDING = "outstanding: {agencies}"
SUMMARIES_PARTS_SEPARATOR = "; "
SUMMARIES_AGENCY_IN = "{agency} ({on})"
# In by the whole-case "Agency summaries in": no day was recorded for the agency itself.
SUMMARIES_AGENCY_IN_BY = "{agency} (by {on})"
AGENCIES_SEPARATOR = ", "
FACT_RECEIVED = "Received"

# Acknowledgement to the referrer.
ACK_TITLE = "Referral {reference} received"
ACK_NEXT_HEADING = "What happens next"
ACK_SUBGROUP = (
    "{partnership}'s review subgroup ({subgroup}) will look at your referral. It may"
    " contact you to ask for more details."
)
ACK_SIN_DUE = (
    "The local authority decides, with the police and health, whether to make a serious"
    " incident notification to the national Panel. If it notifies, the notification is due by"
    " {due}."
)
ACK_SIN_OVERDUE = (
    "The local authority decides, with the police and health, whether to make a serious"
    " incident notification to the national Panel. If it notifies, it had to do so by"
    " {due}, before this referral was filed. Unless it has been made already, it is"
    " overdue."
)
ACK_LA_NOT_AWARE = (
    "You did not know when the local authority became aware of the incident. The local"
    " authority must be told, as the time it has to notify the national Panel starts when"
    " it becomes aware."
)
# A child harmed in an area not served here (Children Act 2004 s16C(1)): instead of the
# subgroup and notification sentences above.
ACK_SUBGROUP_COLLABORATOR = (
    "{partnership}'s review subgroup ({subgroup}) has your referral, because the child lives in"
    " its area. It takes part in the review and may contact you for more information."
)
ACK_LEAD_ELSEWHERE = (
    "The local authority where the child was harmed leads the rapid review. It decides"
    " whether to tell the national Panel, and tells it. Its deadlines are counted there, not"
    " here. {partnership} takes part, and makes sure that local authority has been told."
)
ACK_BUSINESS_UNIT = "Questions about the review process: {contacts}."
# Next steps offered under the acknowledgement (Teams suggested actions) and on it (buttons,
# for clients that show no suggested actions under a card).
SUGGEST_CHECK_STATUS = "Check status"
SUGGEST_START_ANOTHER = "Start another"
ACK_STATUS_ANY_TIME = "Type *status* at any time to see your referrals and where each one is."
# A partnership with no review channel in the partnerships file: the referral is filed, but
# nobody at the partnership sees it in Teams, so the referrer must send it on themselves.
ACK_NO_CHANNEL = (
    "{partnership} has no Teams review channel here, so this bot cannot pass your referral on."
    " It is saved as {reference}, but you must send it to the partnership another way."
)
ACK_NO_CHANNEL_SEND_TO = "Please also send it to the partnership's business unit: {contacts}."
ACK_NO_CHANNEL_NO_CONTACT = (
    "Please contact {partnership} directly, tell them about it and give them the reference"
    " {reference}."
)
ACK_FRONT_DOOR_REMINDER = (
    "This referral is not a way to raise a current worry. If you are worried about a child now,"
    " contact the children's front door; if a child is in immediate danger, call 999."
)

# Which partnership leads, and why (safeguarding/leading.py): one sentence per rule.
# {what} is LEAD_WHAT_HAPPENED's entry for the incident's kind.
LEAD_REASONS: dict[LeadRule, str] = {
    LeadRule.SAME_AREA: (
        "The local authority where a child died or was seriously harmed leads: {what} in"
        " {harm}, where the child lives, so {lead} leads."
    ),
    LeadRule.WHERE_HARMED: (
        "The local authority where a child died or was seriously harmed leads, wherever the"
        " child lives: {what} in {harm}, so {lead} leads."
    ),
    LeadRule.HOME_HARMED_OUTSIDE_ENGLAND: (
        "For harm outside England, the local authority where the child normally lives leads:"
        " the child lives in {home}, so {lead} leads."
    ),
    LeadRule.LEAD_NOT_SERVED: (
        "The child died or was seriously harmed in an area of England not served here. Its"
        " local authority leads and must be told. {partnership} takes part because the child"
        " lives in {home}."
    ),
}
# The area card asks where the child "died or came to serious harm": a death is told as such.
LEAD_WHAT_HAPPENED = {
    "death": "the child died or was seriously harmed",
    "serious_harm": "the child was harmed",
    "other": "the child was harmed",
}
LEAD_NOT_HERE = "The local authority where it happened (not served here)"
HOME_NOT_LISTED = "an area of England not listed"
HOME_OUTSIDE_ENGLAND = "outside England"
PLACE_NAMED = "{place} ({name})"
TOLD_IN_CHANNEL = "{partnership}, where the child lives: told in its review channel"
TOLD_NO_CHANNEL = (
    "{partnership}, where the child lives: it has no review channel here, so tell it directly"
)
HOME_NOT_SERVED = (
    "Where the child lives ({home}) is not served here: the leading local authority tells the"
    " safeguarding partners there."
)
LEAD_MUST_BE_TOLD = (
    "Make sure the local authority where the child was harmed has been told. It leads the"
    " rapid review. It must tell the national Panel within 5 working days of becoming"
    " aware."
)
NO_LEAD_MESSAGES: dict[NoLead, str] = {
    NoLead.NOT_IN_ENGLAND: (
        "The child lives outside England and was harmed outside England, so this is not for a"
        " partnership in England. Contact the children's services where the child lives."
    ),
    NoLead.HOME_NOT_SERVED: (
        "For harm outside England, the local authority where the child lives leads, and that"
        " area is not served here: contact its children's front door (MASH)."
    ),
    NoLead.NEITHER_SERVED: (
        "Neither area is served here. The local authority where the child was harmed leads:"
        " contact its children's front door (MASH)."
    ),
}

# To the child's home partnership, when another partnership here leads.
TOLD_CARD_TITLE = "{reference}: a child who lives in your area"
TOLD_CARD_INTRO = (
    "{lead} leads this case and its rapid review. The child lives in {home}, so your"
    " safeguarding partners are asked to take part: contact {lead}."
)
TOLD_CARD_SUMMARY = "{reference}: a child who lives in your area"
ACK_TOLD = "{partnership} is told too, as the child lives in its area, and takes part."
FACT_LEAD_CONTACT = "Contact the lead"

# The review subgroup's channel.
CHANNEL_CASE_TITLE = "New referral {reference}"
# The same card once a lead has moved the case on: it is no longer new.
CHANNEL_CASE_TITLE_DECIDED = "Case {reference}"
CHANNEL_CASE_PRIVACY = (
    "Children are shown by initials and age only; the full referral is in the case record."
)
# In place of the line above, once the case's personal data are erased (retention).
CASE_ERASED = (
    "The personal details in this case were erased on {day}. Its dates and decisions are kept."
)
# What an erased field shows, wherever one is drawn (safeguarding.referral.ERASED).
ERASED_VALUE = "(erased)"
DATE_NOT_KNOWN = "not known"
DUE_PROJECTED = "{due} (projected)"
DUE_ALTERNATIVE = "{due} (national rule: {alternative})"
DUE_NOT_SET = "not set: needs the date the LA became aware"
DUE_OVERDUE = "{due}: overdue by {days}"

# `review-bot timeline`, below the table when the partnership has closure days.
TIMELINE_CLOSURE_DAYS = (
    "The partnership's closure days move only the rapid review's own steps, which count"
    " its working days. Dates set in law skip only weekends and bank holidays in England"
    " and Wales. Left counts the partnership's working days."
)

# Resuming and cancelling.
RESUME_IN_PROGRESS = "You have a referral in progress (at step: {step})."
RESUME_STARTED = "You started it on {when}."
RESUME_QUESTION = "Continue where you left off, or start again?"
RESUME_RESTART = "Start again"
CANCEL_CONFIRM = "Cancel this referral? What you have entered will be deleted."
CANCEL_YES = "Yes, cancel and delete it"
CANCEL_NO = "No, go back"

# Checking the answers: one message per input.
REQUIRED_MESSAGES = {
    "area.area": "Choose the area where the child lives",
    "area.harm_area": "Choose where the child died or was seriously harmed",
    "referrer.name": "Enter your name",
    "referrer.role": "Enter your role",
    "referrer.agency": "Enter your agency",
    "referrer.contact": "Enter an email address or phone number",
    "referrer.lead_agreed": "Say whether your agency's safeguarding lead has agreed",
    "child.name": "Enter the child's name or initials",
    "child.date_of_birth": "Enter the date of birth, or say the child is unborn",
    "child.expected_date": "Enter the expected date of birth",
    "incident.date": "Enter the date of the incident",
    "incident.kind": "Choose what happened to the child",
    "incident.description": "Describe briefly what happened",
    "agencies.involved": "Choose at least one agency, or name it under other",
    "criteria.abuse_or_neglect": "Say whether abuse or neglect is known or suspected",
    "criteria.about_a_professional": "Say whether this is about someone who works with children",
    "criteria.reasons": "Say why you think the case should be reviewed",
    "actions.safety_actions": "Describe the actions taken to keep children safe",
}
ERR_REQUIRED = "Answer this question"
ERR_REAL_DATE = "Enter a real date"
ERR_TOO_LONG = "Keep this under {max} characters"
ERR_TOO_SHORT = "This is too short"
ERR_CHOOSE_OPTION = "Choose one of the options"
ERR_CHOOSE_FROM_LIST = "Choose from the list"
ERR_YES_NO = "Choose yes or no"
ERR_UNREADABLE = "This answer could not be read: please enter it again"
ERR_UNKNOWN_AREA = "Choose an area from the list"
ERR_CHECK = "Check this answer"
ERR_TOO_MANY_CHILDREN = "One referral can hold up to {max} children"
ERR_BORN_AFTER_INCIDENT = (
    "This date of birth is after the incident date ({incident}): check the dates"
)
# A date of birth after the incident date: the message names the date most likely wrong and
# the card offers to go to the other one. A recent incident makes the date of birth the odd
# one out; an old incident date is itself more likely a slip.
ERR_BORN_AFTER_CHECK_BIRTH = (
    "This date of birth is after the incident date ({incident}). The date of birth is most"
    " likely wrong: check it."
)
ERR_BORN_AFTER_CHECK_INCIDENT = (
    "This date of birth is after the incident date ({incident}). The incident date is most"
    " likely wrong: use the button below to change it."
)
ERR_INCIDENT_BEFORE_BIRTH_CHECK_BIRTH = (
    "{child} was born on {born}, after this date. {child}'s date of birth is most likely wrong:"
    " use the button below to change it."
)
ERR_INCIDENT_BEFORE_BIRTH_CHECK_INCIDENT = (
    "{child} was born on {born}, after this date: check the incident date."
)
GO_TO_BIRTH = "Change {child}'s date of birth"
# The banner over the incident card, when the date most likely wrong is that child's.
FIELD_BIRTH_OF = "{child}'s date of birth"
GO_TO_INCIDENT_DATE = "Change the incident date"
ERR_ADULT_AT_INCIDENT = (
    "{child} was 18 or over on this date. This service is for children; for an adult, contact"
    " adult safeguarding. Tick the box if the dates are right."
)
DATE_PROBLEMS = {
    DateProblem.BIRTH_IN_FUTURE: "The date of birth cannot be in the future",
    DateProblem.EXPECTED_TOO_FAR: "The expected date is more than a year away",
    DateProblem.INCIDENT_IN_FUTURE: "The incident date cannot be in the future",
    DateProblem.AWARE_IN_FUTURE: "This date cannot be in the future",
    DateProblem.AWARE_BEFORE_INCIDENT: "The LA cannot have known before the incident",
}
REDIRECT_WORRY_999 = "If a child is in immediate danger, call **999**."
CHILD_BLANK_TO_CONTINUE = "If you have added every child, leave this form blank and press Continue."
REVIEW_CLIPPED_NOTE = "Long answers are shortened here; press Edit to see them in full."


# --- Lead decisions: names, labels, refusals and the referrer's summary ---
# The domain (safeguarding/decisions.py, safeguarding/timeline.py) returns codes and params;
# every sentence built from them is here.


@dataclass(frozen=True)
class Name:
    """One thing's name: as a title (card facts, lists) and as it reads inside a sentence."""

    title: str
    in_sentence: str


# Every milestone, once: reminders, digests, decision cards and refusals all read this table.
MILESTONES: dict[MilestoneKey, Name] = {
    MilestoneKey.SIN: Name(
        "Serious incident notification", "the notification to the national Panel"
    ),
    MilestoneKey.NOTIFY_PARTNERS: Name(
        "Tell the safeguarding partners", "telling the safeguarding partners"
    ),
    MilestoneKey.RR_IAS_REQUESTS: Name(
        "Rapid review: summaries requested", "asking agencies for their summaries"
    ),
    MilestoneKey.RR_IAS_RETURNS: Name(
        "Rapid review: summaries in", "agencies returning their summaries"
    ),
    MilestoneKey.RR_DRAFT: Name("Rapid review: draft outcome", "the rapid review's draft outcome"),
    MilestoneKey.RR_SIGN_OFF: Name(
        "Rapid review: sign-off", "the partners signing off the rapid review"
    ),
    MilestoneKey.RAPID_REVIEW: Name(
        "Rapid review sent to the Panel", "sending the rapid review to the national Panel"
    ),
    MilestoneKey.PANEL_REPLY: Name("Panel's reply", "the national Panel's reply"),
    MilestoneKey.REPORT_COPY_TO_PANEL: Name(
        "Report copied to the Panel", "sending the report to the national Panel"
    ),
    MilestoneKey.CSPR_FINAL_REPORT: Name(
        "CSPR final report published", "publishing the review's report"
    ),
    MilestoneKey.REPORT_AVAILABLE_UNTIL: Name(
        "Report kept public until", "keeping the report public"
    ),
}

PARTNERS: dict[Partner, Name] = {
    Partner.LOCAL_AUTHORITY: Name("Local authority", "the local authority"),
    Partner.HEALTH: Name("Health", "health"),
    Partner.POLICE: Name("Police", "the police"),
}

# The dates of a case, as the timeline's checks name them.
CASE_DATES: dict[CaseDateField, str] = {
    "incident": "the incident",
    "la_aware": "the LA became aware",
    "sin_made": "the SIN was made",
    "rapid_review_sent": "the rapid review was sent",
    "decision_to_review": "the decision to hold a CSPR",
    "planned_publication": "the planned publication",
    "published": "publication",
    "national_review": "the Panel decided on a national review",
}
CASE_DATES_OUT_OF_ORDER = "{later} ({later_on}) cannot be before {earlier} ({earlier_on})"

DECISION_LABELS: dict[DecisionKind, str] = {
    DecisionKind.SIN_MADE: "SIN made",
    DecisionKind.NOT_NOTIFIABLE: "Not notifiable",
    DecisionKind.LEARNING_REVIEW_OFFERED: "Learning review offered",
    DecisionKind.LEAD_AUTHORITY_TOLD: "Leading local authority told",
    DecisionKind.SUMMARIES_REQUESTED: "Summaries requested",
    DecisionKind.SUMMARIES_RECEIVED: "Summaries received",
    DecisionKind.MEETING_HELD: "Rapid review meeting held",
    DecisionKind.SAFETY_ACTION: "Immediate safety action",
    DecisionKind.PARTNERS_NOTIFIED: "Safeguarding partners told",
    DecisionKind.SUMMARIES_RETURNED: "Agency summaries in",
    DecisionKind.PROPOSE_RECOMMENDATION: "Propose the recommendation",
    DecisionKind.AGREE: "Agree",
    DecisionKind.DISAGREE: "Disagree",
    DecisionKind.RAPID_REVIEW_SENT: "Rapid review sent to the Panel",
    DecisionKind.PANEL_REPLY: "Panel replied",
    DecisionKind.PANEL_INFORMATION_SENT: "Information sent to the Panel",
    DecisionKind.REVIEWER_APPOINTED: "Reviewer appointed",
    DecisionKind.TERMS_OF_REFERENCE_AGREED: "Terms of reference agreed",
    DecisionKind.REPORT_APPROVED: "Report approved",
    DecisionKind.PUBLICATION_DECISION: "Publication decision",
    DecisionKind.PUBLICATION_PLANNED: "Publication planned",
    DecisionKind.REPORT_SENT_TO_PANEL: "Report sent to the Panel and Secretary of State",
    DecisionKind.PUBLISHED: "Report published",
    DecisionKind.LEARNING_REVIEW_COMMISSIONED: "Learning review commissioned",
    DecisionKind.LEARNING_REVIEW_COMPLETED: "Learning review completed",
    DecisionKind.LEARNING_SHARED: "Learning shared",
    DecisionKind.SLIP: "Move a deadline",
    DecisionKind.CLOSE_CASE: "Close the case",
}

# The recommendation's outcomes and the have-regard criteria, as the lead's card offers them.
RECOMMENDATION_OUTCOMES: dict[str, str] = {
    "local_cspr": "a local Child Safeguarding Practice Review",
    "learning_review": "a learning review",
    "no_further_review": "no further review",
}
HAVE_REGARD_CHOICES: dict[str, str] = {
    "single_agency": "Concern about a single agency",
    "no_agency_involvement": "No agency involvement where there should have been",
    "more_than_one_area": "More than one local authority or police area involved",
    "institutional_setting": "A child in a setting such as a children's home or custody",
}

# Where a case is, after "the case ..." in a refusal.
CASE_NOW: dict[CaseStatus, str] = {
    CaseStatus.REFERRED: "is a new referral",
    CaseStatus.RAPID_REVIEW: "is in rapid review",
    CaseStatus.NO_SERIOUS_INCIDENT: "was found not to be a serious incident to notify",
    CaseStatus.LOCAL_REVIEW: "is in a local Child Safeguarding Practice Review",
    CaseStatus.LEARNING_REVIEW: "is in a learning review",
    CaseStatus.NATIONAL_REVIEW: "is with the national Panel for a national review",
    CaseStatus.NO_FURTHER_REVIEW: "needs no further review",
    CaseStatus.PUBLISHED: "has a published report",
    CaseStatus.CLOSED: "is closed",
}

# Why a decision was refused. Placeholders: {on}, {earliest} (dates), {kind}, {first}, {then}
# (decision labels), {status} (CASE_NOW), {milestone} (in a sentence), {partner}, {partners},
# {partnership} (its name), {detail} (pydantic's own message); {answer} and {answered} come
# from the two tables after this one.
DECISION_PROBLEMS: dict[DecisionProblem, str] = {
    DecisionProblem.RAPID_REVIEW_ALREADY_SENT: (
        "The rapid review has already been sent to the Panel"
    ),
    DecisionProblem.NOT_POSSIBLE_NOW: "'{kind}' is not possible now: the case {status}",
    DecisionProblem.RECORD_FIRST: "Record '{first}' before '{then}'",
    DecisionProblem.RAPID_REVIEW_NOT_SENT: "The rapid review has not been sent to the Panel yet",
    DecisionProblem.NO_RECOMMENDATION: "No recommendation has been proposed yet",
    DecisionProblem.SEND_WITHOUT_RECOMMENDATION: (
        "The rapid review cannot be sent yet: no one has put forward a recommendation"
    ),
    DecisionProblem.SEND_AFTER_DISAGREEMENT: (
        "The rapid review cannot be sent: {partners} did not agree with the recommendation."
        " Propose a new recommendation for the partners to agree"
    ),
    DecisionProblem.SEND_BEFORE_AGREEMENT: (
        "All three partners must agree the recommendation before the rapid review is sent."
        " Still waiting for: {partners}"
    ),
    DecisionProblem.DEADLINE_MET: "The deadline for {milestone} was met on {on}",
    DecisionProblem.DEADLINE_NEEDS_CSPR: (
        "The deadline for {milestone} applies once a local CSPR is decided"
    ),
    DecisionProblem.DEADLINE_NATIONAL_REVIEW: (
        "The deadline for {milestone} does not apply: the national Panel is reviewing the case"
    ),
    DecisionProblem.NO_INFORMATION_REQUESTED: (
        "The national Panel has not asked for more information (or it was already sent)"
    ),
    DecisionProblem.LEAD_ELSEWHERE: (
        "'{kind}' is not for this partnership to record. The local authority where the child"
        " was harmed tells the national Panel and leads the rapid review (Children Act 2004"
        " s16C(1)). This partnership takes part"
    ),
    DecisionProblem.LEADS_HERE: (
        "'{kind}' is only for a case led by a local authority not served here: this partnership"
        " leads this case"
    ),
    DecisionProblem.ALREADY_RECORDED: "'{kind}' was already recorded on {on}",
    DecisionProblem.SIN_ALREADY_MADE: "The SIN was already recorded as made on {on}",
    DecisionProblem.SUMMARIES_ALREADY_REQUESTED: "The summaries were already requested on {on}",
    DecisionProblem.PARTNERS_ALREADY_TOLD: "The partners were already told on {on}",
    DecisionProblem.SUMMARIES_ALREADY_IN: "The summaries were already in on {on}",
    DecisionProblem.SUMMARIES_IN_FOR_CASE: (
        "The summaries for the whole case were marked as in on {on} ('"
        + DECISION_LABELS[DecisionKind.SUMMARIES_RETURNED]
        + "'). So no more agencies can be asked for one"
    ),
    DecisionProblem.AGENCY_ALREADY_REQUESTED: "{agency} was already asked for a summary on {on}",
    DecisionProblem.SUMMARY_ALREADY_RECEIVED: (
        "The summary from {agency} was already recorded as in on {on}"
    ),
    DecisionProblem.AGENCY_NOT_REQUESTED: (
        "{agency} has not been asked for a summary: record the request first"
    ),
    DecisionProblem.ALL_PARTNERS_ANSWERED: (
        "All three partners have already said what they think of this recommendation"
    ),
    DecisionProblem.PARTNER_ALREADY_ANSWERED: (
        "{partner} has already {answered} this recommendation. To change it, propose a new"
        " recommendation"
    ),
    DecisionProblem.OTHER_PARTNERSHIP: (
        "This case belongs to another partnership than {partnership}"
    ),
    DecisionProblem.LEADS_ONLY: "Only the leads of {partnership} can record decisions on a case",
    DecisionProblem.PARTNERS_ONLY: (
        "Only the lead for the local authority, health or the police can {answer} the"
        " recommendation"
    ),
    DecisionProblem.LOCAL_AUTHORITY_ONLY: (
        "'{kind}' is for the local authority to decide. Only its lead can record it, or the"
        " business unit for them"
    ),
    DecisionProblem.SAY_ON_BEHALF: (
        "'{kind}' is for the local authority to decide. To record it for them, tick '"
        + DECISION_ON_BEHALF
        + "'"
    ),
    DecisionProblem.NOT_ON_BEHALF: "'{kind}' is not recorded on behalf of the local authority",
    DecisionProblem.DATE_IN_FUTURE: "The date cannot be in the future",
    DecisionProblem.DATE_BEFORE_INCIDENT: "The date cannot be before the incident ({earliest})",
    DecisionProblem.DATE_BEFORE_AGREEMENT: (
        "The date cannot be before the day the partners agreed ({earliest})"
    ),
    DecisionProblem.DATE_BEFORE_RAPID_REVIEW_SENT: (
        "The date cannot be before the rapid review was sent ({earliest})"
    ),
    DecisionProblem.DATE_BEFORE_DECISION_TO_REVIEW: (
        "The date cannot be before the decision to hold the review ({earliest})"
    ),
    DecisionProblem.DATE_BEFORE_DECISION: "The date cannot be before '{kind}' ({earliest})",
    # The timeline's own sentence (CASE_DATES_OUT_OF_ORDER), with a capital.
    DecisionProblem.DATES_OUT_OF_ORDER: CASE_DATES_OUT_OF_ORDER,
    DecisionProblem.MINIMUM_PERIOD: "{milestone} is a minimum period, not a deadline",
    DecisionProblem.NEW_DUE_DATE_IN_PAST: "The new due date cannot be in the past",
    DecisionProblem.PLANNED_DATE_IN_PAST: "The planned date cannot be in the past",
    DecisionProblem.REQUIRED: "this is required",
    DecisionProblem.EMPTY: "this cannot be empty",
    DecisionProblem.TOO_LONG: "this is too long",
    DecisionProblem.NOT_A_DATE: "this is not a real date",
    DecisionProblem.NOT_AN_OPTION: "choose one of the options",
    DecisionProblem.UNKNOWN_DECISION: "this is not a decision the bot knows",
    DecisionProblem.NO_DECISION_KIND: "say which decision this is",
    DecisionProblem.UNEXPECTED_FIELD: "this decision does not take this field",
    DecisionProblem.LINK_NOT_HTTPS: "give the report's address, starting https://",
    DecisionProblem.CRITERIA_NEEDED: (
        "choose at least one criterion the case meets for a local CSPR"
    ),
    DecisionProblem.PUBLISH_REASON_NEEDED: "say why only the improvements will be published",
    DecisionProblem.ACTIONS_NEEDED: "say what immediate safety actions were agreed",
    DecisionProblem.REQUEST_NEEDED: "say what the Panel asked for",
    DecisionProblem.LEARNING_LINK_NEEDED: (
        "give the address where the learning is published, starting https://"
    ),
    DecisionProblem.AGENCIES_NEEDED: "choose or name at least one agency",
    DecisionProblem.INVALID: "{detail}",
}
# A partner's answer to the recommendation, inside the refusals above.
PARTNER_ANSWER = {DecisionKind.AGREE: "agree", DecisionKind.DISAGREE: "disagree with"}
PARTNER_ANSWERED = {DecisionKind.AGREE: "agreed to", DecisionKind.DISAGREE: "disagreed with"}
# These refusals start with a name, which then takes a capital.
_STARTS_WITH_A_NAME = frozenset(
    {
        DecisionProblem.PARTNER_ALREADY_ANSWERED,
        DecisionProblem.DATES_OUT_OF_ORDER,
        DecisionProblem.MINIMUM_PERIOD,
        DecisionProblem.AGENCY_ALREADY_REQUESTED,
        DecisionProblem.AGENCY_NOT_REQUESTED,
    }
)

# What the referrer is told, one line per item of the domain's decision_summary; the outcome,
# the Panel's reply and the publication decision read from the tables after this one.
SUMMARY_LINES: dict[SummaryCode, str] = {
    SummaryCode.SIN_MADE: "The local authority notified the national Panel on {on}",
    SummaryCode.RAPID_REVIEW_BEGAN: "A rapid review began",
    SummaryCode.NOT_NOTIFIABLE: (
        "The local authority decided the case did not need to be notified to the national Panel"
    ),
    SummaryCode.LEARNING_REVIEW_OFFERED: "The partnership decided to hold a learning review",
    SummaryCode.LEAD_AUTHORITY_TOLD: (
        "The partnership told the local authority where the child was harmed, which leads, on {on}"
    ),
    SummaryCode.SUMMARIES_REQUESTED: "Agencies were asked for their summaries on {on}",
    SummaryCode.PARTNERS_NOTIFIED: "The safeguarding partners were told on {on}",
    SummaryCode.SUMMARIES_RETURNED: "The agencies' summaries were in by {on}",
    SummaryCode.MEETING_HELD: "The rapid review group met on {on}",
    SummaryCode.SAFETY_ACTIONS_AGREED: (
        "Immediate actions to keep children safe were agreed on {on}"
    ),
    SummaryCode.NO_SAFETY_ACTION_NEEDED: (
        "On {on} the partners found that no immediate action was needed to keep children safe"
    ),
    SummaryCode.RAPID_REVIEW_SENT: (
        "The partners sent the rapid review to the national Panel on {on}"
    ),
    SummaryCode.PANEL_INFORMATION_SENT: (
        "The partnership sent the national Panel the information it asked for on {on}"
    ),
    SummaryCode.REVIEWER_APPOINTED: "A reviewer was appointed on {on}",
    SummaryCode.TERMS_OF_REFERENCE_AGREED: ("The review's terms of reference were agreed on {on}"),
    SummaryCode.REPORT_APPROVED: "The partners approved the review's report on {on}",
    SummaryCode.PUBLICATION_PLANNED: "Publication is planned for {on}",
    SummaryCode.REPORT_SENT_TO_PANEL: (
        "The report was sent to the national Panel and the Secretary of State on {on}"
    ),
    SummaryCode.PUBLISHED: "The report was published on {on}: {link}",
    SummaryCode.LEARNING_REVIEW_COMMISSIONED: "A learning review was commissioned on {on}",
    SummaryCode.LEARNING_REVIEW_COMPLETED: "The learning review was completed on {on}",
    SummaryCode.DATE_MOVED: "The date for {milestone} moved to {to}",
    SummaryCode.CASE_CLOSED: "The partnership has closed its work on this referral",
}
SUMMARY_OUTCOMES: dict[Outcome, str] = {
    "local_cspr": "The partners decided on a local Child Safeguarding Practice Review",
    "learning_review": "The partners decided on a learning review",
    "no_further_review": "The partners decided that no further review is needed",
}
SUMMARY_PANEL_REPLIES: dict[PanelAnswer, str] = {
    "national_review": "The national Panel decided to carry out a national review",
    "local_review": "The national Panel agreed a local Child Safeguarding Practice Review",
    "agrees": "The national Panel agreed with the partners' decision",
    "more_information": "The national Panel asked for more details before it decides",
}
SUMMARY_PUBLICATION: dict[Publication, str] = {
    "full": "The partners decided to publish the report in full",
    "improvements_only": "The partners will publish only the improvements the review found",
}
SUMMARY_LEARNING_OUTCOMES: dict[LearningOutcome, str] = {
    "learning_identified": "The learning review found lessons for the partnership",
    "no_new_learning": "The learning review found no new learning",
}
SUMMARY_LEARNING_SHARING: dict[LearningSharing, str] = {
    "published": "The learning review's findings were published",
    "briefing": "The learning was shared with practitioners in a briefing",
    "within_partnership": "The learning was shared within the partnership",
}
# The summary lines worded by one choice: the param that carries it, and the choice's table.
SUMMARY_CHOICES: dict[SummaryCode, tuple[str, Mapping[Any, str]]] = {
    SummaryCode.OUTCOME: ("outcome", SUMMARY_OUTCOMES),
    SummaryCode.PANEL_REPLY: ("reply", SUMMARY_PANEL_REPLIES),
    SummaryCode.PUBLICATION_DECISION: ("publish", SUMMARY_PUBLICATION),
    SummaryCode.LEARNING_OUTCOME: ("outcome", SUMMARY_LEARNING_OUTCOMES),
    SummaryCode.LEARNING_SHARED: ("how", SUMMARY_LEARNING_SHARING),
}

# The case's record on its card (the domain's case_notes): a title with the day, and what was
# typed, or these words where nothing was.
NOTE_TITLES: dict[NoteCode, str] = {
    NoteCode.SAFETY_ACTIONS: "Immediate safety actions agreed ({on})",
    NoteCode.NO_SAFETY_ACTION: "Immediate safety action ({on})",
    NoteCode.PANEL_ASKED: "The Panel asked for more information ({on})",
    NoteCode.PANEL_INFORMATION_SENT: "Information sent to the Panel ({on})",
    NoteCode.LEARNING: "Learning review completed ({on})",
    NoteCode.CLOSED: "Case closed ({on})",
}
NOTE_WITHOUT_TEXT: dict[NoteCode, str] = {
    NoteCode.NO_SAFETY_ACTION: "None needed",
    NoteCode.PANEL_INFORMATION_SENT: "Sent",
}

_T = TypeVar("_T")


def milestone_name(key: MilestoneKey | str) -> str:
    """The milestone's title for cards and lists; an unknown key is shown as it is."""
    try:
        return MILESTONES[MilestoneKey(key)].title
    except ValueError:
        return str(key)


def contact_line(name: str, number: str, hours: str) -> str:
    """One front-door line: 'Coventry MASH: 024 7678 8555 (office hours)'.

    A name that only says the hours ('Out of hours') is left out: '01482 300304 (out of hours)'.
    """
    if name.strip().casefold() == hours.casefold():
        return CONTACT_FACT_UNNAMED.format(number=number, hours=hours)
    return CONTACT_FACT.format(name=name, number=number, hours=hours)


def front_door_fact(name: str, office: str, out_name: str, out_of_hours: str) -> str:
    """Both lines of a front door, office hours first."""
    return FRONT_DOOR_FACT.format(
        office=contact_line(name, office, CONTACT_OFFICE_HOURS),
        out_of_hours=contact_line(out_name, out_of_hours, CONTACT_OUT_OF_HOURS),
    )


def working_days(n: int) -> str:
    """'1 working day', '3 working days'."""
    return f"{n} working day" if n == 1 else f"{n} working days"


def time_left(days_left: int) -> str:
    """A reminder's time left: '3 working days', 'Due today', 'Overdue by 2 working days'."""
    if days_left < 0:
        return TIME_LEFT_OVERDUE.format(days=working_days(-days_left))
    return TIME_LEFT_DUE_TODAY if days_left == 0 else working_days(days_left)


def digest_time_left(days_left: int, *, overdue: bool) -> str:
    """In a digest line: 'overdue by 2 working days', 'due today', '3 working days left'."""
    if overdue:
        return DIGEST_OVERDUE.format(days=working_days(abs(days_left)))
    return (
        DIGEST_DUE_TODAY
        if days_left == 0
        else DIGEST_DAYS_LEFT.format(days=working_days(days_left))
    )


def agency_name(agency: str) -> str:
    """An agency asked for a summary: a listed agency by its label, a named one as given."""
    return AGENCY_CHOICES.get(agency, agency)


def day_month(day: date) -> str:
    """'12 Jan': a day within the rapid review's few weeks, where the year goes without saying."""
    return f"{day.day} {MONTH_NAMES[day.month - 1][:3]}"


def partner_name(partner: Partner) -> str:
    """The partner's title, as a card's fact shows it."""
    return PARTNERS[partner].title


def decision_label(kind: DecisionKind) -> str:
    """The decision's label: its button, the audit trail's 'what', 'Recorded: ...'."""
    return DECISION_LABELS[kind]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _partner_list(partners: Iterable[str]) -> str:
    names = [PARTNERS[Partner(p)].in_sentence for p in partners]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _word(value: Param) -> str:
    """A param as it reads in a sentence: dates in full, enum members by their wording."""
    # Enum members are str too, so they are told apart before plain strings.
    if isinstance(value, date):
        return day_month_year(value)
    if isinstance(value, DecisionKind):
        return DECISION_LABELS[value]
    if isinstance(value, CaseStatus):
        return CASE_NOW[value]
    if isinstance(value, MilestoneKey):
        return MILESTONES[value].in_sentence
    if isinstance(value, Partner):
        return PARTNERS[value].in_sentence
    if isinstance(value, tuple):
        return _partner_list(value)
    return str(value)


def _param(params: Mapping[str, Param], name: str, kind: type[_T]) -> _T:
    value = params[name]
    if not isinstance(value, kind):
        raise TypeError(f"{name} should be {kind.__name__}, not {value!r}")
    return value


def _entry(table: Mapping[Any, str], params: Mapping[str, Param], name: str) -> str:
    # Literal keys (outcomes, replies, case dates) travel as plain strings.
    return table[_param(params, name, str)]


def _dates_out_of_order(params: Mapping[str, Param]) -> str:
    # The timeline's dates read as ISO dates, in the CLI and in refusals alike.
    return CASE_DATES_OUT_OF_ORDER.format(
        later=_entry(CASE_DATES, params, "later"),
        later_on=_param(params, "later_on", date).isoformat(),
        earlier=_entry(CASE_DATES, params, "earlier"),
        earlier_on=_param(params, "earlier_on", date).isoformat(),
    )


def decision_problem(error: DecisionError) -> str:
    """Why the decision was refused, for the lead, from the error's code and params."""
    params = error.params
    match error.code:
        case DecisionProblem.DATES_OUT_OF_ORDER:
            text = _dates_out_of_order(params)
        case DecisionProblem.INVALID:
            # Pydantic prefixes a validator's own ValueError; the lead needs only the message.
            text = _param(params, "detail", str).removeprefix("Value error, ")
        case _:
            words = {name: _word(value) for name, value in params.items()}
            if "agency" in params:
                words["agency"] = agency_name(_param(params, "agency", str))
            if error.code in (
                DecisionProblem.PARTNERS_ONLY,
                DecisionProblem.PARTNER_ALREADY_ANSWERED,
            ):
                kind = DecisionKind(_param(params, "kind", str))
                words.update(answer=PARTNER_ANSWER[kind], answered=PARTNER_ANSWERED[kind])
            text = DECISION_PROBLEMS[error.code].format_map(words)
    return _capitalised(text) if error.code in _STARTS_WITH_A_NAME else text


def timeline_problem(error: TimelineInputError) -> str:
    """What is wrong with a case's dates, as the timeline command and refusals say it."""
    if isinstance(error, CaseDatesOrderError):
        return _dates_out_of_order(
            {
                "later": error.later,
                "later_on": error.later_on,
                "earlier": error.earlier,
                "earlier_on": error.earlier_on,
            }
        )
    # The other timeline errors are about the program's own inputs and stay as raised.
    return str(error)


def summary_line(item: SummaryItem) -> str:
    """One line of what the referrer is told: no names, no reasons."""
    if item.code in SUMMARY_CHOICES:
        name, table = SUMMARY_CHOICES[item.code]
        return _entry(table, item.params, name)
    words = {name: _word(value) for name, value in item.params.items()}
    return SUMMARY_LINES[item.code].format_map(words)


def summary_lines(items: Iterable[SummaryItem]) -> list[str]:
    """What has been decided, in plain English for the referrer, one line per item."""
    return [summary_line(item) for item in items]


def note_fact(note: CaseNote) -> tuple[str, str]:
    """One entry of the case's record as a card fact: its title, and what was typed (unescaped)."""
    title = NOTE_TITLES[note.code].format(on=day_month_year(note.on))
    return title, note.text if note.text is not None else NOTE_WITHOUT_TEXT.get(note.code, "")


# The referral's choice lists, keyed by the domain's Literals (safeguarding/referral.py).
AGENCY_CHOICES: dict[str, str] = {
    "childrens_social_care": "Children's social care",
    "police": "Police",
    "health_visiting": "Health visiting / midwifery",
    "gp": "GP",
    "hospital": "Hospital / A&E",
    "mental_health": "Mental health (CAMHS / adult)",
    "school": "School / college",
    "early_years": "Early years / nursery",
    "early_help": "Early help",
    "youth_justice": "Youth justice",
    "probation": "Probation",
    "housing": "Housing",
    "substance_misuse": "Substance misuse services",
    "domestic_abuse": "Domestic abuse services",
}
# The criteria for a local child safeguarding practice review (the Child Safeguarding Practice
# Review and Relevant Agency (England) Regulations 2018, reg. 11; Working Together 2023, ch. 5),
# as the lead's recommendation offers them.
CRITERION_CHOICES: dict[str, str] = {
    "improvements": "Highlights improvements needed to safeguard children",
    "recurrent_themes": "Highlights recurrent themes",
    "agencies_working_together": "Concerns about how two or more agencies worked together",
    "panel_view": "The Panel thinks a local review would be better",
}
# The referrer is asked only what they can know: whether the national Panel has concluded a
# local review may be more appropriate (reg. 11(d)) is the Panel's to say, not theirs.
REFERRER_CRITERION_CHOICES: dict[str, str] = {
    key: title for key, title in CRITERION_CHOICES.items() if key != "panel_view"
}
PARALLEL_CHOICES: dict[str, str] = {
    "police": "Police investigation",
    "coroner": "Coroner",
    "cdop": "Child death review (CDOP)",
    "domestic_homicide_review": "Domestic homicide review",
}


# The review card, when a section was changed and left by Back without saving.
REVIEW_UNSAVED = (
    "Not saved yet: your changes to {sections}. Press Edit on it and then Continue to keep"
    " them. Until then the referral keeps what is shown here."
)
UNSAVED_SECTIONS = {
    "area": "where",
    "referrer": "about you",
    "incident": "the incident",
    "agencies": "the agencies",
    "criteria": "why",
    "actions": "the safety actions",
}
UNSAVED_CHILD = "child {number}"


# The timeliness report (`review-bot report timeliness`), its chart and the monthly report card
# (issue 20). Each measured deadline, named with the rule it is measured against.
REPORT_MEASURES: dict[MilestoneKey, str] = {
    MilestoneKey.SIN: "Panel told (5 working days)",
    MilestoneKey.NOTIFY_PARTNERS: "Partners told (5 working days)",
    MilestoneKey.RR_IAS_RETURNS: "Agency summaries in (day 10)",
    MilestoneKey.RAPID_REVIEW: "Rapid review sent (15 working days)",
    MilestoneKey.CSPR_FINAL_REPORT: "CSPR published (6 months)",
}
# Short names of the stages, for counts of open cases.
REPORT_STAGES: dict[str, str] = {
    "referred": "Referred",
    "rapid_review": "Rapid review",
    "no_serious_incident": "Not notified",
    "local_review": "Local review (CSPR)",
    "learning_review": "Learning review",
    "national_review": "National review",
    "no_further_review": "No further review",
    "published": "Published",
    "closed": "Closed",
}
REPORT_CARD_TITLE = "Monthly report: {partnership}"
REPORT_CARD_MONTH = "{month}. Deadlines that fell due in the month, as they stand on {today}."
REPORT_REFERRALS = "Referrals received"
REPORT_REFERRALS_LED_ELSEWHERE = "{count} ({led} led by another council)"
REPORT_FIGURE = "{on_time} of {counted} on time ({percent})"
REPORT_NONE_DUE = "None due"
REPORT_LATE = "Late: {references}."
REPORT_STILL_OPEN = "Late and still open: {references}."
REPORT_KEPT_NEW_DATE = "Met an agreed new date: {references}."
REPORT_NOT_DUE_YET = "Not due yet: {count}."
REPORT_NOT_RECORDED = "No date recorded: {references}."
REPORT_MORE = "and {count} more"
REPORT_SLIPS = "Deadlines moved"
REPORT_SLIPS_NONE = "None"
REPORT_SLIP_ITEM = "{milestone}: {count}"
REPORT_OPEN = "Open cases"
REPORT_OPEN_NONE = "None"
REPORT_STAGE_ITEM = "{stage}: {count}"
REPORT_NOT_COUNTED = "Cases that could not be counted (please check their dates): {references}."
REPORT_RULE_NOTE = (
    "Each deadline counts in the month of its first due date. A deadline met by an agreed new"
    " date still counts as late."
)
REPORT_CHART_ALT = (
    "Bar chart of deadlines met on time and late, for each quarter from {start} to {end}. The"
    " text above gives the figures for {month}."
)
REPORT_SUMMARY = "Monthly report for {month}: {partnership}"
REPORT_CHART_OPEN = "Open the chart full size"
CHART_TITLE = "Deadlines met on time and late, by quarter: {partnership}"
CHART_SUBTITLE = (
    "Due from {start} to {end}, counted on {today}. Left out: deadlines not yet due, and steps"
    " with no date recorded."
)
CHART_Y_AXIS = "Deadlines due"
CHART_X_AXIS = "Quarter"
CHART_ON_TIME = "On time (solid)"
CHART_LATE = "Late (striped)"
CHART_NONE_DUE = "none counted"
# Why a deadline moved (Move a deadline, a reminder's Slip): the kinds the report counts by.
DECISION_SLIP_KIND = "Why it moved"
SLIP_KINDS: dict[str, str] = {
    "parallel_proceedings": "Police inquiry, trial or inquest",
    "agency_information": "Waiting for an agency",
    "family": "Time to involve the family",
    "reviewer": "Reviewer not free",
    "partners": "Partners' sign-off",
    "other": "Something else",
}
REPORT_SLIP_KIND_NOT_GIVEN = "Kind not given"
REPORT_SLIPS_WHY = "Why they moved"
