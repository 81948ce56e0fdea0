"""The roles a member can hold in an organisation (see capabilities.py for what each may do)."""

from django.db import models


class Role(models.TextChoices):
    PROGRAM_ADMIN = "program_admin", "Program admin"
    REVIEWER = "reviewer", "Reviewer"
    CLIENT_MANAGER = "client_manager", "Client manager"
    SHOPPER = "shopper", "Shopper"
