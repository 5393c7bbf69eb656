"""The dashboard page in a real browser: Debian's chromium, driven by Playwright, against a
running system with its demo data. The page loads with no console error and no request leaving
127.0.0.1; its numbers are the API's; a drill-down click works down to an agency, with the
overdue list for a key allowed to see it; the language switch works; the API docs pages load
their assets locally too. Screenshots of each view go to var/screenshots/."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.system import ADMIN, ROOT, System, poll_until, system_env

CHROMIUM = "/usr/bin/chromium"
# ../shared/INFRA.md: without the background-networking flags Chromium keeps calling home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="module")
def system() -> Iterator[System]:
    """A running system with its demo data (complaints in every state)."""
    var_dir = ROOT / "var" / f"e2e-dashboard-{uuid.uuid4().hex[:8]}"
    running = System(var_dir, system_env(var_dir))
    running.start()
    try:
        yield running
    finally:
        output = running.stop()
        running.cleanup()
        assert "stopped." in output, output[-3000:]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert shutil.which(CHROMIUM), "make test installs Debian's chromium"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        yield launched
        await launched.close()


class Watched:
    """A page with every request and every console error it caused."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def assert_clean(self, origin: str) -> None:
        assert self.errors == [], self.errors
        outside = [u for u in self.requests if not u.startswith((origin, "data:"))]
        assert outside == [], outside
        assert all(
            u.startswith("http://127.0.0.1:") or u.startswith("data:") for u in self.requests
        )


async def watched(browser: Browser, language: str = "id-ID,id;q=0.9,en;q=0.5") -> Watched:
    context = await browser.new_context(
        locale=language.split(",")[0],
        extra_http_headers={"Accept-Language": language},
        viewport={"width": 1280, "height": 900},
    )
    return Watched(await context.new_page())


async def demo_loaded(client: httpx.AsyncClient, system: System) -> dict[str, Any]:
    """The demo data, filed and settled: the overview the same twice, two seconds apart."""
    seen: list[dict[str, Any]] = []

    async def settled():
        overview = (await client.get(f"{system.url('reporting')}/v1/reports/overview")).json()
        totals = overview["totals"]
        seen.append(totals)
        await asyncio.sleep(2)
        return totals["filed"] >= 200 and len(seen) > 1 and seen[-2] == totals and overview

    return await poll_until(settled, timeout_s=240, what="the demo data settled")


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def value(page: Page, testid: str) -> str:
    return await page.locator(f'[data-testid="{testid}"]').get_attribute("data-value") or ""


async def test_the_dashboard_shows_the_apis_numbers_drills_down_and_switches_language(
    system, browser
):
    reporting = system.url("reporting")
    async with httpx.AsyncClient(timeout=30) as client:
        await demo_loaded(client, system)
        view = await watched(browser)
        page = view.page
        await page.goto(f"{reporting}/dashboard")
        await page.wait_for_selector("body[data-ready=true]")
        assert await page.locator('[data-testid="heading"]').inner_text() == (
            "Dasbor Pengaduan Nasional"
        )
        totals = (await client.get(f"{reporting}/v1/reports/overview")).json()["totals"]
        for testid, field in [
            ("kpi-filed", "filed"),
            ("kpi-open", "open"),
            ("kpi-overdue", "overdue"),
            ("kpi-resolved", "resolved"),
            ("kpi-median", "median_days_to_first_follow_up"),
            ("kpi-within", "resolved_within_deadline_share"),
            ("kpi-satisfaction", "satisfaction"),
        ]:
            shown, expected = await value(page, testid), totals[field]
            assert (shown == "") == (expected is None), (testid, shown, expected)
            assert expected is None or float(shown) == float(expected), (testid, shown, expected)
        assert await page.locator("canvas#trend-week").is_visible()
        await shot(page, "dashboard-overview")

        # A priority programme: every view shows only its complaints.
        await page.select_option('[data-testid="tag"]', "infrastruktur-jalan")
        await page.wait_for_selector("body[data-ready=true]")
        tagged = (
            await client.get(
                f"{reporting}/v1/reports/overview", params={"tag": "infrastruktur-jalan"}
            )
        ).json()["totals"]
        assert 0 < tagged["filed"] < totals["filed"]
        assert await value(page, "kpi-filed") == str(tagged["filed"])
        await shot(page, "dashboard-priority-programme")
        await page.select_option('[data-testid="tag"]', "")
        await page.wait_for_selector("body[data-ready=true]")
        assert await value(page, "kpi-filed") == str(totals["filed"])

        # The performance index, by province: the ranking is the API's.
        await page.click('[data-testid="by-province"]')
        ranking = (
            await client.get(f"{reporting}/v1/reports/performance", params={"by": "province"})
        ).json()["rows"]
        rows = page.locator('[data-testid="ranking"] tbody tr')
        await poll_until(lambda: rows.count(), what="the province ranking")
        assert await rows.count() == len(ranking)
        first = rows.nth(0)
        assert await first.get_attribute("data-code") == ranking[0]["code"]
        assert ranking[0]["grade"] in ("Baik", "Sedang", "Kurang")
        await page.locator("#performance").screenshot(path=str(SHOTS / "dashboard-performance.png"))

        # Drill down: national -> the province with most complaints -> its busiest agency.
        await page.goto(f"{reporting}/dashboard#drilldown")
        await page.wait_for_selector("body[data-ready=true]")
        national = (await client.get(f"{reporting}/v1/reports/drilldown")).json()
        province = max(
            (c for c in national["children"] if c["code"] not in (None, "unknown")),
            key=lambda c: c["filed"],
        )
        table = page.locator('[data-testid="drill-table"] tbody tr')
        assert await table.count() == len(national["children"])
        await page.click(f'[data-testid="drill-table"] tr[data-code="{province["code"]}"]')
        crumbs = page.locator('[data-testid="breadcrumb"] li')
        await crumbs.nth(1).wait_for()
        level = (
            await client.get(
                f"{reporting}/v1/reports/drilldown", params={"province": province["code"]}
            )
        ).json()
        assert await crumbs.nth(1).inner_text() == level["name"]
        filed = level["totals"]["filed"]
        await page.wait_for_function(
            f"document.querySelector('[data-testid=drill-totals]').dataset.filed == '{filed}'"
        )
        codes = [await table.nth(i).get_attribute("data-code") for i in range(await table.count())]
        assert codes == [c["code"] or "" for c in level["children"]]
        agency = max((c for c in level["children"] if c["code"]), key=lambda c: c["filed"])
        await page.click(f'[data-testid="drill-table"] tr[data-code="{agency["code"]}"]')
        await crumbs.nth(2).wait_for()
        assert await crumbs.nth(2).inner_text() == agency["name"]
        assert await crumbs.nth(1).inner_text() == level["name"]  # the province, by its name

        # With the national admin's key, the overdue list of that agency is the API's.
        await page.fill('[data-testid="api-key"]', ADMIN["X-API-Key"])
        await page.press('[data-testid="api-key"]', "Enter")
        await page.locator('[data-testid="api-key"]').blur()
        overdue = (
            await client.get(
                f"{reporting}/v1/reports/complaints",
                params={"overdue": "true", "province": province["code"], "agency": agency["code"]},
                headers=ADMIN,
            )
        ).json()
        hint = page.locator('[data-testid="overdue-hint"]')
        await page.wait_for_function(
            "document.querySelector('[data-testid=overdue-hint]').dataset.total !== undefined"
        )
        assert await hint.get_attribute("data-total") == str(overdue["total"])
        await page.locator("#drilldown").screenshot(path=str(SHOTS / "dashboard-drilldown.png"))

        # The language switch keeps the place and turns the page into English.
        await page.click('[data-testid="lang-en"]')
        await page.wait_for_selector("html[lang=en] body[data-ready=true]")
        assert await page.locator('[data-testid="heading"]').inner_text() == (
            "National Complaints Dashboard"
        )
        assert "agency=" in page.url  # still at the same level of the drill-down
        await shot(page, "dashboard-english")
        view.assert_clean(reporting)


async def test_the_page_follows_accept_language_and_the_api_docs_load_locally(system, browser):
    reporting = system.url("reporting")
    english = await watched(browser, "en-GB,en;q=0.9")
    await english.page.goto(f"{reporting}/dashboard")
    await english.page.wait_for_selector("body[data-ready=true]")
    assert await english.page.locator("html").get_attribute("lang") == "en"
    english.assert_clean(reporting)
    for service in ("reporting", "intake"):
        docs = await watched(browser)
        await docs.page.goto(f"{system.url(service)}/docs")
        await docs.page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        assert await docs.page.locator(".swagger-ui .opblock").count() > 5
        await shot(docs.page, f"api-docs-{service}")
        docs.assert_clean(system.url(service))


def test_screenshots_are_there_for_a_person_to_look_at():
    """Written by the tests above (this file's order), under var/screenshots."""
    names = {p.name for p in SHOTS.glob("*.png")}
    assert {"dashboard-overview.png", "dashboard-drilldown.png", "dashboard-english.png"} <= names
    assert all((SHOTS / n).stat().st_size > 10_000 for n in names)


def test_the_open_data_package_of_the_demo_holds_no_personal_data(system):
    """The demo's reporters (services/tooling/demo.py) and the complaints' own words appear in
    no file of the package, which is served as written."""
    from services.tooling.demo import DEMO_REPORTER, DEMO_TEXT

    made = system.cli("-m", "services", "open-data")
    assert made.returncode == 0, made.stderr[-3000:]
    folder = Path(made.stdout.strip().splitlines()[-1])
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(files) == 7
    everything = b"\n".join(files.values()).decode()
    for value in [*DEMO_REPORTER.values(), DEMO_TEXT, "Izin usaha tidak diproses"]:
        assert value not in everything, value
    assert "kota-bandung" in everything  # not empty: the demo's complaints are there
    with httpx.Client(timeout=30) as client:
        served = client.get(f"{system.url('reporting')}/v1/open/export/datapackage.json")
        assert served.status_code == 200
        assert served.content == files["datapackage.json"]
        rows = client.get(f"{system.url('reporting')}/v1/open/complaints").json()
    assert rows["total"] > 0
    assert all("title" not in row for row in rows["items"])
