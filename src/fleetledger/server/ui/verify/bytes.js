/**
 * Bytes, base64 and SHA-256 with the platform's WebCrypto only, so the same code runs in
 * Node 20+ and in a browser. Base64 must be the one spelling an encoder writes (as
 * integrity/_lines.py requires), so a note or key cannot change without changing its bytes.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const STANDARD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Standard padded base64 (RFC 4648 §4). */
export function encodeBase64(bytes) {
    let out = "";
    for (let i = 0; i < bytes.length; i += 3) {
        const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
        const n = (a << 16) | (b << 8) | c;
        const left = bytes.length - i;
        out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
        out += left > 1 ? ALPHABET[(n >> 6) & 63] : "=";
        out += left > 2 ? ALPHABET[n & 63] : "=";
    }
    return out;
}
/** The bytes of standard padded base64, or `null` for any other spelling (lenient: `false`
 * accepts non-zero unused bits, as msgspec does for a JSON document's bytes fields). */
export function decodeBase64(text, canonical = true) {
    if (typeof text !== "string" || !STANDARD.test(text))
        return null;
    const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    const out = new Uint8Array((text.length / 4) * 3 - padding);
    let bits = 0;
    let value = 0;
    let at = 0;
    for (const char of text.slice(0, text.length - padding)) {
        value = (value << 6) | ALPHABET.indexOf(char);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[at++] = (value >> bits) & 0xff;
            value &= (1 << bits) - 1;
        }
    }
    if (canonical && value !== 0)
        return null; // unused bits set: not what an encoder writes
    return out;
}
export function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
        out.set(part, at);
        at += part.length;
    }
    return out;
}
export function equal(a, b) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
export function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
export const utf8 = (text) => new TextEncoder().encode(text);
/** UTF-8 text, or `null` when the bytes are not valid UTF-8. */
export function fromUtf8(bytes) {
    try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    }
    catch {
        return null;
    }
}
export async function sha256(data) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data)));
}
