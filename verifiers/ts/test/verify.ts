/** What the tests share: run the check of one kind of document, as a user of the package would. */
import {
  openCheckpoint,
  openLedgerHead,
  readBundle,
  readOrder,
  readVerifierKey,
  verifyBundle,
  verifyConsistencyDocument,
  verifyInclusionDocument,
  verifyOrder,
  VerificationError,
} from "../src/index.js";

/** Check `data` as a document of `kind` with the key string `vkey`; throws a
 * VerificationError saying why when it does not hold, returns a one-line verdict otherwise. */
export async function verify(kind: string, data: Uint8Array, vkey: string): Promise<string> {
  const key = await readVerifierKey(vkey);
  switch (kind) {
    case "inclusion":
      return JSON.stringify(await verifyInclusionDocument(data, key));
    case "consistency":
      return String((await verifyConsistencyDocument(data, key)).partitions);
    case "checkpoint":
      return (await openCheckpoint(data, key)).origin;
    case "head":
      return (await openLedgerHead(data, key)).namespace;
    case "bundle": {
      const result = await verifyBundle(readBundle(data), key);
      if (!result.ok) {
        const reasons = result.findings.map((f) => `${f.kind}: ${f.detail}`);
        throw new VerificationError("proof", reasons.join("; "));
      }
      return `${result.events} events, ordered ${JSON.stringify(result.ordered)}`;
    }
    default:
      if (kind.startsWith("order-")) return JSON.stringify(await verifyOrder(readOrder(data), key));
      throw new Error(`no check for documents of kind ${kind}`);
  }
}
