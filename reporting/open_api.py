"""Open data over HTTP, for anyone, no key: the publishable complaints (codes, statuses, days),
their public steps, counts with small cells withheld, and the latest daily package's files."""

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query
from fastapi.responses import FileResponse

from reporting.deps import Deps
from reporting.handlers import (
    OpenAggregates,
    OpenComplaints,
    OpenTimeline,
    handle,
)
from reporting.open_data import EXPORT_FILES, package_root
from reporting.ports import ReportingDeps
from services.kernel.refusals import RefusalKind, Refused
from services.platform.http import ERROR_SCHEMA, TRACKING_ID

SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"


router = APIRouter(prefix="/v1/open", tags=["open data"], responses=ERROR_SCHEMA)
"""The `/v1/open` routes (no key)."""


def mount(app: FastAPI, deps: ReportingDeps) -> None:
    """Serve the open-data routes on `app`, over `deps`."""
    app.state.reporting = deps
    app.include_router(router)


@router.get("/complaints")
async def complaints(
    deps: Deps,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    category: str | None = Query(None, pattern=SLUG),
    province: str | None = Query(None, pattern=r"^(\d{2}|unknown)$"),
    status: str | None = Query(None, pattern=SLUG),
) -> dict[str, Any]:
    """Complaints that are neither confidential nor anonymous: tracking id, kind,
    category, region, province, agency, status, the days filed and closed, how it ended.
    Never a title, a description or a person."""
    found: dict[str, Any] = await handle(
        OpenComplaints(limit, offset, category, province, status), deps
    )
    return found


@router.get("/complaints/{tracking_id}/timeline")
async def timeline(
    deps: Deps, tracking_id: Annotated[str, Path(pattern=TRACKING_ID)]
) -> dict[str, Any]:
    """An open complaint's public steps: what happened, on which day, which agency."""
    found: dict[str, Any] = await handle(OpenTimeline(tracking_id), deps)
    return found


@router.get("/aggregates")
async def aggregates(
    deps: Deps,
    by: str = Query("province", pattern="^(province|category|agency)$"),
) -> dict[str, Any]:
    """Every complaint counted by province, category or agency and by status; a count
    below LAPOR_OPEN_DATA_MIN_CELL is withheld (`suppressed`), and no totals are given."""
    found: dict[str, Any] = await handle(OpenAggregates(by), deps)
    return found


@router.get("/export/{name}", response_class=FileResponse)
async def export_file(
    deps: Deps, name: str = Path(pattern=r"^[a-z]+\.(csv|json)$")
) -> FileResponse:
    """A file of the latest daily package: `datapackage.json` (the Frictionless
    descriptor, with each table's schema), `complaints|timeline|aggregates.csv|json`."""
    folder = package_root(deps.ports.settings.var_dir) / "latest"
    if name not in EXPORT_FILES or not (folder / name).is_file():
        raise Refused("not_found", f"no open-data file {name} yet", kind=RefusalKind.NOT_FOUND)
    media = "text/csv" if name.endswith(".csv") else "application/json"
    return FileResponse(folder / name, media_type=media, filename=name)
