// The map: Natural Earth country shapes (world-atlas TopoJSON, shipped with placewatch) in Web Mercator, watched
// places as dots coloured by holder, wheel/drag/button zoom, and optional raster tiles from a configured server.

import { actorName, h, holderColour } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WORLD = 1024; // projected world width in map units (256 px tiles at zoom 2)
const MAX_LAT = 85.0511;

export function project(lon, lat) {
  const phi = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  const x = ((lon + 180) / 360) * WORLD;
  const y = ((1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2) * WORLD;
  return [x, y];
}

// TopoJSON: arcs are delta-encoded integer points; a negative index means the arc reversed (~i).
function decodeArcs(topology) {
  const [sx, sy] = topology.transform.scale;
  const [tx, ty] = topology.transform.translate;
  return topology.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
  });
}

function ringPath(arcs, indexes) {
  const points = [];
  for (const i of indexes) {
    const arc = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
    arc.forEach((p, k) => { if (k > 0 || points.length === 0) points.push(p); });
  }
  return "M" + points.map(([lon, lat]) => project(lon, lat).map((v) => v.toFixed(1)).join(",")).join("L") + "Z";
}

export function countryPaths(topology) {
  const arcs = decodeArcs(topology);
  return topology.objects.countries.geometries.filter((g) => g.arcs).map((g) => {
    const polygons = g.type === "Polygon" ? [g.arcs] : g.arcs;
    return { name: (g.properties || {}).name || "", d: polygons.flatMap((rings) => rings.map((r) => ringPath(arcs, r))).join("") };
  });
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export class PlaceMap {
  constructor(container, { countries, tileUrl, onSelect }) {
    this.tileUrl = tileUrl;
    this.onSelect = onSelect;
    this.root = svg("svg", { class: "map", role: "img", "aria-label": "map of watched places" });
    this.tiles = svg("g", { class: "tiles" });
    this.land = svg("g", { class: tileUrl ? "land over-tiles" : "land" });
    this.marks = svg("g", { class: "marks" });
    this.root.append(svg("rect", { class: "sea", x: 0, y: 0, width: WORLD, height: WORLD }), this.tiles, this.land, this.marks);
    for (const c of countries) {
      const path = svg("path", { d: c.d });
      path.append(Object.assign(svg("title"), { textContent: c.name }));
      this.land.append(path);
    }
    this.legend = h("ul", { class: "legend" });
    const controls = h("div", { class: "map-controls" },
      h("button", { type: "button", title: "zoom in", onclick: () => this.zoom(0.5) }, "+"),
      h("button", { type: "button", title: "zoom out", onclick: () => this.zoom(2) }, "−"),
      h("button", { type: "button", title: "fit watched places", onclick: () => this.fit() }, "fit"));
    container.append(h("div", { class: "map-wrap" }, this.root, controls), this.legend);
    this.view = { x: 0, y: 0, w: WORLD, h: WORLD * 0.62 };
    this.places = [];
    this.listen();
  }

  listen() {
    this.root.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [mx, my] = this.toMap(e.clientX, e.clientY);
      this.zoom(e.deltaY > 0 ? 1.25 : 0.8, mx, my);
    }, { passive: false });
    let drag = null;
    this.root.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".mark")) return;
      drag = { x: e.clientX, y: e.clientY, view: { ...this.view } };
      this.root.setPointerCapture(e.pointerId);
    });
    this.root.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const scale = this.view.w / this.root.clientWidth;
      this.setView({ ...drag.view, x: drag.view.x - (e.clientX - drag.x) * scale, y: drag.view.y - (e.clientY - drag.y) * scale });
    });
    this.root.addEventListener("pointerup", () => { drag = null; });
    window.addEventListener("resize", () => this.setView(this.view));
  }

  toMap(clientX, clientY) {
    const box = this.root.getBoundingClientRect();
    return [this.view.x + ((clientX - box.left) / box.width) * this.view.w,
      this.view.y + ((clientY - box.top) / box.height) * this.view.h];
  }

  zoom(factor, cx, cy) {
    const v = this.view;
    cx = cx ?? v.x + v.w / 2;
    cy = cy ?? v.y + v.h / 2;
    const w = Math.max(2, Math.min(WORLD * 1.2, v.w * factor));
    const k = w / v.w;
    this.setView({ x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k, w, h: v.h * k });
  }

  setView(view) {
    const aspect = (this.root.clientHeight || 400) / (this.root.clientWidth || 700);
    this.view = { ...view, h: view.w * aspect };
    const { x, y, w, h: hh } = this.view;
    this.root.setAttribute("viewBox", `${x} ${y} ${w} ${hh}`);
    this.drawMarks();
    this.drawTiles();
  }

  fit() {
    const pts = this.places.filter((p) => p.lat !== null && p.lon !== null).map((p) => project(p.lon, p.lat));
    if (!pts.length) { this.setView({ x: 0, y: 120, w: WORLD }); return; }
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const aspect = (this.root.clientHeight || 400) / (this.root.clientWidth || 700);
    const pad = 14;
    const w = Math.max(60, Math.max(...xs) - Math.min(...xs) + 2 * pad, (Math.max(...ys) - Math.min(...ys) + 2 * pad) / aspect);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    this.setView({ x: cx - w / 2, y: cy - (w * aspect) / 2, w });
  }

  update(places) {
    const first = this.places.length === 0;
    this.places = places;
    if (first) this.fit(); else this.drawMarks();
    this.drawLegend();
  }

  drawMarks() {
    const unit = this.view.w / (this.root.clientWidth || 700); // map units per screen pixel
    this.marks.replaceChildren();
    for (const p of this.places) {
      if (p.lat === null || p.lon === null || p.lat === undefined) continue;
      const [x, y] = project(p.lon, p.lat);
      const g = svg("g", { class: `mark state-${p.state}`, tabindex: 0, "data-key": p.key });
      g.append(svg("circle", { cx: x, cy: y, r: 7 * unit, fill: holderColour(p.holder), "stroke-width": 2 * unit }));
      const label = svg("text", { x: x + 10 * unit, y: y + 4 * unit, "font-size": 12 * unit });
      label.textContent = p.name || p.key;
      const tip = svg("title");
      tip.textContent = `${p.name}: ${p.state === "unknown" ? "no report yet" : actorName(p.holder)} (${p.state})`;
      g.append(label, tip);
      g.addEventListener("click", () => this.onSelect(p));
      g.addEventListener("keydown", (e) => { if (e.key === "Enter") this.onSelect(p); });
      this.marks.append(g);
    }
  }

  drawLegend() {
    const holders = new Map();
    for (const p of this.places) holders.set(p.holder ? actorName(p.holder) : "no holder known", p.holder);
    this.legend.replaceChildren(...[...holders].map(([name, actor]) => {
      const swatch = h("span", { class: "swatch" });
      swatch.style.background = holderColour(actor);
      return h("li", {}, swatch, name);
    }));
  }

  // Raster tiles (only when api.tile_url is set): the tiles covering the view at the zoom matching its scale.
  drawTiles() {
    if (!this.tileUrl) return;
    const px = this.root.clientWidth || 700;
    const z = Math.max(0, Math.min(18, Math.round(Math.log2((WORLD / this.view.w) * px / 256))));
    const n = 2 ** z, size = WORLD / n;
    this.tiles.replaceChildren();
    const x0 = Math.max(0, Math.floor(this.view.x / size)), x1 = Math.min(n - 1, Math.floor((this.view.x + this.view.w) / size));
    const y0 = Math.max(0, Math.floor(this.view.y / size)), y1 = Math.min(n - 1, Math.floor((this.view.y + this.view.h) / size));
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > 64) return;
    for (let tx = x0; tx <= x1; tx++) {
      for (let ty = y0; ty <= y1; ty++) {
        const href = this.tileUrl.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
        this.tiles.append(svg("image", { href, x: tx * size, y: ty * size, width: size, height: size }));
      }
    }
  }
}
