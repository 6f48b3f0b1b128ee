/**
 * The proof documents `fleetledger prove --json` writes (audit/prove.py), checked with the
 * ledger's public key alone, as interop/go checks them: an event's inclusion proof against a
 * signed ledger head (and the partition checkpoint, when there is one), and the consistency of
 * a newer head with an older one in every partition of the older.
 */
import { equal } from "./bytes.js";
import { fail } from "./errors.js";
import { leafHash } from "./hashing.js";
import { headLine, openCheckpoint, openLedgerHead } from "./head.js";
import { listOf, parseJson, struct } from "./json.js";
import { verifyConsistency, verifyInclusion } from "./proofs.js";
/** Check `prove EVENT --json`: the head's signature, the audit path from the leaf hash to the
 * root the head signed, and the checkpoint (if any) agreeing with the head. */
export async function verifyInclusionDocument(data, verifier) {
    const doc = struct(parseJson(data, "an inclusion proof", "proof"), "the inclusion proof", {
        event_id: "text",
        topic: "text",
        partition: "count",
        leaf_index: "count",
        tree_size: "count",
        leaf_hash: "bytes",
        audit_path: "hashes",
        head: "text",
        checkpoint: "string?",
    }, {}, "proof");
    const head = await openLedgerHead(doc.head, verifier);
    const line = headLine(head, doc.topic, doc.partition);
    if (line === undefined)
        fail("proof", `the ledger head has no partition ${doc.topic}/${doc.partition}`);
    await verifyInclusion(doc.leaf_hash, doc.audit_path, doc.leaf_index, doc.tree_size, line.root);
    if (line.size !== BigInt(doc.tree_size))
        fail("proof", `the proof is in a tree of ${doc.tree_size} leaves; the head signed ${line.size}`);
    if (doc.checkpoint !== null) {
        const checkpoint = await openCheckpoint(doc.checkpoint, verifier, `${head.namespace}/${line.topic}/${line.partition}`);
        if (checkpoint.size !== line.size || !equal(checkpoint.root, line.root))
            fail("proof", "the checkpoint differs from the head");
    }
    return { eventId: doc.event_id, topic: doc.topic, partition: doc.partition, leafIndex: doc.leaf_index, treeSize: doc.tree_size, namespace: head.namespace };
}
/** Whether `body` (an event's stored bytes) is the leaf an inclusion document proves. */
export async function isProvedLeaf(body, data) {
    const doc = struct(parseJson(data, "an inclusion proof", "proof"), "the inclusion proof", { leaf_hash: "bytes" }, {
        event_id: "text", topic: "text", partition: "count", leaf_index: "count", tree_size: "count", audit_path: "hashes", head: "text", checkpoint: "string?",
    }, "proof");
    return equal(await leafHash(body), doc.leaf_hash);
}
/** Check `prove --consistency OLD NEW --json`: both heads' signatures and namespace, then for
 * every partition of the old head, in its order, an entry repeating both heads' trees whose
 * proof shows the new tree extends the old one. */
export async function verifyConsistencyDocument(data, verifier) {
    const entry = (v, where) => struct(v, where, { topic: "text", partition: "count", old_size: "count", old_root: "bytes", new_size: "count", new_root: "bytes", proof: "hashes" }, {}, "proof");
    const doc = struct(parseJson(data, "a consistency proof", "proof"), "the consistency proof", {
        format: "text", version: "count", namespace: "text", old_head: "text", new_head: "text", partitions: listOf(entry),
    }, {}, "proof");
    if (doc.format !== "fleetledger-consistency" || doc.version !== 1)
        fail("proof", "not a fleetledger-consistency proof of version 1");
    const old = await openLedgerHead(doc.old_head, verifier, doc.namespace);
    const updated = await openLedgerHead(doc.new_head, verifier, doc.namespace);
    if (doc.partitions.length !== old.partitions.length) {
        fail("proof", `the proof has ${doc.partitions.length} entries for the old head's ${old.partitions.length} partitions`);
    }
    for (const [i, line] of old.partitions.entries()) {
        const entry = doc.partitions[i];
        const at = `${line.topic}/${line.partition}`;
        if (entry.topic !== line.topic || BigInt(entry.partition) !== line.partition) {
            fail("proof", `the entry for ${entry.topic}/${entry.partition} is where the old head has ${at}`);
        }
        const newer = headLine(updated, line.topic, line.partition);
        if (newer === undefined)
            fail("proof", `the new head has no partition ${at}`);
        const repeats = BigInt(entry.old_size) === line.size && equal(entry.old_root, line.root) && BigInt(entry.new_size) === newer.size && equal(entry.new_root, newer.root);
        if (!repeats)
            fail("proof", `the entry for ${at} does not repeat the signed heads' trees`);
        await verifyConsistency(entry.proof, line.size, newer.size, line.root, newer.root);
    }
    return { namespace: doc.namespace, oldLeaves: leaves(old), newLeaves: leaves(updated), partitions: old.partitions.length };
}
function leaves(head) {
    return head.partitions.reduce((n, p) => n + p.size, 0n);
}
