"""Write endpoints: each checks the shape of the input, then calls the service the UI calls
(which checks the rules and says which field is wrong)."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response as ApiResponse

from cxaudit.accounts.models import Membership, User
from cxaudit.accounts.permissions import Cap, get_for_org
from cxaudit.errors import ValidationFailed
from cxaudit.insights.actions import services as actions
from cxaudit.insights.kpis.services import import_kpi_values
from cxaudit.journeys.models import Standard, Touchpoint, Wave
from surveys.imports.services import create_import
from surveys.models import Campaign, ContactImport, ResponseImport
from surveys.outreach import services as outreach
from surveys.outreach.contacts import FIXED_COLUMNS, create_contact_import

from . import serializers as s
from .base import OrgApiView, invalid
from .idempotency import HEADER, idempotent
from .reads import ActionItemList

IDEMPOTENCY = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description="Any unique string (a UUID): a retry with the same key is done once.",
)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    """The JSON rows as an import file for the CSV services, every cell quoted (RFC 4180).
    These cells are input that the importers check, not an export a spreadsheet opens, so
    nothing is neutralised (cxaudit/exports.py is for what leaves the app)."""

    def line(cells) -> str:
        return ",".join('"' + str(c).replace('"', '""') + '"' for c in cells)

    return "\n".join(line(cells) for cells in [header, *rows]).encode() + b"\n"


def _accepted(data, url: str) -> ApiResponse:
    """202: the work goes on in the background; `Location` is where to follow it."""
    return ApiResponse(data, status=202, headers={"Location": url})


def _validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ContactWrite(OrgApiView):
    capabilities = {"POST": Cap.MANAGE_CAMPAIGNS}

    @extend_schema(
        summary="Add or update contacts (imported in the background, as a CSV upload is)",
        request=s.ContactsInSerializer,
        parameters=[IDEMPOTENCY],
        responses={202: s.ContactImportSerializer},
    )
    @idempotent
    def post(self, request, org_slug):
        data = _validated(s.ContactsInSerializer, request)
        attributes = sorted({k for c in data["contacts"] for k in c.get("attributes", {})})
        header = [*FIXED_COLUMNS, *(f"attr.{k}" for k in attributes)]
        rows = [
            [c.get(name, "") for name in FIXED_COLUMNS]
            + [c.get("attributes", {}).get(k, "") for k in attributes]
            for c in data["contacts"]
        ]
        imp = create_contact_import(
            organization=self.org,
            uploaded_by=request.user,
            file=ContentFile(_csv(header, rows), name="api-contacts.csv"),
            list_name=data.get("list", ""),
        )
        url = reverse("api:contact_import", args=[self.org.slug, imp.pk])
        return _accepted(s.ContactImportSerializer(imp).data, url)


class ContactImportDetail(OrgApiView):
    capabilities = {"GET": Cap.MANAGE_CAMPAIGNS}

    @extend_schema(summary="A contact import's progress", responses=s.ContactImportSerializer)
    def get(self, request, org_slug, pk):
        imp = get_for_org(ContactImport, self.org, pk=pk)
        return ApiResponse(s.ContactImportSerializer(imp).data)


class CampaignLaunch(OrgApiView):
    capabilities = {"POST": Cap.MANAGE_CAMPAIGNS}

    @extend_schema(
        summary="Launch a draft campaign (now, or at send_at)",
        request=s.LaunchSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: s.CampaignSerializer},
    )
    @idempotent
    def post(self, request, org_slug, pk):
        campaign = get_for_org(Campaign, self.org, pk=pk)
        data = _validated(s.LaunchSerializer, request)
        campaign = outreach.launch_campaign(
            campaign=campaign, actor=request.user, send_at=data.get("send_at")
        )
        return ApiResponse(s.CampaignSerializer(campaign).data)


class ResponseImportWrite(OrgApiView):
    capabilities = {"POST": Cap.IMPORT_RESPONSES}

    @extend_schema(
        summary="Import responses from CSV (in the background, as the import page does)",
        request={"multipart/form-data": s.ResponseImportInSerializer},
        parameters=[IDEMPOTENCY],
        responses={202: s.ResponseImportSerializer},
    )
    @idempotent
    def post(self, request, org_slug):
        self.scope.require_all()  # an import holds rows of any location
        data = _validated(s.ResponseImportInSerializer, request)
        imp = create_import(
            organization=self.org,
            survey_code=data["survey"],
            uploaded_by=request.user,
            file=data["file"],
        )
        url = reverse("api:response_import", args=[self.org.slug, imp.pk])
        return _accepted(s.ResponseImportSerializer(imp).data, url)


class ResponseImportDetail(OrgApiView):
    capabilities = {"GET": Cap.IMPORT_RESPONSES}

    @extend_schema(summary="A response import's progress", responses=s.ResponseImportSerializer)
    def get(self, request, org_slug, pk):
        self.scope.require_all()
        imp = get_for_org(ResponseImport.objects.select_related("survey"), self.org, pk=pk)
        return ApiResponse(s.ResponseImportSerializer(imp).data)


_LINE = re.compile(r"^line (\d+)")


class KpiValueWrite(OrgApiView):
    capabilities = {"POST": Cap.IMPORT_RESPONSES}

    @extend_schema(
        summary="Create or update KPI values (all or nothing)",
        request=s.KpiValuesInSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: s.ImportReportSerializer},
    )
    @idempotent
    def post(self, request, org_slug):
        values = _validated(s.KpiValuesInSerializer, request)["values"]
        rows = [[v["kpi"], v["location"], v["wave"], str(v["value"])] for v in values]
        try:
            report = import_kpi_values(
                organization=self.org, data=_csv(["kpi", "location", "wave", "value"], rows)
            )
        except ValidationFailed as exc:
            # The service speaks of lines of its file: line 2 is values.0.
            exc.errors = [
                (
                    _LINE.sub(lambda m: f"values.{int(m.group(1)) - 2}", where).replace(", ", "."),
                    why,
                )
                for where, why in exc.errors
            ]
            raise
        return ApiResponse({"created": report.created, "updated": report.updated})


class ActionItems(ActionItemList):
    @extend_schema(
        summary="Create an action item for a gap (its owner is emailed)",
        request=s.ActionItemInSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: s.ActionItemSerializer},
    )
    @idempotent
    def post(self, request, org_slug):
        data = _validated(s.ActionItemInSerializer, request)
        wave = self.pick(Wave.objects.for_org(self.org), "wave", data["wave"], "wave")
        standard = None
        if code := data.get("standard"):
            standard = Standard.objects.for_org(self.org).filter(code=code).first()
            if standard is None:
                raise invalid("standard", f"no standard {code[:40]!r} in this organisation")
        touchpoint = self.pick(
            Touchpoint.objects.for_org(self.org),
            "touchpoint",
            data.get("touchpoint"),
            "touchpoint",
        )
        location = self.pick(self.scope.locations(), "location", data.get("location"), "location")
        owner = User.objects.filter(
            email__iexact=data["owner"],
            pk__in=Membership.objects.for_org(self.org).active().values("user_id"),
        ).first()
        if owner is None:
            raise invalid("owner", "no member of this organisation with this email")
        item = actions.create_action(
            scope=actions.GapScope(
                organization=self.org,
                wave=wave,
                gap=data["gap"],
                standard=standard,
                touchpoint=touchpoint,
                location=location,
            ),
            actor=request.user,
            title=data["title"],
            description=data.get("description", ""),
            root_cause=data["root_cause"],
            owner=owner,
            due_date=data["due_date"],
            priority=data.get("priority"),
            target_gap=data.get("target_gap"),
        )
        return ApiResponse(s.ActionItemSerializer(item).data, status=201)
