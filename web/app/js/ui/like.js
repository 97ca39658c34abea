// The like button: changes at once (optimistic) and goes back when the server refuses.
import { h } from "../core/dom.js";
import { t, formatNumber } from "../core/i18n.js";
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { navigate } from "../core/router.js";
import { errorText } from "../core/errors.js";
import { toast } from "./toast.js";

/** The next state of a like after the reader presses it. */
export function toggledLike({ liked, count }) {
  return liked ? { liked: false, count: Math.max(0, count - 1) } : { liked: true, count: count + 1 };
}

/** A like button for a post ({id, likeCount, likedByMe}); keeps post.likeCount and likedByMe in step. */
export function likeButton(post) {
  let state = { liked: Boolean(post.likedByMe), count: Number(post.likeCount) || 0 };
  let pending = false;
  const icon = h("span", { class: "icon", "aria-hidden": "true" });
  const count = h("span", { class: "count" });
  const button = h("button", { type: "button", class: "like" }, icon, h("span", { class: "visually-hidden" }, t("post.like")), count);

  const show = () => {
    button.setAttribute("aria-pressed", String(state.liked));
    icon.textContent = state.liked ? "♥" : "♡";
    count.textContent = formatNumber(state.count);
    button.title = state.liked ? t("post.unlike") : t("post.like");
    post.likeCount = state.count;
    post.likedByMe = state.liked;
  };

  button.addEventListener("click", async () => {
    if (!session?.signedIn) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    if (pending) return;
    const before = state;
    state = toggledLike(state);
    pending = true;
    show();
    try {
      await api(state.liked ? "POST" : "DELETE", `/api/posts/${encodeURIComponent(post.id)}/like`);
    } catch (error) {
      state = before;
      show();
      toast(`${t("post.likeFailed")} ${errorText(error)}`, { kind: "error" });
    } finally {
      pending = false;
    }
  });
  show();
  return button;
}
