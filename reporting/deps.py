"""reporting's FastAPI dependencies: the use cases' deps of the app serving the request, and
who may read what (complaint rows, timelines, digests and the past)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from reporting.ports import ReportingDeps
from services.platform.auth import AGENCY_SIDE, NATIONAL_READERS, Principal, requiring


def reporting_deps(request: Request) -> ReportingDeps:
    """What reporting's use cases run over (`app.state.reporting`, set by `api.mount`)."""
    deps: ReportingDeps = request.app.state.reporting
    return deps


Deps = Annotated[ReportingDeps, Depends(reporting_deps)]
RowReader = Annotated[Principal, Depends(requiring(*AGENCY_SIDE, "oversight", "auditor"))]
"""Complaint rows: an agency its own, a province those under it too, the national readers all."""
TimelineReader = Annotated[Principal, Depends(requiring(*NATIONAL_READERS))]
"""Timelines: the national admin, oversight bodies and auditors."""
