"""End-to-end checks of the HTTP conventions through nginx (docs/api.md, "HTTP conventions"): HEAD
wherever GET works, 415 for a body that is not JSON, CORS for the origins in CORS_ORIGINS only
(deploy/e2e sets E2E_CORS_ORIGIN as the one), and the API documents page at /api/docs with its
own content security policy, its module and the three documents it reads.
"""
import http.client
import json
import os
import re
import unittest
import urllib.parse

from auth_flows import URL

ORIGIN = os.environ.get("E2E_CORS_ORIGIN", "http://cors.e2e.example")
TARGET = urllib.parse.urlparse(URL)


def send(method, path, body=None, headers=None):
    """(status, headers as a lower-cased dict, body bytes) of one request through nginx."""
    connection = http.client.HTTPConnection(TARGET.hostname, TARGET.port, timeout=15)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


class HTTPConventions(unittest.TestCase):
    def test_head_answers_as_get_without_a_body(self):
        for path in ["/api/auth/jwks.json", "/api/posts?size=1", "/api/gpt/quota", "/openapi/content.json"]:
            status, headers, body = send("GET", path)
            head_status, head_headers, head_body = send("HEAD", path)
            self.assertEqual((head_status, head_body), (status, b""), path)
            self.assertEqual(head_headers.get("content-type"), headers.get("content-type"), path)
            self.assertEqual(head_headers.get("content-length"), str(len(body)), path)
        status, headers, body = send("HEAD", "/api/posts/999999999999")
        self.assertEqual((status, body), (404, b""))
        status, headers, body = send("HEAD", "/api/auth/login")
        self.assertEqual((status, headers.get("allow"), body), (405, "POST", b""))

    def test_a_json_route_refuses_a_body_that_is_not_json(self):
        login = json.dumps({"email": "nobody@example.com", "password": "not the password"})
        for content_type in ["application/x-www-form-urlencoded", "text/plain", None]:
            headers = {"Content-Type": content_type} if content_type else {}
            status, headers, body = send("POST", "/api/auth/login", login, headers)
            self.assertEqual(status, 415, content_type)
            self.assertEqual(json.loads(body)["error"]["code"], "unsupported_media_type")
        status, _, body = send("POST", "/api/auth/login", login, {"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 401, body)

    def test_cors_preflight_and_answers_for_the_allowed_origin_only(self):
        preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization, content-type"}
        for path, method in [("/api/posts", "POST"), ("/api/videos/uploads", "POST"), ("/api/gpt/qna", "POST")]:
            status, headers, body = send("OPTIONS", path, headers=preflight)
            self.assertEqual(status, 204, path)
            self.assertEqual(headers.get("access-control-allow-origin"), ORIGIN, path)
            self.assertEqual(headers.get("access-control-allow-credentials"), "true", path)
            self.assertIn(method, headers.get("access-control-allow-methods", ""), path)
            for name in ["Authorization", "Content-Type", "Tus-Resumable", "Upload-Offset"]:
                self.assertIn(name, headers.get("access-control-allow-headers", ""), path)
            self.assertIn("Origin", headers.get("vary", ""), path)
        status, headers, _ = send("GET", "/api/posts?size=1", headers={"Origin": ORIGIN})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("access-control-allow-origin"), ORIGIN)
        self.assertIn("X-Request-Id", headers.get("access-control-expose-headers", ""))
        # A foreign origin gets nothing its browser would accept.
        status, headers, _ = send("OPTIONS", "/api/posts", headers=dict(preflight, Origin="https://evil.example"))
        self.assertNotIn(status, (200, 204))
        self.assertFalse([name for name in headers if name.startswith("access-control-")], headers)
        # tus's own OPTIONS still answers as tus.
        status, headers, _ = send("OPTIONS", "/api/videos/uploads", headers={"Tus-Resumable": "1.0.0"})
        self.assertEqual(status, 204)
        self.assertIn("Tus-Version".lower(), headers)

    def test_the_api_documents_page_loads_with_its_policy(self):
        status, headers, page = send("GET", "/api/docs")
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("content-type", "").startswith("text/html"), headers)
        policy = headers.get("content-security-policy", "")
        for directive in ["script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"]:
            self.assertIn(directive, policy)
        self.assertEqual(headers.get("x-content-type-options"), "nosniff")
        self.assertEqual(headers.get("referrer-policy"), "no-referrer")
        self.assertIn("x-request-id", headers)
        page = page.decode()
        self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)", "an inline script, which the policy forbids")
        modules = re.findall(r'<script type="module" src="([^"]+)"', page)
        styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        self.assertEqual(len(modules), 1, page)
        status, headers, module = send("GET", modules[0])
        self.assertEqual(status, 200, modules[0])
        self.assertTrue(headers.get("content-type", "").startswith("text/javascript"), headers)
        # The module's own imports, resolved as a browser does, and its stylesheet.
        base = modules[0].rsplit("/", 1)[0]
        for imported in re.findall(r'^import .* from "\./([^"]+)";', module.decode(), re.M):
            status, headers, _ = send("GET", f"{base}/{imported}")
            self.assertEqual(status, 200, imported)
            self.assertTrue(headers.get("content-type", "").startswith("text/javascript"), headers)
        for style in styles:
            status, headers, _ = send("GET", style)
            self.assertEqual((status, headers.get("content-type", "").split(";")[0]), (200, "text/css"), style)
        # The documents it fetches: same origin, so the policy's connect-src 'self' lets them in.
        for service in ["auth", "content", "gpt"]:
            self.assertIn(f"/openapi/{service}.json", module.decode())
            status, headers, body = send("GET", f"/openapi/{service}.json")
            self.assertEqual(status, 200, service)
            self.assertEqual(json.loads(body)["servers"][0]["url"], "/")


if __name__ == "__main__":
    unittest.main()
