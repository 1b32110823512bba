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

# Referral dialog: what the flow says between cards.
REFERRAL_HELP_NOTE = (
    "You are in the middle of a referral; everything you have entered is saved. Carry on with"
    " the card above, or type *cancel* to stop."
)
REFERRAL_DRAFT_GONE = (
    "I no longer have that referral draft: it was cancelled or it expired. Type *refer* to"
    " start again."
)
REFERRAL_ALREADY_FILED = "That referral has already been filed as {reference}."
REFERRAL_BEING_FILED = "Your referral is being filed; you will get its reference in a moment."
REFERRAL_FILING_INTERRUPTED = (
    "Filing your referral was interrupted and nothing was filed. Please check it and press"
    " Submit again."
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
REFERRAL_CANCELLED = "Referral cancelled. What you had entered has been deleted."
REFERRAL_RECEIVED_SUMMARY = "Referral {reference} received"
CASE_CARD_SUMMARY = "New referral {reference}"
# Safety signposts: typed at any point, inside or outside a referral.
OFFICE_HOURS = "office hours"
OUT_OF_HOURS = "out of hours"
EMERGENCY_CALL = "Call {number} now"
EMERGENCY_EXPLAIN = (
    "If a child is in danger now, call the police on 999. Do not wait for a reply here: this"
    " chat is not watched around the clock."
)
EMERGENCY_THEN_FRONT_DOOR = (
    "Then tell the children's front door for the area where the child lives:"
)
CONCERN_TITLE = "Please contact the children's front door"
CONCERN_REASON = (
    "The partnership team cannot take concerns about an individual child or family. The"
    " children's front door (MASH) for the area where the child lives can, now:"
)
CONCERN_999 = "If a child is in immediate danger, call 999."
CONCERN_ALSO_INCIDENT = (
    "If this is also about a serious incident that has already happened (a child has died or"
    " been seriously harmed, and abuse or neglect is known or suspected), you can go on with a"
    " referral."
)
CONTINUE_MY_REFERRAL = "Continue my referral"
OFFER_REFERRAL = (
    "It sounds like a serious incident you may want to refer for a review. Start a referral"
    " and I will guide you through it; your answers are saved as you go."
)
# Answers outside a referral.
FAQ_UNKNOWN = (
    "I don't have an answer to that. Please ask your partnership's business unit; for an"
    " individual child, contact the children's front door."
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
    "You have no referrals filed with me. For any other case, please ask the partnership's"
    " business unit."
)
CASE_STATUS_LINE = "**{reference}** (submitted {submitted}): {status}."
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
        "A child's death with no abuse or neglect known or suspected is reviewed by the Child"
        " Death Overview Panel (CDOP), not by a safeguarding practice review. Contact: {contact}."
        " If you do suspect abuse or neglect, type *refer*."
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
PANEL_REPLIES = {
    "national_review": "A national review",
    "local_review": "A local review",
    "agrees": "Agrees with the recommendation",
}
DECISION_REVIEWER = "Reviewer"
DECISION_PUBLISH = "Publish"
PUBLISH_CHOICES = {"full": "In full", "improvements_only": "The improvements only"}
DECISION_PUBLISH_REASON = "Reason (required to publish the improvements only)"
DECISION_PLANNED_FOR = "Planned publication date"
DECISION_LINK = "Address of the published report (https://...)"
DECISION_MILESTONE = "Milestone"
DECISION_NEW_DATE = "New due date"
DECISION_RECORD = "Record"
DECISION_CONFIRM = "Record this decision?"
DECISION_REFRESH = "Refresh"
DECISION_NONE_AVAILABLE = "No decisions are open on this case."
DECISION_LEADS_ONLY = "Decisions on this case are recorded by the partnership's leads."
AGREEMENT_PROPOSAL = "Proposed"
AGREEMENT_AGREED = "agreed ({name})"
AGREEMENT_DISAGREED = "disagrees: {reason}"
AGREEMENT_AWAITED = "awaited"
AGREEMENT_FINAL = "Recommendation agreed by all three partners"
AGREEMENT_PENDING = "Recommendation: agreement of the three partners"
MILESTONE_NAMES = {
    "sin": "Serious incident notification",
    "notify_partners": "Tell the safeguarding partners",
    "rr_ias_requests": "Rapid review: summaries requested",
    "rr_ias_returns": "Rapid review: summaries in",
    "rr_draft": "Rapid review: draft outcome",
    "rr_sign_off": "Rapid review: sign-off",
    "rapid_review": "Rapid review sent to the Panel",
    "panel_reply": "Panel's reply",
    "report_copy_to_panel": "Report copied to the Panel",
    "cspr_final_report": "CSPR final report published",
    "report_available_until": "Report kept public until",
}
DECISION_RECORDED = "Recorded: {label}."
DECISION_ALREADY = "That was already recorded; nothing changed."
DECISION_REFUSED_NOT_LEAD = "Only the partnership's leads can record decisions on this case."
DECISION_REFUSED_UNAVAILABLE = (
    "I can't check who is a lead right now, so nothing was recorded. Please try again shortly."
)
DECISION_CONFLICT = "{name} has just recorded: {label}. {problem}"
DECISION_CASE_GONE = "This case is no longer available here."
REFERRER_UPDATE_TITLE = "Update on referral {reference}"
# Milestone reminders and the weekly digest.
REMINDER_DUE_IN = "Due in {days} working days: {milestone} ({reference})"
REMINDER_DUE_TODAY = "Due today: {milestone} ({reference})"
REMINDER_OVERDUE = "Overdue: {milestone} ({reference})"
REMINDER_LATE = "Posted late: the bot was not running when this reminder fell due."
REMINDER_SUMMARY = "{reference}: {milestone}"
REMINDER_CASE = "Case"
REMINDER_MILESTONE = "Milestone"
REMINDER_DUE = "Due"
REMINDER_ORIGINAL_DUE = "Originally due"
REMINDER_DAYS_LEFT = "Working days left"
REMINDER_RESPONSIBLE = "Responsible"
REMINDER_ESCALATION = "For the attention of {leads}."
REMINDER_DONE = "Done"
REMINDER_DONE_ON = "Done on"
REMINDER_SLIP = "Slip"
DIGEST_TITLE = "Weekly digest: {partnership}"
DIGEST_WEEK = "Week of {day}. Overdue first."
DIGEST_NOTHING_OPEN = "No open cases."
DIGEST_NOT_YET_KNOWN = "date not known yet"
DIGEST_OVERDUE = "overdue by {days} working days"
DIGEST_DAYS_LEFT = "{days} working days left"
DIGEST_UNDELIVERED = "Reminders that could not be posted (please check):"
PERSONAL_CHAT_ONLY = (
    "Referrals and their progress are handled only in your personal chat with me, because"
    " they carry children's details. Open a chat with me and type *refer*. If a child is in"
    " immediate danger, call 999."
)
DID_NOT_UNDERSTAND = "I didn't understand that. Type *help* to see what I can do."
CARD_NOT_RECOGNISED = "That card is no longer active. Type *help* to start again."
TURN_FAILED = (
    "Sorry, something went wrong on my side and I could not finish that. Please try again. If"
    " a child is in immediate danger, call 999."
)
TURN_CONFLICT = (
    "Two messages from this conversation arrived at the same moment and I could only handle"
    " one. Please send your last message again. If a child is in immediate danger, call 999."
)
CHANNEL_INTRODUCTION = (
    "I will post new referrals and milestone reminders for {partnership} in this channel."
)
CHANNEL_UNASSIGNED = (
    "I have been added to this team. A partnership administrator needs to set this team and"
    " channel as a partnership's review channel before I post referrals here."
)

# --- Referral intake ---
# Every sentence of the referral cards (cards/referral.py) and of the checks on their answers
# (dialogs/referral_forms.py). Agency, criteria and parallel-process names come from
# safeguarding/referral.py, where the data model keeps them.

# The safety question, asked before anything else.
SAFETY_TITLE = "Before we start"
SAFETY_QUESTION = (
    "Is a child in immediate danger, or is this a current worry about a child, rather than a"
    " serious incident that has already happened?"
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
    "The partnership team cannot take concerns about an individual child or family; the"
    " children's front door can act on them straight away."
)
REDIRECT_FRONT_DOORS_NOW = "Children's front doors to call now:"
CONTACT_OFFICE_HOURS = "office hours"
CONTACT_OUT_OF_HOURS = "out of hours"
CONTACT_FACT = "{name}: {number} ({hours})"
CONTACT_WEB_PAGE = "Web page: {url}"
CONTACT_WEB_PAGE_ACTION = "Open this front door's web page"
REDIRECT_CONTINUE = "It is also a serious incident: continue the referral"
REDIRECT_END = "End here"

# Section cards: progress, errors and buttons.
STEP_TITLES = {
    "safety": "Safety check",
    "area": "Where the child lives",
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
CONTINUE = "Continue"
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
    "If the child lives outside these areas, choose the area where the incident happened and"
    " name the child's home area below."
)
OTHER_AREA_LABEL = "If the child lives in another local authority area, which?"

# Referrer.
REFERRER_NAME_LABEL = "Your name"
REFERRER_ROLE_LABEL = "Your role"
REFERRER_AGENCY_LABEL = "Your agency"
REFERRER_CONTACT_LABEL = "Your email address or phone number"
LEAD_AGREED_LABEL = "Has your agency's safeguarding lead agreed to this referral?"
LEAD_AGREED_NOTE = "Your agency's safeguarding lead should agree before you refer a case."

# Child.
CHILD_NAME_LABEL = "Name or initials"
CHILD_NAME_NOTE = (
    "Initials are enough. The review subgroup's channel only ever shows initials and age."
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
INCIDENT_LOCATION_LABEL = "Where did it happen? (optional)"
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
SUBMIT_REFERRAL = "Submit referral"
CHILD_HEADING = "Child {number}"
SCREENING_HEADING = "What your answers suggest"
SCREENING_STILL_CONSIDERED = (
    "This does not stop your referral: the partnership will still consider it."
)
DUPLICATE_WARNING = "This looks like an existing case: {references}. You can still submit."
OUTCOME_LABELS = {
    "rapid_review": "A rapid review",
    "learning_review": "A learning review",
    "cdop": "Child death review (CDOP)",
    "lado": "The Local Authority Designated Officer (LADO)",
    "adult_review": "Adult safeguarding (Safeguarding Adults Review)",
}

# Fact titles, shared by the review and channel cards.
FACT_AREA = "Area"
FACT_PARTNERSHIP = "Partnership"
FACT_OTHER_AREA = "Child's home area"
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
FACT_SIN_DUE = "SIN due"
FACT_RAPID_REVIEW_DUE = "Rapid review due"
FACT_RECEIVED = "Received"

# Acknowledgement to the referrer.
ACK_TITLE = "Referral {reference} received"
ACK_NEXT_HEADING = "What happens next"
ACK_SUBGROUP = (
    "{partnership}'s review subgroup ({subgroup}) will consider your referral and may contact"
    " you for more information."
)
ACK_SIN_DUE = (
    "The local authority makes the serious incident notification to the national Panel. It is"
    " due by {due}."
)
ACK_LA_NOT_AWARE = (
    "You did not know when the local authority became aware of the incident. The local"
    " authority must be told about it: the clock for the notification to the national Panel"
    " starts when it becomes aware."
)
ACK_BUSINESS_UNIT = "Questions about the review process: {contacts}."
ACK_FRONT_DOOR_REMINDER = (
    "This referral is not a way to raise a current worry. If you are worried about a child now,"
    " contact the children's front door; if a child is in immediate danger, call 999."
)

# The review subgroup's channel.
CHANNEL_CASE_TITLE = "New referral {reference}"
CHANNEL_CASE_PRIVACY = (
    "Children are shown by initials and age only; the full referral is in the case record."
)
DATE_NOT_KNOWN = "not known"
DUE_PROJECTED = "{due} (projected)"
DUE_ALTERNATIVE = "{due} (national rule: {alternative})"
DUE_DONE = "done {on}"
DUE_NOT_SET = "not set: needs the date the LA became aware"

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
REDIRECT_WORRY_999 = "If a child is in immediate danger, call **999**."
CHILD_BLANK_TO_CONTINUE = "If you have added every child, leave this form blank and press Continue."
REVIEW_CLIPPED_NOTE = "Long answers are shortened here; press Edit to see them in full."
