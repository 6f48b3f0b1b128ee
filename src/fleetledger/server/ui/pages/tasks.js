/**
 * Tasks: the latest summary of each task (the `state` family the tasks projection keeps),
 * filtered by text, status, agent, tenant and time, and kept current by following the state
 * family's new summaries over Server-Sent Events.
 */
import { follow, getJson } from "../api.js";
import { h, show } from "../dom.js";
import { age, dateTime } from "../format.js";

const STATUSES = ["requested", "decomposed", "assigned", "started", "handed_off", "checkpointed", "retried", "completed", "failed", "cancelled", "compensated"];
const WINDOWS = { "": "any time", "1h": "last hour", "24h": "last day", "7d": "last week" };
const WINDOW_MS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000 };
const SHOWN = 500;

export async function tasksPage(root) {
  document.title = "Tasks · fleetledger";
  const read = await getJson("/tasks");
  const tasks = new Map(read.tasks.map((row) => [row.task, row]));
  const query = new URLSearchParams(location.search);
  const filters = {
    text: query.get("q") ?? "",
    status: query.get("status") ?? "",
    agent: query.get("agent") ?? "",
    tenant: query.get("tenant") ?? "",
    since: query.get("since") ?? "",
  };
  const status = h("span", { class: "live", role: "status" }, "connecting…");
  const summary = h("p", { class: "muted", "aria-live": "polite" });
  const body = h("tbody");
  const fresh = new Set();

  const field = (name, label, control) => h("label", {}, h("span", {}, label), control);
  const input = (name, placeholder) =>
    h("input", { type: "search", name, value: filters[name], placeholder, oninput: (e) => update(name, e.target.value) });
  const select = (name, options) =>
    h("select", { name, onchange: (e) => update(name, e.target.value) },
      Object.entries(options).map(([value, text]) => h("option", { value, selected: filters[name] === value }, text)));

  const form = h("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
    field("q", "Search", input("text", "task id or goal")),
    field("status", "Status", select("status", { "": "any status", ...Object.fromEntries(STATUSES.map((s) => [s, s.replace("_", " ")])) })),
    field("agent", "Agent", input("agent", "assignee")),
    field("tenant", "Tenant", input("tenant", "tenant")),
    field("since", "Updated", select("since", WINDOWS)),
  );

  function update(name, value) {
    filters[name] = value.trim();
    const next = new URLSearchParams();
    for (const [key, param] of [["text", "q"], ["status", "status"], ["agent", "agent"], ["tenant", "tenant"], ["since", "since"]]) {
      if (filters[key]) next.set(param, filters[key]);
    }
    history.replaceState(null, "", next.toString() ? `?${next}` : location.pathname);
    render();
  }

  function matches(row) {
    const text = filters.text.toLowerCase();
    if (text && !`${row.task} ${row.goal ?? ""}`.toLowerCase().includes(text)) return false;
    if (filters.status && row.status !== filters.status) return false;
    if (filters.agent && !String(row.assignee ?? "").toLowerCase().includes(filters.agent.toLowerCase())) return false;
    if (filters.tenant && String(row.tenant ?? "") !== filters.tenant) return false;
    if (filters.since && Date.now() - Date.parse(row.updated_at) > WINDOW_MS[filters.since]) return false;
    return true;
  }

  function render() {
    const rows = [...tasks.values()].filter(matches).sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
    show(body, rows.slice(0, SHOWN).map((row) =>
      h("tr", { class: fresh.has(row.task) ? "fresh" : null },
        h("th", { scope: "row" }, h("a", { href: `/ui/tasks/${encodeURIComponent(row.task)}` }, row.task)),
        h("td", {}, badge(row.status)),
        h("td", { class: "goal" }, row.goal ?? ""),
        h("td", {}, row.assignee ?? ""),
        h("td", {}, row.tenant ?? ""),
        h("td", { title: dateTime(row.updated_at) }, age(row.updated_at)),
        h("td", { class: "mono" }, row.last_event_type ?? ""),
      )));
    const more = rows.length > SHOWN ? ` (the ${SHOWN} most recently updated shown: narrow the filters)` : "";
    summary.textContent = `${rows.length} of ${tasks.size} tasks${more}.${read.withheld ? ` ${read.withheld} summaries withheld by the access policy.` : ""}`;
    fresh.clear();
  }

  show(root,
    h("div", { class: "title" }, h("h1", {}, "Tasks"), status),
    form,
    summary,
    h("div", { class: "scroll" },
      h("table", { class: "tasks" },
        h("caption", { class: "visually-hidden" }, "Tasks, most recently updated first"),
        h("thead", {}, h("tr", {}, ["Task", "Status", "Goal", "Agent", "Tenant", "Updated", "Last event"].map((t) => h("th", { scope: "col" }, t)))),
        body)),
    tasks.size === 0 ? h("p", { class: "muted" }, "No task summaries yet: they come from the tasks projection (fleetledger consume tasks, or the TaskProjection in your process).") : null,
  );
  render();

  let pending = null;
  const controller = new AbortController();
  addEventListener("pagehide", () => controller.abort());
  follow({ family: "state", type: "state.summary" }, (event) => {
    tasks.set(event.subject, { task: event.subject, ...event.data });
    fresh.add(event.subject);
    pending ??= setTimeout(() => { pending = null; render(); }, 250);
  }, (state) => {
    status.textContent = typeof state === "string" ? state : `not live: ${state.message}`;
    status.dataset.state = typeof state === "string" ? state : "failed";
  }, controller.signal);
}

export function badge(status) {
  return h("span", { class: `badge status-${status ?? "unknown"}` }, String(status ?? "unknown").replace("_", " "));
}
