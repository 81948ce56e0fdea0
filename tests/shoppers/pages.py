"""Helpers of the shopper page tests: a logged-in client, a URL of the "shoppers" namespace,
the messages a page shows."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, org, *args) -> str:
    return reverse(f"shoppers:{name}", args=[org.slug, *args])


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])
