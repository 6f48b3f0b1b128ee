/**
 * An event, and its inclusion proof verified in this browser.
 *
 * The page asks the server for the event's stored bytes and its proof as stored
 * (`/events/{id}/material`, which the server does not check), shows the event parsed from those
 * very bytes, and checks with the TypeScript verifier (ui/verify, the code of verifiers/ts):
 * the SHA-256 leaf hash of the bytes is the proof's leaf, the audit path leads to the root the
 * ledger head signed for the event's partition, and the head's Ed25519 signature holds under a
 * key the user pasted or pinned in this browser, never one the server sends.
 */
import { ApiError, getJson, settings } from "../api.js";
import { h, show } from "../dom.js";
import { actor, dateTime } from "../format.js";
import { decodeBase64, encodeBase64, leafHash, parseLedgerHead, parseNote, readVerifierKey, verifyInclusionDocument } from "../verify/index.js";

const ATTRIBUTES = ["id", "type", "source", "subject", "time", "recordedtime", "tenant", "agentid", "agentversion", "correlationid", "causationid", "conversationid", "traceparent", "dataclassification", "dataversion", "datasubject", "authid", "authtype", "orderedafter", "orderedafterleaf"];

export async function eventPage(root, id) {
  document.title = `Event ${id} · fleetledger`;
  const [stored, material] = await Promise.all([getJson(`/events/${encodeURIComponent(id)}`), getJson(`/events/${encodeURIComponent(id)}/material`).catch((error) => error)]);
  const opened = stored.event;
  const { topic, partition, offset } = stored.position;
  if (material instanceof Error && !(material instanceof ApiError)) throw material;

  const proof = h("section", { class: "proof", "aria-labelledby": "proof-title" }, h("h2", { id: "proof-title" }, "Inclusion proof, checked in this browser"));
  const body = material instanceof ApiError ? null : decodeBase64(material.body);
  const shown = body ? parseStored(body) : null;
  show(root,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/ui/" }, "Tasks"), " / ",
      opened.subject ? h("a", { href: `/ui/tasks/${encodeURIComponent(opened.subject)}` }, opened.subject) : "(no subject)", " / ", opened.type),
    h("div", { class: "title" }, h("h1", { class: "mono" }, opened.type)),
    h("p", { class: "muted" }, `${actor(opened)} · ${dateTime(opened.time)} · stored at ${topic} partition ${partition} offset ${offset}`),
    proof,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "stored-title" },
        h("h2", { id: "stored-title" }, "As stored (the bytes the proof covers)"),
        shown ? eventDetails(shown) : h("p", { class: "muted" }, "The stored bytes are not available (see the proof above).")),
      differs(shown, opened) ? h("section", { "aria-labelledby": "opened-title" },
        h("h2", { id: "opened-title" }, "As you may read it"),
        h("p", { class: "muted" }, "Sealed fields opened with keys the ledger holds for you: not part of the proof."),
        dataBlock(opened.data)) : null),
    body ? h("details", {}, h("summary", {}, `The stored bytes (${body.length} bytes, RFC 8785 JSON)`), h("pre", { class: "bytes" }, new TextDecoder().decode(body))) : null,
  );
  if (material instanceof ApiError) {
    proofResult(proof, false, material.status === 404 ? "No signed ledger head covers this event yet." : material.message, [], null);
    return;
  }
  await checkProof(proof, body, material.proof);
}

function parseStored(body) {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return null;
  }
}

function differs(shown, opened) {
  return shown !== null && JSON.stringify(shown.data) !== JSON.stringify(opened.data);
}

/** An event's attributes and data, erased and sealed fields marked. */
export function eventDetails(event) {
  const rows = ATTRIBUTES.filter((name) => event[name] !== undefined && event[name] !== null)
    .concat(Object.keys(event).filter((name) => name !== "data" && name !== "specversion" && name !== "datacontenttype" && !ATTRIBUTES.includes(name)).sort());
  return h("div", { class: "event" },
    h("dl", { class: "attributes" }, rows.map((name) => [h("dt", {}, name), h("dd", { class: "mono" }, String(event[name]))])),
    h("h3", {}, "Data"),
    dataBlock(event.data));
}

function dataBlock(data) {
  return h("div", { class: "data" }, value(data, 0));
}

/** JSON as nested lists, `{"$erased": true}` and sealed values marked rather than printed. */
function value(v, depth) {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    if (v.$erased === true) return h("span", { class: "tag erased", title: "Erased: its key was destroyed (fleetledger forget)" }, "erased");
    if ("$enc" in v) return h("span", { class: "tag sealed", title: "Encrypted: no key to open it here" }, "sealed");
    const keys = Object.keys(v);
    if (keys.length === 0) return h("span", { class: "mono" }, "{}");
    return h("dl", { class: "json" }, keys.map((k) => [h("dt", {}, k), h("dd", {}, value(v[k], depth + 1))]));
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return h("span", { class: "mono" }, "[]");
    return h("ol", { class: "json", start: 0 }, v.map((item) => h("li", {}, value(item, depth + 1))));
  }
  return h("span", { class: `mono json-${v === null ? "null" : typeof v}` }, JSON.stringify(v));
}

async function checkProof(section, body, proof) {
  const keyBox = h("textarea", { id: "key", rows: 2, spellcheck: "false", autocomplete: "off", placeholder: "name+hash+base64 (the .pub file's line)" }, settings.key);
  const pin = h("input", { type: "checkbox", id: "pin", checked: Boolean(settings.key) });
  const result = h("div", { class: "result", role: "status", "aria-live": "polite" });
  const run = async () => {
    const key = keyBox.value.trim();
    if (pin.checked) settings.pinKey(key);
    if (!key) {
      proofResult(result, null, "Paste the ledger's public key to check the proof: the line of its .pub file (fleetledger keys …), obtained from whoever runs the ledger, not from this page.", [], proof);
      return;
    }
    proofResult(result, null, "Checking…", [], proof);
    proofResult(result, ...(await verify(body, proof, key)), proof);
  };
  section.append(
    h("form", { class: "key", onsubmit: (e) => { e.preventDefault(); run(); } },
      h("label", { for: "key" }, "The ledger's public key (pasted or pinned in this browser)"),
      keyBox,
      h("div", { class: "row" },
        h("label", { class: "check" }, pin, " pin it in this browser"),
        h("button", { type: "submit" }, "Verify"))),
    result);
  await run();
}

/** [ok, headline, steps] of checking `body` against `proof` with `keyText`. */
export async function verify(body, proof, keyText) {
  const steps = [];
  let verifier;
  try {
    verifier = await readVerifierKey(keyText);
  } catch (error) {
    return [false, `That is not a public key: ${error.message}`, steps];
  }
  const hashed = await leafHash(body);
  const leafOk = encodeBase64(hashed) === proof.leaf_hash;
  steps.push([leafOk, `The SHA-256 leaf hash of the ${body.length} stored bytes is ${encodeBase64(hashed)}`, leafOk ? "the leaf the proof is for" : `but the proof is for leaf ${proof.leaf_hash}: these are not the bytes the ledger recorded`]);
  if (!leafOk) return [false, "Proof failed: the event's bytes are not what the ledger recorded.", steps];
  try {
    const checked = await verifyInclusionDocument(JSON.stringify(proof), verifier);
    steps.push([true, `The ${proof.audit_path.length}-hash audit path leads from leaf ${checked.leafIndex} to the root of ${checked.topic}/${checked.partition} at ${checked.treeSize} leaves`, "the root the head signed"]);
    steps.push([true, `The ledger head of ${checked.namespace} is signed by ${verifier.name} (key id ${verifier.keyId.toString(16).padStart(8, "0")})`, "the key you gave"]);
    return [true, `Proof verified in your browser: this event is leaf ${checked.leafIndex} of ${checked.topic}/${checked.partition}, in the ledger head of ${checked.namespace} signed by ${verifier.name}.`, steps];
  } catch (error) {
    const kind = error.kind ?? "error";
    steps.push([false, kind === "proof" ? "The audit path does not lead to the signed root" : `The head's signature does not hold under ${verifier.name}`, error.reason ?? error.message]);
    return [false, `Proof failed (${kind}): ${error.reason ?? error.message}`, steps];
  }
}

function proofResult(box, ok, headline, steps, proof) {
  const state = ok === true ? "verified" : ok === false ? "failed" : "pending";
  box.dataset.state = state;
  show(box,
    h("p", { class: `verdict verdict-${state}` }, ok === true ? "✓ " : ok === false ? "✗ " : "", headline),
    steps.length ? h("ol", { class: "steps" }, steps.map(([good, what, why]) => h("li", { class: good ? "step-ok" : "step-bad" }, h("span", { "aria-hidden": "true" }, good ? "✓ " : "✗ "), what, h("span", { class: "muted" }, ` (${why})`)))) : null,
    proof ? headFacts(proof) : null);
}

function headFacts(proof) {
  let text;
  try {
    const { text: body } = parseNote(proof.head);
    const head = parseLedgerHead(body);
    const total = head.partitions.reduce((n, p) => n + p.size, 0n);
    text = `Head: ${head.namespace}, ${head.partitions.length} partitions, ${total} leaves in all.`;
  } catch (error) {
    text = `The head note does not parse: ${error.message}`;
  }
  return h("details", {}, h("summary", {}, text), h("pre", { class: "bytes" }, proof.head));
}
