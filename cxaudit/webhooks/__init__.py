"""Webhooks: organisations register HTTPS endpoints for business events; each event becomes a
signed delivery row written in the business change's transaction and sent from an outbox with
the claim / retry / sweeper machinery of cxaudit.messaging (docs/webhooks.md)."""
