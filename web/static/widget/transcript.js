// The conversation as shown, kept in localStorage per sender so a reload shows it again
// (Rasa's tracker keeps the dialogue state server-side under the same sender id).
const MAX_ENTRIES = 200;
const key = (sender) => `daogou.transcript.v1.${sender}`;

export function load(sender) {
  try {
    const entries = JSON.parse(localStorage.getItem(key(sender)) || "[]");
    return Array.isArray(entries) ? entries.filter((e) => e && (e.who === "user" || e.who === "bot")) : [];
  } catch {
    return [];
  }
}

export function save(sender, entries) {
  try {
    localStorage.setItem(key(sender), JSON.stringify(entries.slice(-MAX_ENTRIES)));
  } catch {
    /* quota or privacy mode: the conversation still lives in Rasa's tracker */
  }
}

export function clear(sender) {
  try {
    localStorage.removeItem(key(sender));
  } catch {
    /* nothing to do */
  }
}
