/**
 * Signed notes (c2sp.org/signed-note) with Ed25519 keys, read as integrity/note.py and Go's
 * sumdb/note read them: a UTF-8 text ending in a newline, a blank line, then one line
 * `— <key name> <base64(4-byte key id ‖ signature)>` per signature.
 *
 * Verification follows the spec: signatures by keys not trusted (name and id not both known)
 * are ignored, one failing signature by a trusted key rejects the note, and a note with no
 * verified signature is rejected. Ed25519 is WebCrypto's (Node 20+, current browsers).
 */
import { concat, decodeBase64, encodeBase64, fromUtf8, sha256, utf8 } from "./bytes.js";
import { fail } from "./errors.js";
const ED25519 = 0x01;
const KEY_SIZE = 32;
export const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = "\u2014 ";
const CONTROL = /[\x00-\x09\x0b-\x1f]/;
const HEX8 = /^[0-9a-fA-F]{8}$/;
/** Go's rule for key names (non-empty, no space, no `+`), and no control characters. */
export function isKeyName(name) {
    if (typeof name !== "string" || !name || name.includes("+") || !isUnicode(name))
        return false;
    return ![...name].some((c) => /\s/u.test(c) || c === "\u0085" || c < " ");
}
/** Whether UTF-8 can encode the text (a JS string may hold lone surrogates). */
export function isUnicode(text) {
    return !/\p{Cs}/u.test(text);
}
/** The 32-bit id of an Ed25519 key under `name`: SHA-256(name ‖ \n ‖ 0x01 ‖ key)[:4]. */
export async function keyId(name, publicKey) {
    const digest = await sha256(concat(utf8(name), Uint8Array.of(0x0a, ED25519), publicKey));
    return new DataView(digest.buffer).getUint32(0);
}
/** A verifier for the raw 32-byte Ed25519 `publicKey` under `name`. */
export async function noteVerifier(name, publicKey) {
    if (!isKeyName(name))
        fail("invalid-key", `a key name is non-empty, without spaces or '+': ${JSON.stringify(name)}`);
    if (publicKey.length !== KEY_SIZE)
        fail("invalid-key", `an Ed25519 public key is ${KEY_SIZE} raw bytes`);
    let key;
    try {
        key = await crypto.subtle.importKey("raw", new Uint8Array(publicKey), { name: "Ed25519" }, false, ["verify"]);
    }
    catch (exc) {
        fail("invalid-key", `not an Ed25519 public key: ${String(exc)}`);
    }
    const id = await keyId(name, publicKey);
    const encoded = encodeBase64(concat(Uint8Array.of(ED25519), publicKey));
    return {
        name,
        keyId: id,
        publicKey: publicKey.slice(),
        vkey: `${name}+${id.toString(16).padStart(8, "0")}+${encoded}`,
        async verify(text, signature) {
            try {
                return await crypto.subtle.verify({ name: "Ed25519" }, key, new Uint8Array(signature), new Uint8Array(text));
            }
            catch {
                return false;
            }
        },
    };
}
/** Read a verifier key string `<name>+<8 hex id>+<base64(0x01 ‖ key)>`; surrounding
 * whitespace (a file's newline) is ignored. */
export async function readVerifierKey(vkey) {
    if (typeof vkey !== "string")
        fail("invalid-key", "a key string is a string");
    const fields = splitN(vkey.trim(), "+", 3);
    if (fields.length !== 3)
        fail("invalid-key", "a key string has the form name+keyid+key");
    const [name, id, encoded] = fields;
    const raw = decodeBase64(encoded);
    if (raw === null)
        fail("invalid-key", "the key material is not canonical base64");
    if (raw.length !== 1 + KEY_SIZE || raw[0] !== ED25519) {
        fail("invalid-key", "only Ed25519 keys (type 0x01, 32 bytes) are supported");
    }
    const verifier = await noteVerifier(name, raw.slice(1));
    if (!HEX8.test(id) || parseInt(id, 16) !== verifier.keyId) {
        fail("invalid-key", `the key id ${JSON.stringify(id)} does not match the key and name`);
    }
    return verifier;
}
/** Python's `str.split(sep, parts - 1)`: the last field keeps any further separators. */
function splitN(text, sep, parts) {
    const fields = text.split(sep);
    return fields.length <= parts ? fields : [...fields.slice(0, parts - 1), fields.slice(parts - 1).join(sep)];
}
/** Split a note into its text and signatures, verifying nothing: trust nothing in it yet. */
export function parseNote(note) {
    const decoded = typeof note === "string" ? (isUnicode(note) ? note : null) : fromUtf8(note);
    if (decoded === null)
        fail("malformed", "a signed note is UTF-8 text");
    if (CONTROL.test(decoded))
        fail("malformed", "a signed note holds no control characters but newlines");
    const split = decoded.lastIndexOf("\n\n");
    const [text, block] = [decoded.slice(0, split + 1), decoded.slice(split + 2)];
    if (split < 0 || !block.endsWith("\n")) {
        fail("malformed", "a signed note ends with a blank line and signature lines");
    }
    const lines = block.slice(0, -1).split("\n");
    if (lines.length > MAX_SIGNATURES)
        fail("malformed", `a note carries at most ${MAX_SIGNATURES} signatures`);
    return { text, signatures: lines.map(parseSignature) };
}
function parseSignature(line) {
    if (!line.startsWith(SIGNATURE_PREFIX))
        fail("malformed", "a signature line starts with an em dash and a space");
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    const [name, encoded] = space < 0 ? [rest, ""] : [rest.slice(0, space), rest.slice(space + 1)];
    const blob = decodeBase64(encoded);
    if (blob === null)
        fail("malformed", `the signature by ${JSON.stringify(name)} is not canonical base64`);
    if (!isKeyName(name) || blob.length < 5) {
        fail("malformed", "a signature line names a valid key and carries a signature");
    }
    return { name, keyId: new DataView(blob.buffer).getUint32(0), signature: blob.slice(4) };
}
/** The note's text once a trusted key's signature over it verifies; else a
 * VerificationError: "malformed", "bad-signature" or "unknown-key". */
export async function openNote(note, verifiers) {
    const trusted = Array.isArray(verifiers) ? verifiers : [verifiers];
    const { text, signatures } = parseNote(note);
    const message = utf8(text);
    const seen = new Set();
    const unique = signatures.filter((s) => {
        const key = `${s.name} ${s.keyId} ${encodeBase64(s.signature)}`;
        return !seen.has(key) && seen.add(key) !== undefined;
    });
    const verified = [];
    for (const signature of unique) {
        const verifier = trusted.find((v) => v.name === signature.name && v.keyId === signature.keyId);
        if (verifier === undefined || verified.includes(verifier))
            continue;
        if (!(await verifier.verify(message, signature.signature))) {
            const id = signature.keyId.toString(16).padStart(8, "0");
            fail("bad-signature", `the signature by ${signature.name}+${id} does not verify`);
        }
        verified.push(verifier);
    }
    if (!verified.length) {
        const named = unique.map((s) => `${s.name}+${s.keyId.toString(16).padStart(8, "0")}`);
        fail("unknown-key", `no signature by a trusted key (signed by: ${named.join(", ") || "nobody"})`);
    }
    return { text, signatures: unique, verifiedBy: verified };
}
