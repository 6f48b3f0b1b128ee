/**
 * RFC 9162 §2.1.3.2 and §2.1.4.2 verification in the shape of integrity/proofs.py (and
 * transparency-dev/merkle's proof/verify.go): split the path where it meets the tree's right
 * border, chain the inner part by the index bits, the border part always from the left.
 *
 * Sizes and indexes are integers from 0 to 2**64 - 1; they are handled as `bigint`, because
 * JavaScript's bit operators work on 32 bits only. A `number` is accepted when it is a safe
 * integer (JSON numbers above 2**53 lose their value before any check could see it).
 */
import { equal, hex } from "./bytes.js";
import { fail } from "./errors.js";
import { EMPTY_ROOT, HASH_SIZE, isHash, nodeHash } from "./hashing.js";
const MAX_SIZE = (1n << 64n) - 1n;
/** A size or index as a bigint, refusing what is not an integer from 0 to 2**64 - 1. */
export function count(value, name) {
    const ok = (typeof value === "bigint" && value >= 0n && value <= MAX_SIZE) ||
        (typeof value === "number" && Number.isSafeInteger(value) && value >= 0);
    if (!ok)
        fail("proof", `${name} is an integer from 0 to 2**64 - 1, not ${String(value)}`);
    return BigInt(value);
}
function bitLength(value) {
    return value === 0n ? 0 : value.toString(2).length;
}
function bitCount(value) {
    return [...value.toString(2)].filter((c) => c === "1").length;
}
function trailingZeros(value) {
    return bitLength(value & -value) - 1;
}
function decompose(index, size) {
    const inner = bitLength(index ^ (size - 1n));
    return [inner, bitCount(index >> BigInt(inner))];
}
async function chainInner(seed, proof, index) {
    for (const [level, sibling] of proof.entries()) {
        seed = (index >> BigInt(level)) & 1n ? await nodeHash(sibling, seed) : await nodeHash(seed, sibling);
    }
    return seed;
}
async function chainInnerRight(seed, proof, index) {
    for (const [level, sibling] of proof.entries()) {
        if ((index >> BigInt(level)) & 1n)
            seed = await nodeHash(sibling, seed);
    }
    return seed;
}
async function chainBorder(seed, proof) {
    for (const sibling of proof)
        seed = await nodeHash(sibling, seed);
    return seed;
}
function checkHashes(proof, ...hashes) {
    if (!hashes.every(isHash))
        fail("proof", `a leaf hash or root is ${HASH_SIZE} raw bytes`);
    if (!Array.isArray(proof) || !proof.every(isHash)) {
        fail("proof", `every proof hash is ${HASH_SIZE} raw bytes`);
    }
}
function checkLength(proof, want) {
    if (proof.length !== want) {
        fail("proof", `the proof has ${proof.length} hashes where ${want} are needed`);
    }
}
function requireMatch(computed, expected, message) {
    if (!equal(computed, expected)) {
        fail("proof", `${message}: computed root ${hex(computed)}, expected ${hex(expected)}`);
    }
}
/** The root that leaf `index` with this audit path leads to in a tree of `size` leaves. */
export async function rootFromInclusionProof(leaf, proof, index, size) {
    checkHashes(proof, leaf);
    const [i, n] = [count(index, "index"), count(size, "size")];
    if (!(i < n))
        fail("proof", `leaf ${i} is not in a tree of ${n} leaves`);
    const [inner, border] = decompose(i, n);
    checkLength(proof, inner + border);
    return chainBorder(await chainInner(leaf, proof.slice(0, inner), i), proof.slice(inner));
}
/** Check that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`. */
export async function verifyInclusion(leaf, proof, index, size, root) {
    checkHashes(proof, root);
    const computed = await rootFromInclusionProof(leaf, proof, index, size);
    requireMatch(computed, root, `leaf ${index} is not included in the tree of ${size} leaves`);
}
/** Check that the tree `(newSize, newRoot)` is an append-only extension of the old one. */
export async function verifyConsistency(proof, oldSize, newSize, oldRoot, newRoot) {
    checkHashes(proof, oldRoot, newRoot);
    const [m, n] = [count(oldSize, "old_size"), count(newSize, "new_size")];
    if (!(m <= n))
        fail("proof", `a tree of ${n} leaves cannot extend one of ${m}`);
    if (m === 0n || m === n) {
        if (proof.length) {
            fail("proof", `a proof from size ${m} to ${n} is empty, not ${proof.length} hashes`);
        }
        if (m === 0n)
            requireMatch(oldRoot, EMPTY_ROOT, "the root of an empty tree is SHA-256 of nothing");
        if (m === n)
            requireMatch(newRoot, oldRoot, `two different roots for ${m} leaves`);
        return;
    }
    let [inner, border] = decompose(m - 1n, n);
    const shift = trailingZeros(m);
    inner -= shift;
    const seeded = m === 1n << BigInt(shift);
    checkLength(proof, (seeded ? 0 : 1) + inner + border);
    const [seed, rest] = seeded ? [oldRoot, proof] : [proof[0], proof.slice(1)];
    const mask = (m - 1n) >> BigInt(shift);
    const [innerPath, borderPath] = [rest.slice(0, inner), rest.slice(inner)];
    const old = await chainBorder(await chainInnerRight(seed, innerPath, mask), borderPath);
    requireMatch(old, oldRoot, `the proof does not lead to the old root of ${m} leaves`);
    const computed = await chainBorder(await chainInner(seed, innerPath, mask), borderPath);
    requireMatch(computed, newRoot, `the tree of ${n} leaves does not extend ${m}`);
}
