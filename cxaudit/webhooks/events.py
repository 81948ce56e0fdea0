"""The events an endpoint may subscribe to (name → label). Emitted by the services named in
docs/webhooks.md, inside their transactions."""

RESPONSE_SUBMITTED = "response.submitted"
SHOP_APPROVED = "shop.approved"
INVITATION_COMPLETED = "invitation.completed"
ACTION_ITEM_CHANGED = "action_item.changed"
WAVE_CLOSED = "wave.closed"

EVENTS: dict[str, str] = {
    RESPONSE_SUBMITTED: "Response submitted",
    SHOP_APPROVED: "Mystery shop approved",
    INVITATION_COMPLETED: "Survey invitation completed",
    ACTION_ITEM_CHANGED: "Action item created or changed",
    WAVE_CLOSED: "Wave closed",
}
