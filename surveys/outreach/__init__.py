"""Customer outreach: surveys by email (docs/outreach.md).

- models.py: Contact, ContactList, ContactImport, Campaign, Invitation and InvitationLink
  (re-exported from surveys/models/__init__.py, label "surveys", migrations in
  surveys/migrations/);
- contacts.py: the contacts CSV import; launch.py: writing a campaign's invitations and messages
  in leased batches, reminders and the beat tick; services.py: the campaign's and the customer's
  workflows; emails.py: the outbox purposes (tokens made at send time); personalise.py: the
  subject and message placeholders; i18n.py: the respondent's language; progress.py: a
  campaign's figures; demo.py: called by the insights demo;
- tasks.py (re-exported from surveys/tasks.py), queued by name after commit;
- views.py (staff), public.py (the customer's pages: a FormEngineMixin subclass), forms.py,
  urls.py (added to surveys/urls.py).

Dependencies point one way: outreach uses questionnaire and responses; nothing in surveys
imports outreach except the re-exports named above and the app's ready() (email purposes).
"""
