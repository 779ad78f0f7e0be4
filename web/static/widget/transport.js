// How messages reach Rasa: its socket.io channel (the connection's token names the sender, so
// the conversation survives reconnects), else the web app's REST relay
// POST /api/chat. Both deliver bot messages in one normalised shape:
//   { text?, buttons?: [{title, payload}], custom?, image? }

const QUIET_MS = 900; // a turn is over when the bot has been quiet this long (socket.io)
const REPLY_TIMEOUT_MS = 35000; // the relay waits 30 s for Rasa (SHOPBOT_REQUEST_TIMEOUT)
const RECONNECT_GRACE_MS = 5000; // a message typed during a drop waits this long, then REST
const UNSTABLE = "网络好像不太稳定，请稍后再试。";

export function normalise(raw) {
  if (!raw || typeof raw !== "object") return null;
  const out = {};
  if (typeof raw.text === "string" && raw.text) out.text = raw.text;
  const buttons = raw.buttons || raw.quick_replies;
  if (Array.isArray(buttons)) {
    out.buttons = buttons
      .filter((b) => b && typeof b.title === "string")
      .map((b) => ({ title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title }));
  }
  if (raw.custom && typeof raw.custom === "object") out.custom = raw.custom;
  else if (typeof raw.type === "string" && (raw.products || raw.rows)) out.custom = raw; // unwrapped
  if (typeof raw.image === "string") out.image = raw.image;
  else if (raw.attachment?.type === "image" && typeof raw.attachment.payload?.src === "string") {
    out.image = raw.attachment.payload.src;
  }
  return Object.keys(out).length ? out : null;
}

export class Connection {
  // handlers: onMessage(msg), onBusy(bool), onMode("socket" | "rest" | "reconnecting")
  constructor({ token, restUrl, socket, handlers }) {
    this.token = token; // the server derives the sender id from it
    this.restUrl = restUrl;
    this.socketConfig = socket; // {url, path} or null
    this.h = handlers;
    this.mode = "rest";
    this.socket = null;
    this.ready = false;
    this.everConnected = false;
    this.pending = []; // texts typed before the session was confirmed
    this.quiet = null;
    this.timeout = null;
    this.inflight = 0; // REST requests waiting for their reply
    this.expectReply = true;
  }

  async start() {
    if (!this.socketConfig?.url) return this.setMode("rest");
    let io;
    try {
      ({ io } = await import(new URL("../vendor/socket.io.esm.min.js", import.meta.url).href));
    } catch {
      return this.setMode("rest");
    }
    const socket = io(this.socketConfig.url, {
      path: this.socketConfig.path || "/socket.io",
      transports: ["websocket"], // no cross-origin long-polling (and so no CORS) needed
      auth: { token: this.token }, // the channel derives the sender id from it
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 8000,
    });
    this.socket = socket;
    this.setMode("reconnecting");
    socket.on("connect", () => socket.emit("session_request", {}));
    socket.on("session_confirm", () => {
      this.ready = true;
      this.everConnected = true;
      this.setMode("socket");
      const queued = this.pending.splice(0);
      queued.forEach((item) => { clearTimeout(item.timer); this.emit(item.text); });
    });
    socket.on("bot_uttered", (raw) => {
      const msg = normalise(raw);
      if (msg) this.h.onMessage(msg);
      this.settleSoon();
    });
    socket.on("disconnect", () => {
      this.ready = false;
      this.setMode("reconnecting");
    });
    socket.on("connect_error", () => {
      if (!this.everConnected) { // Rasa has no socket.io channel here: use the relay for good
        socket.disconnect();
        this.socket = null;
        this.setMode("rest");
        this.pending.splice(0).forEach((item) => { clearTimeout(item.timer); this.viaRest(item.text); });
      }
    });
  }

  setMode(mode) {
    this.mode = mode;
    this.h.onMode(mode);
  }

  // expectReply=false while a human agent has the conversation: the bot stays silent.
  send(text, { expectReply = true } = {}) {
    this.expectReply = expectReply;
    if (expectReply) this.h.onBusy(true);
    if (this.socket && this.ready) return this.emit(text);
    if (this.socket) { // connecting or reconnecting: wait a little, then take the REST path
      const item = { text };
      item.timer = setTimeout(() => {
        this.pending = this.pending.filter((x) => x !== item);
        this.viaRest(text);
      }, RECONNECT_GRACE_MS);
      this.pending.push(item);
      return;
    }
    this.viaRest(text);
  }

  emit(text) {
    this.socket.emit("user_uttered", { message: text });
    clearTimeout(this.timeout);
    if (!this.expectReply) return;
    this.timeout = setTimeout(() => {
      this.h.onMessage({ text: UNSTABLE, local: true });
      this.h.onBusy(false);
    }, REPLY_TIMEOUT_MS);
  }

  settleSoon() {
    clearTimeout(this.timeout);
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.h.onBusy(false), QUIET_MS);
  }

  async viaRest(text) {
    this.inflight += 1;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REPLY_TIMEOUT_MS);
    try {
      const reply = await fetch(this.restUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ message: text }),
        signal: controller.signal,
      });
      const body = await reply.json();
      if (reply.status === 401) body.messages = [{ text: body.detail || UNSTABLE }];
      const messages = (Array.isArray(body?.messages) ? body.messages : []).map(normalise).filter(Boolean);
      if (!messages.length && this.expectReply) messages.push({ text: UNSTABLE, local: true });
      messages.forEach((m) => this.h.onMessage(m));
    } catch {
      this.h.onMessage({ text: UNSTABLE, local: true });
    } finally {
      clearTimeout(timer);
      this.inflight -= 1;
      this.h.onBusy(this.inflight > 0);
    }
  }
}
