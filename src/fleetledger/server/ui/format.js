/** How times, durations, sizes and counts read on every page. */

export function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
}

export function dateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 10 min". */
export function duration(ms) {
  if (!Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** How long ago `iso` was, from now. */
export function age(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : `${duration(Math.max(0, Date.now() - t))} ago`;
}

export function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function count(n) {
  return Math.round(n).toLocaleString("en-US");
}

export function family(type) {
  return String(type).split(".", 1)[0];
}

/** Who acted: the agent id, else the source without its "agents/" or "humans/" prefix. */
export function actor(event) {
  if (event.agentid) return String(event.agentid);
  const source = String(event.source || "ledger");
  return source.replace(/^(agents|humans)\//, "");
}
