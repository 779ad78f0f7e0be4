// A conversation page: new events appear as they happen (polling every 2 s from the last event
// id, `after=<cursor>`), and each shopper message can be corrected (intent + entities) through
// POST /console/api/annotations. Everything from the tracker is set with textContent only.
const list = document.getElementById("transcript");
const handoff = document.getElementById("handoff");
const stateBadge = document.getElementById("state-badge");
const template = document.getElementById("annotate-template");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const POLL_MS = 2000;

const fmt = (ts) => new Date(ts * 1000).toLocaleTimeString("zh-CN", { hour12: false });
const num = (x, digits = 2) => (typeof x === "number" ? x.toFixed(digits) : "");

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function who(label, ts) {
  const div = el("div", "who", `${label} `);
  div.append(el("span", "time", fmt(ts)));
  return div;
}

function annotateForm(t) {
  const d = t.details || {};
  const details = template.content.firstElementChild.cloneNode(true);
  const form = details.querySelector("form.annotate");
  form.dataset.text = t.text;
  form.dataset.ts = String(t.timestamp);
  form.dataset.intent = d.intent || "";
  form.dataset.confidence = typeof d.confidence === "number" ? String(d.confidence) : "";
  if (d.intent && [...form.elements.intent.options].some((o) => o.value === d.intent)) form.elements.intent.value = d.intent;
  form.elements.entities.value = (d.entities || []).map((e) => `${e.value}:${e.entity}\n`).join("");
  return details;
}

function customNodes(c) {
  const out = [];
  if (Array.isArray(c.products) && c.products.length) {
    const ul = el("ul", "products");
    for (const p of c.products) ul.append(el("li", "", p.price == null ? p.title : `${p.title} · ¥${p.price}`));
    out.push(ul);
  }
  if (c.type === "comparison" && Array.isArray(c.rows) && c.rows.length) out.push(el("div", "custom", `对比项：${c.rows.join("、")}`));
  else if (c.type === "handoff") out.push(el("div", "custom", `[转人工标记：${c.state}]`));
  else if (c.type !== "products" && c.type !== "comparison") out.push(el("div", "custom", `[${c.type} 消息]`));
  return out;
}

function turnNode(t) {
  const d = t.details || {};
  let li;
  if (t.kind === "user") {
    li = el("li", "turn user");
    const nlu = el("div", "nlu");
    const intent = el("span", "", "意图 ");
    intent.append(el("b", "intent", d.intent || "—"));
    if (typeof d.confidence === "number") intent.append(" ", el("span", "conf", num(d.confidence)));
    nlu.append(intent);
    for (const e of d.entities || []) {
      const span = el("span", "entity", `${e.entity}=${e.value}`);
      if (e.extractor) span.append(" ", el("small", "", `${e.extractor} ${num(e.confidence)}`.trim()));
      nlu.append(span);
    }
    if ((d.ranking || []).length) {
      nlu.append(el("span", "ranking", "候选：" + d.ranking.map((r) => `${r.name} ${num(r.confidence || 0)}`).join("，")));
    }
    li.append(who("顾客", t.timestamp), el("div", "text", t.text), nlu);
    if (template) li.append(annotateForm(t));
  } else if (t.kind === "bot") {
    li = el("li", d.agent ? "turn bot agent" : "turn bot");
    li.append(who(d.agent ? `人工客服 ${d.agent}` : "机器人", t.timestamp));
    if (t.text) li.append(el("div", "text", t.text));
    if (d.custom) li.append(...customNodes(d.custom));
    if (d.image) li.append(el("div", "custom", "[图片]"));
    if ((d.buttons || []).length) {
      const box = el("div", "buttons");
      for (const b of d.buttons) { const s = el("span", "", b.title); s.title = b.payload; box.append(s); }
      li.append(box);
    }
  } else if (t.kind === "action") {
    li = el("li", "turn action", "动作 ");
    li.append(el("b", "", t.text));
    if (d.policy) li.append(` · ${d.policy}`);
    if (typeof d.confidence === "number") li.append(` ${num(d.confidence)}`);
  } else if (t.kind === "slot") {
    li = el("li", "turn slot", `槽位 ${t.text} = `);
    li.append(el("code", "", JSON.stringify(d.value)));
  } else if (t.kind === "form") {
    li = el("li", "turn slot", d.active ? `表单 ${t.text} 开始` : "表单结束");
  } else if (t.kind === "pause") {
    li = el("li", "turn marker", "— 人工接管，机器人暂停 —");
  } else if (t.kind === "resume") {
    li = el("li", "turn marker", "— 交还机器人 —");
  } else if (t.kind === "restart") {
    li = el("li", "turn marker", "— 对话重新开始 —");
  } else {
    return null;
  }
  li.dataset.id = String(t.id);
  li.dataset.ts = String(t.timestamp);
  return li;
}

function showState(data) {
  if (stateBadge) {
    const [cls, text] = data.paused ? ["badge agent", "人工接管中"]
      : data.needs_agent ? ["badge flag", "需要人工"]
      : data.handoff_requested ? ["badge muted", "曾转人工"] : [null, null];
    stateBadge.replaceChildren(...(cls ? [el("span", cls, text)] : []));
  }
  const paused = data.paused ? "true" : "false";
  if (handoff && handoff.dataset.paused !== paused) {
    handoff.dataset.paused = paused;
    handoff.dispatchEvent(new CustomEvent("handoff:state")); // handoff.js re-renders its controls
  }
}

let polling = false;
async function poll() {
  if (polling) return;
  polling = true;
  try {
    const url = `/console/api/conversations/${encodeURIComponent(list.dataset.sender)}?after=${list.dataset.cursor || 0}`;
    const reply = await fetch(url, { headers: { Accept: "application/json" } });
    if (reply.status === 401) { location.reload(); return; }
    if (!reply.ok) return;
    const data = await reply.json();
    if (data.turns.length) list.querySelector(":scope > .empty")?.remove();
    for (const t of data.turns) {
      if (list.querySelector(`:scope > [data-id="${t.id}"]`)) continue;
      const node = turnNode(t);
      if (node) list.append(node);
    }
    list.dataset.cursor = String(data.cursor);
    showState(data);
  } catch { /* try again on the next tick */ } finally {
    polling = false;
  }
}

// Offsets the annotation API expects are Python string indices: code points, not UTF-16 units.
const codePoints = (s) => Array.from(s).length;

// "黑色:color" lines → spans of the message text, left to right without overlaps.
function spans(text, lines) {
  const out = [];
  let from = 0;
  for (const line of lines.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const cut = Math.max(line.lastIndexOf(":"), line.lastIndexOf("："));
    if (cut <= 0) throw new Error(`格式应为 原文片段:实体类型（${line}）`);
    const value = line.slice(0, cut).trim();
    const entity = line.slice(cut + 1).trim();
    let start = text.indexOf(value, from);
    if (start < 0) start = text.indexOf(value);
    if (start < 0) throw new Error(`原句里没有“${value}”`);
    const begin = codePoints(text.slice(0, start));
    out.push({ start: begin, end: begin + codePoints(value), entity, value });
    from = start + value.length;
  }
  return out;
}

async function save(form) {
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
    if (!reply.ok) {
      const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join("；") : data.detail;
      throw new Error(typeof detail === "string" && detail ? detail : `保存失败（${reply.status}）`);
    }
    result.textContent = "已保存";
  } catch (exc) {
    result.textContent = exc.message;
  }
}

// The staff member selects part of the shopper's message, picks a type, clicks 添加选中文字.
// The last selection inside a shopper message is remembered (clicking may collapse it).
let picked = { turn: null, text: "" };
document.addEventListener("selectionchange", () => {
  const selection = window.getSelection();
  const text = selection ? selection.toString().trim() : "";
  const node = selection?.anchorNode;
  const host = (node?.nodeType === Node.TEXT_NODE ? node.parentElement : node)?.closest?.(".turn.user > .text");
  if (text && host) picked = { turn: host.parentElement, text };
});

function addSelection(form) {
  const turn = form.closest(".turn");
  const result = form.querySelector(".result");
  if (!picked.text || picked.turn !== turn) {
    result.textContent = "请先在这条顾客消息里选中一段文字";
    return;
  }
  const area = form.elements.entities;
  const before = area.value.replace(/\s*$/, "");
  area.value = `${before}${before ? "\n" : ""}${picked.text}:${form.elements.entity_type.value}\n`;
  result.textContent = "";
}

if (list) {
  for (const span of list.querySelectorAll(".time[data-ts]")) span.textContent = fmt(Number(span.dataset.ts));
  list.addEventListener("submit", (event) => {
    const form = event.target.closest("form.annotate");
    if (!form) return;
    event.preventDefault();
    save(form);
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.add-selection");
    if (button) addSelection(button.closest("form.annotate"));
  });
  setInterval(poll, POLL_MS);
}
