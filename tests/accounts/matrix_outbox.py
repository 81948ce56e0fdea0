from cxaudit.accounts.permissions import Cap
from cxaudit.messaging.apps import NOTICE
from cxaudit.messaging.models import Message
from cxaudit.messaging.services import queue_message
from tests.matrix_row import Row


def _message(org):
    message = Message.objects.filter(organization=org, key="matrix").first() or queue_message(
        purpose=NOTICE,
        key="matrix",
        to_email="someone@example.test",
        organization=org,
        context={"subject": "s"},
    )
    return {"pk": message.pk}


ROWS: list[Row] = [
    Row("accounts:outbox_list", Cap.MANAGE_OUTBOX),
    Row("accounts:outbox_detail", Cap.MANAGE_OUTBOX, _message),
    Row("accounts:outbox_retry", Cap.MANAGE_OUTBOX, _message, "post"),
]
