"""Every model of the surveys app, defined in its sub-package and re-exported here (as pretix's
base/models/__init__.py does), so that `from surveys.models import Response` works everywhere
and Django finds them all when it loads the app's models module. Models defined under surveys/
keep the app label "surveys" and their table names.

A new sub-package's models (surveys/outreach/models.py, say) are added to the imports below.
"""

from ..imports.models import ResponseImport, ResponseImportQuerySet
from ..outreach.models import (
    Campaign,
    CampaignQuerySet,
    Contact,
    ContactImport,
    ContactImportQuerySet,
    ContactList,
    ContactListQuerySet,
    ContactQuerySet,
    Invitation,
    InvitationLink,
    InvitationQuerySet,
)
from ..questionnaire.models import (
    Aspect,
    Question,
    QuestionQuerySet,
    Section,
    SectionQuerySet,
    Survey,
    SurveyQuerySet,
    code_validator,
    show_if_from_json,
)
from ..responses.models import (
    Answer,
    AnswerQuerySet,
    Evidence,
    EvidenceQuerySet,
    Response,
    ResponseQuerySet,
    Source,
    evidence_path,
)
from ..selfassess.models import SelfAssessmentRound, SelfAssessmentRoundQuerySet

__all__ = [
    "Answer",
    "AnswerQuerySet",
    "Aspect",
    "Campaign",
    "CampaignQuerySet",
    "Contact",
    "ContactImport",
    "ContactImportQuerySet",
    "ContactList",
    "ContactListQuerySet",
    "ContactQuerySet",
    "Evidence",
    "EvidenceQuerySet",
    "Invitation",
    "InvitationLink",
    "InvitationQuerySet",
    "Question",
    "QuestionQuerySet",
    "Response",
    "ResponseImport",
    "ResponseImportQuerySet",
    "ResponseQuerySet",
    "Section",
    "SectionQuerySet",
    "SelfAssessmentRound",
    "SelfAssessmentRoundQuerySet",
    "Source",
    "Survey",
    "SurveyQuerySet",
    "code_validator",
    "evidence_path",
    "show_if_from_json",
]
