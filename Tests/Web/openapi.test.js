// The API documents page's reading of OpenAPI (web/api-docs/openapi.js), against small documents
// and against the three services' own: every reference resolves and every operation is shown.
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { deref, describe, groups, lookup, serverURL } from "../../web/api-docs/openapi.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("lookup follows a local JSON pointer, with its escapes, and nothing else", () => {
  const document = { components: { schemas: { "a/b": { type: "string" }, "c~d": { type: "integer" } } } };
  assert.deepEqual(lookup(document, "#/components/schemas/a~1b"), { name: "a~1b", value: { type: "string" } });
  assert.equal(lookup(document, "#/components/schemas/c~0d").value.type, "integer");
  assert.equal(lookup(document, "#/components/schemas/missing"), null);
  assert.equal(lookup(document, "other.json#/components/schemas/x"), null);
  assert.equal(lookup(document, "#/components/schemas/a~1b/type/length"), null);
});

test("deref follows chains of references and ends a loop", () => {
  const document = { components: { responses: { A: { $ref: "#/components/responses/B" }, B: { description: "b" },
    Loop: { $ref: "#/components/responses/Loop" } } } };
  assert.deepEqual(deref(document, { $ref: "#/components/responses/A" }), { description: "b" });
  assert.equal(deref(document, { $ref: "#/components/responses/Loop" }), null);
});

test("describe names references, lists properties and stops at a schema inside itself", () => {
  const document = { components: { schemas: {
    Comment: { type: "object", required: ["text"], properties: {
      text: { type: "string", maxLength: 200 },
      replies: { type: "array", items: { $ref: "#/components/schemas/Comment" } },
      state: { type: ["string", "null"], enum: ["open", null] },
    } },
  } } };
  const tree = describe(document, { $ref: "#/components/schemas/Comment" });
  assert.equal(tree.name, "Comment");
  assert.equal(tree.type, "object");
  const [text, replies, state] = tree.properties;
  assert.deepEqual([text.name, text.required, text.schema.type, text.schema.constraints], ["text", true, "string", ["maxLength 200"]]);
  assert.equal(replies.required, false);
  assert.deepEqual(replies.schema.items, { name: "Comment", type: "", recursive: true });
  assert.equal(state.schema.type, "string or null");
  assert.deepEqual(state.schema.enum, ['"open"', "null"]);
  assert.equal(describe(document, { $ref: "#/components/schemas/Nope" }).unresolved, true);
});

test("groups orders operations by tag and merges path parameters under the operation's", () => {
  const document = {
    tags: [{ name: "b", description: "second" }, { name: "a" }],
    components: { parameters: { Id: { name: "id", in: "path", schema: { type: "string" } } } },
    paths: {
      "/x/{id}": {
        parameters: [{ $ref: "#/components/parameters/Id" }, { name: "q", in: "query", description: "path's" }],
        get: { tags: ["a"], parameters: [{ name: "q", in: "query", description: "own" }], responses: { 200: { description: "ok" } } },
      },
      "/y": { post: { tags: ["b"], security: [{}, { bearer: [] }], responses: {} }, delete: { responses: {} } },
    },
  };
  const result = groups(document);
  assert.deepEqual(result.map((group) => group.name), ["b", "a", "other"]);
  const get = result[1].operations[0];
  assert.deepEqual(get.parameters.map((p) => [p.name, p.in, p.required, p.description]), [["id", "path", true, ""], ["q", "query", false, "own"]]);
  assert.equal(result[0].operations[0].optionalAuth, true);
  assert.equal(result[0].operations[0].secured, true);
  assert.equal(result[2].operations[0].secured, false);
});

test("serverURL fills variables with their defaults", () => {
  assert.equal(serverURL({ url: "/" }), "/");
  assert.equal(serverURL({ url: "http://{host}:{port}", variables: { host: { default: "127.0.0.1" }, port: { default: "8081" } } }), "http://127.0.0.1:8081");
});

// Every schema node of a tree, depth first.
function* nodes(tree) {
  if (!tree) return;
  yield tree;
  for (const property of tree.properties ?? []) yield* nodes(property.schema);
  yield* nodes(tree.items);
  yield* nodes(tree.values);
  for (const each of tree.variants?.schemas ?? []) yield* nodes(each);
}

for (const service of ["AuthService", "ContentService", "GPTService"]) {
  test(`${service}'s document: every operation shown, every reference resolved`, () => {
    const document = JSON.parse(readFileSync(`${root}/Sources/${service}/openapi.json`, "utf8"));
    const shown = groups(document).flatMap((group) => group.operations);
    const documented = Object.values(document.paths).flatMap((item) =>
      Object.keys(item).filter((key) => ["get", "head", "post", "put", "patch", "delete", "options"].includes(key)));
    assert.equal(shown.length, documented.length);
    for (const operation of shown) {
      const trees = [
        ...operation.parameters.map((p) => p.schema),
        ...(operation.requestBody?.content ?? []).map((media) => media.schema),
        ...operation.responses.flatMap((response) => [...response.content.map((media) => media.schema), ...response.headers.map((h) => h.schema)]),
      ];
      for (const tree of trees) {
        for (const node of nodes(tree)) assert.notEqual(node.unresolved, true, `${operation.method} ${operation.path}: ${node.name}`);
      }
      assert.ok(operation.responses.length > 0, `${operation.method} ${operation.path} has no responses`);
    }
    // The probes are on the service's own port, everything else through nginx.
    for (const operation of shown) {
      const throughNginx = operation.servers.map(serverURL).includes("/");
      assert.equal(throughNginx, !["/healthz", "/readyz", "/metrics", "/openapi.json"].includes(operation.path), operation.path);
    }
  });
}
