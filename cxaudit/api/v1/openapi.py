"""The schema class of every API view (a module of its own: drf-spectacular imports it while
the views are being defined)."""

from drf_spectacular.openapi import AutoSchema


class ApiSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        """Group operations by what they are about (/api/v1/o/{org_slug}/<this>/…)."""
        parts = self.path.strip("/").split("/")
        return [parts[4]] if len(parts) > 4 else super().get_tags()
