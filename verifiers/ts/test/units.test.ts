/** The small parts: base64 spellings, canonical JSON, keys and notes made here. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { canonicalJson, decodeBase64, encodeBase64, noteVerifier, openNote, parseLedgerHead, readVerifierKey, VerificationError } from "../src/index.js";

test("base64 round-trips every length and refuses other spellings", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    const text = encodeBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString("base64"));
    assert.deepEqual(decodeBase64(text), bytes);
  }
  assert.equal(decodeBase64("QQ"), null); // no padding
  assert.equal(decodeBase64("QR=="), null); // unused bits set
  assert.deepEqual(decodeBase64("QR==", false), Uint8Array.of(0x41));
  assert.equal(decodeBase64("Q Q=="), null);
});

test("canonical JSON sorts keys by UTF-16 units and writes numbers as ECMAScript does", () => {
  const value = { b: [1e21, 0.1, -0, 1.5e-7], a: "\u2028\u0007é", "\ud83d\ude00": 1, "\uff41": 2 };
  assert.equal(canonicalJson(value), '{"a":"\u2028\\u0007é","b":[1e+21,0.1,0,1.5e-7],"😀":1,"ａ":2}');
});

test("a note signed with a WebCrypto Ed25519 key opens with its verifier key, and not when changed", async () => {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const verifier = await noteVerifier("example.com/log", raw);
  const text = "ns ledger head\n";
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(text)));
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, verifier.keyId);
  const note = `${text}\n\u2014 example.com/log ${encodeBase64(Uint8Array.from([...id, ...signature]))}\n`;
  const key = await readVerifierKey(verifier.vkey);

  assert.equal((await openNote(note, key)).text, text);
  assert.deepEqual(parseLedgerHead(text), { namespace: "ns", partitions: [] });
  await assert.rejects(openNote(note.replace("ns ", "nt "), key), (e: VerificationError) => e.kind === "bad-signature");
});

test("a key string with a wrong key id is refused", async () => {
  const key = "example.com/log+00000000+AXvA4cKh3UtSyB1+w2wL6QTG2h0WGO+sN4mVPmZw7ipy";
  await assert.rejects(readVerifierKey(key), VerificationError);
});
