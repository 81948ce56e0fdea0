"""Customer outreach, not built yet: the place for contacts, campaigns and invitations
(DESIGN.md, "Customer outreach"). Nothing here works so far; this says where things go.

Like the other sub-packages, it will hold:

- models.py: Contact (per organisation: email, name, location, attributes, unsubscribed or
  suppressed; imported from CSV), Campaign (survey, wave, audience, message, schedule, reminder
  plan, expiry) and Invitation (contact x campaign, token hash, delivery state, reminders sent,
  the response). They are re-exported from surveys/models/__init__.py, which is how Django
  loads them with the app (label "surveys", migrations in surveys/migrations/) and how
  `from surveys.models import Invitation` works elsewhere.
- services.py: importing contacts, launching a campaign, sending invitations and reminders.
  Each email is an outbox row written in the business change's transaction; tasks are queued
  by name after commit (cxaudit.enqueue.enqueue_on_commit), never imported.
- tasks.py: the send task and its sweeper, re-exported from surveys/tasks.py, where Celery's
  autodiscovery looks.
- forms.py, views.py, urls.py: the staff pages and the public invitation link. Its
  urlpatterns are added to those that surveys/urls.py concatenates (namespace "surveys"), each
  URL with its row in the permission matrix. The customer answers in the form engine: a small
  FormEngineMixin subclass (surveys.responses.views) finds the draft by the invitation's token
  and uses the public layout; the draft is started with
  surveys.responses.services.start_response(source=Source.CUSTOMER).

Dependencies point one way: outreach uses questionnaire and responses; nothing in surveys
imports outreach except the re-exports named above.
"""
