// Minimal chat client: REST to /api/chat. Everything is rendered with textContent (no HTML injection).
const log = document.getElementById("log");
const input = document.getElementById("message");
const senderKey = "daogou.sender";
const sender = localStorage.getItem(senderKey) || `web-${crypto.randomUUID()}`;
localStorage.setItem(senderKey, sender);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function add(who, content) {
  const item = el("li", who);
  item.appendChild(content);
  log.appendChild(item);
  log.scrollTop = log.scrollHeight;
}

function productCards(products) {
  const row = el("div", "cards");
  for (const p of products) {
    const card = el("div", "card");
    card.dataset.productId = p.id;
    const img = el("img");
    img.src = p.image;
    img.alt = p.title;
    card.append(img, el("div", "title", p.title));
    const price = el("div", "price", `¥${p.price}`);
    if (p.list_price && p.list_price > p.price) price.appendChild(el("s", "", `¥${p.list_price}`));
    card.append(price, el("div", "brand", p.brand));
    row.appendChild(card);
  }
  return row;
}

function render(message) {
  if (message.text) add("bot", el("div", "bubble", message.text));
  const custom = message.custom;
  if (custom && custom.type === "products") add("bot", productCards(custom.products || []));
}

async function send(text) {
  add("user", el("div", "bubble", text));
  try {
    const reply = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender, message: text }),
    });
    const body = await reply.json();
    (body.messages || []).forEach(render);
  } catch (err) {
    add("bot", el("div", "bubble", "网络好像不太稳定，请稍后再试。"));
  }
}

document.getElementById("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send(text);
});
