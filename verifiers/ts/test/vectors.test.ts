/**
 * Every RFC 6962 proof vector transparency-dev/merkle publishes (tests/vectors/rfc6962):
 * each verifies or fails as upstream says, but the one fleetledger refuses on purpose.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";

import { decodeBase64, verifyConsistency, verifyInclusion, VerificationError } from "../src/index.js";

const VECTORS = process.env.FLEETLEDGER_VECTORS ?? fileURLToPath(new URL("../../../../tests/vectors/rfc6962", import.meta.url));
const STRICTER = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(folder, entry.name)) : entry.name.endsWith(".json") ? [join(folder, entry.name)] : [],
  );
}

/** A hash as upstream writes it; a text that is no base64 (upstream's "don't care") stays
 * bytes of another length, which the verifier refuses. */
const hash = (text: string) => decodeBase64(text, false) ?? new TextEncoder().encode(text);

async function check(v: Record<string, any>): Promise<void> {
  const proof = ((v.proof ?? []) as string[]).map(hash);
  if ("leafIdx" in v) await verifyInclusion(hash(v.leafHash), proof, v.leafIdx, v.treeSize, hash(v.root));
  else await verifyConsistency(proof, v.size1, v.size2, hash(v.root1), hash(v.root2));
}

const names = files(VECTORS).map((f) => relative(VECTORS, f).split("\\").join("/")).sort();

describe("RFC 6962 vectors", () => {
  test("all 98 inclusion and 98 consistency files are here", () => {
    assert.equal(names.filter((n) => n.startsWith("inclusion/")).length, 98);
    assert.equal(names.filter((n) => n.startsWith("consistency/")).length, 98);
  });

  for (const name of names) {
    const v = JSON.parse(readFileSync(join(VECTORS, name), "utf8"));
    const refuse = v.wantErr || name === STRICTER;
    test(`${refuse ? "refuses" : "accepts"} ${name}`, async () => {
      if (refuse) await assert.rejects(check(v), VerificationError);
      else await check(v);
    });
  }
});
