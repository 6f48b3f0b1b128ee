/**
 * RFC 8785 (JCS) canonical JSON, as events/codec.py writes an event's stored bytes: keys
 * sorted by UTF-16 code units (JavaScript's own string order), numbers as ECMAScript's
 * Number::toString (JavaScript's own), strings escaped as JSON.stringify escapes them. A page
 * can so rebuild the very bytes a proof covers from the event it shows.
 */
import { utf8 } from "./bytes.js";
export function canonicalJson(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string")
        return JSON.stringify(value);
    if (typeof value === "number") {
        if (!Number.isFinite(value))
            throw new RangeError("JSON has no NaN or Infinity");
        return JSON.stringify(value); // Number::toString; -0 is written 0, as JCS wants
    }
    if (Array.isArray(value))
        return `[${value.map(canonicalJson).join(",")}]`;
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
}
/** The canonical bytes of a JSON value: what a ledger stores and hashes for an event. */
export function canonicalBytes(value) {
    return utf8(canonicalJson(value));
}
