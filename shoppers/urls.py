"""Shopper programme URLs, one module per sub-package, all in the "shoppers" namespace:

* signup/     the public sign-up page (/join/<org>/), the shopper's profile, certification quizzes
* jobs/       the job board, a job's page, taking, requesting and accepting offers (shoppers)
* visits/     my shops, a shop's page, starting the visit, the visit form, earnings (shoppers)
* panel/      programme settings, the shopper panel and its approvals (staff)
* scheduling/ scenarios, shops one by one or in bulk, offers and requests (staff)
* review/     the review queue and the review of a shop (reviewers)
* reports/    a shop's report card and its print view (staff, managers, the shop's shopper)
* payouts/    what is owed, payout batches and their CSV (staff)
"""

from .jobs.urls import urlpatterns as jobs_urlpatterns
from .panel.urls import urlpatterns as panel_urlpatterns
from .payouts.urls import urlpatterns as payouts_urlpatterns
from .reports.urls import urlpatterns as reports_urlpatterns
from .review.urls import urlpatterns as review_urlpatterns
from .scheduling.urls import urlpatterns as scheduling_urlpatterns
from .signup.urls import urlpatterns as signup_urlpatterns
from .visits.urls import urlpatterns as visits_urlpatterns

app_name = "shoppers"

urlpatterns = [
    *signup_urlpatterns,
    *jobs_urlpatterns,
    *visits_urlpatterns,
    *panel_urlpatterns,
    *scheduling_urlpatterns,
    *review_urlpatterns,
    *reports_urlpatterns,
    *payouts_urlpatterns,
]
