// A conversation page: new events appear as they happen (polling), and each shopper message
// can be corrected (intent + entities) for the next training.
const list = document.getElementById("transcript");
const handoff = document.getElementById("handoff");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const POLL_MS = 2000;
let last = Number(list.dataset.last) || 0;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function turnNode(t) {
  const d = t.details || {};
  if (t.kind === "user") {
    const li = el("li", "turn user");
    const nlu = el("div", "nlu", "意图 ");
    nlu.append(el("b", "intent", d.intent || "—"));
    if (typeof d.confidence === "number") nlu.append(el("span", "conf", d.confidence.toFixed(2)));
    for (const e of d.entities || []) nlu.append(el("span", "entity", `${e.entity}=${e.value}`));
    li.append(el("div", "who", "顾客"), el("div", "text", t.text), nlu, el("div", "hint", "刷新页面后可纠正这条消息"));
    return li;
  }
  if (t.kind === "bot") {
    const li = el("li", d.agent ? "turn bot agent" : "turn bot");
    li.append(el("div", "who", d.agent ? `人工客服 ${d.agent}` : "机器人"));
    if (t.text) li.append(el("div", "text", t.text));
    if (Array.isArray(d.products) && d.products.length) {
      const ul = el("ul", "products");
      for (const p of d.products) ul.append(el("li", "", `${p.title} · ¥${p.price}`));
      li.append(ul);
    }
    return li;
  }
  if (t.kind === "action") {
    const li = el("li", "turn action", "动作 ");
    li.append(el("b", "", t.text));
    if (d.policy) li.append(` · ${d.policy}`);
    return li;
  }
  if (t.kind === "slot") return el("li", "turn slot", `槽位 ${t.text} = ${JSON.stringify(d.value)}`);
  if (t.kind === "pause") return el("li", "turn marker", "— 人工接管，机器人暂停 —");
  if (t.kind === "resume") return el("li", "turn marker", "— 交还机器人 —");
  return null;
}

async function poll() {
  try {
    const reply = await fetch(`/console/api/conversations/${encodeURIComponent(list.dataset.sender)}?since=${last}`);
    if (!reply.ok) return;
    const data = await reply.json();
    list.querySelector(".empty")?.remove();
    for (const t of data.turns) {
      last = Math.max(last, t.timestamp);
      const node = turnNode(t);
      if (node) list.append(node);
    }
    const paused = data.paused ? "true" : "false";
    if (handoff && handoff.dataset.paused !== paused) {
      handoff.dataset.paused = paused;
      handoff.dispatchEvent(new CustomEvent("handoff:state"));
    }
  } catch { /* try again on the next tick */ }
}

// "黑色:color" lines → spans of the message text, left to right without overlaps.
function spans(text, lines) {
  const out = [];
  let from = 0;
  for (const line of lines.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const cut = line.lastIndexOf(":") >= 0 ? line.lastIndexOf(":") : line.lastIndexOf("：");
    if (cut <= 0) throw new Error(`格式应为 原文片段:实体类型（${line}）`);
    const value = line.slice(0, cut).trim();
    const entity = line.slice(cut + 1).trim();
    let start = text.indexOf(value, from);
    if (start < 0) start = text.indexOf(value);
    if (start < 0) throw new Error(`原句里没有“${value}”`);
    out.push({ start, end: start + value.length, entity, value });
    from = start + value.length;
  }
  return out;
}

for (const form of document.querySelectorAll("form.annotate")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = form.querySelector(".result");
    result.textContent = "";
    try {
      const text = form.dataset.text;
      const body = {
        sender_id: list.dataset.sender, event_timestamp: Number(form.dataset.ts), text,
        intent: form.elements.intent.value, entities: spans(text, form.elements.entities.value),
        original_intent: form.dataset.intent || null,
        original_confidence: form.dataset.confidence === "" ? null : Number(form.dataset.confidence),
      };
      const reply = await fetch("/console/api/annotations", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const data = await reply.json().catch(() => ({}));
      if (!reply.ok) throw new Error(typeof data.detail === "string" ? data.detail : "保存失败");
      result.textContent = "已保存";
    } catch (exc) {
      result.textContent = exc.message;
    }
  });
}

setInterval(poll, POLL_MS);
