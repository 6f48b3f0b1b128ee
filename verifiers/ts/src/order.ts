/**
 * Order proofs (integrity/order.py, format version 1): a document showing, offline, that one
 * event was committed before another, by a hash link in the later event's bytes, by leaf
 * order in one partition, or by an older head that held the earlier event and not the later.
 */
import { decodeBase64, equal } from "./bytes.js";
import { fail, VerificationError } from "./errors.js";
import { EMPTY_ROOT, leafHash } from "./hashing.js";
import { headLine, openLedgerHead, type LedgerHead } from "./head.js";
import { bodyObject, listOf, parseJson, struct, type Json } from "./json.js";
import type { NoteVerifier } from "./note.js";
import { verifyConsistency, verifyInclusion } from "./proofs.js";

export const ORDER_FORMAT = "fleetledger-order";
export type OrderMethod = "hash-link" | "same-partition" | "across-partitions";

export interface OrderedEvent {
  id: string;
  topic: string;
  partition: number;
  offset: number;
  leaf_index: number;
  body: Uint8Array;
  tree_size: number;
  audit_path: Uint8Array[];
}

export interface PartitionExtension {
  topic: string;
  partition: number;
  old_size: number;
  new_size: number;
  proof: Uint8Array[];
}

export interface EarlierHead {
  head: string;
  tree_size: number;
  audit_path: Uint8Array[];
  consistency: PartitionExtension[];
}

export interface OrderProof {
  format: typeof ORDER_FORMAT;
  version: 1;
  namespace: string;
  method: OrderMethod;
  head: string;
  earlier: OrderedEvent;
  later: OrderedEvent;
  before: EarlierHead | null;
}

export interface OrderVerification {
  namespace: string;
  method: OrderMethod;
  earlier: string;
  later: string;
}

const METHODS = ["hash-link", "same-partition", "across-partitions"];

/** Parse an order proof; a "proof" VerificationError if it is not one. */
export function readOrder(data: Uint8Array | string): OrderProof {
  const value = parseJson(data, "an order proof", "proof");
  const header = value as { format?: unknown; version?: unknown } | null;
  if (typeof header !== "object" || header === null || header.format !== ORDER_FORMAT || header.version !== 1) {
    fail("proof", `not an order proof of version 1: no "format": "${ORDER_FORMAT}"`);
  }
  const event = (v: Json, where: string) =>
    struct(v, where, { id: "text", topic: "text", partition: "count", offset: "count", leaf_index: "count", body: "bytes", tree_size: "count", audit_path: "hashes" }, {}, "proof");
  const extension = (v: Json, where: string) =>
    struct(v, where, { topic: "text", partition: "count", old_size: "count", new_size: "count", proof: "hashes" }, {}, "proof");
  const before = (v: Json, where: string) =>
    v === null ? null : struct(v, where, { head: "text", tree_size: "count", audit_path: "hashes", consistency: listOf(extension) }, {}, "proof");
  const method = (v: Json, where: string) => (typeof v === "string" && METHODS.includes(v) ? v : fail("proof", `${where} is not one of ${METHODS.join(", ")}`));
  const fields = struct(
    value,
    "the order proof",
    { format: "text", version: "count", namespace: "text", method, head: "text", earlier: event, later: event, before },
    {},
    "proof",
  );
  return fields as unknown as OrderProof;
}

/** Check `proof` with the ledger's public key; a VerificationError says what does not hold. */
export async function verifyOrder(proof: OrderProof, verifier: NoteVerifier): Promise<OrderVerification> {
  const head = await openLedgerHead(proof.head, verifier, proof.namespace);
  for (const [name, event] of [["earlier", proof.earlier], ["later", proof.later]] as const) {
    const value = bodyObject(event.body);
    if (value === null || value.id !== event.id) fail("proof", `the ${name} event's body is not event ${event.id}`);
    await checkIncluded(name, event, event.tree_size, event.audit_path, head);
  }
  if (proof.earlier.id === proof.later.id) fail("proof", "earlier and later are the same event");
  if (proof.method === "hash-link") await checkHashLink(proof);
  else if (proof.method === "same-partition") checkSamePartition(proof);
  else await checkAcross(proof, head, verifier);
  return { namespace: proof.namespace, method: proof.method, earlier: proof.earlier.id, later: proof.later.id };
}

async function checkIncluded(name: string, event: OrderedEvent, size: number, path: Uint8Array[], head: LedgerHead): Promise<void> {
  const line = headLine(head, event.topic, event.partition);
  if (line === undefined || line.size !== BigInt(size)) {
    const signed = line === undefined ? "no line" : `${line.size} leaves`;
    fail("proof", `the ${name} event is proved in a tree of ${size} leaves of ${event.topic}/${event.partition}; the head signed ${signed}`);
  }
  try {
    await verifyInclusion(await leafHash(event.body), path, event.leaf_index, size, line.root);
  } catch (exc) {
    if (!(exc instanceof VerificationError)) throw exc;
    fail("proof", `the ${name} event is not included: ${exc.reason}`);
  }
}

/** Whether `laterBody` names `earlierId` and the leaf hash of `earlierBody` in its
 * `orderedafter` and `orderedafterleaf`. */
export async function links(laterBody: Uint8Array, earlierId: string, earlierBody: Uint8Array): Promise<boolean> {
  const value = bodyObject(laterBody);
  if (value === null || typeof value.orderedafter !== "string" || typeof value.orderedafterleaf !== "string") return false;
  if (value.orderedafter !== earlierId) return false;
  const named = decodeBase64(value.orderedafterleaf);
  return named !== null && equal(named, await leafHash(earlierBody));
}

async function checkHashLink(proof: OrderProof): Promise<void> {
  if (proof.before !== null) fail("proof", 'a hash-link proof has "before": null');
  if (!(await links(proof.later.body, proof.earlier.id, proof.earlier.body))) {
    fail("proof", `the later event's bytes do not name event ${proof.earlier.id} and its leaf hash (orderedafter, orderedafterleaf)`);
  }
}

const where = (e: { topic: string; partition: number }) => `${e.topic}/${e.partition}`;

function checkSamePartition(proof: OrderProof): void {
  const { earlier, later } = proof;
  if (where(earlier) !== where(later)) fail("proof", "a same-partition proof needs both events in one partition");
  if (proof.before !== null) fail("proof", 'a same-partition proof has "before": null');
  if (!(earlier.leaf_index < later.leaf_index)) {
    fail("proof", `leaf ${earlier.leaf_index} does not come before leaf ${later.leaf_index} in ${where(earlier)}`);
  }
}

async function checkAcross(proof: OrderProof, head: LedgerHead, verifier: NoteVerifier): Promise<void> {
  const { earlier, later, before } = proof;
  if (where(earlier) === where(later)) fail("proof", "an across-partitions proof needs the events in different partitions");
  if (before === null) fail("proof", 'an across-partitions proof needs "before"');
  const old = await openLedgerHead(before.head, verifier, proof.namespace);
  await checkIncluded("earlier", earlier, before.tree_size, before.audit_path, old);
  const oldSize = headLine(old, later.topic, later.partition)?.size ?? 0n;
  if (oldSize > BigInt(later.leaf_index)) {
    fail("proof", `the older head already includes the later event (${oldSize} leaves of ${where(later)}, the event is leaf ${later.leaf_index})`);
  }
  if (before.consistency.map(where).join("\n") !== [where(earlier), where(later)].join("\n")) {
    fail("proof", "the consistency proofs are for the earlier's, then the later's partition");
  }
  for (const entry of before.consistency) await checkExtension(entry, old, head);
}

async function checkExtension(entry: PartitionExtension, old: LedgerHead, head: LedgerHead): Promise<void> {
  const [oldLine, newLine] = [headLine(old, entry.topic, entry.partition), headLine(head, entry.topic, entry.partition)];
  const [oldSize, oldRoot] = oldLine === undefined ? [0n, EMPTY_ROOT] : [oldLine.size, oldLine.root];
  if (newLine === undefined || BigInt(entry.old_size) !== oldSize || BigInt(entry.new_size) !== newLine.size) {
    fail("proof", `the consistency proof of ${where(entry)} is not between the sizes the two heads signed`);
  }
  await verifyConsistency(entry.proof, oldSize, newLine.size, oldRoot, newLine.root);
}

