/**
 * Order proofs (integrity/order.py, format version 1): a document showing, offline, that one
 * event was committed before another, by a hash link in the later event's bytes, by leaf
 * order in one partition, or by an older head that held the earlier event and not the later.
 */
import { decodeBase64, equal } from "./bytes.js";
import { fail, VerificationError } from "./errors.js";
import { EMPTY_ROOT, leafHash } from "./hashing.js";
import { headLine, openLedgerHead } from "./head.js";
import { bodyObject, listOf, parseJson, struct } from "./json.js";
import { verifyConsistency, verifyInclusion } from "./proofs.js";
export const ORDER_FORMAT = "fleetledger-order";
const METHODS = ["hash-link", "same-partition", "across-partitions"];
/** Parse an order proof; a "proof" VerificationError if it is not one. */
export function readOrder(data) {
    const value = parseJson(data, "an order proof", "proof");
    const header = value;
    if (typeof header !== "object" || header === null || header.format !== ORDER_FORMAT || header.version !== 1) {
        fail("proof", `not an order proof of version 1: no "format": "${ORDER_FORMAT}"`);
    }
    const event = (v, where) => struct(v, where, { id: "text", topic: "text", partition: "count", offset: "count", leaf_index: "count", body: "bytes", tree_size: "count", audit_path: "hashes" }, {}, "proof");
    const extension = (v, where) => struct(v, where, { topic: "text", partition: "count", old_size: "count", new_size: "count", proof: "hashes" }, {}, "proof");
    const before = (v, where) => v === null ? null : struct(v, where, { head: "text", tree_size: "count", audit_path: "hashes", consistency: listOf(extension) }, {}, "proof");
    const method = (v, where) => (typeof v === "string" && METHODS.includes(v) ? v : fail("proof", `${where} is not one of ${METHODS.join(", ")}`));
    const fields = struct(value, "the order proof", { format: "text", version: "count", namespace: "text", method, head: "text", earlier: event, later: event, before }, {}, "proof");
    return fields;
}
/** Check `proof` with the ledger's public key; a VerificationError says what does not hold. */
export async function verifyOrder(proof, verifier) {
    const head = await openLedgerHead(proof.head, verifier, proof.namespace);
    for (const [name, event] of [["earlier", proof.earlier], ["later", proof.later]]) {
        const value = bodyObject(event.body);
        if (value === null || value.id !== event.id)
            fail("proof", `the ${name} event's body is not event ${event.id}`);
        await checkIncluded(name, event, event.tree_size, event.audit_path, head);
    }
    if (proof.earlier.id === proof.later.id)
        fail("proof", "earlier and later are the same event");
    if (proof.method === "hash-link")
        await checkHashLink(proof);
    else if (proof.method === "same-partition")
        checkSamePartition(proof);
    else
        await checkAcross(proof, head, verifier);
    return { namespace: proof.namespace, method: proof.method, earlier: proof.earlier.id, later: proof.later.id };
}
async function checkIncluded(name, event, size, path, head) {
    const line = headLine(head, event.topic, event.partition);
    if (line === undefined || line.size !== BigInt(size)) {
        const signed = line === undefined ? "no line" : `${line.size} leaves`;
        fail("proof", `the ${name} event is proved in a tree of ${size} leaves of ${event.topic}/${event.partition}; the head signed ${signed}`);
    }
    try {
        await verifyInclusion(await leafHash(event.body), path, event.leaf_index, size, line.root);
    }
    catch (exc) {
        if (!(exc instanceof VerificationError))
            throw exc;
        fail("proof", `the ${name} event is not included: ${exc.reason}`);
    }
}
/** Whether `laterBody` names `earlierId` and the leaf hash of `earlierBody` in its
 * `orderedafter` and `orderedafterleaf`. */
export async function links(laterBody, earlierId, earlierBody) {
    const value = bodyObject(laterBody);
    if (value === null || typeof value.orderedafter !== "string" || typeof value.orderedafterleaf !== "string")
        return false;
    if (value.orderedafter !== earlierId)
        return false;
    const named = decodeBase64(value.orderedafterleaf);
    return named !== null && equal(named, await leafHash(earlierBody));
}
async function checkHashLink(proof) {
    if (proof.before !== null)
        fail("proof", 'a hash-link proof has "before": null');
    if (!(await links(proof.later.body, proof.earlier.id, proof.earlier.body))) {
        fail("proof", `the later event's bytes do not name event ${proof.earlier.id} and its leaf hash (orderedafter, orderedafterleaf)`);
    }
}
const where = (e) => `${e.topic}/${e.partition}`;
function checkSamePartition(proof) {
    const { earlier, later } = proof;
    if (where(earlier) !== where(later))
        fail("proof", "a same-partition proof needs both events in one partition");
    if (proof.before !== null)
        fail("proof", 'a same-partition proof has "before": null');
    if (!(earlier.leaf_index < later.leaf_index)) {
        fail("proof", `leaf ${earlier.leaf_index} does not come before leaf ${later.leaf_index} in ${where(earlier)}`);
    }
}
async function checkAcross(proof, head, verifier) {
    const { earlier, later, before } = proof;
    if (where(earlier) === where(later))
        fail("proof", "an across-partitions proof needs the events in different partitions");
    if (before === null)
        fail("proof", 'an across-partitions proof needs "before"');
    const old = await openLedgerHead(before.head, verifier, proof.namespace);
    await checkIncluded("earlier", earlier, before.tree_size, before.audit_path, old);
    const oldSize = headLine(old, later.topic, later.partition)?.size ?? 0n;
    if (oldSize > BigInt(later.leaf_index)) {
        fail("proof", `the older head already includes the later event (${oldSize} leaves of ${where(later)}, the event is leaf ${later.leaf_index})`);
    }
    if (before.consistency.map(where).join("\n") !== [where(earlier), where(later)].join("\n")) {
        fail("proof", "the consistency proofs are for the earlier's, then the later's partition");
    }
    for (const entry of before.consistency)
        await checkExtension(entry, old, head);
}
async function checkExtension(entry, old, head) {
    const [oldLine, newLine] = [headLine(old, entry.topic, entry.partition), headLine(head, entry.topic, entry.partition)];
    const [oldSize, oldRoot] = oldLine === undefined ? [0n, EMPTY_ROOT] : [oldLine.size, oldLine.root];
    if (newLine === undefined || BigInt(entry.old_size) !== oldSize || BigInt(entry.new_size) !== newLine.size) {
        fail("proof", `the consistency proof of ${where(entry)} is not between the sizes the two heads signed`);
    }
    await verifyConsistency(entry.proof, oldSize, newLine.size, oldRoot, newLine.root);
}
