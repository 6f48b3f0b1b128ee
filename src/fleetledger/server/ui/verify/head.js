/**
 * The two note texts fleetledger signs (integrity/head.py, integrity/checkpoint.py), read
 * strictly: each value has one spelling, so two notes that say the same are the same bytes.
 *
 *   ledger head:  "<namespace> ledger head\n" then "<topic>/<partition> <size> <root>\n"...
 *   checkpoint:   "<origin>\n<size>\n<root>\n" then optional extension lines (C2SP tlog-checkpoint)
 */
import { decodeBase64, equal } from "./bytes.js";
import { fail } from "./errors.js";
import { EMPTY_ROOT, HASH_SIZE } from "./hashing.js";
import { isUnicode, openNote } from "./note.js";
export const HEAD_SUFFIX = " ledger head";
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const LINE_CONTROL = /[\x00-\x1f]/;
const MAX_SIZE = (1n << 64n) - 1n;
/** A decimal count without sign, spaces or leading zeros, up to 2**64 - 1; else `null`. */
export function decodeCount(text) {
    if (text.length > 20 || !DECIMAL.test(text))
        return null;
    const value = BigInt(text);
    return value <= MAX_SIZE ? value : null;
}
function decodeHash(text, what) {
    const hashed = decodeBase64(text);
    if (hashed === null || hashed.length !== HASH_SIZE) {
        throw new Error(`the ${what} is not the base64 of a ${HASH_SIZE}-byte hash: ${JSON.stringify(text)}`);
    }
    return hashed;
}
function count(text, what) {
    const value = decodeCount(text);
    if (value === null)
        throw new Error(`the ${what} is not a decimal count: ${JSON.stringify(text)}`);
    return value;
}
function checkTree(size, root) {
    if (size === 0n && !equal(root, EMPTY_ROOT))
        throw new Error("the root of an empty tree is SHA-256 of nothing");
}
function isLine(text) {
    return text.length > 0 && !LINE_CONTROL.test(text) && isUnicode(text);
}
function parsePartition(line) {
    const fields = line.split(" ");
    if (fields.length !== 3 || !fields[0].includes("/")) {
        throw new Error(`a head line is '<topic>/<partition> <size> <root>': ${JSON.stringify(line)}`);
    }
    const slash = fields[0].lastIndexOf("/");
    const topic = fields[0].slice(0, slash);
    const head = {
        topic,
        partition: count(fields[0].slice(slash + 1), "partition"),
        size: count(fields[1], "tree size"),
        root: decodeHash(fields[2], "root hash"),
    };
    if (!TOPIC.test(topic))
        throw new Error(`a topic name uses only A-Z a-z 0-9 . _ -: ${JSON.stringify(topic)}`);
    checkTree(head.size, head.root);
    return head;
}
function before(a, b) {
    return a.topic < b.topic || (a.topic === b.topic && a.partition < b.partition);
}
/** Read a head's text; a "malformed" VerificationError unless it is exactly one. */
export function parseLedgerHead(text) {
    if (!text.endsWith("\n"))
        fail("malformed", "a ledger head ends with a newline");
    const [first = "", ...rest] = text.slice(0, -1).split("\n");
    if (!first.endsWith(HEAD_SUFFIX))
        fail("malformed", `a ledger head starts with '<namespace>${HEAD_SUFFIX}'`);
    const namespace = first.slice(0, -HEAD_SUFFIX.length);
    try {
        const partitions = rest.map(parsePartition);
        if (!isLine(namespace) || /\s/u.test(namespace)) {
            throw new Error(`a namespace is one line of text without whitespace: ${JSON.stringify(namespace)}`);
        }
        if (partitions.some((p, i) => i > 0 && !before(partitions[i - 1], p))) {
            throw new Error("partition heads are sorted by topic and partition, each once");
        }
        return { namespace, partitions };
    }
    catch (exc) {
        fail("malformed", `not a ledger head: ${exc.message}`);
    }
}
/** The head's line for a partition, or `undefined` when the head does not cover it. */
export function headLine(head, topic, partition) {
    return head.partitions.find((p) => p.topic === topic && p.partition === BigInt(partition));
}
/** Read a checkpoint's text; a "malformed" VerificationError unless it is exactly one. */
export function parseCheckpoint(text) {
    if (!text.endsWith("\n"))
        fail("malformed", "a checkpoint body ends with a newline");
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3)
        fail("malformed", "a checkpoint body has an origin, a size and a root line");
    const [origin, size, root, ...extensions] = lines;
    try {
        if (![origin, ...extensions].every(isLine))
            throw new Error("a checkpoint line is non-empty text without control characters");
        const checkpoint = { origin, size: count(size, "tree size"), root: decodeHash(root, "root hash"), extensions };
        checkTree(checkpoint.size, checkpoint.root);
        return checkpoint;
    }
    catch (exc) {
        fail("malformed", `not a checkpoint: ${exc.message}`);
    }
}
/** The ledger head in `note` once a trusted signature verifies and the namespace matches. */
export async function openLedgerHead(note, verifiers, namespace) {
    const head = parseLedgerHead((await openNote(note, verifiers)).text);
    if (namespace !== undefined && head.namespace !== namespace) {
        fail("wrong-origin", `the head is of namespace ${JSON.stringify(head.namespace)}, not ${JSON.stringify(namespace)}`);
    }
    return head;
}
/** The checkpoint in `note` once a trusted signature verifies and the origin matches. */
export async function openCheckpoint(note, verifiers, origin) {
    const checkpoint = parseCheckpoint((await openNote(note, verifiers)).text);
    if (origin !== undefined && checkpoint.origin !== origin) {
        fail("wrong-origin", `the checkpoint is of ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(origin)}`);
    }
    return checkpoint;
}
