/**
 * Evidence bundles (integrity/bundle.py, format version 1): one task's events with their
 * inclusion proofs against one signed ledger head, checked offline. {@link verifyBundle}
 * replicates every step of fleetledger's `verify_bundle` and, like it, never throws on what
 * does not hold: it returns every finding, each with a reason.
 */
import { encodeBase64 } from "./bytes.js";
import { VerificationError } from "./errors.js";
import { leafHash } from "./hashing.js";
import { keyChain, sameKey } from "./handover.js";
import { decodeCount, headLine, openCheckpoint, parseCheckpoint, parseLedgerHead } from "./head.js";
import { bodyObject, listOf, parseJson, struct } from "./json.js";
import { openNote, parseNote, readVerifierKey } from "./note.js";
import { verifyInclusion } from "./proofs.js";
export const BUNDLE_FORMAT = "fleetledger-evidence";
const strings = listOf((v, where) => struct({ s: v }, where, { s: "string" }).s);
/** Parse a bundle file; a "malformed" VerificationError says what is wrong with one that is not. */
export function readBundle(data) {
    const value = parseJson(data, "an evidence bundle");
    const header = value;
    if (typeof header !== "object" || header === null || header.format !== BUNDLE_FORMAT) {
        throw new VerificationError("malformed", `not an evidence bundle: it has no "format": "${BUNDLE_FORMAT}"`);
    }
    if (header.version !== 1) {
        throw new VerificationError("malformed", `evidence bundle version ${JSON.stringify(header.version)}; this verifier reads version 1`);
    }
    const event = (v, where) => struct(v, where, { topic: "text", partition: "count", offset: "count", leaf_index: "count", tree_size: "count", body: "bytes", audit_path: "hashes" });
    const entry = (v, where) => struct(v, where, { topic: "text", partition: "count", leaves: listOf(countOf) });
    const excluded = (v, where) => struct(v, where, { id: "text", topic: "text", partition: "count", offset: "count", reason: "text" });
    const fields = struct(value, "the bundle", {
        format: "text",
        version: "count",
        namespace: "text",
        task: "text",
        head: "text",
        key: "string?",
        checkpoints: strings,
        manifest: listOf(entry),
        events: listOf(event),
    }, { excluded: listOf(excluded), handovers: strings });
    return { excluded: [], handovers: [], ...fields };
}
function countOf(value, where) {
    return struct({ n: value }, where, { n: "count" }).n;
}
class Findings {
    found = [];
    add(kind, detail, event = null) {
        this.found.push({ kind, event, detail });
    }
}
function reasonOf(exc) {
    if (exc instanceof VerificationError)
        return exc.reason;
    throw exc;
}
/** Check `bundle` offline, every step of the format's "Verification". `key` is the ledger's
 * public key the auditor trusts (a verifier or a key string); without it the bundle's own key
 * is used, which proves the bundle intact, not who signed it (`signerProved` stays false). */
export async function verifyBundle(bundle, key) {
    const findings = new Findings();
    const given = typeof key === "string" ? await readVerifierKey(key) : (key ?? null);
    const [trusted, source] = await chooseKey(bundle, given, findings);
    const chain = await follow(bundle, trusted, findings);
    const head = await readHead(bundle, chain.length ? chain[chain.length - 1] : null, findings);
    if (head !== null) {
        await checkCheckpoints(bundle, head, chain.length ? chain : null, findings);
        for (const [number, event] of bundle.events.entries())
            await checkInclusion(number, event, head, findings);
    }
    checkBodies(bundle, findings);
    checkManifest(bundle, findings);
    const ordered = await checkOrder(bundle, findings);
    return {
        ok: findings.found.length === 0,
        signerProved: findings.found.length === 0 && source === "given",
        task: bundle.task,
        namespace: bundle.namespace,
        events: bundle.events.length,
        partitions: new Set(bundle.events.map((e) => `${e.topic}/${e.partition}`)).size,
        checkpoints: bundle.checkpoints.length,
        excluded: bundle.excluded.length,
        key: trusted?.vkey ?? null,
        keySource: source,
        findings: findings.found,
        ordered,
    };
}
async function follow(bundle, trusted, findings) {
    if (trusted === null)
        return [];
    if (!bundle.handovers.length)
        return [trusted];
    const chain = await keyChain(bundle.handovers, trusted, bundle.namespace);
    for (const [number, problem] of chain.problems)
        findings.add("bad-signature", `key handover #${number + 1}: ${problem}`);
    return [...chain.keys];
}
async function chooseKey(bundle, given, findings) {
    const carried = await bundleKey(bundle, findings);
    if (given !== null) {
        const chained = bundle.handovers.length ? await follow(bundle, given, new Findings()) : [given];
        if (bundle.key !== null && !(carried !== null && chained.some((k) => sameKey(k, carried)))) {
            findings.add("other-key", `the bundle names the key ${bundle.key}, not the given key ${given.vkey}`);
        }
        return [given, "given"];
    }
    if (carried === null) {
        findings.add("no-key", "the bundle carries no usable key: pass the ledger's public key to check the head");
        return [null, null];
    }
    return [carried, "bundle"];
}
async function bundleKey(bundle, findings) {
    if (bundle.key === null)
        return null;
    try {
        return await readVerifierKey(bundle.key);
    }
    catch (exc) {
        findings.add("other-key", `the bundle's key is not a verifier key: ${reasonOf(exc)}`);
        return null;
    }
}
/** The head's content, signature checked when a key is known; a head whose signature fails
 * is still read, unverified, so the proofs can be reported too. */
async function readHead(bundle, trusted, findings) {
    let head;
    try {
        const text = parseNote(bundle.head).text;
        if (trusted !== null)
            await openNote(bundle.head, trusted);
        head = parseLedgerHead(text);
    }
    catch (exc) {
        findings.add("bad-signature", `the ledger head: ${reasonOf(exc)}`);
        try {
            head = parseLedgerHead(parseNote(bundle.head).text);
        }
        catch (again) {
            reasonOf(again);
            return null;
        }
    }
    if (head.namespace !== bundle.namespace) {
        findings.add("wrong-namespace", `the head is of namespace ${JSON.stringify(head.namespace)}, the bundle of ${JSON.stringify(bundle.namespace)}`);
    }
    return head;
}
async function checkInclusion(number, event, head, findings) {
    const where = `${event.topic}/${event.partition} leaf ${event.leaf_index}`;
    const line = headLine(head, event.topic, event.partition);
    if (line === undefined)
        return findings.add("not-included", `the head has no partition for ${where}`, number);
    if (line.size !== BigInt(event.tree_size)) {
        return findings.add("not-included", `${where} is proved in a tree of ${event.tree_size} leaves; the head signed ${line.size}`, number);
    }
    try {
        await verifyInclusion(await leafHash(event.body), event.audit_path, event.leaf_index, line.size, line.root);
    }
    catch (exc) {
        findings.add("not-included", `${where}: ${reasonOf(exc)}`, number);
    }
}
async function checkCheckpoints(bundle, head, trusted, findings) {
    for (const note of bundle.checkpoints) {
        let checkpoint;
        try {
            checkpoint = trusted === null ? parseCheckpoint(parseNote(note).text) : await openCheckpoint(note, trusted);
        }
        catch (exc) {
            findings.add("bad-signature", `a checkpoint: ${reasonOf(exc)}`);
            continue;
        }
        const line = lineOfOrigin(bundle.namespace, checkpoint.origin, head);
        if (line === undefined) {
            findings.add("checkpoint-mismatch", `the checkpoint of ${JSON.stringify(checkpoint.origin)} is of no partition in the head`);
        }
        else if (line.size !== checkpoint.size || encodeBase64(line.root) !== encodeBase64(checkpoint.root)) {
            findings.add("checkpoint-mismatch", `the checkpoint of ${checkpoint.origin} (${checkpoint.size} leaves) differs from the head's line for it (${line.size} leaves)`);
        }
    }
}
/** The head's line for the partition a checkpoint origin `<namespace>/<topic>/<partition>` names. */
function lineOfOrigin(namespace, origin, head) {
    const slash = origin.lastIndexOf("/");
    const [prefix, partition] = [origin.slice(0, Math.max(slash, 0)), origin.slice(slash + 1)];
    const first = prefix.indexOf("/");
    const [name, topic] = first < 0 ? [prefix, ""] : [prefix.slice(0, first), prefix.slice(first + 1)];
    const number = decodeCount(partition);
    if (name !== namespace || number === null)
        return undefined;
    return headLine(head, topic, number);
}
const position = (e, leaf) => `${e.topic}/${e.partition} leaf ${leaf}`;
/** `[id, subject]` of a stored event: a UTF-8 JSON object with a string id and subject. */
function attributes(body) {
    const value = bodyObject(body);
    if (value === null || typeof value.id !== "string" || typeof value.subject !== "string")
        return null;
    return [value.id, value.subject];
}
function checkBodies(bundle, findings) {
    const ids = new Map();
    const positions = new Map();
    for (const [number, event] of bundle.events.entries()) {
        const found = attributes(event.body);
        const where = position(event, event.leaf_index);
        if (!positions.has(where))
            positions.set(where, number);
        let first = positions.get(where);
        if (found !== null) {
            if (!ids.has(found[0]))
                ids.set(found[0], number);
            first = Math.min(first, ids.get(found[0]));
        }
        if (first !== number)
            findings.add("duplicate", `${where} repeats event #${first} (the same event or leaf)`, number);
        if (found === null) {
            findings.add("malformed-event", "the body is not a CloudEvents JSON object with a string id and subject", number);
        }
        else if (found[1] !== bundle.task) {
            findings.add("foreign-subject", `event ${found[0]} is of subject ${JSON.stringify(found[1])}, not ${JSON.stringify(bundle.task)}`, number);
        }
    }
}
function checkManifest(bundle, findings) {
    if (!bundle.events.length)
        findings.add("missing", "the bundle holds no events");
    const listed = new Map();
    const times = new Map();
    for (const entry of bundle.manifest) {
        for (const leaf of entry.leaves) {
            const where = position(entry, leaf);
            listed.set(where, [entry.topic, entry.partition, leaf]);
            times.set(where, (times.get(where) ?? 0) + 1);
        }
    }
    const sorted = (keys) => keys.sort((a, b) => order(listed.get(a), listed.get(b)));
    for (const where of sorted([...times].filter(([, n]) => n > 1).map(([w]) => w))) {
        findings.add("duplicate", `the manifest lists ${where} twice`);
    }
    const carried = new Set(bundle.events.map((e) => position(e, e.leaf_index)));
    for (const where of sorted([...listed.keys()].filter((w) => !carried.has(w)))) {
        findings.add("missing", `the manifest lists ${where}, but the bundle carries no event for it`);
    }
    for (const [number, event] of bundle.events.entries()) {
        const where = position(event, event.leaf_index);
        if (!listed.has(where))
            findings.add("unlisted", `${where} is not in the manifest`, number);
    }
}
function order(a, b) {
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2];
}
/** Step 6: each hash link (`orderedafter`, `orderedafterleaf`) to an event of the bundle
 * names that event's leaf hash. */
async function checkOrder(bundle, findings) {
    const leaves = new Map();
    const links = [];
    for (const [number, event] of bundle.events.entries()) {
        const value = bodyObject(event.body);
        if (value === null || typeof value.id !== "string")
            continue;
        const [after, leaf] = [value.orderedafter ?? null, value.orderedafterleaf ?? null];
        if ((after !== null && typeof after !== "string") || (leaf !== null && typeof leaf !== "string"))
            continue;
        if (!leaves.has(value.id))
            leaves.set(value.id, encodeBase64(await leafHash(event.body)));
        if (after !== null)
            links.push([number, value.id, after, leaf]);
    }
    const ordered = [];
    for (const [number, id, after, leaf] of links) {
        const earlier = leaves.get(after);
        if (earlier === undefined)
            continue; // an event of another task: not this bundle's to prove
        if (leaf !== earlier) {
            findings.add("broken-order", `event ${id} names ${after} as the event it follows, with a leaf hash that is not that event's`, number);
        }
        else {
            ordered.push([after, id]);
        }
    }
    return ordered;
}
