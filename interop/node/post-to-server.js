"use strict";
// A Node agent appends to a running `fleetledger serve` with the CloudEvents SDK's HTTP
// binding, then reads its events back through the server's read routes.
//
// Usage: node post-to-server.js --url http://127.0.0.1:8077 --task task-n1
//
// It sends, for the task:
//   - one event in binary mode with HTTP.binary (ce- headers, the body is the data), by fetch;
//   - one in binary mode through the SDK's own transport, emitterFor(httpTransport(url));
//   - one in structured mode with HTTP.structured, by fetch;
//   - two in one batch (application/cloudevents-batch+json). SDK 10 parses batches
//     (HTTP.toEvent) but has no batch serializer, so the body is the JSON array of the
//     events' own toJSON(), which is what structured mode sends for each.
// Then it GETs /events/{id} for each and /tasks/{task}/events, and builds every event the
// server answered with `new CloudEvent(attributes, true)`, which validates it in strict mode.
//
// stdout gets one JSON object: "sent" (each event as the SDK serialized it, with its mode),
// "answers" (each append's HTTP status and body), "got" (each event read back by id: its
// position and the SDK's summary, summary.js) and "replay" (the task's events' summaries).
// An append or read the server refuses ends the run with exit 1, the answer on stderr.

const { CloudEvent, HTTP, Mode, emitterFor, httpTransport } = require("cloudevents");
const { strict, summary, reason } = require("./summary");

const TIMEOUT_MS = 10_000;

function fail(code, message) {
  process.stderr.write(`post-to-server: ${message}\n`);
  process.exit(code);
}

function options(argv) {
  const named = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) fail(2, `bad argument ${argv[i]}`);
    named[argv[i].slice(2)] = argv[i + 1];
  }
  if (!named.url || !named.task) fail(2, "usage: post-to-server.js --url URL --task TASK");
  return named;
}

async function post(url, message) {
  const response = await fetch(url, {
    method: "POST",
    headers: message.headers,
    body: message.body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) fail(1, `POST answered ${response.status}: ${text}`);
  return { status: response.status, body: JSON.parse(text) };
}

async function get(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) fail(1, `GET ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

async function main() {
  const { url, task } = options(process.argv.slice(2));
  const sink = `${url}/events`;
  const source = "agents/node-planner";
  const requested = new CloudEvent({
    type: "task.requested",
    source,
    subject: task,
    datacontenttype: "application/json",
    data: { goal: "refund order 991", priority: "high" },
    tenant: "acme",
    agentid: "node-planner",
    correlationid: "run-7",
  });
  const assigned = new CloudEvent({
    type: "task.assigned",
    source,
    subject: task,
    data: { assignee: "worker-1" },
  });
  const scored = new CloudEvent({
    type: "evaluation.scored",
    source: "https://agents.example/judge?v=2#main",
    subject: task,
    time: "2025-01-31T23:59:59.999Z",
    data: { metric: "accuracy ✓ ünïcode 🚀", score: 0.875, evaluator: "judge" },
    causationid: requested.id,
  });
  const batch = [
    new CloudEvent({
      type: "context.retrieved",
      source,
      subject: task,
      data: { query: "refund policy", sources: ["kb://refunds"], document_ids: ["d1"] },
    }),
    new CloudEvent({
      type: "task.failed",
      source,
      subject: task,
      data: { error: "timeout", retryable: true },
      agentid: "worker-1",
    }),
  ];

  const sent = [];
  const answers = [];
  const record = (mode, events, answer) => {
    for (const event of events) sent.push({ mode, event: event.toJSON() });
    answers.push({ mode, ...answer });
  };

  record("binary", [requested], await post(sink, HTTP.binary(requested)));

  const emit = emitterFor(httpTransport(sink), { mode: Mode.BINARY });
  const emitted = await emit(assigned);
  let body;
  try {
    body = JSON.parse(emitted.body);
  } catch (error) {
    fail(1, `the emitter's answer is not JSON (${reason(error)}): ${emitted.body}`);
  }
  if (!Array.isArray(body.events)) fail(1, `the emitter's append was refused: ${emitted.body}`);
  record("emitter-binary", [assigned], { status: null, body });

  record("structured", [scored], await post(sink, HTTP.structured(scored)));

  const batched = {
    headers: { "content-type": "application/cloudevents-batch+json; charset=utf-8" },
    body: JSON.stringify(batch.map((event) => event.toJSON())),
  };
  record("batch", batch, await post(sink, batched));

  const got = {};
  for (const { event } of sent) {
    const stored = await get(`${url}/events/${encodeURIComponent(event.id)}`);
    got[event.id] = { position: stored.position, summary: summary(strict(stored.event)) };
  }
  const replay = await get(`${url}/tasks/${encodeURIComponent(task)}/events`);
  process.stdout.write(
    `${JSON.stringify({
      sent,
      answers,
      got,
      replay: replay.events.map((event) => summary(strict(event))),
    })}\n`,
  );
}

main().catch((error) => fail(1, reason(error)));
