"""End-to-end checks of the public API documents: each service serves the OpenAPI document it was
built with (nginx: /openapi/<service>.json), and schemathesis, driven by that document, sends a
bounded number of generated requests through nginx, valid and invalid, as an anonymous caller and
as a signed-in user. No answer may be a 500, and every answer must be one the document describes
(status, content type and body schema); a method the document does not list for a path is a
405 with `Allow`. That services refuse to start when their router and their
document disagree is checked in the Swift suite (APIDocumentTests, and every test that starts one).

E2E_FUZZ_EXAMPLES (default 25) bounds the examples per operation; E2E_FUZZ_SEED (fixed by default,
so a failure reproduces) picks them. `deploy/dev fuzz` runs this module with 1,000 and prints
schemathesis's summaries (E2E_FUZZ_REPORT).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from auth_flows import URL, call, create_admin, new_email

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCUMENTS = {"auth": "AuthService", "content": "ContentService", "gpt": "GPTService"}
EXAMPLES = os.environ.get("E2E_FUZZ_EXAMPLES", "25")
SEED = os.environ.get("E2E_FUZZ_SEED", "20261203")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method"
# Operations the fuzzer leaves alone, each for a reason: logging out everywhere would end the
# token the rest of the run uses; a tus chunk is raw bytes, which schemathesis cannot generate.
SKIPPED = ["logoutAll", "appendUpload"]


def schemathesis():
    found = shutil.which("schemathesis") or shutil.which("st")
    if found:
        return [found]
    return [sys.executable, "-m", "schemathesis.cli"]


def served(service):
    with urllib.request.urlopen(f"{URL}/openapi/{service}.json", timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), json.load(response)


class APIDocuments(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The signed-in caller is an operator's account made by the CLI: it reaches every route,
        # the admin ones too, and needs no sign-up (the earlier modules have used up this
        # address's sign-up limit).
        address = new_email()
        create_admin(address, "fuzzer password")
        for _ in range(5):
            status, headers, session = call("POST", "/api/auth/login", {"email": address, "password": "fuzzer password"})
            if status != 429:
                break
            time.sleep(min(int(headers.get("Retry-After", "1")), 10))  # nginx's per-address limit
        assert status == 200, (status, session)
        cls.token = session["accessToken"]

    def test_each_service_serves_the_document_it_was_built_with(self):
        for service, target in DOCUMENTS.items():
            status, content_type, document = served(service)
            self.assertEqual(status, 200, service)
            self.assertTrue(content_type.startswith("application/json"), content_type)
            with open(os.path.join(ROOT, "Sources", target, "openapi.json")) as f:
                self.assertEqual(document, json.load(f), service)
            self.assertEqual(document["openapi"], "3.1.0")

    def fuzz(self, service, token=None):
        # One worker: CPython 3.11's parser is not safe in threads, and schemathesis's workers
        # are threads (a run with two sometimes dies in hypothesis with a SystemError).
        with tempfile.TemporaryDirectory() as reports:
            command = schemathesis() + [
                "run", f"{URL}/openapi/{service}.json", "--url", URL, "--checks", CHECKS,
                "--max-examples", EXAMPLES, "--seed", SEED, "--phases", "examples,coverage,fuzzing",
                "--workers", "1", "--request-timeout", "20", "--no-color", "--report-dir", reports,
                "--generation-database", "none", "--warnings", "off",
            ]
            # The probes answer on each service's own port, not through nginx.
            command += ["--exclude-tag", "probes"]
            for operation in SKIPPED:
                command += ["--exclude-operation-id", operation]
            if token:
                command += ["--header", f"Authorization: Bearer {token}"]
            done = subprocess.run(command, capture_output=True, text=True, cwd=reports, timeout=600 + 3 * int(EXAMPLES))
        summary = done.stdout[-6000:] + done.stderr[-2000:]
        if os.environ.get("E2E_FUZZ_REPORT"):
            # The long run's counts (`deploy/dev fuzz`): schemathesis's closing summary.
            print(f"\n--- schemathesis, {service}, {'signed in' if token else 'anonymous'} ---\n" + done.stdout[-1500:], file=sys.stderr)
        self.assertEqual(done.returncode, 0, f"schemathesis found answers outside the {service} document:\n{summary}")
        self.assertIn("generated", done.stdout, summary)

    def test_auth_answers_only_as_documented(self):
        self.fuzz("auth")
        self.fuzz("auth", self.token)

    def test_content_answers_only_as_documented(self):
        self.fuzz("content")
        self.fuzz("content", self.token)

    def test_gpt_answers_only_as_documented(self):
        self.fuzz("gpt")
        self.fuzz("gpt", self.token)


if __name__ == "__main__":
    unittest.main()
