// The dashboard page: reads reporting's public JSON (and, with a key, the overdue lists) and
// draws it with Chart.js. Every request goes to the page's own origin.
"use strict";

const STRINGS = JSON.parse(document.getElementById("strings").textContent);
const LANG = document.documentElement.lang === "en" ? "en" : "id";
const T = STRINGS[LANG];
const LOCALE = LANG === "en" ? "en-GB" : "id-ID";
const charts = {};
const names = {}; // code -> name, learnt from the levels already shown (for the breadcrumb)
const state = { by: "agency", tag: null, path: { province: null, agency: null, unit: null } };

function t(key) { return T[key] ?? key; }

function number(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString(LOCALE, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function percent(share) {
  return share === null || share === undefined ? "–" : `${number(share * 100, 1)} %`;
}

function setValue(testid, value, text) {
  const element = document.querySelector(`[data-testid="${testid}"]`);
  element.dataset.value = value === null || value === undefined ? "" : String(value);
  element.textContent = text;
}

async function getJSON(path, params = {}, key = null) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined));
  const headers = key ? { "X-API-Key": key } : {};
  const response = await fetch(`${path}${query.size ? "?" + query : ""}`, { headers });
  return { status: response.status, body: await response.json() };
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function translate() {
  document.querySelectorAll("[data-i18n]").forEach((element) => { element.textContent = t(element.dataset.i18n); });
  document.title = t("title");
  document.querySelector(`[data-testid="lang-${LANG}"]`).setAttribute("aria-current", "true");
  keepPlaceOnSwitch();
}

function keepPlaceOnSwitch() {
  document.querySelectorAll(".languages a").forEach((link) => { link.href = `?lang=${link.hreflang}${location.hash}`; });
}

function trendChart(id, rows) {
  charts[id]?.destroy();
  charts[id] = new Chart(document.getElementById(id), {
    type: "bar",
    data: {
      labels: rows.map((r) => r.period),
      datasets: [
        { label: t("series_filed"), data: rows.map((r) => r.filed), backgroundColor: "#fca5a5" },
        { label: t("series_resolved"), data: rows.map((r) => r.resolved), backgroundColor: "#166534" },
      ],
    },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

async function showOverview() {
  const { body } = await getJSON("/v1/reports/overview", { tag: state.tag });
  const totals = body.totals;
  document.getElementById("as-of").textContent = new Date(body.as_of).toLocaleString(LOCALE);
  setValue("kpi-filed", totals.filed, number(totals.filed));
  setValue("kpi-open", totals.open, number(totals.open));
  setValue("kpi-overdue", totals.overdue, number(totals.overdue));
  setValue("kpi-resolved", totals.resolved, number(totals.resolved));
  setValue("kpi-median", totals.median_days_to_first_follow_up, number(totals.median_days_to_first_follow_up, 1));
  setValue("kpi-within", totals.resolved_within_deadline_share, percent(totals.resolved_within_deadline_share));
  setValue("kpi-satisfaction", totals.satisfaction, number(totals.satisfaction, 2));
  const weights = body.formula.weights;
  let formula = t("formula");
  for (const [name, weight] of Object.entries(weights)) formula = formula.replace(`{${name}}`, number(weight, 2));
  formula = formula.replace("{good}", number(body.formula.grades.Baik)).replace("{fair}", number(body.formula.grades.Sedang));
  document.querySelector('[data-testid="formula"]').textContent = formula;
  trendChart("trend-week", body.trends.week);
  trendChart("trend-month", body.trends.month);
}

async function showPerformance() {
  document.querySelectorAll(".tabs button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.by === state.by)));
  const { body } = await getJSON("/v1/reports/performance", { by: state.by, tag: state.tag });
  const tbody = document.querySelector('[data-testid="ranking"] tbody');
  tbody.replaceChildren();
  for (const row of body.rows) {
    const tr = tbody.insertRow();
    tr.dataset.code = row.code ?? "";
    cell(tr, row.rank ?? "", "number");
    cell(tr, row.name);
    cell(tr, number(row.index, 1), "number").dataset.value = row.index ?? "";
    cell(tr, row.grade ? t(`grade_${row.grade}`) : "–", row.grade ? `grade-${row.grade}` : "");
    cell(tr, number(row.received), "number");
    cell(tr, number(row.overdue), "number");
    cell(tr, number(row.satisfaction, 2), "number");
  }
  const graded = body.rows.filter((r) => r.index !== null).slice(0, 15);
  charts.index?.destroy();
  charts.index = new Chart(document.getElementById("index-chart"), {
    type: "bar",
    data: { labels: graded.map((r) => r.name), datasets: [{ label: t("index"), data: graded.map((r) => r.index), backgroundColor: "#991b1b" }] },
    options: { animation: false, indexAxis: "y", responsive: true, scales: { x: { min: 0, max: 100 } } },
  });
}

function pathFromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#drilldown\/?/, ""));
  state.path = { province: params.get("province"), agency: params.get("agency"), unit: params.get("unit") };
}

function drillTo(path) {
  const params = new URLSearchParams(Object.entries(path).filter(([, v]) => v));
  location.hash = `drilldown/${params}`;
}

async function showDrilldown() {
  const { body } = await getJSON("/v1/reports/drilldown", { ...state.path, tag: state.tag });
  if (body.code) names[body.code] = body.name;
  body.children.forEach((child) => { if (child.code) names[child.code] = child.name; });
  const crumbs = document.querySelector('[data-testid="breadcrumb"]');
  crumbs.replaceChildren();
  const steps = [[t("national"), {}]];
  if (state.path.province) steps.push([null, { province: state.path.province }]);
  if (state.path.agency) steps.push([null, { province: state.path.province, agency: state.path.agency }]);
  if (state.path.unit) steps.push([null, { ...state.path }]);
  steps.forEach(([label, path]) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    const code = Object.values(path).filter(Boolean).at(-1);
    link.textContent = label ?? names[code] ?? code;
    link.addEventListener("click", () => drillTo(path));
    li.append(link);
    crumbs.append(li);
  });
  const totals = body.totals;
  const summary = document.querySelector('[data-testid="drill-totals"]');
  summary.dataset.filed = totals.filed;
  summary.textContent = `${body.name}: ${t("filed")} ${number(totals.filed)} · ${t("open")} ${number(totals.open)} · ${t("overdue")} ${number(totals.overdue)} · ${t("resolved")} ${number(totals.resolved)} · ${t("index")} ${number(totals.index, 1)}`;
  const tbody = document.querySelector('[data-testid="drill-table"] tbody');
  tbody.replaceChildren();
  for (const child of body.children) {
    const tr = tbody.insertRow();
    tr.dataset.code = child.code ?? "";
    cell(tr, child.code === null ? t("unassigned") : child.name);
    cell(tr, number(child.filed), "number").dataset.value = child.filed;
    cell(tr, number(child.open), "number");
    cell(tr, number(child.overdue), "number");
    cell(tr, number(child.resolved), "number");
    cell(tr, number(child.index, 1), "number");
    cell(tr, child.grade ? t(`grade_${child.grade}`) : "–", child.grade ? `grade-${child.grade}` : "");
    if (child.code !== null && body.child_level) {
      tr.className = "drillable";
      tr.addEventListener("click", () => drillTo({ ...state.path, [body.child_level]: child.code }));
    }
  }
  await showOverdue();
}

async function showOverdue() {
  const key = sessionStorage.getItem("lapor-key");
  const hint = document.querySelector('[data-testid="overdue-hint"]');
  const tbody = document.querySelector('[data-testid="overdue-table"] tbody');
  tbody.replaceChildren();
  if (!key) { hint.textContent = t("overdue_needs_key"); return; }
  const params = { overdue: "true", limit: 100, ...state.path, tag: state.tag };
  const { status, body } = await getJSON("/v1/reports/complaints", params, key);
  if (status !== 200) { hint.textContent = t("overdue_refused"); return; }
  hint.textContent = body.total ? `${number(body.total)}` : t("overdue_none");
  hint.dataset.total = body.total;
  for (const row of body.items) {
    const tr = tbody.insertRow();
    cell(tr, row.tracking_id);
    cell(tr, row.title);
    cell(tr, row.unit_code ?? row.agency_code ?? "–");
    cell(tr, row.status);
    const due = row.follow_up_due ?? row.verify_due;
    cell(tr, due ? new Date(due).toLocaleDateString(LOCALE) : "–");
  }
}

async function route() {
  keepPlaceOnSwitch();
  if (location.hash.startsWith("#drilldown")) pathFromHash();
  await showDrilldown();
}

async function tagChoices() {
  const select = document.getElementById("tag");
  const { body } = await getJSON("/v1/reports/tags");
  for (const kind of ["priority_programme", "strategic_issue"]) {
    const group = document.createElement("optgroup");
    group.label = t(kind);
    for (const tag of body.tags.filter((x) => x.kind === kind)) {
      const option = document.createElement("option");
      option.value = tag.code;
      option.textContent = tag[LANG];
      group.append(option);
    }
    select.append(group);
  }
  select.addEventListener("change", async () => {
    state.tag = select.value || null;
    document.body.dataset.ready = "false";
    await Promise.all([showOverview(), showPerformance(), showDrilldown()]);
    document.body.dataset.ready = "true";
  });
}

async function start() {
  translate();
  await tagChoices();
  const input = document.getElementById("api-key");
  input.value = sessionStorage.getItem("lapor-key") ?? "";
  input.addEventListener("change", async () => {
    if (input.value) sessionStorage.setItem("lapor-key", input.value); else sessionStorage.removeItem("lapor-key");
    await showOverdue();
  });
  document.querySelectorAll(".tabs button").forEach((button) => button.addEventListener("click", async () => {
    state.by = button.dataset.by;
    await showPerformance();
  }));
  window.addEventListener("hashchange", route);
  await Promise.all([showOverview(), showPerformance(), route()]);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
