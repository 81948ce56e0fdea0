from django.contrib import admin, messages

from .models import Message
from .services import retry_message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Every message of every organisation (and the account emails that belong to none)."""

    list_display = ["created_at", "purpose", "to_email", "state", "attempts", "organization"]
    list_filter = ["state", "purpose", "organization"]
    search_fields = ["to_email", "key", "message_id", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["organization"]
    actions = ["retry_now"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry now (failed or waiting messages)")
    def retry_now(self, request, queryset):
        done = sum(retry_message(message=m) for m in queryset)
        self.message_user(request, f"{done} message(s) queued again.", messages.SUCCESS)
