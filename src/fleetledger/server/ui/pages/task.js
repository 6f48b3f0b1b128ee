/**
 * A task's story: its events as a waterfall, one lane per agent, families in their colours,
 * causation arrows from cause to effect, tool calls and approval waits as bars with their
 * durations, approval gates, policy denials, retries and compensations marked. Selecting an
 * event (click, or Tab then Enter) shows it beside the chart; the list under the chart says
 * the same in words.
 */
import { getJson } from "../api.js";
import { h, s, show } from "../dom.js";
import { actor, clock, dateTime, duration, family } from "../format.js";
import { eventDetails } from "./event.js";
import { badge } from "./tasks.js";

const LANE = 58;
const COLUMN = 30;
const LEFT = 130;
const RIGHT = 48;
const TOP = 34;
const MIN_WIDTH = 640;
const FAMILIES = ["task", "tool", "governance", "context", "evaluation", "state"];

/** What a marker says about an event beyond its family: its shape and a short label. */
function mark(event) {
  const type = event.type;
  if (type === "governance.policy.denied") return { shape: "denied", label: "denied" };
  if (type === "governance.approval.requested") return { shape: "gate", label: null };
  if (type === "governance.approval.granted") return { shape: "granted", label: null };
  if (type === "governance.approval.denied") return { shape: "refused", label: "refused" };
  if (type === "task.retried") return { shape: "dot", label: "retry" };
  if (type === "task.compensated") return { shape: "dot", label: "compensated" };
  if (type === "task.failed" || type === "tool.call.failed") return { shape: "failed", label: "failed" };
  if (type === "task.handed_off") return { shape: "dot", label: "handoff" };
  return { shape: "dot", label: null };
}

export async function taskPage(root, task) {
  document.title = `${task} · fleetledger`;
  const path = `/tasks/${encodeURIComponent(task)}`;
  const [state, replay] = await Promise.all([getJson(`${path}/state`), getJson(`${path}/events`)]);
  const all = replay.events;
  const chart = h("div", { class: "waterfall" });
  const list = h("ol", { class: "story" });
  const detail = h("section", { class: "detail", "aria-live": "polite", "aria-label": "Selected event" },
    h("p", { class: "muted" }, "Select an event in the chart or the list to see it here."));
  let withSummaries = false;
  let byTime = false;
  let selected = null;

  const select = (event) => {
    selected = event.id;
    show(detail, eventDetails(event), h("p", {}, h("a", { href: `/ui/events/${encodeURIComponent(event.id)}` }, "Open it and verify its proof →")));
    for (const node of root.querySelectorAll("[data-event]")) node.classList.toggle("selected", node.dataset.event === selected);
  };

  const draw = () => {
    const events = withSummaries ? all : all.filter((e) => e.type !== "state.summary");
    show(chart, waterfall(events, select, Math.max(MIN_WIDTH, chart.clientWidth || root.clientWidth || MIN_WIDTH), byTime));
    show(list, events.map((event, i) => storyLine(event, i, events, select)));
    if (selected) for (const node of root.querySelectorAll("[data-event]")) node.classList.toggle("selected", node.dataset.event === selected);
  };

  const times = all.map((e) => Date.parse(e.time)).filter(Number.isFinite);
  const span = times.length ? Math.max(...times) - Math.min(...times) : 0;
  show(root,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/ui/" }, "Tasks"), " / ", task),
    h("div", { class: "title" }, h("h1", {}, task), badge(state.status)),
    h("dl", { class: "facts" },
      fact("Goal", state.goal ?? "(not readable)"),
      fact("Agent", state.assignee ?? ""),
      fact("Attempts", String(state.attempts ?? 0)),
      fact("Tenant", state.tenant ?? ""),
      fact("Run", state.correlation ?? ""),
      fact("Duration", `${duration(span)} (${all.length} events${replay.withheld ? `, ${replay.withheld} withheld by the access policy` : ""})`),
      state.parent_task ? fact("Parent", h("a", { href: `/ui/tasks/${encodeURIComponent(state.parent_task)}` }, state.parent_task)) : null,
      state.subtasks?.length ? fact("Subtasks", state.subtasks.map((t, i) => [i ? ", " : "", h("a", { href: `/ui/tasks/${encodeURIComponent(t)}` }, t)])) : null,
      state.anomalies ? fact("Anomalies", `${state.anomalies} impossible transitions (fleetledger tasks --anomalies)`) : null,
      state.error ? fact("Error", state.error) : null,
    ),
    h("div", { class: "toolbar" },
      h("label", { class: "check" }, h("input", { type: "checkbox", onchange: (e) => { byTime = e.target.checked; draw(); } }), " space events by time (else evenly, in ledger order)"),
      h("label", { class: "check" }, h("input", { type: "checkbox", onchange: (e) => { withSummaries = e.target.checked; draw(); } }), " show the tasks projection's state summaries"),
      h("button", { type: "button", onclick: () => downloadEvidence(path, task) }, "Download the evidence bundle")),
    legend(),
    h("div", { class: "story-layout" }, h("div", { class: "scroll chart-box" }, chart), detail),
    h("h2", {}, "Events in ledger order"),
    list,
  );
  draw();
  let resize = null;
  addEventListener("resize", () => { clearTimeout(resize); resize = setTimeout(draw, 150); });
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

async function downloadEvidence(path, task) {
  const { getBytes } = await import("../api.js");
  const blob = new Blob([await getBytes(`${path}/evidence`)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: `evidence-${task}.json` });
  document.body.append(link);
  link.click();
  link.remove();
}

function legend() {
  return h("ul", { class: "legend", "aria-label": "Legend" },
    FAMILIES.map((f) => h("li", {}, h("span", { class: `swatch fam-${f}` }), f)),
    h("li", {}, h("span", { class: "swatch shape-gate" }), "approval gate"),
    h("li", {}, h("span", { class: "swatch shape-denied" }), "policy denial / refusal"),
    h("li", {}, h("span", { class: "swatch bar" }), "tool call (duration)"),
    h("li", {}, h("span", { class: "swatch arrow" }), "caused"));
}

/**
 * The chart. Evenly spaced (the default), each event has a column of its own in ledger order
 * and the axis names the time of every few; by time, x is proportional to the event's time,
 * so long waits (an approval) show as long, and events close in time may overlap.
 */
function waterfall(events, select, fit, byTime) {
  if (events.length === 0) return h("p", { class: "muted" }, "No events to show.");
  const lanes = [...new Set(events.map(actor))];
  const times = events.map((e) => Date.parse(e.time));
  const t0 = Math.min(...times);
  const t1 = Math.max(t0 + 1000, Math.max(...times));
  const width = byTime ? fit : Math.max(fit, LEFT + RIGHT + COLUMN * (events.length - 1));
  const inner = width - LEFT - RIGHT;
  const step = events.length > 1 ? inner / (events.length - 1) : 0;
  const xs = byTime ? times.map((t) => LEFT + ((t - t0) / (t1 - t0)) * inner) : events.map((_, i) => LEFT + i * step);
  const y = (event) => TOP + lanes.indexOf(actor(event)) * LANE + LANE / 2;
  const height = TOP + lanes.length * LANE + 8;
  const at = new Map(events.map((e, i) => [e.id, { x: xs[i], y: y(e) }]));

  return s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "group", "aria-label": `Waterfall of ${events.length} events in ${lanes.length} lanes` },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M0,0 L8,4 L0,8 z", class: "arrowhead" }))),
    axis(byTime ? timeTicks(t0, t1, LEFT, inner) : orderTicks(times, xs, t0), height),
    lanes.map((lane, i) => s("g", { class: "lane" },
      s("rect", { x: 0, y: TOP + i * LANE, width, height: LANE, class: i % 2 ? "lane-odd" : "lane-even" }),
      s("text", { x: 8, y: TOP + i * LANE + LANE / 2 + 4, class: "lane-label" }, lane.length > 18 ? `${lane.slice(0, 17)}…` : lane))),
    spans(events, times, xs, y),
    arrows(events, at),
    events.map((event, i) => marker(event, at.get(event.id), times[i] - t0, select)),
  );
}

/** [x, label] ticks of a time axis: the start's clock time, then offsets from it. */
function timeTicks(t0, t1, left, inner) {
  const count = 6;
  return Array.from({ length: count + 1 }, (_, i) => {
    const t = t0 + ((t1 - t0) * i) / count;
    return [left + (inner * i) / count, i === 0 ? clock(new Date(t0).toISOString()) : `+${duration(t - t0)}`];
  });
}

/** [x, label] ticks of an evenly spaced axis: an event's offset every 100 px or so (the first
 * tick, the start's clock time, is wider). */
function orderTicks(times, xs, t0) {
  const ticks = [];
  let room = 0;
  xs.forEach((x, i) => {
    if (x < room) return;
    ticks.push([x, i === 0 ? clock(new Date(t0).toISOString()) : `+${duration(times[i] - t0)}`]);
    room = x + (i === 0 ? 120 : 90);
  });
  return ticks;
}

function axis(ticks, height) {
  return s("g", { class: "axis" }, ticks.map(([x, label], i) => s("g", {},
    s("line", { x1: x, x2: x, y1: TOP - 6, y2: height, class: "grid" }),
    s("text", { x, y: TOP - 12, "text-anchor": i === 0 ? "start" : "middle" }, label))));
}

/** Tool calls (requested to completed or failed, by call id) and approval waits (requested to
 * granted or denied, by approval id) as bars with their durations. */
function spans(events, times, xs, y) {
  const groups = new Map();
  events.forEach((event, i) => {
    const data = event.data && typeof event.data === "object" ? event.data : {};
    const key = event.type.startsWith("tool.call.") && typeof data.call_id === "string" ? `call ${data.call_id}`
      : event.type.startsWith("governance.approval.") && typeof data.approval_id === "string" ? `approval ${data.approval_id}` : null;
    if (!key) return;
    const group = groups.get(key) ?? { key, first: event, start: times[i], end: times[i], from: xs[i], to: xs[i], label: data.tool, last: event };
    group.end = Math.max(group.end, times[i]);
    group.to = Math.max(group.to, xs[i]);
    group.last = event;
    groups.set(key, group);
  });
  return [...groups.values()].filter((g) => g.end > g.start || g.first !== g.last).map((g) => {
    const approval = g.key.startsWith("approval");
    const failed = g.last.type.endsWith(".failed") || g.last.type.endsWith(".denied");
    const top = y(g.first) + (approval ? 11 : -19);
    const width = Math.max(2, g.to - g.from);
    const text = `${approval ? "approval wait" : g.label ?? "tool call"} · ${duration(g.end - g.start)}`;
    return s("g", { class: `span ${approval ? "span-approval" : "span-call"}${failed ? " span-failed" : ""}` },
      s("rect", { x: g.from, y: top, width, height: approval ? 5 : 8, rx: 3 }, s("title", {}, text)),
      s("text", { x: g.from + 2, y: approval ? top + 16 : top - 3, class: "span-label" }, fitted(text, width)));
  });
}

/** `text` cut to what fits in `width` pixels of the chart's small type (the bar's title has all). */
function fitted(text, width) {
  const room = Math.max(0, Math.floor(width / 5.6));
  return text.length <= room ? text : room > 4 ? `${text.slice(0, room - 1)}…` : "";
}

function arrows(events, at) {
  return s("g", { class: "arrows" }, events.filter((e) => e.causationid && at.has(e.causationid) && e.causationid !== e.id).map((event) => {
    const from = at.get(event.causationid);
    const to = at.get(event.id);
    if (Math.abs(from.x - to.x) < 1 && Math.abs(from.y - to.y) < 1) return null;
    const bend = from.y === to.y ? -18 : 0;
    const midX = (from.x + to.x) / 2;
    return s("path", { d: `M${from.x},${from.y} C${midX},${from.y + bend} ${midX},${to.y + bend} ${to.x - 6},${to.y}`, class: "arrow", "marker-end": "url(#arrow)" });
  }));
}

function marker(event, point, offset, select) {
  const { shape, label } = mark(event);
  const fam = family(event.type);
  const title = `${event.type} by ${actor(event)} at ${clock(event.time)} (+${duration(offset)})`;
  const { x, y } = point;
  const glyph = shape === "gate" || shape === "granted" || shape === "refused"
    ? s("path", { d: `M${x},${y - 8} L${x + 8},${y} L${x},${y + 8} L${x - 8},${y} z`, class: `mk shape-${shape}` })
    : shape === "denied"
      ? s("g", { class: "mk shape-denied" }, s("rect", { x: x - 7, y: y - 7, width: 14, height: 14, rx: 2 }), s("path", { d: `M${x - 4},${y - 4} L${x + 4},${y + 4} M${x + 4},${y - 4} L${x - 4},${y + 4}`, class: "cross" }))
      : s("circle", { cx: x, cy: y, r: 6, class: `mk fam-${fam}${shape === "failed" ? " shape-failed" : ""}` });
  return s("a", {
    href: `/ui/events/${encodeURIComponent(event.id)}`, class: "event-mark", "data-event": event.id, "aria-label": title,
    onclick: (e) => { e.preventDefault(); select(event); },
  }, s("title", {}, title), glyph, label ? s("text", { x, y: y + 19, "text-anchor": "middle", class: `mark-label label-${shape}` }, label) : null);
}

function storyLine(event, i, events, select) {
  const offset = Date.parse(event.time) - Date.parse(events[0].time);
  const cause = events.find((e) => e.id === event.causationid);
  const { shape, label: marked } = mark(event);
  const label = marked ?? { gate: "approval gate", granted: "approved" }[shape] ?? null;
  return h("li", { "data-event": event.id },
    h("button", { type: "button", class: "linkish", onclick: () => select(event) },
      h("span", { class: `swatch fam-${family(event.type)}` }),
      h("span", { class: "mono" }, event.type)),
    " ", h("span", { class: "muted" }, `${actor(event)} · ${clock(event.time)} · +${duration(offset)}`),
    label ? h("span", { class: `tag label-${shape}` }, label) : null,
    cause ? h("span", { class: "muted" }, ` · caused by ${cause.type}`) : null,
    h("span", { class: "visually-hidden" }, ` at ${dateTime(event.time)}`),
    " ", h("a", { href: `/ui/events/${encodeURIComponent(event.id)}`, "aria-label": `Open ${event.type} ${i + 1}` }, "open"));
}
