// Placeholder for the ask screen: shows a heading and a note until the screen is built.
import { t } from "../core/i18n.js";
import { emptyState, pageHeading, setTitle } from "../ui/page.js";

export function register(route) {
  route("/ask", (params, query, container) => {
    setTitle(t("nav.ask"));
    container.replaceChildren(pageHeading(t("nav.ask")), emptyState(t("state.comingSoon")));
  });
}
