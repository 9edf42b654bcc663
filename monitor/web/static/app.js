// placewatch dashboard: a hash-routed single page over the JSON API. Views: map (#/), a place's control timeline
// (#/place/KEY), feed health (#/feeds) and the watch form (#/watch). Alerts arrive live in the side panel.

import { ago, actorName, h, holderColour, safeLink, when } from "./dom.js";
import { countryPaths, PlaceMap } from "./map.js";

const TOKEN_KEY = "placewatch-token";
const state = { settings: {}, countries: null, map: null, alertIds: new Set() };
const view = document.getElementById("view");

// ---------- API ----------

function authHeaders(extra = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: authHeaders(options.headers || {}) });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error((body && body.error) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function problem(error) {
  const hint = error.status === 401 ? " Set the API token (button at the top right)." : "";
  return h("p", { class: "error", role: "alert" }, error.message + hint);
}

// ---------- alerts panel (live) ----------

function alertItem(alert) {
  const place = alert.place || {};
  const ev = (alert.evidence || [])[0];
  const title = alert.status === "feed_down"
    ? `Feed down: ${place.name}`
    : `${place.name || "?"}${place.country ? ", " + place.country : ""}: ${alert.status}`;
  return h("li", { class: `alert kind-${alert.kind}`, "data-alert": `${alert.id}:${alert.revision}` },
    h("div", { class: "alert-head" },
      h("span", { class: `badge ${alert.kind}` }, alert.kind),
      place.key ? h("a", { href: `#/place/${encodeURIComponent(place.key)}` }, title) : h("strong", {}, title)),
    alert.status !== "feed_down" && h("div", { class: "alert-move" },
      h("span", { class: "chip", style: null }, actorName(alert.from)), " → ",
      colouredChip(alert.to), h("span", { class: "muted" }, ` ${alert.certainty}`)),
    h("div", { class: "muted" }, `when: ${when(alert.when || alert.published)} · raised ${ago(alert.raised_at)}`),
    ev && h("blockquote", {}, (ev.text || "").slice(0, 280), " ", safeLink(ev.link, ev.outlet || ev.source || "source")));
}

function colouredChip(actor) {
  const chip = h("span", { class: "chip holder" }, actorName(actor));
  chip.style.borderColor = holderColour(actor);
  return chip;
}

function showAlert(alert, live) {
  const key = `${alert.id}:${alert.revision}`;
  if (state.alertIds.has(key)) return;
  state.alertIds.add(key);
  const list = document.getElementById("alerts");
  const item = alertItem(alert);
  if (live) { item.classList.add("fresh"); list.prepend(item); } else list.append(item);
  document.getElementById("alerts-empty").hidden = true;
  while (list.children.length > 100) list.lastElementChild.remove();
}

async function loadAlerts() {
  try {
    for (const alert of await api("/api/alerts?limit=30")) showAlert(alert, false);
  } catch (error) {
    document.getElementById("alerts-empty").textContent = error.message;
  }
}

// Server-Sent Events read through fetch, so the bearer token can be sent; resumes with Last-Event-ID.
async function followAlerts() {
  const status = document.getElementById("live-status");
  let lastId = null;
  for (;;) {
    try {
      const headers = lastId ? { "Last-Event-ID": lastId } : {};
      const response = await fetch("/api/alerts/live", { headers: authHeaders(headers) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      status.textContent = "live"; status.className = "live on";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = { data: [] };
          for (const line of block.split("\n")) {
            const at = line.indexOf(":");
            if (at <= 0) continue;
            const name = line.slice(0, at), val = line.slice(at + 1).replace(/^ /, "");
            if (name === "data") fields.data.push(val); else fields[name] = val;
          }
          if (fields.id) lastId = fields.id;
          if (fields.event === "alert") {
            const alert = JSON.parse(fields.data.join("\n"));
            showAlert(alert, true);
            if (state.map) refreshSoon();
          }
        }
      }
    } catch (error) {
      status.title = String(error.message || error);
    }
    status.textContent = "reconnecting"; status.className = "live off";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// ---------- map view ----------

function placesTable(places) {
  return h("table", { class: "places" }, h("thead", {}, h("tr", {},
    ["Place", "Holder", "State", "Since", "Sources"].map((t) => h("th", {}, t)))),
  h("tbody", {}, places.map((p) => h("tr", {},
    h("td", {}, h("a", { href: `#/place/${encodeURIComponent(p.key)}` }, p.name || p.key), p.country ? `, ${p.country}` : ""),
    h("td", {}, p.holder ? colouredChip(p.holder) : h("span", { class: "muted" }, "—")),
    h("td", {}, p.state), h("td", {}, when(p.since)), h("td", {}, (p.sources || []).join(", "))))));
}

// A burst of alerts (one per revision, per rule) refreshes the map once.
let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshPlaces, 300);
}

async function refreshPlaces() {
  const map = state.map;
  try {
    const places = await api("/api/places");
    if (map !== state.map) return; // the user went to another view meanwhile
    map.update(places);
    document.getElementById("places-table").replaceChildren(placesTable(places));
  } catch (error) {
    view.append(problem(error));
  }
}

async function showMap() {
  view.replaceChildren(h("h1", {}, "Watched places"), h("p", { class: "muted" },
    "Each dot is a watched place, coloured by who holds it now. Click one for its control timeline."));
  if (!state.countries) {
    const topology = await fetch("/static/countries-50m.json").then((r) => r.json());
    state.countries = countryPaths(topology);
  }
  const holder = h("div", { class: "map-holder" });
  view.append(holder, h("div", { id: "places-table" }));
  state.map = new PlaceMap(holder, {
    countries: state.countries, tileUrl: state.settings.tile_url,
    onSelect: (p) => { location.hash = `#/place/${encodeURIComponent(p.key)}`; },
  });
  await refreshPlaces();
}

// ---------- place view ----------

function evidenceList(evidence) {
  return h("ul", { class: "evidence" }, evidence.map((e) => h("li", {},
    h("span", { class: `badge ${e.certainty}` }, e.status), " ",
    h("q", {}, e.text || ""), " — ", safeLink(e.link, e.outlet || e.source || "source"),
    h("span", { class: "muted" }, ` (${e.certainty}; published ${when(e.published)})`))));
}

async function showPlace(key) {
  state.map = null;
  view.replaceChildren(h("p", { class: "muted" }, "loading…"));
  let detail;
  try {
    detail = await api(`/api/places/${encodeURIComponent(key)}`);
  } catch (error) {
    view.replaceChildren(h("p", {}, h("a", { href: "#/" }, "← map")), problem(error));
    return;
  }
  const { place, state: now, periods, timeline } = detail;
  view.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← map")),
    h("h1", {}, place.name || key, place.country ? `, ${place.country}` : ""),
    h("p", { class: "summary" }, "Held by ", now.holder ? colouredChip(now.holder) : h("strong", {}, "no one known"),
      ` · ${now.state} · since ${when(now.since)}`,
      detail.watches.length ? ` · watched as ${detail.watches.join(", ")}` : ""),
    h("h2", {}, "Control timeline"),
    periods.length ? h("ol", { class: "periods" }, [...periods].reverse().map((p) => h("li", { class: "period" },
      h("div", { class: "period-head" }, p.holder ? colouredChip(p.holder) : h("strong", {}, "abandoned / no holder"),
        ` ${when(p.from)} → ${p.until ? when(p.until) : "now"}`, p.contested ? h("span", { class: "badge contested" }, "contested") : ""),
      evidenceList(p.evidence))))
      : h("p", { class: "muted" }, "No report has said who holds this place yet."),
    h("h2", {}, `Every report (${timeline.length})`),
    h("table", { class: "timeline" }, h("thead", {}, h("tr", {}, ["When", "Status", "To", "From", "Certainty", "Evidence"].map((t) => h("th", {}, t)))),
      h("tbody", {}, [...timeline].reverse().map((e) => h("tr", { class: e.certainty === "denied" ? "denied" : "" },
        h("td", {}, when(e.when || e.published)), h("td", {}, e.status), h("td", {}, actorName(e.to)), h("td", {}, e.from ? actorName(e.from) : ""),
        h("td", {}, e.certainty), h("td", {}, h("q", {}, e.evidence.text || ""), " ", safeLink(e.evidence.link, e.evidence.outlet || "source")))))));
}

// ---------- feeds view ----------

async function showFeeds() {
  state.map = null;
  view.replaceChildren(h("h1", {}, "Feed health"));
  let feeds;
  try {
    feeds = await api("/api/feeds");
  } catch (error) {
    view.append(problem(error));
    return;
  }
  const counts = { ok: 0, failing: 0, pending: 0 };
  for (const f of feeds) counts[f.health] += 1;
  view.append(h("p", { class: "summary" }, `${feeds.length} feeds: ${counts.ok} ok, ${counts.failing} failing, ${counts.pending} not polled yet`),
    h("table", { class: "feeds" }, h("thead", {}, h("tr", {}, ["", "Feed", "Errors", "Last error", "Last success", "Next poll", "Items", "Interval"].map((t) => h("th", {}, t)))),
      h("tbody", {}, feeds.map((f) => h("tr", { class: `health-${f.health}` },
        h("td", {}, h("span", { class: `dot ${f.health}`, title: f.health }, f.health)),
        h("td", {}, h("div", {}, f.name || ""), h("div", { class: "muted url" }, f.url)),
        h("td", {}, String(f.errors)), h("td", { class: "error-text" }, f.last_error || f.last_warning || ""),
        h("td", {}, ago(f.last_ok)), h("td", {}, f.due_in_s ? `in ${Math.round(f.due_in_s)} s` : "due"),
        h("td", {}, String(f.items_total)), h("td", {}, f.interval ? `${Math.round(f.interval)} s` : "auto"))))));
}

// ---------- watch view ----------

function autocomplete(input, list, onPick) {
  let timer = null, items = [], active = -1;
  const render = () => {
    list.replaceChildren(...items.map((s, i) => h("li", {
      role: "option", id: `sugg-${i}`, "aria-selected": i === active ? "true" : "false",
      onmousedown: (e) => { e.preventDefault(); pick(i); },
    }, h("strong", {}, s.name), ` ${s.country_name}`,
    h("span", { class: "muted" }, ` · pop. ${s.population.toLocaleString()} · ${s.geonameid}`))));
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  };
  const pick = (i) => { onPick(items[i]); items = []; active = -1; render(); };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    onPick(null);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      items = q.length >= 2 ? await api(`/api/gazetteer?q=${encodeURIComponent(q)}`).catch(() => []) : [];
      active = -1;
      render();
    }, 150);
  });
  input.addEventListener("keydown", (e) => {
    if (!items.length) return;
    if (e.key === "ArrowDown") { active = (active + 1) % items.length; render(); e.preventDefault(); }
    if (e.key === "ArrowUp") { active = (active - 1 + items.length) % items.length; render(); e.preventDefault(); }
    if (e.key === "Enter" && active >= 0) { pick(active); e.preventDefault(); }
    if (e.key === "Escape") { items = []; render(); }
  });
  input.addEventListener("blur", () => setTimeout(() => { items = []; render(); }, 100));
}

async function showWatch() {
  state.map = null;
  let chosen = null;
  const input = h("input", { id: "watch-place", name: "place", autocomplete: "off", required: true, role: "combobox",
    "aria-autocomplete": "list", "aria-controls": "suggestions", "aria-expanded": "false",
    placeholder: "start typing: Pokrovsk, El Fasher, Goma…" });
  const list = h("ul", { id: "suggestions", class: "suggestions", role: "listbox", hidden: true });
  const aliases = h("input", { id: "watch-aliases", name: "aliases", placeholder: "other spellings, comma separated" });
  const radius = h("input", { id: "watch-radius", name: "radius", type: "number", min: "0", step: "1", placeholder: "km (optional)" });
  const message = h("p", { id: "watch-message", role: "status" });
  const watched = h("ul", { id: "watch-list", class: "watch-list" });
  autocomplete(input, list, (s) => { chosen = s; if (s) input.value = `${s.name}, ${s.country}`; });

  const refresh = async () => {
    try {
      const watches = await api("/api/watch");
      watched.replaceChildren(...watches.map((w) => h("li", {}, h("strong", {}, w.label), h("span", { class: "muted" }, ` (${w.origin})`),
        w.origin === "config" ? h("span", { class: "muted" }, " · edit the config to remove")
          : h("button", { type: "button", class: "link", onclick: () => remove(w) }, "remove"))));
    } catch (error) { watched.replaceChildren(problem(error)); }
  };
  const remove = async (w) => {
    try {
      await api(`/api/watch/${encodeURIComponent(w.id)}`, { method: "DELETE" });
      message.textContent = `Stopped watching ${w.label}.`;
      refresh();
    } catch (error) { message.replaceChildren(problem(error)); }
  };
  const submit = async (e) => {
    e.preventDefault();
    let spec = chosen ? String(chosen.geonameid) : input.value.trim().replace(/\s*,\s*/, ",");
    if (radius.value) spec += `@${radius.value}km`;
    const body = { place: spec, aliases: aliases.value.split(",").map((a) => a.trim()).filter(Boolean) };
    try {
      const watch = await api("/api/watch", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      message.replaceChildren(h("span", { class: "ok" }, `Watching ${watch.label}.`));
      input.value = ""; aliases.value = ""; radius.value = ""; chosen = null;
      refresh();
    } catch (error) { message.replaceChildren(problem(error)); }
  };
  const needsToken = !state.settings.writes_enabled
    ? h("p", { class: "error" }, "Adding places needs [api] token set in placewatch.toml (then restart).") : null;
  view.replaceChildren(h("h1", {}, "Watch a place"), needsToken,
    h("form", { id: "watch-form", class: "watch-form", onsubmit: submit },
      h("label", { for: "watch-place" }, "Place"), h("div", { class: "combo" }, input, list),
      h("label", { for: "watch-aliases" }, "Aliases"), aliases,
      h("label", { for: "watch-radius" }, "Radius"), radius,
      h("button", { type: "submit" }, "Watch")),
    h("p", { class: "muted" }, "Pick a suggestion to watch that exact place, or type a name with a country code (\"Jacar, SO\") to watch a village the gazetteer lacks."),
    message, h("h2", {}, "Watched now"), watched);
  refresh();
}

// ---------- token dialog, router, start ----------

function setupToken() {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  document.getElementById("token-button").addEventListener("click", () => {
    input.value = localStorage.getItem(TOKEN_KEY) || "";
    dialog.showModal();
  });
  document.getElementById("token-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("token-form").addEventListener("submit", () => {
    if (input.value) localStorage.setItem(TOKEN_KEY, input.value.trim()); else localStorage.removeItem(TOKEN_KEY);
    route();
  });
}

async function route() {
  const hash = location.hash || "#/";
  const name = hash.startsWith("#/place/") ? "place" : hash === "#/feeds" ? "feeds" : hash === "#/watch" ? "watch" : "map";
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("current", a.dataset.nav === name);
  if (name === "place") await showPlace(decodeURIComponent(hash.slice("#/place/".length)));
  else if (name === "feeds") await showFeeds();
  else if (name === "watch") await showWatch();
  else await showMap();
  document.body.dataset.view = name;
}

async function start() {
  setupToken();
  try { state.settings = await api("/api/settings"); } catch { state.settings = {}; }
  window.addEventListener("hashchange", route);
  await Promise.all([route(), loadAlerts()]);
  document.body.dataset.ready = "true";
  followAlerts();
}

start();
