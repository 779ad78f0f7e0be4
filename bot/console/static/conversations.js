// The conversation list refreshes itself every few seconds with the same filters.
const table = document.querySelector("table.conversations");
const rows = document.getElementById("rows");
const total = document.getElementById("total");
const REFRESH_MS = 4000;

const fmt = (ts) => new Date(ts * 1000).toLocaleString("zh-CN", { hour12: false });

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

function row(c) {
  const tr = document.createElement("tr");
  tr.dataset.sender = c.sender_id;
  const who = document.createElement("td");
  const link = document.createElement("a");
  link.href = `/console/conversations/${encodeURIComponent(c.sender_id)}`;
  link.textContent = c.sender_id;
  who.appendChild(link);
  const state = document.createElement("td");
  if (c.paused || c.handoff_requested) {
    const badge = document.createElement("span");
    badge.className = c.paused ? "badge agent" : "badge flag";
    badge.textContent = c.paused ? "人工接管中" : "需要人工";
    state.appendChild(badge);
  }
  tr.append(who, state, cell(c.last_text, "text"), cell(String(c.user_turns)),
            cell(String(c.fallbacks)), cell(fmt(c.last_at), "time"));
  return tr;
}

async function refresh() {
  try {
    const reply = await fetch(`/console/api/conversations?${table.dataset.query}`, { headers: { Accept: "application/json" } });
    if (reply.status === 401) { location.reload(); return; }
    if (!reply.ok) return;
    const data = await reply.json();
    total.textContent = `共 ${data.total} 个`;
    if (!data.conversations.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("没有符合条件的会话");
      td.colSpan = 6;
      tr.appendChild(td);
      rows.replaceChildren(tr);
    } else {
      rows.replaceChildren(...data.conversations.map(row));
    }
  } catch { /* keep what is shown; try again later */ }
}

for (const td of document.querySelectorAll("td.time[data-ts]")) td.textContent = fmt(Number(td.dataset.ts));
setInterval(refresh, REFRESH_MS);
