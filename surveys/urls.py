"""Survey URLs: builder, respondent form engine, response imports and self-assessment rounds live
in separate modules."""

from .urls_builder import builder_urlpatterns
from .urls_imports import imports_urlpatterns
from .urls_respond import respond_urlpatterns
from .urls_selfassess import selfassess_urlpatterns

app_name = "surveys"

urlpatterns = [
    *builder_urlpatterns,
    *respond_urlpatterns,
    *imports_urlpatterns,
    *selfassess_urlpatterns,
]
