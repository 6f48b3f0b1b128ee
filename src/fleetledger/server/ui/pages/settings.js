/** The token requests carry and the key proofs are checked with, kept in this browser only. */
import { settings } from "../api.js";
import { h, show } from "../dom.js";
import { readVerifierKey } from "../verify/index.js";

export async function settingsPage(root) {
  document.title = "Key and token · fleetledger";
  const token = h("input", { id: "token", type: "password", autocomplete: "off", value: settings.token, placeholder: "flt_…" });
  const remember = h("input", { id: "remember", type: "checkbox", checked: Boolean(localStorage.getItem("fleetledger.token")) });
  const key = h("textarea", { id: "pinned", rows: 2, spellcheck: "false", placeholder: "name+hash+base64" }, settings.key);
  const said = h("p", { role: "status", "aria-live": "polite" });
  const save = async (event) => {
    event.preventDefault();
    const text = key.value.trim();
    if (text) {
      try {
        await readVerifierKey(text);
      } catch (error) {
        said.textContent = `Not saved: that is not a public key (${error.message}).`;
        return;
      }
    }
    settings.setToken(token.value.trim(), remember.checked);
    settings.pinKey(text);
    said.textContent = `Saved${text ? `; proofs are checked with ${text.split("+")[0]}` : ""}.`;
  };
  show(root,
    h("h1", {}, "Key and token"),
    h("form", { class: "settings", onsubmit: save },
      h("label", { for: "token" }, "Bearer token (fleetledger principals token NAME): whom this browser acts as"),
      token,
      h("label", { class: "check" }, remember, " remember it after this tab closes"),
      h("label", { for: "pinned" }, "The ledger's public key, pinned: event pages check proofs with it, never with a key this server sends"),
      key,
      h("button", { type: "submit" }, "Save")),
    said);
}
