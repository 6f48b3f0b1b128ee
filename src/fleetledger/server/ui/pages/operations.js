/**
 * Operations: consumer lag per group, storage per family, policy denials, dead letters and
 * the notary's progress, charted from the samples the server takes as it runs (/ops/series),
 * refreshed at the server's sampling interval.
 */
import { getJson } from "../api.js";
import { linesOf, lineChart, lineOf } from "../charts.js";
import { alertBox, h, show } from "../dom.js";
import { bytes, count, dateTime } from "../format.js";

export async function operationsPage(root) {
  document.title = "Operations · fleetledger";
  const charts = h("div", { class: "charts" });
  const said = h("p", { class: "muted", role: "status" });
  show(root, h("h1", {}, "Operations"), said, charts,
    h("p", { class: "muted" }, "Sampled by this server since it started; Prometheus keeps the long history from ", h("a", { href: "/metrics" }, "/metrics"), "."));
  const draw = async () => {
    const series = await getJson("/ops/series");
    const samples = series.samples;
    said.textContent = samples.length
      ? `${samples.length} samples, every ${series.interval} s, from ${dateTime(new Date(samples[0].time * 1000).toISOString())}.`
      : "No samples yet.";
    show(charts,
      series.error ? alertBox({ title: "Sampling failed:", message: series.error }) : null,
      lineChart("Consumer lag per group", linesOf(samples, "lag", "no consumer group"), (v) => `${count(v)} events`),
      lineChart("Storage per family", linesOf(samples, "bytes"), bytes, "", bytes),
      lineChart("Policy denials recorded", [lineOf(samples, "denials", "denials")], count),
      lineChart("Dead letters by status", linesOf(samples, "dead_letters", "no dead letters"), count),
      lineChart("Notary progress", [lineOf(samples, "signed_leaves", "signed leaves"), lineOf(samples, "unsigned_leaves", "not yet signed")], count, "leaves the newest signed head covers, and those past it"));
    return series.interval;
  };
  const interval = (await draw()) ?? 10;
  const timer = setInterval(() => draw().catch((error) => show(charts, alertBox(error))), interval * 1000);
  addEventListener("pagehide", () => clearInterval(timer));
}
