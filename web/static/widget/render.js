// Bot and shopper messages as DOM nodes. textContent only: catalog and chat text is data.
import { el, safeUrl, yuan } from "./dom.js";

export function bubble(who, text) {
  const item = el("li", `msg ${who}`);
  item.appendChild(el("div", "bubble", text));
  return item;
}

// A line from the system, e.g. "人工客服 小王 已接入".
export function notice(text) {
  const item = el("li", "msg notice");
  item.appendChild(el("span", "notice-text", text));
  return item;
}

// Quick replies: each sends its payload ("/affirm", "去结算") and shows its title.
export function quickReplies(buttons, onPick) {
  const item = el("li", "msg bot");
  const row = el("div", "quick-replies");
  for (const b of buttons) {
    const button = el("button", "quick-reply", b.title);
    button.type = "button";
    button.addEventListener("click", () => onPick(b));
    row.appendChild(button);
  }
  item.appendChild(row);
  return item;
}

function stars(rating) {
  const n = Number(rating);
  return Number.isFinite(n) && n > 0 ? `★ ${n.toFixed(1)}` : "";
}

// One product card. `actions` = { addToCart(p), detail(p), open(p) }.
export function productCard(p, apiBase, actions) {
  const card = el("article", "card");
  card.dataset.productId = String(p.id ?? "");
  const src = safeUrl(p.image, apiBase);
  if (src) {
    const img = el("img", "card-image");
    img.src = src;
    img.alt = String(p.title ?? "");
    img.loading = "lazy";
    img.width = 240;
    img.height = 240;
    img.addEventListener("click", () => actions.open(p));
    card.appendChild(img);
  }
  const title = el("div", "card-title", p.title);
  title.addEventListener("click", () => actions.open(p));
  card.appendChild(title);
  const price = el("div", "card-price");
  price.appendChild(el("span", "price", yuan(p.price)));
  if (Number(p.list_price) > Number(p.price)) price.appendChild(el("s", "list-price", yuan(p.list_price)));
  card.appendChild(price);
  const meta = el("div", "card-meta");
  if (p.brand) meta.appendChild(el("span", "brand", p.brand));
  const rating = stars(p.rating);
  if (rating) meta.appendChild(el("span", "rating", rating));
  card.appendChild(meta);
  if (p.reason) card.appendChild(el("div", "card-reason", p.reason));
  const buttons = el("div", "card-actions");
  const add = el("button", "add-to-cart", "加入购物车");
  add.type = "button";
  add.addEventListener("click", () => actions.addToCart(p));
  const detail = el("button", "detail", "详情");
  detail.type = "button";
  detail.addEventListener("click", () => actions.detail(p));
  buttons.append(add, detail);
  card.appendChild(buttons);
  return card;
}

export function productList(products, apiBase, actions) {
  const item = el("li", "msg bot wide");
  const row = el("div", "cards");
  row.setAttribute("role", "list");
  for (const p of products) {
    if (!p || typeof p !== "object") continue;
    const card = productCard(p, apiBase, actions);
    card.setAttribute("role", "listitem");
    row.appendChild(card);
  }
  item.appendChild(row);
  return item;
}

// {"type": "comparison", "products": [cards], "rows": [{"label", "values"}]}
export function comparisonTable(payload, actions) {
  const item = el("li", "msg bot wide");
  const scroller = el("div", "comparison");
  const table = el("table");
  const products = Array.isArray(payload.products) ? payload.products : [];
  const head = el("thead");
  const headRow = el("tr");
  headRow.appendChild(el("th", "corner", "对比"));
  products.forEach((p, n) => {
    const th = el("th", "product", `${n + 1}. ${p?.title ?? ""}`);
    th.scope = "col";
    if (p?.id) th.addEventListener("click", () => actions.open(p));
    headRow.appendChild(th);
  });
  head.appendChild(headRow);
  const body = el("tbody");
  for (const row of Array.isArray(payload.rows) ? payload.rows : []) {
    const tr = el("tr");
    const th = el("th", "label", row?.label);
    th.scope = "row";
    tr.appendChild(th);
    const values = Array.isArray(row?.values) ? row.values : [];
    values.forEach((v) => tr.appendChild(el("td", "", v)));
    body.appendChild(tr);
  }
  table.append(head, body);
  scroller.appendChild(table);
  item.appendChild(scroller);
  return item;
}

export function image(src, apiBase) {
  const url = safeUrl(src, apiBase);
  if (!url) return null;
  const item = el("li", "msg bot");
  const img = el("img", "bot-image");
  img.src = url;
  img.alt = "";
  item.appendChild(img);
  return item;
}

export function typingIndicator() {
  const item = el("li", "msg bot typing");
  item.setAttribute("aria-label", "导购小助手正在输入");
  const dots = el("div", "bubble dots");
  dots.append(el("span"), el("span"), el("span"));
  item.appendChild(dots);
  return item;
}
