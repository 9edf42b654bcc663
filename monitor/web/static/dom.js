// Small DOM and formatting helpers. Every piece of text from feeds goes through textContent, never innerHTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Only http(s) links from feeds become hrefs.
export function safeLink(url, text) {
  if (typeof url === "string" && /^https?:\/\//i.test(url)) {
    return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text || url);
  }
  return h("span", {}, text || "");
}

export function actorName(actor) {
  if (!actor) return "unknown";
  const { name, mention } = actor;
  return name || mention || actor.id || "unknown";
}

export function when(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number") return new Date(value * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  const text = String(value);
  const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!iso) return text;
  const zone = !iso[3] || iso[3] === "Z" || /^[+-]00:?00$/.test(iso[3]) ? "UTC" : iso[3];
  return `${iso[1]} ${iso[2]} ${zone}`;
}

export function ago(seconds) {
  if (!seconds) return "never";
  const d = Date.now() / 1000 - seconds;
  if (d < 0) return "in " + span(-d);
  return span(d) + " ago";
}

function span(d) {
  if (d < 90) return Math.round(d) + " s";
  if (d < 5400) return Math.round(d / 60) + " min";
  if (d < 129600) return Math.round(d / 3600) + " h";
  return Math.round(d / 86400) + " days";
}

// Stable colours per holder: a palette picked for contrast on the pale basemap.
const PALETTE = ["#d62828", "#1d4ed8", "#2a9d8f", "#e76f51", "#6a4c93", "#b5838d", "#2b9348", "#f4a261",
  "#264653", "#9c6644", "#0096c7", "#c9184a"];

export function holderColour(actor) {
  if (!actor) return "#8d99ae";
  const key = String(actor.id || actor.name || actor.mention || "");
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}
