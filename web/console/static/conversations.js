// The conversation list refreshes itself every few seconds with the page's own filters and
// page (the query string it was rendered with). Shopper text is only ever set as textContent.
const table = document.querySelector("table.conversations");
const rows = document.getElementById("rows");
const total = document.getElementById("total");
const refreshed = document.getElementById("refreshed");
const REFRESH_MS = 4000;

const fmt = (ts) => new Date(ts * 1000).toLocaleString("zh-CN", { hour12: false });

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

function badge(c) {
  const [cls, text] = c.paused ? ["badge agent", "人工接管中"]
    : c.needs_agent ? ["badge flag", "需要人工"]
    : c.handoff_requested ? ["badge muted", "曾转人工"] : [null, null];
  if (!cls) return null;
  const span = document.createElement("span");
  span.className = cls;
  span.textContent = text;
  return span;
}

function row(c) {
  const tr = document.createElement("tr");
  tr.dataset.sender = c.sender_id;
  if (c.needs_agent || c.paused) tr.className = "flagged";
  const who = document.createElement("td");
  const link = document.createElement("a");
  link.href = `/console/conversations/${encodeURIComponent(c.sender_id)}`;
  link.textContent = c.sender_id;
  who.appendChild(link);
  const state = cell("", "state");
  const mark = badge(c);
  if (mark) state.appendChild(mark);
  tr.append(who, state, cell(c.last_text, "text"), cell(String(c.user_turns), "num"),
            cell(String(c.fallbacks), c.fallbacks ? "num warn" : "num"),
            cell(fmt(c.first_at), "time"), cell(fmt(c.last_at), "time"));
  return tr;
}

function empty() {
  const tr = document.createElement("tr");
  tr.className = "empty";
  const td = cell("没有符合条件的会话");
  td.colSpan = 7;
  tr.appendChild(td);
  return tr;
}

async function refresh() {
  if (document.hidden) return;
  try {
    const reply = await fetch(`/console/api/conversations?${table.dataset.query}`,
                              { headers: { Accept: "application/json" } });
    if (reply.status === 401) { location.reload(); return; }
    if (!reply.ok) return;
    const data = await reply.json();
    total.textContent = `共 ${data.total} 个`;
    rows.replaceChildren(...(data.conversations.length ? data.conversations.map(row) : [empty()]));
    refreshed.textContent = `${new Date().toLocaleTimeString("zh-CN", { hour12: false })} 已刷新`;
  } catch { /* keep what is shown; try again on the next tick */ }
}

if (table && rows) {
  for (const td of document.querySelectorAll("td.time[data-ts]")) td.textContent = fmt(Number(td.dataset.ts));
  setInterval(refresh, REFRESH_MS);
}
