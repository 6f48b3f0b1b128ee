/**
 * RFC 6962 hashing (integrity/hashing.py): leaf = SHA-256(0x00 ‖ bytes), node =
 * SHA-256(0x01 ‖ left ‖ right). The prefixes keep a leaf from passing for an interior node.
 */
import { concat, sha256 } from "./bytes.js";
export const HASH_SIZE = 32;
/** SHA-256 of nothing: the root of the empty tree. */
export const EMPTY_ROOT = Uint8Array.from("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".match(/../g), (h) => parseInt(h, 16));
/** The leaf hash of one stored event's bytes. */
export function leafHash(data) {
    return sha256(concat(Uint8Array.of(0), data));
}
export function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(1), left, right));
}
export function isHash(value) {
    return value instanceof Uint8Array && value.length === HASH_SIZE;
}
