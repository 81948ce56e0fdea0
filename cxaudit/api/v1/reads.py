"""Read endpoints: the same rows, scoping and role rules as the UI's pages."""

from __future__ import annotations

from collections import defaultdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.response import Response as ApiResponse

from cxaudit.accounts.permissions import Cap, get_for_org
from cxaudit.insights.actions.models import ActionItem
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.insights.gaps.report import report_dict
from cxaudit.insights.kpis.services import kpi_figures
from cxaudit.journeys.models import Journey, Standard, Wave
from shoppers.reports.views import visible_shops
from surveys.models import Answer, Campaign, Response, Survey
from surveys.questionnaire.definition.export import survey_to_definition

from . import serializers as s
from .base import OrgApiView
from .pagination import Page, page_serializer

CURSOR = [
    OpenApiParameter("cursor", str, description="The `next` URL's cursor; none: first page."),
    OpenApiParameter("limit", int, description="Rows per page (default 100, at most 500)."),
]


def _id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, int, description=f"Only this {what} (its id).")


def listing(item, *params, summary: str):
    name = item.__name__.removesuffix("Serializer").lower()
    return extend_schema(
        operation_id=f"list_{name}s",
        summary=summary,
        parameters=[*CURSOR, *params],
        responses=page_serializer(item),
    )


class ListView(OrgApiView):
    """A list in cursor pages: `rows()` (scoped and filtered), shown by `serializer`; by
    (updated_at, id) when `timed`, else by id."""

    serializer: type
    timed = False

    def rows(self):
        raise NotImplementedError

    def get(self, request, org_slug):
        page = Page.of(request, self.rows(), timed=self.timed)
        return page.response(self.serializer(page.rows, many=True).data)


def listed(item, *params, summary: str):
    """The schema of a ListView's GET."""
    return extend_schema_view(get=listing(item, *params, summary=summary))


@listed(s.JourneySerializer, summary="Journeys with their stages and touchpoints")
class JourneyList(ListView):
    capabilities = {"GET": Cap.VIEW_JOURNEYS}
    serializer = s.JourneySerializer

    def rows(self):
        return Journey.objects.for_org(self.org).with_structure()


@listed(s.StandardSerializer, summary="Service standards")
class StandardList(ListView):
    capabilities = {"GET": Cap.VIEW_JOURNEYS}
    serializer = s.StandardSerializer

    def rows(self):
        return Standard.objects.for_org(self.org)


@listed(s.WaveSerializer, summary="Measurement waves")
class WaveList(ListView):
    capabilities = {"GET": Cap.VIEW_JOURNEYS}
    serializer = s.WaveSerializer

    def rows(self):
        return Wave.objects.for_org(self.org)


@listed(s.LocationSerializer, summary="Locations (those you may see)")
class LocationList(ListView):
    capabilities = {"GET": Cap.VIEW_LOCATIONS}
    serializer = s.LocationSerializer

    def rows(self):
        return self.scope.locations()


@listed(s.SurveySerializer, summary="Survey versions")
class SurveyList(ListView):
    capabilities = {"GET": Cap.VIEW_SURVEYS}
    serializer = s.SurveySerializer

    def rows(self):
        return Survey.objects.for_org(self.org)


class SurveyDetail(OrgApiView):
    capabilities = {"GET": Cap.VIEW_SURVEYS}

    @extend_schema(
        summary="A survey version with its definition JSON", responses=s.SurveyDetailSerializer
    )
    def get(self, request, org_slug, pk):
        survey = get_for_org(Survey, self.org, pk=pk)
        data = s.SurveySerializer(survey).data
        data["definition"] = survey_to_definition(survey)
        return ApiResponse(data)


RESPONSE_FIELDS = (
    "id",
    "client_id",
    "survey_id",
    "survey__code",
    "source",
    "location_id",
    "wave_id",
    "respondent_ref",
    "submitted_at",
    "updated_at",
    "counted",
    "score_percent",
    "score_earned",
    "score_possible",
    "knocked_out",
)
ANSWER_FIELDS = ("response_id", "question__code", "value", "is_na", "value_num", "value_100")


def visible_responses(view: OrgApiView):
    """Submitted responses the member may see: programme staff every one; client managers the
    counted ones (approved shops) at their locations, as the report cards show them."""
    responses = Response.objects.for_org(view.org).submitted()
    ctx = view.org_ctx
    if ctx.can(Cap.REVIEW_SHOPS) or ctx.can(Cap.MANAGE_ASSIGNMENTS):
        return responses
    return view.scope.filter(responses.filter(counted=True))


class ResponseList(OrgApiView):
    capabilities = {"GET": Cap.VIEW_INSIGHTS}

    @listing(
        s.ResponseSerializer,
        _id("wave", "wave"),
        _id("location", "location"),
        _id("survey", "survey version"),
        OpenApiParameter("survey_code", str, description="Every version of this survey."),
        OpenApiParameter(
            "updated_since",
            OpenApiTypes.DATETIME,
            description="Only responses changed at or after this time (ISO 8601 with zone).",
        ),
        summary="Submitted responses with their answers, oldest change first",
    )
    def get(self, request, org_slug):
        rows = visible_responses(self)
        if (wave := self.wave_param()) is not None:
            rows = rows.filter(wave=wave)
        if (location := self.location_param()) is not None:
            rows = rows.filter(location=location)
        survey = self.pick(
            Survey.objects.for_org(self.org), "survey", self.id_param("survey"), "survey"
        )
        if survey is not None:
            rows = rows.filter(survey=survey)
        if (code := self.param("survey_code")) is not None:
            rows = rows.filter(survey__code=code[:64])
        if (since := self.time_param("updated_since")) is not None:
            rows = rows.filter(updated_at__gte=since)
        page = Page.of(request, rows.values(*RESPONSE_FIELDS), timed=True)
        # One query for every answer of the page, whatever its size (no model instances).
        answers = defaultdict(list)
        ids = [r["id"] for r in page.rows]
        for rid, code, value, is_na, num, v100 in (
            Answer.objects.filter(response_id__in=ids)
            .order_by("response_id", "question__section__position", "question__position")
            .values_list(*ANSWER_FIELDS)
        ):
            answers[rid].append(
                {
                    "question": code,
                    "value": value,
                    "is_na": is_na,
                    "value_num": num,
                    "value_100": v100,
                }
            )
        results = []
        for r in page.rows:
            r["survey"] = r.pop("survey_id")
            r["survey_code"] = r.pop("survey__code")
            r["location"] = r.pop("location_id")
            r["wave"] = r.pop("wave_id")
            r["client_id"] = str(r["client_id"])
            r["answers"] = answers.get(r["id"], [])
            results.append(r)
        return page.response(results)


@listed(
    s.ShopSerializer,
    _id("wave", "wave"),
    _id("location", "location"),
    summary="Sent mystery shops with their scores (a shopper: their own)",
)
class ShopList(ListView):
    capabilities = {"GET": Cap.VIEW_ORG}
    serializer = s.ShopSerializer
    timed = True

    def rows(self):
        shops = visible_shops(self.request._request)
        if (wave := self.wave_param()) is not None:
            shops = shops.filter(wave=wave)
        if (location := self.location_param()) is not None:
            shops = shops.filter(location=location)
        return shops


class GapReport(OrgApiView):
    capabilities = {"GET": Cap.VIEW_INSIGHTS}

    @extend_schema(
        summary="The gap report (docs/formats.md), for the locations you may see",
        parameters=[_id("wave", "wave"), _id("location", "location")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, org_slug):
        analysis = analyse_gaps(
            organization=self.org,
            wave=self.wave_param(),
            location=self.location_param(),
            only_locations=self.scope.only_locations,
        )
        return ApiResponse(report_dict(analysis))


@listed(s.ActionItemSerializer, _id("wave", "wave"), summary="Action items")
class ActionItemList(ListView):
    capabilities = {"GET": Cap.VIEW_INSIGHTS, "POST": Cap.MANAGE_ACTIONS}
    serializer = s.ActionItemSerializer

    def rows(self):
        items = self.scope.filter(
            ActionItem.objects.for_org(self.org).select_related("standard", "owner"),
            org_wide=True,
        )
        if (wave := self.wave_param()) is not None:
            items = items.filter(wave=wave)
        return items


class KpiList(OrgApiView):
    capabilities = {"GET": Cap.VIEW_INSIGHTS}

    @extend_schema(
        summary="Operational KPIs with their value for a wave (the latest by default)",
        parameters=[_id("wave", "wave"), _id("location", "location")],
        responses=s.KpiFigureSerializer(many=True),
    )
    def get(self, request, org_slug):
        figures = kpi_figures(
            organization=self.org,
            wave=self.wave_param(),
            location=self.location_param(),
            only_locations=self.scope.only_locations,
        )
        return ApiResponse([f.to_dict() for f in figures])


@listed(s.CampaignSerializer, summary="Customer survey campaigns")
class CampaignList(ListView):
    capabilities = {"GET": Cap.VIEW_CAMPAIGNS}
    serializer = s.CampaignSerializer

    def rows(self):
        return self.scope.filter(Campaign.objects.for_org(self.org), org_wide=True)
