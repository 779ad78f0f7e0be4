// The chat panel: launcher, message log, composer; renders messages, keeps the transcript,
// reports card clicks as interaction events.
import { el } from "./dom.js";
import { References } from "./references.js";
import { comparisonTable, bubble, image, notice, productList, quickReplies, typingIndicator } from "./render.js";
import * as transcript from "./transcript.js";
import { Connection } from "./transport.js";

const GREETING = {
  text: "你好，我是导购小助手～告诉我你想买什么，比如“我想买蓝牙耳机”“三千以内的手机”。",
  buttons: [
    { title: "我想买蓝牙耳机", payload: "我想买蓝牙耳机" },
    { title: "有什么适合我的", payload: "有什么适合我的" },
    { title: "有什么优惠", payload: "有什么优惠" },
  ],
  local: true,
};
const NEAR_BOTTOM_PX = 80;
const MAX_CHARS = 1000;
const STATUS = { socket: "在线", rest: "在线", reconnecting: "连接中…" };

export class Widget {
  constructor(options) {
    this.o = options; // {sender, token, notice, apiBase, restUrl, eventsUrl, socket, open, title}
    this.refs = new References();
    this.entries = [];
    this.busy = false;
    this.agent = null; // the human agent's name while one has the conversation (issue 8)
  }

  mount(parent = document.body) {
    const host = el("div");
    host.id = "daogou-widget";
    host.dataset.sender = this.o.sender;
    host.style.visibility = "hidden"; // until the stylesheet has loaded
    const root = host.attachShadow({ mode: "open" });
    const css = el("link");
    css.rel = "stylesheet";
    css.href = new URL("./widget.css", import.meta.url).href;
    css.addEventListener("load", () => { host.style.visibility = ""; });
    css.addEventListener("error", () => { host.style.visibility = ""; });

    const launcher = el("button", "launcher", "导购");
    launcher.type = "button";
    launcher.setAttribute("aria-label", "打开导购小助手");
    const panel = el("section", "panel");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", this.o.title);
    const header = el("header");
    const close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "收起导购小助手");
    this.status = el("span", "status");
    header.append(el("span", "title", this.o.title), this.status, close);
    this.log = el("ol", "log");
    this.log.setAttribute("aria-live", "polite");
    this.newMessages = el("button", "new-messages", "有新消息 ↓");
    this.newMessages.type = "button";
    this.newMessages.hidden = true;
    const form = el("form", "composer");
    this.input = el("input");
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.maxLength = MAX_CHARS;
    this.input.placeholder = "想买点什么？比如：三千以内的手机";
    this.input.setAttribute("aria-label", "输入消息");
    const send = el("button", "send", "发送");
    send.type = "submit";
    form.append(this.input, send);
    panel.append(header, this.log, this.newMessages, form);
    root.append(css, launcher, panel);

    launcher.addEventListener("click", () => this.setOpen(true));
    close.addEventListener("click", () => this.setOpen(false));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.say(text);
    });
    this.log.addEventListener("scroll", () => { if (this.nearBottom()) this.newMessages.hidden = true; });
    this.newMessages.addEventListener("click", () => this.scrollToBottom());

    this.host = host;
    this.panel = panel;
    this.launcher = launcher;
    parent.appendChild(host);
    this.setOpen(this.o.open);
    this.replay();
    if (this.o.notice) this.append(notice(this.o.notice), { force: false });

    this.connection = new Connection({
      token: this.o.token,
      restUrl: this.o.restUrl,
      socket: this.o.socket,
      handlers: {
        onMessage: (msg) => this.receive(msg),
        onBusy: (busy) => this.setBusy(busy),
        onMode: (mode) => {
          host.dataset.transport = mode;
          this.showStatus();
        },
      },
    });
    this.connection.start();
    return this;
  }

  showStatus() {
    const mode = this.host.dataset.transport;
    this.status.textContent = this.agent && mode !== "reconnecting" ? `人工客服 ${this.agent}` : STATUS[mode] || "";
  }

  setOpen(open) {
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    this.host.dataset.open = String(open);
    if (open) {
      this.scrollToBottom();
      if (window.matchMedia("(min-width: 481px)").matches) this.input.focus({ preventScroll: true });
    }
  }

  replay() {
    const saved = transcript.load(this.o.sender);
    if (!saved.length) {
      this.receive(GREETING);
      return;
    }
    for (const entry of saved) {
      if (entry.who === "user") this.showUser(entry.text, { persist: false, scroll: false });
      else this.showBot(entry.msg, { persist: false, scroll: false });
    }
    this.entries = saved;
    this.scrollToBottom();
  }

  persist(entry) {
    this.entries.push(entry);
    transcript.save(this.o.sender, this.entries);
  }

  // The shopper says something (typed, a quick reply, or a card button).
  say(text, shown = text) {
    this.showUser(shown);
    // While an agent has the conversation the bot is paused: no typing indicator or timeout.
    this.connection.send(text, { expectReply: !this.agent });
  }

  receive(msg) {
    this.showBot(msg);
  }

  showUser(text, { persist = true, scroll = true } = {}) {
    this.retireQuickReplies();
    this.append(bubble("user", text), { force: scroll });
    if (persist) this.persist({ who: "user", text });
  }

  showBot(msg, { persist = true, scroll = true } = {}) {
    if (!msg || typeof msg !== "object") return;
    this.refs.observe(msg);
    const nodes = [];
    if (msg.text) nodes.push(bubble(this.agent ? "bot agent" : "bot", msg.text));
    if (msg.image) nodes.push(image(msg.image, this.o.apiBase));
    const custom = msg.custom;
    const actions = {
      addToCart: (p) => this.cardAction(p, this.refs.addToCart(p.id)),
      detail: (p) => this.cardAction(p, this.refs.detail(p.id)),
      open: (p) => this.cardAction(p, this.refs.detail(p.id)),
    };
    if (custom?.type === "products" && Array.isArray(custom.products)) {
      nodes.push(productList(custom.products, this.o.apiBase, actions));
    } else if (custom?.type === "comparison") {
      nodes.push(comparisonTable(custom, actions));
    } else if (custom?.type === "handoff") {
      this.setAgent(custom.state === "agent" ? String(custom.agent || "") || "客服" : null);
      nodes.push(notice(this.agent ? `人工客服 ${this.agent} 已接入` : "已切换回导购小助手"));
    }
    if (Array.isArray(msg.buttons) && msg.buttons.length) {
      nodes.push(quickReplies(msg.buttons, (b) => this.say(b.payload, b.title)));
    }
    for (const node of nodes) if (node) this.append(node, { force: false, quietly: !scroll });
    this.refreshCards();
    if (persist) this.persist({ who: "bot", msg });
  }

  setAgent(name) {
    this.agent = name;
    this.host.dataset.handoff = name ? "agent" : "bot";
    this.showStatus();
  }

  cardAction(p, message) {
    if (!p?.id) return;
    this.track(p.id, "click");
    if (message) this.say(message);
  }

  // Card buttons work only while the assistant can resolve the card ("第N个" / "这款").
  refreshCards() {
    for (const card of this.log.querySelectorAll(".card")) {
      const id = card.dataset.productId;
      const live = Boolean(this.refs.reference(id));
      card.classList.toggle("stale", !live);
      for (const button of card.querySelectorAll(".card-actions button")) {
        button.disabled = !live;
        button.title = live ? "" : "这是之前的推荐，请在最新的列表里操作";
      }
    }
  }

  retireQuickReplies() {
    for (const button of this.log.querySelectorAll(".quick-reply")) button.disabled = true;
  }

  track(productId, event) {
    fetch(this.o.eventsUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.o.token}` },
      body: JSON.stringify({ product_id: productId, event }),
      keepalive: true,
    }).catch(() => { /* analytics must never disturb the chat */ });
  }

  setBusy(busy) {
    this.busy = busy;
    const existing = this.log.querySelector(".typing");
    if (busy && !existing) this.append(typingIndicator(), { force: false });
    if (!busy && existing) existing.remove();
    this.host.dataset.busy = String(busy);
  }

  nearBottom() {
    const log = this.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
    this.newMessages.hidden = true;
  }

  // New content goes above the typing indicator. The log follows it when the shopper was
  // at the bottom (or sent it); otherwise a "新消息" pill appears instead of jumping.
  append(node, { force = false, quietly = false } = {}) {
    const follow = force || this.nearBottom();
    const typing = this.log.querySelector(".typing");
    if (typing && node !== typing) this.log.insertBefore(node, typing);
    else this.log.appendChild(node);
    if (quietly) return;
    if (follow) {
      this.scrollToBottom();
      for (const img of node.querySelectorAll("img")) {
        img.addEventListener("load", () => { if (this.nearBottom() || follow) this.scrollToBottom(); }, { once: true });
      }
    } else if (!node.classList.contains("typing")) {
      this.newMessages.hidden = false;
    }
  }
}
