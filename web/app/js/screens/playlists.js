// The playlist screens: everyone's public playlists, mine (with the form to create one), a
// playlist's page (reorder by drag and drop or by the Up/Down buttons, remove, share, edit,
// delete) and renderUserPlaylists() for a profile page.
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { h, announce, replace } from "../core/dom.js";
import { formatDate } from "../core/i18n.js";
import { errorBox, errorText } from "../core/errors.js";
import { navigate } from "../core/router.js";
import { confirmDialog } from "../ui/dialog.js";
import { toast } from "../ui/toast.js";
import { pageHeading, loading, emptyState, setTitle, requireSignIn, field, onSubmit } from "../ui/page.js";
import { pagedList } from "../video/paging.js";
import { thumbnail, visibilityBadge, visibilityChoice } from "../video/components.js";
import { formatDuration } from "../video/format.js";
import { drop, removeItem, sameOrder, step } from "../playlists/order.js";
import { tr } from "../playlists/strings.js";
import { addProfileSection } from "./profile.js";

export function register(route) {
  // A person's page lists their playlists too.
  addProfileSection(({ userId, container }) => {
    container.append(h("h2", { id: "profile-playlists-heading" }, tr("playlists.title")));
    return renderUserPlaylists(userId, container);
  });
  route("/playlists/mine", myPlaylistsScreen);
  route("/playlists/:id", playlistScreen);
  route("/playlists", publicPlaylistsScreen);
}

function playlistCard(playlist, { showVisibility = false } = {}) {
  return h("li", { class: "playlist-card card" },
    h("h3", { class: "playlist-title" }, h("a", { href: `/playlists/${encodeURIComponent(playlist.id)}` }, playlist.title)),
    playlist.description ? h("p", { class: "excerpt" }, playlist.description.length > 140 ? `${playlist.description.slice(0, 140)}…` : playlist.description) : null,
    h("p", { class: "meta" },
      showVisibility ? [visibilityBadge(playlist.visibility), " "] : null,
      tr("playlists.items", { count: playlist.itemCount ?? 0 }), " · ",
      h("time", { datetime: playlist.updatedAt }, tr("playlists.updated", { date: formatDate(playlist.updatedAt, { dateStyle: "medium" }) }))));
}

/** A user's playlists (public ones; all of them when it is the reader), for a profile page. Returns a cleanup. */
export function renderUserPlaylists(userId, container) {
  const mine = session?.user?.id === userId;
  const list = pagedList({
    load: (cursor, signal) => api("GET", `/api/users/${encodeURIComponent(userId)}/playlists`, { query: { cursor, size: 20 }, signal }),
    item: (playlist) => playlistCard(playlist, { showVisibility: mine }),
    emptyText: tr("playlists.user.empty"),
    listClass: "playlist-list stack plain-list",
    label: tr("playlists.ofUser"),
  });
  container.append(list.element);
  return list.stop;
}

function publicPlaylistsScreen(params, query, container) {
  setTitle(tr("playlists.title"));
  const list = pagedList({
    load: (cursor, signal) => api("GET", "/api/playlists", { query: { cursor, size: 20 }, signal }),
    item: (playlist) => playlistCard(playlist),
    emptyText: tr("playlists.empty"),
    listClass: "playlist-list stack plain-list",
    label: tr("playlists.public"),
  });
  replace(container,
    pageHeading(tr("playlists.public"), session?.signedIn ? h("a", { class: "button small", href: "/playlists/mine" }, tr("playlists.mine")) : null),
    list.element);
  return list.stop;
}

function myPlaylistsScreen(params, query, container) {
  setTitle(tr("playlists.mine"));
  if (!requireSignIn(container)) return undefined;
  const list = pagedList({
    load: (cursor, signal) => api("GET", "/api/users/me/playlists", { query: { cursor, size: 20 }, signal }),
    item: (playlist) => playlistCard(playlist, { showVisibility: true }),
    emptyText: tr("playlists.mine.empty"),
    listClass: "playlist-list stack plain-list",
    label: tr("playlists.mine"),
  });
  const title = field(tr("playlists.field.title"), { name: "title", required: true, maxlength: 200, autocomplete: "off" });
  const description = field(tr("playlists.field.description"), { tag: "textarea", name: "description", rows: 2, maxlength: 2000 });
  const form = h("form", { class: "form card create-playlist" },
    h("h2", {}, tr("playlists.create")),
    title, description,
    visibilityChoice("visibility", "private", { legend: tr("playlists.visibility"), text: tr }),
    h("div", { class: "form-error" }),
    h("button", { type: "submit", class: "button" }, tr("playlists.create.button")));
  onSubmit(form, async () => {
    const created = await api("POST", "/api/playlists", {
      json: { title: title.control.value.trim(), description: description.control.value, visibility: form.elements.namedItem("visibility").value },
    });
    toast(tr("playlists.created"), { kind: "success" });
    navigate(`/playlists/${encodeURIComponent(created.id)}`);
  });
  replace(container, pageHeading(tr("playlists.mine")), form, h("section", { class: "section" }, h("h2", {}, tr("playlists.mine")), list.element));
  return list.stop;
}

// A playlist's page ---------------------------------------------------------------------------------

async function playlistScreen(params, query, container) {
  const controller = new AbortController();
  replace(container, loading());
  let playlist;
  try {
    playlist = await api("GET", `/api/playlists/${encodeURIComponent(params.id)}`, { signal: controller.signal });
  } catch (error) {
    if (error?.name === "AbortError") return undefined;
    setTitle(tr("playlists.title"));
    replace(container, pageHeading(tr("playlists.title")),
      error?.status === 404 ? emptyState(tr("playlists.notFound"), h("a", { class: "button", href: "/playlists" }, tr("playlists.public"))) : errorBox(error));
    return undefined;
  }
  drawPlaylist(playlist, container);
  return () => controller.abort();
}

function drawPlaylist(playlist, container) {
  setTitle(playlist.title);
  const mine = session?.user?.id === playlist.ownerId;
  const count = h("span", {}, tr("playlists.items", { count: playlist.itemCount ?? playlist.items.length }));
  const items = itemList(playlist, mine, (n) => { count.textContent = tr("playlists.items", { count: n }); });
  replace(container,
    pageHeading(playlist.title),
    h("p", { class: "meta" }, visibilityBadge(playlist.visibility), " ", count, " · ",
      tr("playlists.updated", { date: formatDate(playlist.updatedAt, { dateStyle: "medium" }) })),
    playlist.description ? h("p", { class: "playlist-description" }, playlist.description) : null,
    shareBox(playlist),
    items,
    mine ? ownerTools(playlist, container) : null);
}

function shareBox(playlist) {
  const url = `${location.origin}/playlists/${encodeURIComponent(playlist.id)}`;
  const fallback = h("div", { class: "share-fallback", hidden: true });
  const button = h("button", { type: "button", class: "button secondary small" }, tr("playlists.share"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      toast(tr("playlists.copied"), { kind: "success" });
    } catch {
      const input = h("input", { type: "text", readonly: true, value: url, id: "share-url" });
      replace(fallback, h("p", { role: "status" }, tr("playlists.copyFailed")), h("label", { for: "share-url", class: "visually-hidden" }, tr("playlists.shareLink")), input);
      fallback.hidden = false;
      input.focus();
      input.select();
    }
  });
  return h("div", { class: "share" }, button,
    playlist.visibility === "private" ? h("p", { class: "hint" }, tr("playlists.privateShare")) : null,
    fallback);
}

// The items, in order; the owner moves them by drag and drop or with Up/Down, and removes them.
function itemList(playlist, editable, onCount = () => {}) {
  let items = playlist.items.slice();
  let queue = Promise.resolve();
  let dragFrom = -1;
  const list = h("ol", { class: ["playlist-items", editable ? "editable" : null] });
  const wrapper = h("section", { class: "section", "aria-label": tr("playlists.title") },
    editable && items.length > 1 ? h("p", { class: "hint", id: "reorder-hint" }, tr("playlists.dragHint")) : null,
    list);

  function title(item) {
    return item.video?.title ?? tr("playlists.unavailable");
  }

  function draw(focus = null) {
    onCount(items.length);
    if (items.length === 0) {
      list.replaceChildren();
      wrapper.querySelector(".empty")?.remove();
      wrapper.append(emptyState(tr("playlists.noItems")));
      return;
    }
    replace(list, ...items.map((item, index) => row(item, index)));
    if (focus) {
      const target = list.querySelector(`[data-item="${CSS.escape(focus.itemId)}"] [data-action="${focus.action}"]`);
      const other = list.querySelector(`[data-item="${CSS.escape(focus.itemId)}"] [data-action="${focus.action === "up" ? "down" : "up"}"]`);
      (target && !target.disabled ? target : other)?.focus();
    }
  }

  function row(item, index) {
    const video = item.video ?? {};
    const watchable = video.status === "ready";
    const label = title(item);
    const li = h("li", { class: "playlist-item card", dataset: { item: item.id } },
      h("span", { class: "position", "aria-hidden": "true" }, String(index + 1)),
      editable ? h("span", { class: "drag-handle", "aria-hidden": "true", title: tr("playlists.drag.label", { title: label }) }, "⠿") : null,
      watchable
        ? h("a", { href: `/videos/${encodeURIComponent(video.id)}`, class: "item-link" }, thumbnail(video), h("span", { class: "video-title" }, label))
        : h("span", { class: "item-link" }, thumbnail(video), h("span", { class: "video-title" }, label)),
      video.durationSeconds ? h("span", { class: "meta" }, formatDuration(video.durationSeconds)) : null,
      editable ? h("div", { class: "item-actions" },
        h("button", { type: "button", class: "button secondary small", dataset: { action: "up" }, disabled: index === 0, "aria-label": tr("playlists.moveUp.label", { title: label }), onclick: () => move(item.id, -1, "up") }, "↑ ", tr("playlists.moveUp")),
        h("button", { type: "button", class: "button secondary small", dataset: { action: "down" }, disabled: index === items.length - 1, "aria-label": tr("playlists.moveDown.label", { title: label }), onclick: () => move(item.id, +1, "down") }, "↓ ", tr("playlists.moveDown")),
        h("button", { type: "button", class: "button danger small", dataset: { action: "remove" }, "aria-label": tr("playlists.remove.label", { title: label }), onclick: () => remove(item) }, tr("playlists.remove"))) : null);
    if (editable) {
      li.draggable = true;
      li.addEventListener("dragstart", (event) => {
        dragFrom = index;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.id);
        li.classList.add("dragging");
      });
      li.addEventListener("dragend", () => {
        dragFrom = -1;
        for (const one of list.children) one.classList.remove("dragging", "drop-before", "drop-after");
      });
      li.addEventListener("dragover", (event) => {
        if (dragFrom < 0) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        const rect = li.getBoundingClientRect();
        const after = event.clientY > rect.top + rect.height / 2;
        for (const one of list.children) one.classList.remove("drop-before", "drop-after");
        li.classList.add(after ? "drop-after" : "drop-before");
      });
      li.addEventListener("drop", (event) => {
        if (dragFrom < 0) return;
        event.preventDefault();
        const rect = li.getBoundingClientRect();
        const result = drop(items, dragFrom, index, event.clientY > rect.top + rect.height / 2);
        dragFrom = -1;
        if (result) commit(result, null);
        else draw();
      });
    }
    return li;
  }

  function move(itemId, delta, action) {
    const result = step(items, itemId, delta);
    if (result) commit(result, { itemId, action });
  }

  // Shows the move at once, then sends it; moves go to the server one after another, in order.
  function commit(result, focus) {
    items = result.items;
    draw(focus);
    const moved = items.find((item) => item.id === result.itemId);
    announce(tr("playlists.moved", { title: title(moved), position: result.position, count: items.length }));
    queue = queue.then(async () => {
      try {
        const updated = await api("PATCH", `/api/playlists/${encodeURIComponent(playlist.id)}/items/${encodeURIComponent(result.itemId)}`, { json: { position: result.position } });
        if (!sameOrder(updated.items, items)) {
          items = updated.items;
          draw();
        }
      } catch (error) {
        await resync(tr("playlists.moveFailed"), error);
      }
    });
  }

  async function remove(item) {
    const before = items;
    const index = items.indexOf(item);
    items = removeItem(items, item.id);
    draw();
    // Focus stays in the list: on the item that took this one's place, or the one before it.
    const next = items[Math.min(index, items.length - 1)];
    if (next) list.querySelector(`[data-item="${CSS.escape(next.id)}"] [data-action="remove"]`)?.focus();
    announce(tr("playlists.removed", { title: title(item) }));
    queue = queue.then(async () => {
      try {
        await api("DELETE", `/api/playlists/${encodeURIComponent(playlist.id)}/items/${encodeURIComponent(item.id)}`);
      } catch (error) {
        if (error?.status === 404) return; // already gone
        items = before;
        await resync(errorText(error), error);
      }
    });
  }

  // After a refused change: the server's order is the truth.
  async function resync(message) {
    toast(message, { kind: "error" });
    announce(message);
    try {
      const fresh = await api("GET", `/api/playlists/${encodeURIComponent(playlist.id)}`);
      items = fresh.items;
    } catch {
      // keep what we have
    }
    draw();
  }

  draw();
  return wrapper;
}

function ownerTools(playlist, container) {
  const editArea = h("div", {});
  const edit = h("button", { type: "button", class: "button secondary small", "aria-expanded": "false" }, tr("playlists.edit"));
  const remove = h("button", { type: "button", class: "button danger small" }, tr("playlists.delete"));
  edit.addEventListener("click", () => {
    if (editArea.firstChild) {
      editArea.replaceChildren();
      edit.setAttribute("aria-expanded", "false");
      return;
    }
    edit.setAttribute("aria-expanded", "true");
    const title = field(tr("playlists.field.title"), { name: "title", value: playlist.title, required: true, maxlength: 200, autocomplete: "off" });
    const description = field(tr("playlists.field.description"), { tag: "textarea", name: "description", rows: 3, maxlength: 2000 });
    description.control.value = playlist.description ?? "";
    const form = h("form", { class: "form" }, title, description,
      visibilityChoice("visibility", playlist.visibility, { legend: tr("playlists.visibility"), text: tr }),
      h("div", { class: "form-error" }),
      h("button", { type: "submit", class: "button" }, tr("playlists.save")));
    onSubmit(form, async () => {
      const saved = await api("PATCH", `/api/playlists/${encodeURIComponent(playlist.id)}`, {
        json: { title: title.control.value.trim(), description: description.control.value, visibility: form.elements.namedItem("visibility").value },
      });
      toast(tr("playlists.saved"), { kind: "success" });
      const fresh = await api("GET", `/api/playlists/${encodeURIComponent(playlist.id)}`).catch(() => ({ ...playlist, ...saved }));
      drawPlaylist(fresh, container);
    });
    replace(editArea, form);
    title.control.focus();
  });
  remove.addEventListener("click", async () => {
    const ok = await confirmDialog({ title: tr("playlists.delete.title"), message: tr("playlists.delete.message", { title: playlist.title }), confirmLabel: tr("playlists.delete"), danger: true });
    if (!ok) return;
    try {
      await api("DELETE", `/api/playlists/${encodeURIComponent(playlist.id)}`);
      toast(tr("playlists.deleted"), { kind: "success" });
      navigate("/playlists/mine", { replace: true });
    } catch (error) {
      toast(errorText(error), { kind: "error" });
    }
  });
  return h("section", { class: "section owner-tools", "aria-label": tr("playlists.edit") }, h("div", { class: "actions" }, edit, remove), editArea);
}
