// Shopper identity = Rasa sender id: the shop's own user id from the script tag, else a
// stable anonymous id kept in localStorage (same key as the first chat page, so returning
// shoppers keep their history).
const KEY = "daogou.sender";
const VALID = /^[\w.@-]{1,64}$/;

function randomId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID(); // secure contexts only
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function senderId(shopUserId) {
  if (shopUserId && VALID.test(shopUserId)) return shopUserId;
  try {
    let id = localStorage.getItem(KEY);
    if (!id || !VALID.test(id)) {
      id = `web-${randomId()}`;
      localStorage.setItem(KEY, id);
    }
    return id;
  } catch {
    return `web-${randomId()}`; // storage blocked: a per-page id is the best we can do
  }
}
