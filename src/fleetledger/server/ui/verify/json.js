/**
 * Reading fleetledger's JSON documents as strictly as its msgspec structs do: UTF-8, the
 * listed fields only (none missing, none added), each of its type; bytes as standard base64.
 */
import { decodeBase64, fromUtf8 } from "./bytes.js";
import { fail } from "./errors.js";
/** The JSON value of a document's bytes (or text); `kind` names the failure if it is none. */
export function parseJson(data, what, kind = "malformed") {
    const text = typeof data === "string" ? data : fromUtf8(data);
    if (text === null)
        fail(kind, `not ${what}: the file is not UTF-8 text`);
    try {
        return JSON.parse(text);
    }
    catch (exc) {
        fail(kind, `not ${what}: ${exc.message}`);
    }
}
export function isObject(value) {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
/** Check `value` has exactly the fields of `required` (and any of `optional`), each of its
 * kind; returns the converted fields (bytes as Uint8Array). */
export function struct(value, where, required, optional = {}, kind = "malformed") {
    if (!isObject(value))
        fail(kind, `${where} is not a JSON object`);
    const out = {};
    for (const name of Object.keys(value)) {
        if (!(name in required) && !(name in optional))
            fail(kind, `${where} has an unknown field ${JSON.stringify(name)}`);
    }
    for (const [name, want] of Object.entries({ ...optional, ...required })) {
        if (!(name in value)) {
            if (name in required)
                fail(kind, `${where} has no field ${JSON.stringify(name)}`);
            continue;
        }
        out[name] = convert(value[name], want, `${where}.${name}`, kind);
    }
    return out;
}
function convert(value, want, where, kind) {
    if (typeof want === "function")
        return want(value, where);
    const bad = (what) => fail(kind, `${where} is not ${what}`);
    switch (want) {
        case "text":
            return typeof value === "string" && value.length > 0 ? value : bad("a non-empty string");
        case "string":
            return typeof value === "string" ? value : bad("a string");
        case "string?":
            return value === null || typeof value === "string" ? value : bad("a string or null");
        case "count":
            return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : bad("a non-negative integer");
        case "bytes":
            return (typeof value === "string" && decodeBase64(value, false)) || bad("base64");
        case "hashes":
            return Array.isArray(value) ? value.map((v, i) => convert(v, "bytes", `${where}[${i}]`, kind)) : bad("a list");
    }
}
/** A field that is a list of `item`. */
export function listOf(item) {
    return (value, where) => {
        if (!Array.isArray(value))
            fail("malformed", `${where} is not a list`);
        return value.map((v, i) => item(v, `${where}[${i}]`));
    };
}
/** Read a stored event's body as a JSON object, or `null` when it is not one. */
export function bodyObject(body) {
    const text = fromUtf8(body);
    if (text === null)
        return null;
    try {
        const value = JSON.parse(text);
        return isObject(value) ? value : null;
    }
    catch {
        return null;
    }
}
