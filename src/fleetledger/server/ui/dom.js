/**
 * Building the page from data without ever parsing data as HTML: every string a ledger holds
 * goes in as text (textContent, attribute values), so an event cannot inject markup or script.
 */
const SVG = "http://www.w3.org/2000/svg";

/** An element: `h("a", {href: "/ui/"}, "Tasks")`. Attributes set to null or false are left out;
 * `on*` functions become listeners; children are nodes or text (null skipped). */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** The same for SVG elements. */
export function s(tag, attributes = {}, ...children) {
  return build(document.createElementNS(SVG, tag), attributes, children);
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replace what `parent` shows. */
export function show(parent, ...children) {
  parent.replaceChildren();
  for (const child of children.flat(Infinity)) if (child) parent.append(child);
}

/** A problem (an API error) as an alert the screen reader announces. */
export function alertBox(error, extra = null) {
  return h("div", { class: "alert", role: "alert" }, h("strong", {}, error.title || "Something went wrong"), " ", error.message, extra);
}
