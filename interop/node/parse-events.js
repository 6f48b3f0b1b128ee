"use strict";
// Parse every event fleetledger printed as JSON with the CloudEvents SDK, in strict mode.
//
// Usage: fleetledger replay TASK --json | node parse-events.js
//
// stdin holds one event (a JSON object), a batch (a JSON array of them) or JSON Lines (one
// object per line), as `fleetledger get/emit/tail/replay --json` print them. Each event is
// built with `new CloudEvent(object, true)`, which validates it against the CloudEvents 1.0
// schema and checks every extension's name and value. stdout gets one canonical summary per
// event (summary.js), one JSON object per line, in input order. Any event the SDK refuses
// ends the run with exit 1 and the SDK's message on stderr; input that is not JSON, or holds
// no event, ends it with exit 2.

const { strict, summary, reason } = require("./summary");

function fail(code, message) {
  process.stderr.write(`parse-events: ${message}\n`);
  process.exit(code);
}

// The JSON values of the input: a whole document (an object or an array of objects), else
// one value per non-blank line.
function documents(text) {
  try {
    const whole = JSON.parse(text);
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    // Not one document: JSON Lines.
  }
  const values = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      fail(2, `line ${index + 1} is not JSON: ${reason(error)}`);
    }
  });
  return values;
}

function parse(text) {
  const values = documents(text);
  if (values.length === 0) fail(2, "no event on stdin");
  const lines = values.map((value, index) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      fail(1, `event ${index + 1} is not a JSON object: ${JSON.stringify(value)}`);
    }
    try {
      return JSON.stringify(summary(strict(value)));
    } catch (error) {
      fail(1, `event ${index + 1} (id ${JSON.stringify(value.id)}): ${reason(error)}`);
    }
  });
  process.stdout.write(lines.join("\n") + "\n");
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => parse(Buffer.concat(chunks).toString("utf8")));
