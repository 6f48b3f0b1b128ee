/**
 * One error class for everything that does not verify, so a caller (or a web page) can show
 * `reason` to a person: every failure says what did not hold, never just "false".
 */
export class VerificationError extends Error {
    kind;
    reason;
    name = "VerificationError";
    constructor(kind, reason) {
        super(`${kind}: ${reason}`);
        this.kind = kind;
        this.reason = reason;
    }
}
export function fail(kind, reason) {
    throw new VerificationError(kind, reason);
}
