/**
 * One error class for everything that does not verify, so a caller (or a web page) can show
 * `reason` to a person: every failure says what did not hold, never just "false".
 */

/** What kind of thing failed, mirroring fleetledger's error tree (errors.py). */
export type FailureKind =
  | "malformed" // not a document of the expected shape (MalformedNote, MalformedBundle)
  | "invalid-key" // a key string that is not an Ed25519 verifier key (InvalidKey)
  | "bad-signature" // a trusted key's signature does not verify (BadSignature)
  | "unknown-key" // no signature by a trusted key (UnknownKey)
  | "wrong-origin" // a note of another namespace or log (WrongOrigin)
  | "proof"; // a proof that does not lead to the signed root (ProofError)

export class VerificationError extends Error {
  override readonly name = "VerificationError";

  constructor(
    readonly kind: FailureKind,
    readonly reason: string,
  ) {
    super(`${kind}: ${reason}`);
  }
}

export function fail(kind: FailureKind, reason: string): never {
  throw new VerificationError(kind, reason);
}
