// What the API documents page shows of an OpenAPI 3.1 document, as plain data: no DOM here, so
// `node --test` checks it (openapi.test.js) and docs.js only turns it into elements.

const METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"];

// The value a local `$ref` ("#/components/schemas/User") points at, and its last segment as a
// name; null for a reference outside the document or to nothing.
export function lookup(document, ref) {
  if (typeof ref !== "string" || !ref.startsWith("#/")) return null;
  let node = document;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return null;
    node = node[key];
  }
  return { name: ref.slice(ref.lastIndexOf("/") + 1), value: node };
}

// Follows `$ref`s (parameters, responses, headers and request bodies may be references too)
// until a value that is not one; a loop of references ends as null.
export function deref(document, node) {
  const seen = new Set();
  while (node && typeof node === "object" && typeof node.$ref === "string") {
    if (seen.has(node.$ref)) return null;
    seen.add(node.$ref);
    node = lookup(document, node.$ref)?.value ?? null;
  }
  return node ?? null;
}

// A schema as a tree to print: its name when it came by reference, its type in words, its
// constraints, and its properties, items and alternatives, each described the same way. A schema
// met again inside itself (a tree of comments, say) is named and not opened again.
export function describe(document, schema, open = new Set()) {
  if (!schema || typeof schema !== "object") return { type: "any" };
  let name = null;
  if (typeof schema.$ref === "string") {
    name = lookup(document, schema.$ref)?.name ?? schema.$ref;
    if (open.has(schema.$ref)) return { name, type: "", recursive: true };
    const target = deref(document, schema);
    if (!target) return { name, type: "unresolved reference", unresolved: true };
    const inner = describe(document, target, new Set([...open, schema.$ref]));
    return { ...inner, name };
  }
  const node = { name, type: typeName(schema) };
  if (schema.description) node.description = String(schema.description);
  if (Array.isArray(schema.enum)) node.enum = schema.enum.map((value) => JSON.stringify(value));
  if (Object.hasOwn(schema, "const")) node.enum = [JSON.stringify(schema.const)];
  const constraints = CONSTRAINTS.filter((key) => Object.hasOwn(schema, key)).map((key) => `${key} ${JSON.stringify(schema[key])}`);
  if (Object.hasOwn(schema, "default")) constraints.push(`default ${JSON.stringify(schema.default)}`);
  if (constraints.length) node.constraints = constraints;
  if (schema.properties && typeof schema.properties === "object") {
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    node.properties = Object.entries(schema.properties).map(([key, value]) => ({
      name: key,
      required: required.has(key),
      schema: describe(document, value, open),
    }));
  }
  if (schema.items) node.items = describe(document, schema.items, open);
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    node.values = describe(document, schema.additionalProperties, open);
  }
  for (const kind of ["oneOf", "anyOf", "allOf"]) {
    if (Array.isArray(schema[kind])) {
      node.variants = { kind, schemas: schema[kind].map((each) => describe(document, each, open)) };
    }
  }
  return node;
}

const CONSTRAINTS = [
  "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "minItems", "maxItems", "uniqueItems", "format",
];

// "string", "integer or null", "array": the type as written, in words.
function typeName(schema) {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) {
    if (schema.properties) return "object";
    if (schema.oneOf) return "one of";
    if (schema.anyOf) return "any of";
    if (schema.allOf) return "all of";
    return "any";
  }
  return types.join(" or ");
}

// The document's operations, grouped by their first tag in the order the document lists its tags
// (then any other tags, then untagged ones as "other"). Each carries its path's parameters merged
// under its own (an operation's parameter replaces the path's of the same name and place), every
// parameter, body and response with its references followed, and the servers it is reached at.
export function groups(document) {
  const order = (document.tags ?? []).map((tag) => tag.name);
  const described = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description ?? ""]));
  const byTag = new Map(order.map((name) => [name, []]));
  for (const [path, rawItem] of Object.entries(document.paths ?? {})) {
    const item = deref(document, rawItem) ?? {};
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({
        method: method.toUpperCase(),
        path,
        id: operation.operationId ?? `${method} ${path}`,
        summary: operation.summary ?? "",
        description: operation.description ?? "",
        deprecated: operation.deprecated === true,
        secured: (operation.security ?? document.security ?? []).some((requirement) => Object.keys(requirement).length > 0),
        optionalAuth: (operation.security ?? document.security ?? []).some((requirement) => Object.keys(requirement).length === 0),
        servers: operation.servers ?? item.servers ?? document.servers ?? [{ url: "/" }],
        parameters: parameters(document, item.parameters, operation.parameters),
        requestBody: body(document, operation.requestBody),
        responses: Object.entries(operation.responses ?? {}).map(([status, raw]) => {
          const response = deref(document, raw) ?? {};
          return {
            status,
            description: response.description ?? "",
            headers: Object.entries(response.headers ?? {}).map(([name, header]) => {
              const resolved = deref(document, header) ?? {};
              return { name, description: resolved.description ?? "", schema: describe(document, resolved.schema) };
            }),
            content: contents(document, response.content),
          };
        }),
      });
    }
  }
  return [...byTag.entries()]
    .filter(([, operations]) => operations.length > 0)
    .map(([name, operations]) => ({ name, description: described.get(name) ?? "", operations }));
}

function parameters(document, shared = [], own = []) {
  const merged = new Map();
  for (const raw of [...shared, ...own]) {
    const parameter = deref(document, raw);
    if (!parameter) continue;
    merged.set(`${parameter.in} ${parameter.name}`, {
      name: parameter.name,
      in: parameter.in,
      required: parameter.required === true || parameter.in === "path",
      description: parameter.description ?? "",
      schema: describe(document, parameter.schema ?? parameter.content?.[Object.keys(parameter.content)[0]]?.schema),
    });
  }
  return [...merged.values()];
}

function body(document, raw) {
  const requestBody = deref(document, raw);
  if (!requestBody) return null;
  return { required: requestBody.required === true, description: requestBody.description ?? "", content: contents(document, requestBody.content) };
}

function contents(document, content = {}) {
  return Object.entries(content ?? {}).map(([mediaType, media]) => ({
    mediaType,
    schema: media?.schema ? describe(document, media.schema) : null,
  }));
}

// Where an operation is sent, for a reader: "/" and other relative servers are this site (nginx);
// variables are filled with their defaults.
export function serverURL(server) {
  let url = String(server?.url ?? "/");
  for (const [name, variable] of Object.entries(server?.variables ?? {})) {
    url = url.replaceAll(`{${name}}`, String(variable?.default ?? name));
  }
  return url;
}
