// "Add to a playlist" on a video's page: a choice of my playlists and a button.
import { api } from "../core/api.js";
import { h, uid, replace } from "../core/dom.js";
import { errorText } from "../core/errors.js";
import { setBusy } from "../ui/page.js";
import { tr } from "./strings.js";

const MESSAGES = {
  already_in_playlist: "playlists.add.already",
  playlist_full: "playlists.add.full",
  unknown_video: "playlists.add.unknown",
};

export function addToPlaylistControl(video) {
  const selectId = uid("add-playlist");
  const status = h("p", { class: "add-status", role: "status" });
  const body = h("div", { class: "add-body" }, h("span", { class: "spinner", "aria-hidden": "true" }));
  const section = h("section", { class: "section add-to-playlist", "aria-labelledby": `${selectId}-heading` },
    h("h2", { id: `${selectId}-heading` }, tr("playlists.add.title")), body, status);

  api("GET", "/api/users/me/playlists", { query: { size: 100 } }).then((page) => {
    const playlists = page.items ?? [];
    if (playlists.length === 0) {
      replace(body, h("p", {}, tr("playlists.add.none"), " ", h("a", { href: "/playlists/mine" }, tr("playlists.add.new"))));
      return;
    }
    const select = h("select", { id: selectId, name: "playlist" },
      playlists.map((playlist) => h("option", { value: playlist.id }, `${playlist.title} (${tr(`videos.visibility.${playlist.visibility}`)})`)));
    const button = h("button", { type: "submit", class: "button small" }, tr("playlists.add.button"));
    const form = h("form", { class: "inline-form add-form" },
      h("label", { for: selectId }, tr("playlists.add.choose")), select, button,
      h("a", { href: "/playlists/mine", class: "small-link" }, tr("playlists.add.new")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const playlist = playlists.find((one) => one.id === select.value);
      if (!playlist) return;
      setBusy(button, true);
      status.textContent = "";
      status.className = "add-status";
      try {
        await api("POST", `/api/playlists/${encodeURIComponent(playlist.id)}/items`, { json: { videoId: video.id } });
        status.classList.add("ok");
        replace(status, tr("playlists.add.done", { playlist: playlist.title }), " ",
          h("a", { href: `/playlists/${encodeURIComponent(playlist.id)}` }, playlist.title));
      } catch (error) {
        status.classList.add("bad");
        status.textContent = MESSAGES[error?.code] ? tr(MESSAGES[error.code]) : errorText(error);
      } finally {
        setBusy(button, false);
      }
    });
    replace(body, form);
  }).catch((error) => {
    replace(body, h("p", { class: "notice error" }, errorText(error)));
  });
  return section;
}
