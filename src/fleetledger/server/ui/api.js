/**
 * The HTTP API as the pages use it: the same public routes any client calls, with the user's
 * bearer token (kept in this browser only), problem+json errors as ApiError, and Server-Sent
 * Events read through fetch (EventSource cannot send an Authorization header).
 */
const TOKEN = "fleetledger.token";
const KEY = "fleetledger.key";

export const settings = {
  get token() {
    return sessionStorage.getItem(TOKEN) ?? localStorage.getItem(TOKEN) ?? "";
  },
  setToken(token, remember) {
    sessionStorage.removeItem(TOKEN);
    localStorage.removeItem(TOKEN);
    if (token) (remember ? localStorage : sessionStorage).setItem(TOKEN, token);
  },
  /** The ledger's public key the user pinned (a signed-note verifier key), or "". */
  get key() {
    return localStorage.getItem(KEY) ?? "";
  },
  pinKey(key) {
    if (key) localStorage.setItem(KEY, key);
    else localStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
  }
}

function headers(extra = {}) {
  const token = settings.token;
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function failure(response) {
  let problem = {};
  try {
    problem = await response.json();
  } catch {
    problem = { title: `HTTP ${response.status}` };
  }
  const error = new ApiError(response.status, problem);
  if (response.status === 401) error.title = "A token is needed";
  return error;
}

/** GET `path` (with `params`, lists repeated) as JSON; ApiError for a problem. */
export async function getJson(path, params = {}) {
  const response = await fetch(url(path, params), { headers: headers({ Accept: "application/json" }) });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** GET `path` as bytes. */
export async function getBytes(path) {
  const response = await fetch(url(path), { headers: headers() });
  if (!response.ok) throw await failure(response);
  return new Uint8Array(await response.arrayBuffer());
}

function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== null && item !== undefined && item !== "") query.append(name, item);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Follow `/events/stream` (with `params`) until `signal` aborts: `onEvent(event)` for each new
 * event, `onStatus("live" | "reconnecting" | problem)`. Reconnects resume at the last cursor the
 * server sent (Last-Event-ID), so nothing is missed or shown twice across a reconnect.
 */
export async function follow(params, onEvent, onStatus, signal) {
  let cursor = null;
  let wait = 1000;
  while (!signal.aborted) {
    try {
      const response = await fetch(url("/events/stream", params), {
        headers: headers(cursor ? { Accept: "text/event-stream", "Last-Event-ID": cursor } : { Accept: "text/event-stream" }),
        signal,
      });
      if (!response.ok) {
        onStatus(await failure(response));
        return;
      }
      onStatus("live");
      wait = 1000;
      for await (const message of messages(response.body)) {
        if (message.id !== null) cursor = message.id;
        if (message.retry !== null) wait = message.retry;
        if (message.data !== null) onEvent(JSON.parse(message.data));
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof SyntaxError) throw error;
    }
    onStatus("reconnecting");
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** The SSE messages of a response body (WHATWG HTML §9.2.6: fields id, data, retry; ":" comments). */
async function* messages(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let message = fresh();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (message.id !== null || message.data !== null || message.retry !== null) yield message;
        message = fresh();
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") message.id = text;
      else if (field === "data") message.data = message.data === null ? text : `${message.data}\n${text}`;
      else if (field === "retry" && /^\d+$/.test(text)) message.retry = Number(text);
    }
  }
}

function fresh() {
  return { id: null, data: null, retry: null };
}
