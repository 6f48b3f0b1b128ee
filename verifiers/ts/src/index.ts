/**
 * @fleetledger/verify: check what a fleetledger ledger signs and proves, offline, trusting
 * nothing but the ledger's public key. WebCrypto only (SHA-256, Ed25519): Node 20+ or a browser.
 */
export { VerificationError, type FailureKind } from "./errors.js";
export { decodeBase64, encodeBase64, hex, sha256 } from "./bytes.js";
export { EMPTY_ROOT, leafHash, nodeHash } from "./hashing.js";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion, type Count } from "./proofs.js";
export { keyId, noteVerifier, openNote, parseNote, readVerifierKey, type Note, type NoteSignature, type NoteVerifier } from "./note.js";
export {
  headLine,
  openCheckpoint,
  openLedgerHead,
  parseCheckpoint,
  parseLedgerHead,
  type Checkpoint,
  type LedgerHead,
  type PartitionHead,
} from "./head.js";
export { keyChain, openHandover, type KeyChain, type KeyHandover } from "./handover.js";
export {
  readBundle,
  verifyBundle,
  type BundleEvent,
  type BundleFinding,
  type BundleFindingKind,
  type BundleVerification,
  type EvidenceBundle,
} from "./bundle.js";
export { links, readOrder, verifyOrder, type OrderProof, type OrderVerification } from "./order.js";
export {
  isProvedLeaf,
  verifyConsistencyDocument,
  verifyInclusionDocument,
  type ConsistencyVerification,
  type InclusionVerification,
} from "./documents.js";
export { canonicalBytes, canonicalJson } from "./canonical.js";
export type { Json } from "./json.js";
