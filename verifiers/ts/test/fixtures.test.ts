/**
 * Documents a real signed fleetledger ledger made (tests/integration/interop/ts_fixtures.py
 * writes them into the folder FLEETLEDGER_TS_FIXTURES names): each genuine one verifies, and
 * each tampered copy fails with a VerificationError whose reason says what did not hold.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { canonicalBytes, leafHash, readBundle, readVerifierKey, verifyBundle, VerificationError, type Json } from "../src/index.js";
import { verify } from "./verify.js";

interface Case {
  name: string;
  kind: string;
  file: string;
  key: string;
  valid: boolean;
}

const folder = process.env.FLEETLEDGER_TS_FIXTURES;
const listed: { task: string; cases: Case[] } = folder
  ? JSON.parse(readFileSync(join(folder, "cases.json"), "utf8"))
  : { task: "", cases: [] };
const read = (c: Case) => new Uint8Array(readFileSync(join(folder!, c.file)));
const skip = folder ? false : "FLEETLEDGER_TS_FIXTURES names no fixture folder";

describe("what fleetledger makes", { skip }, () => {
  for (const c of listed.cases.filter((c) => c.valid)) {
    test(`verifies: ${c.name}`, async () => {
      assert.ok(await verify(c.kind, read(c), c.key));
    });
  }

  test("each stored event's bytes are the canonical JSON of the event they hold", async () => {
    const bundle = readBundle(read(listed.cases.find((c) => c.valid && c.kind === "bundle")!));
    for (const event of bundle.events) {
      const parsed = JSON.parse(new TextDecoder().decode(event.body)) as Json;
      assert.deepEqual(canonicalBytes(parsed), event.body);
      assert.deepEqual(await leafHash(canonicalBytes(parsed)), await leafHash(event.body));
    }
  });

  test("a bundle proves the hash-linked approval came before the tool call", async () => {
    const c = listed.cases.find((c) => c.valid && c.kind === "bundle")!;
    const result = await verifyBundle(readBundle(read(c)), await readVerifierKey(c.key));
    assert.ok(result.signerProved);
    assert.deepEqual(result.ordered, [["grant", "call"]]);
    assert.equal(result.task, listed.task);
  });

  test("without a key, a bundle is checked with its own and the signer is not proved", async () => {
    const c = listed.cases.find((c) => c.valid && c.kind === "bundle")!;
    const result = await verifyBundle(readBundle(read(c)));
    assert.ok(result.ok);
    assert.equal(result.keySource, "bundle");
    assert.equal(result.signerProved, false);
  });
});

describe("what was tampered with", { skip }, () => {
  for (const c of listed.cases.filter((c) => !c.valid)) {
    test(`fails: ${c.name}`, async () => {
      await assert.rejects(verify(c.kind, read(c), c.key), (error: unknown) => {
        assert.ok(error instanceof VerificationError, `not a VerificationError: ${String(error)}`);
        assert.ok(error.reason.length > 10, "a failure says why");
        return true;
      });
    });
  }
});
