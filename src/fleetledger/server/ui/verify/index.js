/**
 * @fleetledger/verify: check what a fleetledger ledger signs and proves, offline, trusting
 * nothing but the ledger's public key. WebCrypto only (SHA-256, Ed25519): Node 20+ or a browser.
 */
export { VerificationError } from "./errors.js";
export { decodeBase64, encodeBase64, hex, sha256 } from "./bytes.js";
export { EMPTY_ROOT, leafHash, nodeHash } from "./hashing.js";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./proofs.js";
export { keyId, noteVerifier, openNote, parseNote, readVerifierKey } from "./note.js";
export { headLine, openCheckpoint, openLedgerHead, parseCheckpoint, parseLedgerHead, } from "./head.js";
export { keyChain, openHandover } from "./handover.js";
export { readBundle, verifyBundle, } from "./bundle.js";
export { links, readOrder, verifyOrder } from "./order.js";
export { isProvedLeaf, verifyConsistencyDocument, verifyInclusionDocument, } from "./documents.js";
export { canonicalBytes, canonicalJson } from "./canonical.js";
