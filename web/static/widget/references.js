// Which message makes the assistant act on a given card. The action server resolves
// "第N个" against the slot `shown_products` (the last products list: search, refinement,
// recommendations, bundles, the cart) and "这款" against `focus_product` (set by a product
// detail, whose reply is "【title】…" followed by a one-card products payload); see
// actions/context.py `positions()` / `referenced()`. This class follows the same replies
// so that a card's buttons send a reference the assistant resolves to that very product,
// and are disabled when no such reference exists any more (a card from an older list).
const CN = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
const ordinal = (n) => `第${CN[n] || n}个`;

export class References {
  constructor() {
    this.shown = [];
    this.focus = null;
    this.lastText = "";
  }

  observe(message) {
    if (message.text) this.lastText = message.text;
    const custom = message.custom;
    if (!custom || custom.type !== "products" || !Array.isArray(custom.products)) return;
    const ids = custom.products.map((p) => p && p.id).filter(Boolean);
    const only = custom.products.length === 1 ? custom.products[0] : null;
    if (only && typeof only.title === "string" && this.lastText.startsWith(`【${only.title}】`)) {
      this.focus = only.id; // a product detail: the list stays, "这款" is this product
      return;
    }
    this.shown = ids;
    this.focus = ids.length === 1 ? ids[0] : null;
  }

  reference(id) {
    const index = this.shown.indexOf(id);
    if (index >= 0) return { kind: "ordinal", words: ordinal(index + 1) };
    if (id && id === this.focus) return { kind: "focus", words: "这款" };
    return null;
  }

  addToCart(id) {
    const ref = this.reference(id);
    if (!ref) return null;
    return ref.kind === "ordinal" ? `${ref.words}加入购物车` : "这个加入购物车";
  }

  detail(id) {
    const ref = this.reference(id);
    if (!ref) return null;
    return ref.kind === "ordinal" ? `${ref.words}详细介绍一下` : "详细介绍一下这款";
  }
}
