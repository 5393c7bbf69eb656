"""The dashboard web page, served by reporting: one HTML page in Bahasa Indonesia or English
(`?lang=`, else the browser's `Accept-Language`), its script and style, and Chart.js, all from
this process (`static/dashboard`); the page reads reporting's public JSON from its own origin."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Template

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "dashboard"
LANGUAGES = ("id", "en")
CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
"""Nothing but this origin: no CDN, no inline script, no framing."""


def language(requested: str | None, accept_language: str | None) -> str:
    """`requested` when it is one of ours, else the best of ours the browser accepts, else id."""
    if requested in LANGUAGES:
        return requested
    ranked = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, len(ranked), primary))
    return min(ranked)[2] if ranked else "id"


@cache
def render(lang: str) -> str:
    """The page in `lang`, with its strings inlined as JSON (not executed); made once."""
    strings = json.loads((ASSETS / "strings.json").read_text())
    inlined = json.dumps({lang: strings[lang]}, ensure_ascii=False).replace("</", "<\\/")
    return Template((ASSETS / "index.html").read_text()).substitute(lang=lang, strings=inlined)


def install_dashboard(app: FastAPI) -> None:
    """Serve `/dashboard` and its assets on `app`."""
    app.mount("/static/dashboard", StaticFiles(directory=ASSETS), name="dashboard-assets")

    @app.get("/dashboard", response_class=HTMLResponse, tags=["dashboards"])
    async def dashboard(
        request: Request, lang: str | None = Query(None, pattern="^(id|en)$")
    ) -> HTMLResponse:
        """The dashboard page (Bahasa Indonesia or English): overview and trends, the
        performance index per agency and province, the drill-down with its overdue lists."""
        chosen = language(lang, request.headers.get("accept-language"))
        return HTMLResponse(
            render(chosen),
            headers={
                "Content-Security-Policy": CSP,
                "Content-Language": chosen,
                "Vary": "Accept-Language",
            },
        )
