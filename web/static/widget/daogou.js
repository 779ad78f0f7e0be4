// Daogou chat widget. Embed with one tag (no build step, nothing from a CDN):
//   <script type="module" src="https://shop-assistant.example/static/widget/daogou.js"
//           data-identity-token="eyJ…"                 (optional: the shop's signed token for its logged-in user)
//           data-server="https://rasa.example"         (optional: Rasa's socket.io server)
//           data-open="true"></script>                 (optional: start opened)
// See docs/widget.md for every attribute.
import { startSession } from "./identity.js";
import { Widget } from "./ui.js";

const SELF = import.meta.url;

function ownScript() {
  // Module scripts have no document.currentScript: find the tag whose src is this file.
  for (const script of document.querySelectorAll("script[src]")) {
    try {
      if (new URL(script.getAttribute("src"), document.baseURI).href === SELF) return script;
    } catch {
      /* not a URL: not us */
    }
  }
  return null;
}

async function socketSettings(data, apiBase) {
  const transport = (data.transport || "auto").toLowerCase();
  if (transport === "rest") return null;
  if (data.server) return { url: data.server, path: data.socketPath || "/socket.io" };
  try {
    const reply = await fetch(new URL("api/widget/config", apiBase));
    const config = reply.ok ? await reply.json() : null;
    return config?.socketio?.url ? { url: config.socketio.url, path: config.socketio.path } : null;
  } catch {
    return null;
  }
}

export async function mount(overrides = {}) {
  if (window.__daogouWidget) return window.__daogouWidget;
  const data = { ...(ownScript()?.dataset || {}), ...overrides };
  const apiBase = new URL(data.api || "../../", data.api ? document.baseURI : SELF).href;
  const who = await startSession(new URL("api/session", apiBase).href, data.identityToken)
    .catch(() => ({ sender: "", token: "", notice: "导购助手暂时连接不上，请稍后刷新页面再试。" }));
  const widget = new Widget({
    sender: who.sender,
    token: who.token,
    notice: who.notice,
    apiBase,
    restUrl: new URL("api/chat", apiBase).href,
    eventsUrl: new URL("api/events", apiBase).href,
    socket: await socketSettings(data, apiBase),
    open: data.open === true || data.open === "true" || data.open === "",
    title: data.title || "导购小助手",
  });
  window.__daogouWidget = widget;
  if (document.readyState === "loading") {
    await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }
  return widget.mount();
}

if (!window.__daogouManual) mount();
