// clerkmock's dashboard: plain JS, no build step, no dependency.  It reads the control plane of the server that
// serves it (same origin, JSON) and the Backend API through /__clerkmock/api/v1/... (not journaled, not faulted).
// The journal arrives as Server-Sent Events from /__clerkmock/requests/stream, read with fetch() so the key
// (strict mode) can go in a header.
"use strict";

const BASE = location.pathname.replace(/\/ui(\/.*)?$/, "");
const PAGE_SIZE = 25;
const MAX_JOURNAL = 2000;
const ui = {
  token: sessionStorage.getItem("clerkmock.token") || "",
  view: "state",
  kind: "users",
  query: "",
  offset: 0,
  journal: [],          // newest last
  lastSeq: 0,
  selectedSeq: null,
  filters: { route: "", status: "", client: "" },
  snapshots: [],
  refreshTimer: null,
  streamOn: false,
};

// -- talking to the server ----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    const err = body && body.errors && body.errors[0];
    super(err ? `${status} ${err.code}: ${err.long_message || err.message}` : `${status}`);
    this.status = status;
    this.body = body;
  }
}

function headers(json) {
  const h = { Accept: "application/json" };
  if (json) h["Content-Type"] = "application/json";
  if (ui.token) h.Authorization = `Bearer ${ui.token}`;
  return h;
}

async function call(method, path, body) {
  // Writes are JSON even without a body: the control plane takes a browser's writes only as JSON (a cross-site
  // page could not send that without a preflight it is refused) or with the token (docs/security.md).
  const init = { method, headers: headers(body !== undefined || method !== "GET"), credentials: "same-origin" };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(BASE + path, init);
  if (response.status === 401) {
    askForKey();
    throw new ApiError(401, null);
  }
  const text = await response.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON: keep the text */ }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const api = (path) => call("GET", `/api/v1${path}`);

function askForKey() {
  const form = document.getElementById("token-form");
  form.hidden = false;
  document.getElementById("token-input").focus();
}

function notice(text, error) {
  const el = document.getElementById("notice");
  el.textContent = text;
  el.className = error ? "notice error" : "notice";
  el.hidden = !text;
  if (text && !error) setTimeout(() => { if (el.textContent === text) el.hidden = true; }, 3000);
}

async function guarded(fn) {
  try { return await fn(); } catch (e) { if (e.status !== 401) notice(e.message, true); return undefined; }
}

// -- small DOM helpers --------------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const view = () => document.getElementById("view");
const fmtTime = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");
const json = (value) => h("pre", { class: "json" }, JSON.stringify(value, null, 2));

function copyButton(text) {
  return h("button", {
    class: "copy", type: "button", title: `copy ${text}`,
    onclick: (ev) => {
      ev.stopPropagation();
      navigator.clipboard?.writeText(text).then(() => notice(`copied ${text}`), () => notice(text));
    },
  }, "copy");
}

function showDetail(title, ...content) {
  document.getElementById("detail-title").textContent = title;
  const body = document.getElementById("detail-body");
  body.replaceChildren(...content);
  document.getElementById("detail").hidden = false;
}

function hideDetail() {
  document.getElementById("detail").hidden = true;
  ui.selectedSeq = null;
}

function table(columns, rows, onclick, rowClass) {
  if (!rows.length) return h("div", { class: "empty card" }, "Nothing here.");
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c[0])))),
    h("tbody", {}, rows.map((r) => h("tr", {
      class: `row ${rowClass ? rowClass(r) : ""}`, dataset: { id: r.id ?? r.seq ?? "" },
      onclick: onclick ? () => onclick(r) : undefined,
    }, columns.map((c) => h("td", { class: c[2] || "" }, c[1](r)))))));
}

// -- State --------------------------------------------------------------------------------------------------

const primaryEmail = (u) => (u.email_addresses || []).find((e) => e.id === u.primary_email_address_id)?.email_address
  || (u.email_addresses || [])[0]?.email_address || (u.phone_numbers || [])[0]?.phone_number || "";

const KINDS = {
  users: {
    label: "Users",
    async load(q, offset) {
      const qs = new URLSearchParams({ limit: PAGE_SIZE, offset, order_by: "-created_at" });
      if (q) qs.set("query", q);
      const [rows, count] = await Promise.all([api(`/users?${qs}`), api(`/users/count?${q ? new URLSearchParams({ query: q }) : ""}`)]);
      return { rows, total: count.total_count };
    },
    columns: [
      ["id", (u) => [u.id, copyButton(u.id)], "mono"],
      ["name", (u) => [u.first_name, u.last_name].filter(Boolean).join(" ") || "—"],
      ["identifier", primaryEmail],
      ["username", (u) => u.username || "—"],
      ["created", (u) => fmtTime(u.created_at), "mono"],
      ["", (u) => [u.banned ? h("span", { class: "tag bad" }, "banned") : null, u.locked ? h("span", { class: "tag bad" }, "locked") : null]],
    ],
    async detail(u) {
      const memberships = await api(`/users/${u.id}/organization_memberships?limit=100`);
      return [json(await api(`/users/${u.id}`)), h("h3", {}, "Organization memberships"), json(memberships)];
    },
  },
  organizations: {
    label: "Organizations",
    async load(q, offset) {
      const qs = new URLSearchParams({ limit: PAGE_SIZE, offset, include_members_count: "true", order_by: "-created_at" });
      if (q) qs.set("query", q);
      const page = await api(`/organizations?${qs}`);
      return { rows: page.data, total: page.total_count };
    },
    columns: [
      ["id", (o) => [o.id, copyButton(o.id)], "mono"],
      ["name", (o) => o.name],
      ["slug", (o) => o.slug, "mono"],
      ["members", (o) => o.members_count ?? "—"],
      ["created", (o) => fmtTime(o.created_at), "mono"],
    ],
    async detail(o) {
      const [members, invitations] = await Promise.all([
        api(`/organizations/${o.id}/memberships?limit=100`),
        api(`/organizations/${o.id}/invitations?limit=100`),
      ]);
      return [json(o), h("h3", {}, "Members and roles"),
        table([["user", (m) => m.public_user_data?.user_id || "", "mono"], ["identifier", (m) => m.public_user_data?.identifier || ""],
          ["role", (m) => h("span", { class: "tag" }, m.role)]], members.data),
        h("h3", {}, "Invitations"), json(invitations)];
    },
  },
  sessions: {
    label: "Sessions & clients",
    async load(q, offset) {
      const rows = await api(`/clients?${new URLSearchParams({ limit: PAGE_SIZE, offset })}`);
      return { rows, total: null };
    },
    columns: [
      ["client", (c) => [c.id, copyButton(c.id)], "mono"],
      ["sessions", (c) => (c.sessions || []).map((s) => h("div", { class: "mono" }, `${s.id} `,
        h("span", { class: s.status === "active" ? "tag ok" : "tag" }, s.status), ` ${s.user_id}`))],
      ["updated", (c) => fmtTime(c.updated_at), "mono"],
    ],
    async detail(c) { return [json(c)]; },
  },
  invitations: {
    label: "Invitations",
    async load(q, offset) {
      const qs = new URLSearchParams({ limit: PAGE_SIZE, offset, paginated: "true" });
      if (q) qs.set("query", q);
      const page = await api(`/invitations?${qs}`);
      return { rows: page.data, total: page.total_count };
    },
    columns: [
      ["id", (i) => [i.id, copyButton(i.id)], "mono"],
      ["email", (i) => i.email_address],
      ["status", (i) => h("span", { class: "tag" }, i.status)],
      ["created", (i) => fmtTime(i.created_at), "mono"],
    ],
    async detail(i) { return [json(i)]; },
  },
  machines: {
    label: "Machines & API keys",
    async load(q, offset) {
      const qs = new URLSearchParams({ limit: PAGE_SIZE, offset });
      if (q) qs.set("query", q);
      const page = await api(`/machines?${qs}`);
      return { rows: page.data, total: page.total_count };
    },
    columns: [
      ["id", (m) => [m.id, copyButton(m.id)], "mono"],
      ["name", (m) => m.name],
      ["created", (m) => fmtTime(m.created_at), "mono"],
    ],
    async detail(m) {
      const keys = await api(`/api_keys?${new URLSearchParams({ subject: m.id })}`);
      return [json(m), h("h3", {}, "API keys"), json(keys)];
    },
  },
  instance: {
    label: "Instance",
    async load() {
      const parts = [["instance", "/instance"], ["JWT templates", "/jwt_templates"], ["roles", "/organization_roles?limit=100"],
        ["permissions", "/organization_permissions?limit=100"], ["domains", "/domains"], ["redirect URLs", "/redirect_urls"],
        ["allowlist", "/allowlist_identifiers"], ["blocklist", "/blocklist_identifiers"]];
      const answers = await Promise.all(parts.map(([, p]) => api(p).catch((e) => ({ error: e.message }))));
      return { sections: parts.map(([name], i) => [name, answers[i]]) };
    },
  },
};

async function renderState() {
  const kind = KINDS[ui.kind];
  const search = h("input", { type: "search", placeholder: "search (email, name, id …)", value: ui.query, id: "state-search" });
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { ui.query = search.value; ui.offset = 0; loadState(); }, 250);
  });
  view().replaceChildren(
    h("div", { class: "subtabs" }, Object.entries(KINDS).map(([key, k]) => h("button", {
      type: "button", class: key === ui.kind ? "active" : "", dataset: { kind: key },
      onclick: () => { ui.kind = key; ui.offset = 0; ui.query = ""; hideDetail(); renderState(); },
    }, k.label))),
    kind.columns ? h("div", { class: "toolbar" }, search, h("span", { class: "grow" }),
      h("button", { type: "button", onclick: () => loadState() }, "Refresh")) : "",
    h("div", { id: "state-table" }, h("div", { class: "empty" }, "Loading …")),
  );
  await loadState();
}

async function loadState() {
  const kind = KINDS[ui.kind];
  const box = document.getElementById("state-table");
  if (!box) return;
  const result = await guarded(() => kind.load(ui.query, ui.offset));
  if (!result) return;
  if (result.sections) {
    box.replaceChildren(...result.sections.map(([name, value]) => h("div", { class: "card" }, h("h2", {}, name), json(value))));
    return;
  }
  const { rows, total } = result;
  const last = total === null ? rows.length < PAGE_SIZE : ui.offset + rows.length >= total;
  box.replaceChildren(
    table(kind.columns, rows, async (row) => {
      const content = await guarded(() => kind.detail(row));
      if (content) showDetail(row.id, ...content);
    }),
    h("div", { class: "pager" },
      h("button", { type: "button", disabled: ui.offset === 0, onclick: () => { ui.offset = Math.max(0, ui.offset - PAGE_SIZE); loadState(); } }, "‹ Prev"),
      h("span", { class: "muted", id: "state-range" }, rows.length ? `${ui.offset + 1}–${ui.offset + rows.length}${total === null ? "" : ` of ${total}`}` : "0"),
      h("button", { type: "button", disabled: last, onclick: () => { ui.offset += PAGE_SIZE; loadState(); } }, "Next ›")),
  );
}

// -- Journal ------------------------------------------------------------------------------------------------

function statusClass(status) {
  return status === null ? "snone" : `s${String(status)[0]}`;
}

function journalRows() {
  const f = ui.filters;
  return ui.journal.filter((e) => {
    if (f.route && !(`${e.route || ""} ${e.path}`).includes(f.route)) return false;
    if (f.client && !(e.client || "").toLowerCase().includes(f.client.toLowerCase())) return false;
    if (f.status === "errors" && !(e.status === null || e.status >= 400)) return false;
    if (f.status === "faulted" && !e.fault) return false;
    if (/^\dxx$/.test(f.status) && String(e.status)[0] !== f.status[0]) return false;
    return true;
  }).slice(-500).reverse();
}

const JOURNAL_COLUMNS = [
  ["#", (e) => e.seq, "mono"],
  ["time", (e) => fmtTime(e.at_ms).slice(11), "mono"],
  ["method", (e) => e.method, "mono"],
  ["path", (e) => e.path, "mono"],
  ["route", (e) => e.route || "—", "mono"],
  ["status", (e) => h("span", { class: `status ${statusClass(e.status)}` }, e.status ?? "none"), ""],
  ["ms", (e) => e.duration_ms, "mono"],
  ["fault", (e) => (e.fault ? h("span", { class: "tag bad" }, `${e.fault} · ${e.action}`) : (e.error_code || "")), ""],
  ["client", (e) => (e.client || "").split(" ")[0], "muted"],
];

function renderJournal() {
  const input = (key, placeholder) => {
    const el = h("input", { type: "search", placeholder, value: ui.filters[key], id: `filter-${key}` });
    el.addEventListener("input", () => { ui.filters[key] = el.value; drawJournal(); });
    return el;
  };
  const status = h("select", { id: "filter-status" }, ["", "2xx", "4xx", "5xx", "errors", "faulted"].map((s) =>
    h("option", { value: s, selected: ui.filters.status === s }, s || "any status")));
  status.addEventListener("change", () => { ui.filters.status = status.value; drawJournal(); });
  view().replaceChildren(
    h("div", { class: "toolbar" }, input("route", "route or path"), status, input("client", "client (user agent)"),
      h("span", { class: "grow" }),
      h("button", { type: "button", class: "danger", onclick: () => guarded(async () => { await call("DELETE", "/requests"); }) }, "Clear")),
    h("div", { id: "journal-table" }),
  );
  drawJournal();
}

function drawJournal() {
  const box = document.getElementById("journal-table");
  if (!box) return;
  box.replaceChildren(table(JOURNAL_COLUMNS, journalRows(), showEntry,
    (e) => `${e.seq === ui.selectedSeq ? "selected" : ""} ${e.seq > ui.drawnSeq ? "fresh" : ""}`));
  ui.drawnSeq = ui.lastSeq;
}

async function showEntry(e) {
  ui.selectedSeq = e.seq;
  const full = await guarded(() => call("GET", `/requests/${e.seq}`));
  if (!full) return;
  showDetail(`${e.method} ${e.path}`,
    h("div", {}, h("span", { class: `status ${statusClass(e.status)}` }, e.status ?? "no response"), " ",
      e.route ? h("span", { class: "tag" }, e.route) : "", e.fault ? h("span", { class: "tag bad" }, `fault ${e.fault}: ${e.action}`) : ""),
    h("h3", {}, "Request body"), json(full.request_body),
    h("h3", {}, "Response body"), json(full.response_body),
    h("h3", {}, "Entry"), json({ ...full, request_body: undefined, response_body: undefined }));
}

function onJournalEvent(entry) {
  ui.journal.push(entry);
  if (ui.journal.length > MAX_JOURNAL) ui.journal.splice(0, ui.journal.length - MAX_JOURNAL);
  ui.lastSeq = entry.seq;
  document.getElementById("journal-count").textContent = ui.journal.length || "";
  if (ui.view === "journal") scheduleDraw();
  // what a request changed shows up in the other views without a reload
  if (entry.method !== "GET" || entry.fault) scheduleRefresh();
}

let drawTimer = null;
function scheduleDraw() {
  if (drawTimer) return;
  drawTimer = setTimeout(() => { drawTimer = null; drawJournal(); }, 100);
}

function scheduleRefresh() {
  clearTimeout(ui.refreshTimer);
  ui.refreshTimer = setTimeout(() => {
    if (ui.view === "state") loadState();
    else if (ui.view === "faults") loadFaults();
    else if (ui.view === "webhooks") loadWebhooks();
    else if (ui.view === "messages") loadMessages();
  }, 250);
}

// SSE over fetch: each answer holds the entries after Last-Event-ID (waiting up to 15 s for one) and ends.
async function streamJournal() {
  const live = document.getElementById("live");
  for (;;) {
    try {
      const h2 = headers(false);
      h2.Accept = "text/event-stream";
      h2["Last-Event-ID"] = String(ui.lastSeq);
      live.className = "live on";
      const response = await fetch(`${BASE}/requests/stream`, { headers: h2, credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { live.className = "live"; askForKey(); await sleep(2000); continue; }
      if (!response.ok) throw new Error(String(response.status));
      for (const event of parseEvents(await response.text())) {
        if (event.type === "clear") {
          ui.journal = [];
          ui.lastSeq = 0;
          ui.drawnSeq = 0;
          document.getElementById("journal-count").textContent = "";
          if (ui.view === "journal") drawJournal();
          scheduleRefresh();
        } else if (event.type === "request") {
          onJournalEvent(JSON.parse(event.data));
        }
      }
    } catch (_) {
      live.className = "live";
      await sleep(1000);
    }
  }
}

function parseEvents(text) {
  const events = [];
  for (const block of text.split("\n\n")) {
    const ev = { type: "message", data: "" };
    let any = false;
    for (const line of block.split("\n")) {
      const i = line.indexOf(":");
      if (i <= 0) continue;
      const field = line.slice(0, i);
      const value = line.slice(i + 1).replace(/^ /, "");
      if (field === "event") { ev.type = value; any = true; }
      else if (field === "data") { ev.data += value; any = true; }
    }
    if (any) events.push(ev);
  }
  return events;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// -- Faults -------------------------------------------------------------------------------------------------

const ACTIONS = ["respond", "delay", "reset", "drop", "hang", "truncate", "malformed"];
const ERROR_CODES = ["too_many_requests", "internal_clerk_error", "maintenance_mode", "service_unavailable",
  "bad_gateway", "gateway_timeout", "resource_not_found", "authentication_invalid", "form_param_value_invalid"];

function renderFaults() {
  const action = h("select", { name: "action", id: "fault-action" }, ACTIONS.map((a) => h("option", { value: a }, a)));
  const form = h("form", { class: "grid", id: "fault-form" },
    h("label", {}, "method", h("select", { name: "method" }, ["*", "GET", "POST", "PATCH", "PUT", "DELETE"].map((m) => h("option", { value: m }, m)))),
    h("label", {}, "path or route name", h("input", { name: "path", placeholder: "/v1/users or users.create", required: true })),
    h("label", {}, "action", action),
    h("label", { id: "fault-status-label" }, "status", h("input", { name: "status", type: "number", value: "429", min: "100", max: "599" })),
    h("label", { id: "fault-error-label" }, "error code", h("select", { name: "error" }, h("option", { value: "" }, "(by status)"), ERROR_CODES.map((c) => h("option", { value: c }, c)))),
    h("label", { id: "fault-delay-label", hidden: true }, "delay ms", h("input", { name: "delay", type: "number", value: "500", min: "0" })),
    h("label", {}, "times (empty: always)", h("input", { name: "times", type: "number", min: "1", value: "1" })),
    h("button", { type: "submit", class: "primary" }, "Add fault"),
  );
  action.addEventListener("change", () => {
    const respond = action.value === "respond";
    document.getElementById("fault-status-label").hidden = !respond;
    document.getElementById("fault-error-label").hidden = !respond;
    document.getElementById("fault-delay-label").hidden = action.value !== "delay";
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const rule = { match: { method: f.get("method"), path: f.get("path").trim() } };
    const a = f.get("action");
    if (a === "respond") {
      rule.respond = { status: Number(f.get("status")) };
      if (f.get("error")) rule.respond.error = f.get("error");
    } else if (a === "delay") rule.delay = Number(f.get("delay"));
    else rule[a] = true;
    if (f.get("times")) rule.times = Number(f.get("times"));
    guarded(async () => {
      const added = await call("POST", "/faults", rule);
      notice(`fault ${added.id} added`);
      loadFaults();
    });
  });
  const rateLimit = h("input", { type: "checkbox", id: "rate-limit" });
  rateLimit.addEventListener("change", () => guarded(async () => {
    if (rateLimit.checked) await call("POST", "/faults", { id: "rate_limit", rate_limit: "development" });
    else await call("DELETE", "/faults/rate_limit");
    loadFaults();
  }));
  view().replaceChildren(
    h("div", { class: "card" }, h("h2", {}, "Add a fault"), form),
    h("div", { class: "toolbar" }, h("label", {}, rateLimit, " Rate limit (Clerk's development limit: 100 requests / 10 s per key)"),
      h("span", { class: "grow" }),
      h("button", { type: "button", class: "danger", onclick: () => guarded(async () => { await call("DELETE", "/faults"); loadFaults(); }) }, "Remove all")),
    h("div", { id: "faults-table" }),
  );
  loadFaults();
}

async function loadFaults() {
  const box = document.getElementById("faults-table");
  if (!box) return;
  const faults = await guarded(() => call("GET", "/faults"));
  if (!faults) return;
  const rl = document.getElementById("rate-limit");
  if (rl) rl.checked = faults.data.some((r) => r.id === "rate_limit");
  const describe = (r) => {
    const { id, action, matched, fired, paused, match, description, ...rest } = r;
    return JSON.stringify(rest);
  };
  box.replaceChildren(table([
    ["id", (r) => r.id, "mono"],
    ["match", (r) => (typeof r.match === "string" ? r.match : JSON.stringify(r.match || "any request")), "mono"],
    ["action", (r) => [h("span", { class: "tag" }, r.action), " ", h("span", { class: "mono muted" }, describe(r))]],
    ["matched", (r) => r.matched, "mono"],
    ["fired", (r) => h("span", { class: "fired mono" }, r.fired)],
    ["", (r) => [
      h("button", { type: "button", onclick: (ev) => { ev.stopPropagation(); guarded(async () => { await call("PATCH", `/faults/${encodeURIComponent(r.id)}`, { paused: !r.paused }); loadFaults(); }); } }, r.paused ? "Resume" : "Pause"),
      " ",
      h("button", { type: "button", class: "danger", onclick: (ev) => { ev.stopPropagation(); guarded(async () => { await call("DELETE", `/faults/${encodeURIComponent(r.id)}`); loadFaults(); }); } }, "Remove"),
    ]],
  ], faults.data, (r) => showDetail(`fault ${r.id}`, json(r)), (r) => (r.paused ? "muted" : "")));
}

// -- Webhooks -----------------------------------------------------------------------------------------------

function renderWebhooks() {
  view().replaceChildren(
    h("div", { class: "toolbar" }, h("span", { class: "grow" }),
      h("button", { type: "button", onclick: () => guarded(async () => { await call("POST", "/webhooks/flush", { timeout: 0, retry_now: true }); loadWebhooks(); }) }, "Retry waiting now"),
      h("button", { type: "button", onclick: () => loadWebhooks() }, "Refresh")),
    h("div", { id: "webhooks-box" }),
  );
  loadWebhooks();
}

async function loadWebhooks() {
  const box = document.getElementById("webhooks-box");
  if (!box) return;
  const hooks = await guarded(() => call("GET", "/webhooks?limit=200"));
  if (!hooks) return;
  const deliveries = [...hooks.deliveries].reverse();
  box.replaceChildren(
    h("h2", {}, "Endpoints"),
    table([["id", (e) => e.id, "mono"], ["url", (e) => e.url, "mono"], ["events", (e) => (e.events || []).join(", ") || "all"]],
      hooks.endpoints, (e) => showDetail(`endpoint ${e.id}`, json(e))),
    h("h2", {}, `Deliveries (${hooks.total_count}, ${hooks.pending} pending)`),
    table([
      ["event", (d) => d.event_type, "mono"],
      ["endpoint", (d) => d.endpoint_id, "mono"],
      ["status", (d) => h("span", { class: d.status === "succeeded" ? "tag ok" : ["failed", "dropped"].includes(d.status) ? "tag bad" : "tag" }, d.status)],
      ["attempts", (d) => d.attempts.length, "mono"],
      ["last answer", (d) => (d.attempts.length ? d.attempts[d.attempts.length - 1].status_code ?? d.attempts[d.attempts.length - 1].error ?? "" : ""), "mono"],
      ["next retry", (d) => (d.next_attempt_at ? fmtTime(d.next_attempt_at) : "—"), "mono"],
      ["", (d) => h("button", { type: "button", class: "redeliver", onclick: (ev) => { ev.stopPropagation(); guarded(async () => {
        const again = await call("POST", `/webhooks/redeliver/${encodeURIComponent(d.id)}`);
        notice(`redelivering ${d.event_type} as ${again.id}`);
        loadWebhooks();
      }); } }, "Redeliver")],
    ], deliveries, async (d) => {
      const full = await guarded(() => call("GET", `/webhooks/deliveries/${encodeURIComponent(d.id)}`));
      if (full) showDetail(`${d.event_type} → ${d.url}`, h("h3", {}, "Signed headers"), json(full.headers), h("h3", {}, "Payload"), json(full.payload), h("h3", {}, "Delivery"), json(full.delivery));
    }),
  );
}

// -- Messages -----------------------------------------------------------------------------------------------

function renderMessages() {
  view().replaceChildren(h("div", { id: "messages-box" }, h("div", { class: "empty" }, "Loading …")));
  loadMessages();
}

async function loadMessages() {
  const box = document.getElementById("messages-box");
  if (!box) return;
  let messages;
  try {
    messages = await call("GET", "/messages");
  } catch (e) {
    box.replaceChildren(h("div", { class: "empty card" }, e.status === 404
      ? "This server does not record messages (emails and SMS come with the Frontend API)."
      : e.message));
    return;
  }
  const rows = messages.data || [];  // newest first, as the server lists them
  box.replaceChildren(table([
    ["sent", (m) => fmtTime(m.created_at), "mono"],
    ["kind", (m) => h("span", { class: "tag" }, m.kind)],
    ["to", (m) => m.to, "mono"],
    ["subject", (m) => m.subject || m.slug || ""],
    ["code / link", (m) => h("span", { class: "mono big" }, m.code || (m.links || [])[0] || ""), ""],
  ], rows, (m) => showDetail("message", json(m))));
}

// -- Clock and reset ----------------------------------------------------------------------------------------

function renderClock() {
  const seconds = h("input", { type: "number", id: "advance-seconds", value: "3600", min: "1" });
  const at = h("input", { type: "text", id: "set-at", placeholder: "2030-01-01T00:00:00Z" });
  const clockBox = h("div", { class: "card" }, h("h2", {}, "Engine clock"),
    h("div", { class: "big", id: "clock-big" }, "…"), h("div", { class: "muted", id: "clock-mode" }),
    h("div", { class: "toolbar" },
      ...[["+1 min", 60], ["+1 h", 3600], ["+1 day", 86400]].map(([label, s]) =>
        h("button", { type: "button", onclick: () => setClock({ seconds: s }) }, label)),
      seconds, h("button", { type: "button", id: "advance", onclick: () => setClock({ seconds: Number(seconds.value) }) }, "Advance s"),
      h("button", { type: "button", id: "freeze", onclick: () => setClock({ frozen: !ui.frozen }) }, "Freeze / unfreeze"),
      at, h("button", { type: "button", onclick: () => setClock({ set: at.value.trim() }) }, "Set")));
  const snaps = h("div", { id: "snapshots" });
  view().replaceChildren(clockBox,
    h("div", { class: "card" }, h("h2", {}, "Reset, snapshot, export"),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "danger", id: "reset", onclick: () => guarded(async () => {
          const r = await call("POST", "/reset");
          notice(`reset to ${r.scenario || "an empty instance"} (${r.users} users)`);
          loadClock();
        }) }, "Reset to the scenario"),
        h("button", { type: "button", id: "snapshot", onclick: () => guarded(async () => {
          const doc = await call("GET", "/state");
          ui.snapshots.push({ at: new Date(), doc });
          drawSnapshots();
        }) }, "Take a snapshot"),
        h("a", { href: `${BASE}/scenario`, download: "clerkmock-scenario.yaml" }, "Export as a scenario")),
      snaps));
  drawSnapshots();
  loadClock();
}

function drawSnapshots() {
  const box = document.getElementById("snapshots");
  if (!box) return;
  box.replaceChildren(...ui.snapshots.map((s, i) => h("div", { class: "toolbar" },
    h("span", { class: "mono" }, `#${i + 1} ${s.at.toISOString()}`),
    h("button", { type: "button", onclick: () => guarded(async () => {
      const r = await call("PUT", "/state", s.doc);
      notice(`restored snapshot #${i + 1} (${r.users} users)`);
      loadClock();
    }) }, "Restore"))));
}

async function setClock(body) {
  await guarded(async () => { await call("POST", "/clock", body); await loadClock(); });
}

async function loadClock() {
  const clock = await guarded(() => call("GET", "/clock"));
  if (!clock) return;
  ui.frozen = clock.frozen;
  document.getElementById("clock-now").textContent = `${clock.now}${clock.frozen ? " (frozen)" : ""}`;
  const big = document.getElementById("clock-big");
  if (big) {
    big.textContent = clock.now;
    document.getElementById("clock-mode").textContent = clock.frozen ? "frozen: moves only when advanced" : "running";
  }
}

// -- wiring -------------------------------------------------------------------------------------------------

const VIEWS = { state: renderState, journal: renderJournal, faults: renderFaults, webhooks: renderWebhooks, messages: renderMessages, clock: renderClock };

function route() {
  const name = location.hash.replace("#", "") || "state";
  ui.view = VIEWS[name] ? name : "state";
  for (const a of document.querySelectorAll("#tabs a")) a.classList.toggle("active", a.dataset.view === ui.view);
  hideDetail();
  VIEWS[ui.view]();
}

async function start() {
  document.getElementById("detail-close").addEventListener("click", hideDetail);
  document.getElementById("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    ui.token = document.getElementById("token-input").value.trim();
    sessionStorage.setItem("clerkmock.token", ui.token);
    document.getElementById("token-form").hidden = true;
    route();
  });
  window.addEventListener("hashchange", route);
  const recent = await guarded(() => call("GET", "/requests?limit=500"));
  if (recent) for (const e of recent.data) onJournalEvent(e);
  ui.drawnSeq = ui.lastSeq;
  route();
  loadClock();
  setInterval(loadClock, 5000);
  streamJournal();
}

start();
