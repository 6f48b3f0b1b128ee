/** Line charts in SVG, drawn from the samples the server keeps: no library, no network. */
import { h, s } from "./dom.js";
import { clock } from "./format.js";

const WIDTH = 560;
const HEIGHT = 220;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };
const COLOURS = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#64748b", "#dc2626"];

/**
 * A chart of `series` ([{name, points: [[unix seconds, value], …]}]) with `format` for values.
 * Its accessible name states the latest value of each line.
 */
export function lineChart(title, series, format, note = "", axisFormat = compact) {
  const points = series.flatMap((line) => line.points);
  const now = series.map((line) => `${line.name} ${format(line.points.at(-1)?.[1] ?? 0)}`).join(", ");
  const figure = h("figure", { class: "chart" }, h("figcaption", {}, h("strong", {}, title), note ? h("span", { class: "muted" }, ` ${note}`) : null));
  if (points.length === 0) {
    figure.append(h("p", { class: "muted" }, "Nothing sampled yet."));
    return figure;
  }
  const times = points.map(([t]) => t);
  const values = points.map(([, v]) => v);
  const t0 = Math.min(...times);
  const t1 = Math.max(t0 + 1, Math.max(...times));
  const top = niceTop(Math.max(1, ...values));
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${title}: now ${now}` },
    [0, 0.5, 1].map((f) => s("g", { class: "axis" },
      s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(top * f), y2: y(top * f), class: "grid" }),
      s("text", { x: PAD.left - 6, y: y(top * f) + 4, "text-anchor": "end" }, axisFormat(top * f)))),
    s("g", { class: "axis" },
      s("text", { x: PAD.left, y: HEIGHT - 8 }, clock(new Date(t0 * 1000).toISOString()).slice(0, 8)),
      s("text", { x: WIDTH - PAD.right, y: HEIGHT - 8, "text-anchor": "end" }, clock(new Date(t1 * 1000).toISOString()).slice(0, 8))),
    series.map((line, i) => {
      const colour = COLOURS[i % COLOURS.length];
      const d = line.points.map(([t, v], j) => `${j ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      return s("g", {},
        s("path", { d, fill: "none", stroke: colour, "stroke-width": 2 }),
        line.points.length === 1 ? s("circle", { cx: x(line.points[0][0]), cy: y(line.points[0][1]), r: 3, fill: colour }) : null);
    }));
  figure.append(svg, h("ul", { class: "legend" }, series.map((line, i) =>
    h("li", {}, h("span", { class: "swatch", style: null, "data-colour": i % COLOURS.length }), `${line.name}: ${format(line.points.at(-1)?.[1] ?? 0)}`))));
  return figure;
}

const COMPACT = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** Axis numbers: 0, 2.5, 5, 1.2K, 3M. */
export function compact(value) {
  return COMPACT.format(value);
}

function niceTop(max) {
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

/** The lines of a by-label figure across samples: one line per label ever seen (a flat
 * line named `none` when there is none yet: no group, no dead letter). */
export function linesOf(samples, figure, none = "none") {
  const names = [...new Set(samples.flatMap((sample) => Object.keys(sample[figure] ?? {})))].sort();
  if (names.length === 0) return [{ name: none, points: samples.map((sample) => [sample.time, 0]) }];
  return names.map((name) => ({ name, points: samples.map((sample) => [sample.time, sample[figure]?.[name] ?? 0]) }));
}

/** One line of a total figure across samples. */
export function lineOf(samples, figure, name) {
  return { name, points: samples.map((sample) => [sample.time, sample[figure] ?? 0]) };
}
