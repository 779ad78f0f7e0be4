// Shared console behaviour: buttons with data-delete call that JSON API with the page's CSRF
// token and remove their table row; errors are shown in #annotation-error (or an alert).
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

function showError(message) {
  const box = document.getElementById("annotation-error");
  if (!box) return window.alert(message);
  box.textContent = message;
  box.hidden = false;
}

for (const button of document.querySelectorAll("button[data-delete]")) {
  button.addEventListener("click", async () => {
    if (!window.confirm("确定删除这条标注吗？已导出的例句需在训练文件里另行删除。")) return;
    button.disabled = true;
    try {
      const reply = await fetch(button.dataset.delete, { method: "DELETE", headers: { "X-CSRF-Token": csrf } });
      const data = await reply.json().catch(() => ({}));
      if (!reply.ok) throw new Error(typeof data.detail === "string" ? data.detail : "删除失败");
      button.closest("tr")?.remove();
    } catch (exc) {
      button.disabled = false;
      showError(exc.message);
    }
  });
}
