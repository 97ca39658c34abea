// The pages the mailed links open. Opening one uses nothing (a mail scanner may fetch it); the
// token is spent only when the person presses the button, by a POST to the API.

const page = document.querySelector("main").dataset.page;
const form = document.getElementById("mail-link-form");
const status = document.getElementById("mail-link-status");

// Kept in memory only: off the address bar, out of history and of any Referer.
const token = new URLSearchParams(location.search).get("token") ?? "";
history.replaceState(null, "", location.pathname);

const messages = {
  missing: "링크에 토큰이 없습니다. 메일의 링크를 다시 열어 주세요. (The link has no token.)",
  invalid: "링크가 올바르지 않거나, 이미 사용되었거나, 만료되었습니다. (The link is invalid, used or expired.)",
  password: "비밀번호는 UTF-8로 8–72바이트여야 합니다. (The password must be 8–72 bytes.)",
  verified: "인증되었습니다. 이 창을 닫아도 됩니다. (Your address is verified.)",
  reset: "비밀번호가 바뀌었습니다. 모든 기기에서 로그아웃되었습니다. (Password changed; every session has ended.)",
  failed: "요청이 실패했습니다. 잠시 후 다시 시도해 주세요. (The request failed; try again later.)",
};

function show(text) {
  status.textContent = text;
}

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false };
  }
  if (response.ok) return { ok: true };
  const error = await response.json().catch(() => null);
  const requestID = response.headers.get("X-Request-Id");
  return { ok: false, code: error?.error?.code, requestID, retryAfter: response.headers.get("Retry-After") };
}

function explain(result) {
  if (result.code === "invalid_token") return messages.invalid;
  if (result.code === "invalid_password") return messages.password;
  const wait = result.retryAfter ? ` (${result.retryAfter} s)` : "";
  return `${messages.failed}${wait} [${result.requestID ?? "-"}]`;
}

if (!token) {
  show(messages.missing);
  form.hidden = true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  let result;
  if (page === "verify-email") {
    result = await post("/api/auth/email/verify", { token });
  } else {
    const password = form.elements.newPassword.value;
    const bytes = new TextEncoder().encode(password).length;
    if (bytes < 8 || bytes > 72) {
      show(messages.password);
      button.disabled = false;
      return;
    }
    result = await post("/api/auth/password/reset", { token, newPassword: password });
  }
  if (result.ok) {
    form.hidden = true;
    show(page === "verify-email" ? messages.verified : messages.reset);
  } else {
    show(explain(result));
    button.disabled = result.code === "invalid_token";
  }
});
