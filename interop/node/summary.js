"use strict";
// What both scripts print of a CloudEvent: every attribute the SDK parsed, in one fixed shape,
// so the Python tests can compare it field by field with what the ledger stored.

const { CloudEvent } = require("cloudevents");

// The attributes the SDK keeps as named fields; everything else on an event is an extension.
const CORE = new Set([
  "id",
  "type",
  "source",
  "specversion",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
  "data",
  "data_base64",
  "schemaurl",
  "datacontentencoding",
]);

// The SDK's message bindings (HTTP.toEvent, Kafka.toEvent) build their events with validation
// off; building the same attributes again with strict = true validates them as the
// constructor does for a structured event (schema, attribute names, extension values).
function strict(event) {
  return new CloudEvent({ ...event }, true);
}

// The canonical summary: core attributes as the SDK holds them (absent ones as null), the
// extensions sorted by name, and the data (binary data as data_base64).
function summary(event) {
  const extensions = {};
  for (const name of Object.keys(event).sort()) {
    if (!CORE.has(name) && event[name] !== undefined) {
      extensions[name] = event[name];
    }
  }
  const shown = {
    id: event.id,
    type: event.type,
    source: event.source,
    specversion: event.specversion,
    subject: event.subject ?? null,
    time: event.time ?? null,
    datacontenttype: event.datacontenttype ?? null,
    dataschema: event.dataschema ?? null,
    extensions,
  };
  if (event.data_base64 !== undefined) {
    shown.data_base64 = event.data_base64;
  } else {
    shown.data = event.data ?? null;
  }
  return shown;
}

// The SDK's message: a ValidationError's message already lists the schema's findings.
function reason(error) {
  return error instanceof Error ? error.message : String(error);
}

module.exports = { strict, summary, reason };
