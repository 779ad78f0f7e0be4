// DOM helpers. Data only ever reaches the page through textContent and attributes that
// cannot execute (never innerHTML): `<img src=x onerror=alert(1)>` stays text.
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A URL for <img src>: relative to the API base, and only http(s) or same-origin paths.
export function safeUrl(value, base) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// Prices as the assistant writes them (actions/render.py yuan): 2999 → ¥2999, 59.9 → ¥59.9.
export function yuan(amount) {
  const n = Number(amount);
  if (!Number.isFinite(n)) return "";
  return `¥${n.toFixed(2).replace(/0+$/, "").replace(/\.$/, "")}`;
}
