"use strict";
// Read Kafka topics with kafkajs, as a Node service would, and parse each record with the
// CloudEvents SDK's Kafka binding in strict mode.
//
// Usage: node read-topic.js --bootstrap HOST:PORT [--timeout SECONDS] TOPIC...
//
// Reads every partition of each topic from its start to its end as it was when the run began
// (the last stable offset: isolation level read_committed), through a consumer group of its
// own that commits nothing. stdout gets one JSON object per record, ordered by topic,
// partition and offset:
//
//   {topic, partition, offset, timestamp, key, headers, value, event, error}
//
// key and each header value are {text, base64}: text is the bytes decoded as UTF-8, or null
// where they are not UTF-8 (a binary header such as fleetledger's fl_mac); value is base64
// (null for a Kafka null). headers are [{name, text, base64}] in the order kafkajs gives them
// (it merges repeated names into one entry with several values, kept here as several entries).
// event is the canonical summary (summary.js) of `Kafka.toEvent` built again with validation
// on, or null with the SDK's message in error.
//
// Exit 0: every record is a valid CloudEvent; 1: some record is not (each one's error is in
// its line, and on stderr); 2: bad arguments; 3: the end was not reached within the timeout
// (default 20 s), or the broker failed.

const { randomUUID } = require("node:crypto");
const { Kafka: KafkaBinding } = require("cloudevents");
const { Kafka, logLevel } = require("kafkajs");
const { strict, summary, reason } = require("./summary");

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function usage(message) {
  process.stderr.write(`read-topic: ${message}\n`);
  process.stderr.write("usage: node read-topic.js --bootstrap HOST:PORT [--timeout SECONDS] TOPIC...\n");
  process.exit(2);
}

function options(argv) {
  const found = { bootstrap: null, timeout: 20, topics: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--bootstrap") found.bootstrap = argv[++i];
    else if (argv[i] === "--timeout") found.timeout = Number(argv[++i]);
    else if (argv[i].startsWith("--")) usage(`unknown option ${argv[i]}`);
    else found.topics.push(argv[i]);
  }
  if (!found.bootstrap) usage("--bootstrap is required");
  if (!(found.timeout > 0)) usage("--timeout takes a positive number of seconds");
  if (found.topics.length === 0) usage("name at least one topic");
  return found;
}

// kafkajs logs to stdout by default; its warnings and errors go to stderr here.
const toStderr = () => ({ namespace, label, log }) => {
  process.stderr.write(`kafkajs ${label} [${namespace}] ${log.message}\n`);
};

function bytes(buffer) {
  if (buffer === null || buffer === undefined) return null;
  let text = null;
  try {
    text = UTF8.decode(buffer);
  } catch {
    // Not UTF-8: base64 only.
  }
  return { text, base64: buffer.toString("base64") };
}

function headerList(headers) {
  const list = [];
  for (const [name, value] of Object.entries(headers || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      list.push({ name, ...(bytes(item) ?? { text: null, base64: null }) });
    }
  }
  return list;
}

// The message as the SDK's Kafka binding takes it: text headers (a repeated name's last
// value, as fleetledger reads them) and the key as text.
function bindingMessage(message) {
  const headers = {};
  for (const [name, value] of Object.entries(message.headers || {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    headers[name] = last === null || last === undefined ? last : last.toString("utf8");
  }
  return {
    key: message.key === null ? undefined : message.key.toString("utf8"),
    value: message.value,
    headers,
    timestamp: message.timestamp,
  };
}

function record(topic, partition, message) {
  const line = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: bytes(message.key),
    headers: headerList(message.headers),
    value: message.value === null ? null : message.value.toString("base64"),
    event: null,
    error: null,
  };
  try {
    line.event = summary(strict(KafkaBinding.toEvent(bindingMessage(message))));
  } catch (error) {
    line.error = reason(error);
  }
  return line;
}

// Per partition, the offset reading must reach: {"topic/partition": end}, empty ones left out.
async function ends(kafka, topics) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = new Map();
    for (const topic of topics) {
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > Number(low)) wanted.set(`${topic}/${partition}`, Number(high));
      }
    }
    return wanted;
  } finally {
    await admin.disconnect();
  }
}

// A group of one joins in about half its session timeout on some brokers (Tansu): a short one
// first; a broker that refuses it (Apache Kafka's group.min.session.timeout.ms is 6000 unless
// set lower) gets its smallest default.
const SESSION_TIMEOUTS = [2000, 6000];

async function read({ bootstrap, topics }, lines) {
  const kafka = new Kafka({
    clientId: "fleetledger-interop",
    brokers: [bootstrap],
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 5, initialRetryTime: 100 },
    logLevel: logLevel.WARN,
    logCreator: toStderr,
  });
  const pending = await ends(kafka, topics);
  for (const sessionTimeout of SESSION_TIMEOUTS) {
    if (pending.size === 0) return;
    try {
      return await consume(kafka, topics, sessionTimeout, pending, lines);
    } catch (error) {
      if (error.type !== "INVALID_SESSION_TIMEOUT" || sessionTimeout === SESSION_TIMEOUTS.at(-1)) {
        throw error;
      }
      process.stderr.write(`read-topic: the broker refuses a ${sessionTimeout} ms session timeout; trying a longer one\n`);
    }
  }
}

// Read with a consumer group of one until every pending partition reached its end; a crash of
// the consumer (which is never restarted) rejects at once.
async function consume(kafka, topics, sessionTimeout, pending, lines) {
  const consumer = kafka.consumer({
    groupId: `fleetledger-interop-${randomUUID()}`,
    sessionTimeout,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 50, // kafkajs waits 5 s for new records by default
    allowAutoTopicCreation: false,
    readUncommitted: false,
    retry: { retries: 5, initialRetryTime: 100, restartOnFailure: async () => false },
  });
  const finished = new Promise((resolve, reject) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    // A batch of control records only (a transaction's commit marker) reaches no handler of
    // messages, but it moves the position all the same: batch events see every batch.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const where = `${payload.topic}/${payload.partition}`;
      if (pending.has(where) && Number(payload.lastOffset) + 1 >= pending.get(where)) {
        pending.delete(where);
        if (pending.size === 0) resolve();
      }
    });
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const end = pending.get(`${topic}/${partition}`);
        if (end !== undefined && Number(message.offset) < end) {
          lines.push(record(topic, partition, message));
        }
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
}

async function main() {
  const given = options(process.argv.slice(2));
  const lines = [];
  const timer = setTimeout(() => {
    process.stderr.write(`read-topic: the end of ${given.topics.join(", ")} not reached in ${given.timeout} s\n`);
    process.exit(3);
  }, given.timeout * 1000);
  try {
    await read(given, lines);
  } catch (error) {
    process.stderr.write(`read-topic: ${reason(error)}\n`);
    process.exit(3);
  }
  clearTimeout(timer);
  lines.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset);
  process.stdout.write(lines.map((line) => JSON.stringify(line) + "\n").join(""));
  const refused = lines.filter((line) => line.error !== null);
  for (const line of refused) {
    process.stderr.write(`read-topic: ${line.topic}/${line.partition}@${line.offset}: ${line.error}\n`);
  }
  process.exit(refused.length === 0 ? 0 : 1);
}

main();
