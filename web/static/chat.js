// Kept for pages that still load /static/chat.js: it now just mounts the widget.
import "./widget/daogou.js";
