"""Survey URLs, one module per sub-package: the questionnaire builder, the respondent form engine,
response imports and self-assessment rounds. Every name lives in the "surveys" namespace."""

from .imports.urls import urlpatterns as imports_urlpatterns
from .outreach.urls import public_urlpatterns as outreach_public_urlpatterns
from .outreach.urls import urlpatterns as outreach_urlpatterns
from .questionnaire.urls import urlpatterns as questionnaire_urlpatterns
from .responses.urls import urlpatterns as responses_urlpatterns
from .selfassess.urls import urlpatterns as selfassess_urlpatterns

app_name = "surveys"

urlpatterns = [
    *outreach_public_urlpatterns,  # first: the customer's pages are the most requested
    *questionnaire_urlpatterns,
    *responses_urlpatterns,
    *imports_urlpatterns,
    *selfassess_urlpatterns,
    *outreach_urlpatterns,
]
