from cxaudit.accounts.permissions import Cap
from tests.factories import make_standard, make_wave
from tests.matrix_row import Row


def _standard(org):
    return make_standard(org, "MX-01")


def _journey(org):
    return {"pk": _standard(org).touchpoint.stage.journey_id}


def _archived_journey(org):
    standard = _standard(org)
    journey = standard.touchpoint.stage.journey
    journey.status = "archived"
    journey.save()
    return {"pk": journey.pk}


def _stage(org):
    return {"pk": _standard(org).touchpoint.stage_id}


def _touchpoint(org):
    return {"pk": _standard(org).touchpoint_id}


def _std(org):
    return {"pk": _standard(org).pk}


def _wave(org):
    return {"pk": make_wave(org, "MX wave", status="planned").pk}


def _open_wave(org):
    return {"pk": make_wave(org, "MX open wave", status="open").pk}


ROWS: list[Row] = [
    Row("journeys:journey_list", Cap.VIEW_JOURNEYS),
    Row("journeys:journey_create", Cap.EDIT_JOURNEYS),
    Row("journeys:journey_import", Cap.EDIT_JOURNEYS),
    Row("journeys:journey_export_all", Cap.VIEW_JOURNEYS),
    Row("journeys:journey_detail", Cap.VIEW_JOURNEYS, _journey),
    Row("journeys:journey_map", Cap.VIEW_JOURNEYS, _journey),
    Row("journeys:journey_edit", Cap.EDIT_JOURNEYS, _journey),
    Row("journeys:journey_export", Cap.VIEW_JOURNEYS, _journey),
    Row("journeys:journey_duplicate", Cap.EDIT_JOURNEYS, _journey, "post"),
    Row("journeys:journey_archive", Cap.EDIT_JOURNEYS, _journey, "post"),
    Row("journeys:journey_restore", Cap.EDIT_JOURNEYS, _archived_journey, "post"),
    Row("journeys:journey_delete", Cap.EDIT_JOURNEYS, _archived_journey),
    Row("journeys:stage_create", Cap.EDIT_JOURNEYS, _journey),
    Row("journeys:stage_edit", Cap.EDIT_JOURNEYS, _stage),
    Row("journeys:stage_move", Cap.EDIT_JOURNEYS, _stage, "post"),
    Row("journeys:stage_delete", Cap.EDIT_JOURNEYS, _stage),
    Row("journeys:touchpoint_create", Cap.EDIT_JOURNEYS, _stage),
    Row("journeys:touchpoint_edit", Cap.EDIT_JOURNEYS, _touchpoint),
    Row("journeys:touchpoint_move", Cap.EDIT_JOURNEYS, _touchpoint, "post"),
    Row("journeys:touchpoint_delete", Cap.EDIT_JOURNEYS, _touchpoint),
    Row("journeys:standard_create", Cap.EDIT_JOURNEYS, _touchpoint),
    Row("journeys:standard_edit", Cap.EDIT_JOURNEYS, _std),
    Row("journeys:standard_move", Cap.EDIT_JOURNEYS, _std, "post"),
    Row("journeys:standard_delete", Cap.EDIT_JOURNEYS, _std),
    Row("journeys:wave_list", Cap.VIEW_JOURNEYS),
    Row("journeys:wave_create", Cap.MANAGE_WAVES),
    Row("journeys:wave_edit", Cap.MANAGE_WAVES, _wave),
    Row("journeys:wave_open", Cap.MANAGE_WAVES, _wave, "post"),
    Row("journeys:wave_close", Cap.MANAGE_WAVES, _open_wave, "post"),
]
