// Writing (/posts/new) and editing (/posts/:id/edit) a post: a title with its counter, the body,
// tags. Leaving with unsaved changes asks first.
import { h } from "../core/dom.js";
import { t, formatNumber } from "../core/i18n.js";
import { api } from "../core/api.js";
import { session } from "../core/auth.js";
import { navigate, addLeaveGuard } from "../core/router.js";
import { errorBox, setFieldError, clearFieldError } from "../core/errors.js";
import { field, loading, onSubmit, pageHeading, requireSignIn, setTitle } from "../ui/page.js";
import { countCharacters, parseTags } from "../ui/text.js";
import { toast } from "../ui/toast.js";
import { canManage, notFoundView } from "./post.js";

export const TITLE_MAX = 200;
export const BODY_MAX = 20000;
export const TAGS_MAX = 10;
export const TAG_MAX = 30;

/** The problems of a draft, by field: {title?, body?, tags?} (messages' keys). */
export function draftProblems({ title, body, tags }) {
  const problems = {};
  const titleLength = countCharacters(title);
  if (titleLength === 0) problems.title = "editor.titleRequired";
  else if (titleLength > TITLE_MAX) problems.title = "editor.titleTooLong";
  if ([...String(body).normalize("NFC")].length > BODY_MAX) problems.body = "editor.bodyTooLong";
  if (tags.length > TAGS_MAX) problems.tags = "editor.tooManyTags";
  else if (tags.some((tag) => [...tag].length > TAG_MAX)) problems.tags = "editor.tagTooLong";
  return problems;
}

function counter(input, max, count) {
  const output = h("span", { class: "counter" });
  const update = () => {
    const used = count(input.value);
    output.textContent = `${formatNumber(used)} / ${formatNumber(max)}`;
    output.classList.toggle("over", used > max);
  };
  input.addEventListener("input", update);
  update();
  return output;
}

async function renderEditor(params, query, container) {
  if (!requireSignIn(container)) return undefined;
  const editing = params.id !== undefined;
  let post = { title: "", body: "", tags: [] };
  if (editing) {
    container.replaceChildren(loading());
    try {
      post = await api("GET", `/api/posts/${encodeURIComponent(params.id)}`);
    } catch (error) {
      if (error.status === 404) notFoundView(container);
      else container.replaceChildren(h("h1", {}, t("error.title")), errorBox(error));
      return undefined;
    }
    if (!canManage(post, session.user)) {
      notFoundView(container, t("editor.notYours"));
      return undefined;
    }
  }
  const heading = editing ? t("editor.editTitle") : t("editor.newTitle");
  setTitle(heading);

  const titleField = field(t("field.title"), { name: "title", required: true, value: post.title, autocomplete: "off" });
  const bodyField = field(t("field.body"), { tag: "textarea", name: "body", rows: 12, value: post.body ?? "" });
  const tagsField = field(t("field.tags"), { name: "tags", value: post.tags.join(", "), autocomplete: "off" }, { hint: t("editor.tagsHint") });
  const titleCounter = counter(titleField.control, TITLE_MAX, countCharacters);
  titleCounter.id = "title-counter";
  titleField.append(h("p", { class: "hint counter-line" }, titleCounter));
  titleField.control.setAttribute("aria-describedby", "title-counter");
  bodyField.append(h("p", { class: "hint counter-line" }, counter(bodyField.control, BODY_MAX, (value) => [...value.normalize("NFC")].length)));
  const preview = h("div", { class: "hint", "aria-live": "polite" });
  const showTags = () => {
    const tags = parseTags(tagsField.control.value);
    preview.replaceChildren(tags.length ? h("ul", { class: "tags" }, tags.map((tag) => h("li", {}, h("span", { class: "badge" }, `#${tag}`)))) : "");
  };
  tagsField.control.addEventListener("input", showTags);
  tagsField.append(preview);
  showTags();

  let dirty = false;
  const form = h("form", { class: "form" }, titleField, bodyField, tagsField, h("div", { class: "form-error" }),
    h("div", { class: "actions" },
      h("a", { class: "button secondary", href: editing ? `/posts/${encodeURIComponent(post.id)}` : "/" }, t("action.cancel")),
      h("button", { type: "submit", class: "button" }, editing ? t("action.save") : t("editor.publish"))));
  form.addEventListener("input", () => { dirty = true; });
  const removeGuard = addLeaveGuard(() => (dirty ? t("editor.leaveConfirm") : null));

  onSubmit(form, async () => {
    const draft = { title: titleField.control.value.trim(), body: bodyField.control.value, tags: parseTags(tagsField.control.value) };
    const problems = draftProblems(draft);
    const inputs = { title: titleField.control, body: bodyField.control, tags: tagsField.control };
    for (const [name, input] of Object.entries(inputs)) {
      if (problems[name]) setFieldError(input, t(problems[name], { max: TAGS_MAX, length: TAG_MAX }));
      else clearFieldError(input);
    }
    const first = Object.keys(inputs).find((name) => problems[name]);
    if (first) {
      inputs[first].focus();
      return;
    }
    const saved = editing
      ? await api("PATCH", `/api/posts/${encodeURIComponent(post.id)}`, { json: draft })
      : await api("POST", "/api/posts", { json: draft });
    dirty = false;
    toast(editing ? t("editor.saved") : t("editor.published"));
    navigate(`/posts/${encodeURIComponent(saved.id)}`, { replace: true });
  });

  container.replaceChildren(pageHeading(heading), form);
  return removeGuard;
}

export function register(route) {
  route("/posts/new", renderEditor);
  route("/posts/:id/edit", renderEditor);
}
