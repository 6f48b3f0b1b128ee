/**
 * Signing-key rotation (integrity/handover.py): a handover note, signed by the old and the
 * new key, names both; a verifier holding any key of the chain follows it forwards and
 * backwards to learn which one key may sign each stretch between handovers.
 */
import { decodeBase64, encodeBase64, equal, sha256, utf8 } from "./bytes.js";
import { fail, VerificationError } from "./errors.js";
import { openNote, parseNote, readVerifierKey } from "./note.js";
export const HANDOVER_SUFFIX = " key handover";
export function sameKey(a, b) {
    return a.name === b.name && equal(a.publicKey, b.publicKey);
}
async function parseHandover(text) {
    const lines = text.split("\n");
    if (lines.length !== 5 || lines[4] || !lines[0].endsWith(HANDOVER_SUFFIX)) {
        fail("malformed", `a key handover has four lines after '<namespace>${HANDOVER_SUFFIX}'`);
    }
    const fields = lines.slice(1, 4).map((line) => {
        const space = line.indexOf(" ");
        return space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)];
    });
    if (fields.map(([word]) => word).join(" ") !== "old new head") {
        fail("malformed", "a key handover's lines are 'old <key>', 'new <key>', 'head <hash>'");
    }
    let old, next;
    try {
        [old, next] = [await readVerifierKey(fields[0][1]), await readVerifierKey(fields[1][1])];
    }
    catch (exc) {
        fail("malformed", `not a key handover: ${exc.message}`);
    }
    const head = decodeBase64(fields[2][1], false);
    if (head === null || head.length !== 32 || sameKey(old, next)) {
        fail("malformed", "a key handover names two different keys and a 32-byte hash");
    }
    const namespace = lines[0].slice(0, -HANDOVER_SUFFIX.length);
    const body = `${namespace}${HANDOVER_SUFFIX}\nold ${old.vkey}\nnew ${next.vkey}\nhead ${encodeBase64(head)}\n`;
    if (body !== text)
        fail("malformed", "a key handover is spelled the one way it is written");
    return { namespace, old, new: next, head };
}
/** The handover in `note` once both keys it names have signed it. */
export async function openHandover(note, namespace) {
    const handover = await parseHandover(parseNote(note).text);
    if (namespace !== undefined && handover.namespace !== namespace) {
        fail("wrong-origin", `the handover is of namespace ${JSON.stringify(handover.namespace)}, not ${JSON.stringify(namespace)}`);
    }
    const opened = await openNote(note, [handover.old, handover.new]);
    if (opened.verifiedBy.length !== 2) {
        const missing = opened.verifiedBy.includes(handover.old) ? handover.new : handover.old;
        fail("bad-signature", `the key handover is not signed by ${missing.vkey}`);
    }
    return handover;
}
/** SHA-256 of a signed head's text (its signatures left out). */
export async function headDigest(headNote) {
    return sha256(utf8(parseNote(headNote).text));
}
/** Follow the handover `notes` (in the order stored) from the `trusted` key. */
export async function keyChain(notes, trusted, namespace) {
    const opened = [];
    const problems = [];
    for (const [number, note] of notes.entries()) {
        try {
            opened.push(await openHandover(note, namespace));
        }
        catch (exc) {
            if (!(exc instanceof VerificationError))
                throw exc;
            opened.push(null);
            problems.push([number, exc.reason]);
        }
    }
    const start = place(opened, trusted);
    const keys = new Array(opened.length + 1).fill(trusted);
    const broken = (i, handover, key) => {
        if (handover !== null)
            problems.push([i, `the key handover is not signed by the key in force, ${key.vkey}`]);
    };
    for (let i = start; i < opened.length; i++) {
        const handover = opened[i];
        if (handover !== null && sameKey(handover.old, keys[i]))
            keys[i + 1] = handover.new;
        else {
            keys[i + 1] = keys[i];
            broken(i, handover, keys[i]);
        }
    }
    for (let i = start - 1; i >= 0; i--) {
        const handover = opened[i];
        if (handover !== null && sameKey(handover.new, keys[i + 1]))
            keys[i] = handover.old;
        else {
            keys[i] = keys[i + 1];
            broken(i, handover, keys[i + 1]);
        }
    }
    problems.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return { keys, problems };
}
function place(opened, trusted) {
    for (const [i, handover] of opened.entries()) {
        if (handover !== null && sameKey(handover.old, trusted))
            return i;
        if (handover !== null && sameKey(handover.new, trusted))
            return i + 1;
    }
    return 0;
}
