// Take over / reply / hand back on a conversation page (section#handoff, see handoff.py).
// The section carries data-sender and data-paused (and data-unavailable, the reason, when Rasa's
// API cannot address this sender id); the CSRF token is in <meta name="csrf-token">.
const section = document.getElementById("handoff");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function call(path, body) {
  const reply = await fetch(`/console/api/conversations/${encodeURIComponent(section.dataset.sender)}/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
  });
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(typeof data.detail === "string" ? data.detail : `请求失败（${reply.status}）`);
  return data;
}

function render() {
  const paused = section.dataset.paused === "true";
  section.replaceChildren();
  if (section.dataset.unavailable) {
    section.append(el("p", "handoff-status", section.dataset.unavailable));
    return;
  }
  const status = el("p", "handoff-status", paused ? "人工接管中：机器人已暂停回复这位顾客。" : "机器人正在服务这位顾客。");
  const error = el("p", "handoff-error");
  error.setAttribute("role", "alert");
  const run = async (action) => {
    error.textContent = "";
    try { await action(); } catch (exc) { error.textContent = exc.message; }
  };
  if (!paused) {
    const take = el("button", "takeover", "接管会话");
    take.type = "button";
    take.addEventListener("click", () => run(async () => {
      await call("takeover");
      section.dataset.paused = "true";
      render();
    }));
    section.append(status, take, error);
    return;
  }
  const form = el("form", "agent-reply");
  const input = el("textarea");
  input.name = "text";
  input.rows = 2;
  input.maxLength = 2000;
  input.placeholder = "以人工客服身份回复顾客…";
  input.setAttribute("aria-label", "回复内容");
  const send = el("button", "send", "发送");
  send.type = "submit";
  form.append(input, send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    run(async () => {
      await call("messages", { text });
      input.value = "";
    });
  });
  const back = el("button", "handback", "交还给机器人");
  back.type = "button";
  back.addEventListener("click", () => run(async () => {
    await call("handback");
    section.dataset.paused = "false";
    render();
  }));
  section.append(status, form, back, error);
}

if (section) {
  render();
  section.addEventListener("handoff:state", render); // another agent or tab changed it
}
