"""Survey URLs: the staff builder and the respondent-facing form engine live in separate modules."""

from .urls_builder import builder_urlpatterns
from .urls_imports import imports_urlpatterns
from .urls_respond import respond_urlpatterns

app_name = "surveys"

urlpatterns = [*builder_urlpatterns, *respond_urlpatterns, *imports_urlpatterns]
