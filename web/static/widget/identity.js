// Who the shopper is, as the server says: POST /api/session with the shop's signed identity
// token (data-identity-token, minted by the shop's backend for its logged-in user) or with the
// anonymous session token this server issued earlier (kept in localStorage). The reply names
// the sender id and the token to send on every transport; the widget never picks an id itself.
const KEY = "daogou.session";

function stored() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

function store(token) {
  try { if (token) localStorage.setItem(KEY, token); else localStorage.removeItem(KEY); } catch { /* blocked */ }
}

async function ask(sessionUrl, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const reply = await fetch(sessionUrl, { method: "POST", headers });
  if (reply.status === 401) return null;
  if (!reply.ok) throw new Error(`session: HTTP ${reply.status}`);
  return reply.json();
}

// -> {sender, verified, token, notice?}
export async function startSession(sessionUrl, identityToken) {
  if (identityToken) {
    const user = await ask(sessionUrl, identityToken);
    if (user) return user;
  }
  const notice = identityToken ? "登录信息已过期，当前以游客身份咨询；刷新页面或重新登录后可查询订单。" : undefined;
  let anonymous = stored() ? await ask(sessionUrl, stored()) : null;
  if (!anonymous) anonymous = await ask(sessionUrl, null);
  store(anonymous.token);
  return { ...anonymous, notice };
}
