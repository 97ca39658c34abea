// The API documents page: fetches each service's OpenAPI document through nginx and shows its
// operations. Every word from a document goes in as text (createElement, textContent), never as
// HTML, so a document cannot put markup or script on the page.
import { groups, serverURL } from "./openapi.js";

const SERVICES = [
  { key: "auth", title: "Auth", url: "/openapi/auth.json" },
  { key: "content", title: "Content", url: "/openapi/content.json" },
  { key: "gpt", title: "GPT", url: "/openapi/gpt.json" },
];

// An element with attributes and children; strings become text nodes.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function schemaTree(node) {
  if (!node) return el("span", { class: "muted" }, "no schema");
  const head = el("span", { class: "type" },
    node.name ? el("code", { class: "ref" }, node.name) : null,
    node.name && node.type ? " " : null,
    node.type);
  const details = [];
  if (node.recursive) details.push(el("span", { class: "muted" }, " (as above)"));
  if (node.enum) details.push(el("span", { class: "enum" }, " one of ", el("code", {}, node.enum.join(", "))));
  if (node.constraints) details.push(el("span", { class: "muted" }, ` (${node.constraints.join(", ")})`));
  if (node.description) details.push(el("div", { class: "description" }, node.description));
  const children = [];
  if (node.properties?.length) {
    children.push(el("ul", { class: "properties" }, node.properties.map((property) =>
      el("li", {},
        el("code", { class: "property" }, property.name),
        property.required ? el("span", { class: "required" }, " required") : null,
        ": ",
        schemaTree(property.schema)))));
  }
  if (node.items) children.push(el("div", { class: "nested" }, "items: ", schemaTree(node.items)));
  if (node.values) children.push(el("div", { class: "nested" }, "values: ", schemaTree(node.values)));
  if (node.variants) {
    children.push(el("div", { class: "nested" }, `${node.variants.kind}:`,
      el("ol", {}, node.variants.schemas.map((each) => el("li", {}, schemaTree(each))))));
  }
  return el("span", { class: "schema" }, head, details, children);
}

function parametersTable(parameters) {
  return el("table", {},
    el("thead", {}, el("tr", {}, ["name", "in", "type", "description"].map((title) => el("th", {}, title)))),
    el("tbody", {}, parameters.map((parameter) =>
      el("tr", {},
        el("td", {}, el("code", {}, parameter.name), parameter.required ? el("span", { class: "required" }, " required") : null),
        el("td", {}, parameter.in),
        el("td", {}, schemaTree(parameter.schema)),
        el("td", {}, parameter.description)))));
}

function contentList(content) {
  return el("ul", { class: "content" }, content.map((media) =>
    el("li", {}, el("code", {}, media.mediaType), media.schema ? [": ", schemaTree(media.schema)] : null)));
}

function operationView(operation, serviceKey) {
  const servers = operation.servers.map(serverURL);
  const elsewhere = servers.some((url) => url !== "/");
  const summary = el("summary", {},
    el("span", { class: `method ${operation.method.toLowerCase()}` }, operation.method),
    " ",
    el("code", { class: "path" }, operation.path),
    " ",
    el("span", { class: "summary" }, operation.summary),
    operation.deprecated ? el("span", { class: "muted" }, " (deprecated)") : null);
  return el("details", { class: "operation", id: `${serviceKey}-${operation.id}` },
    summary,
    el("div", { class: "body" },
      operation.description ? el("p", {}, operation.description) : null,
      el("p", { class: "muted" },
        operation.secured ? (operation.optionalAuth ? "Access token optional (Authorization: Bearer)." : "Needs an access token (Authorization: Bearer).") : "No token needed.",
        elsewhere ? ` Reached at ${servers.join(" or ")}, not through this site.` : null),
      operation.parameters.length ? [el("h5", {}, "Parameters"), parametersTable(operation.parameters)] : null,
      operation.requestBody ? [
        el("h5", {}, operation.requestBody.required ? "Request body (required)" : "Request body"),
        operation.requestBody.description ? el("p", {}, operation.requestBody.description) : null,
        contentList(operation.requestBody.content),
      ] : null,
      el("h5", {}, "Responses"),
      el("dl", { class: "responses" }, operation.responses.map((response) => [
        el("dt", { class: `status s${response.status[0]}` }, response.status),
        el("dd", {},
          response.description ? el("div", {}, response.description) : null,
          response.headers.length ? el("div", { class: "muted" }, "Headers: ", response.headers.map((header) => header.name).join(", ")) : null,
          response.content.length ? contentList(response.content) : null),
      ]))));
}

function serviceView(service, openapi) {
  const section = el("section", { id: service.key },
    el("h2", {}, openapi.info?.title ?? service.title, " ", el("span", { class: "muted" }, openapi.info?.version ?? "")),
    openapi.info?.description ? el("p", {}, openapi.info.description) : null,
    el("p", { class: "muted" }, "Document: ", el("a", { href: service.url }, service.url)));
  for (const group of groups(openapi)) {
    section.append(el("h3", {}, group.name), group.description ? el("p", { class: "muted" }, group.description) : "");
    for (const operation of group.operations) section.append(operationView(operation, service.key));
  }
  return section;
}

async function load(service) {
  const response = await fetch(service.url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${service.url} answered ${response.status}`);
  return response.json();
}

async function main() {
  const root = document.getElementById("services");
  const status = document.getElementById("status");
  const results = await Promise.allSettled(SERVICES.map(load));
  root.replaceChildren();
  const failures = [];
  results.forEach((result, index) => {
    const service = SERVICES[index];
    if (result.status === "fulfilled") {
      root.append(serviceView(service, result.value));
    } else {
      failures.push(`${service.title}: ${result.reason?.message ?? result.reason}`);
      root.append(el("section", { id: service.key }, el("h2", {}, service.title), el("p", { class: "error" }, `Could not load ${service.url}.`)));
    }
  });
  status.textContent = failures.length ? `Some documents did not load (${failures.join("; ")}).` : "";
  status.className = failures.length ? "error" : "";
}

main().catch((error) => {
  const status = document.getElementById("status");
  status.textContent = `The documents could not be shown: ${error.message}`;
  status.className = "error";
});
