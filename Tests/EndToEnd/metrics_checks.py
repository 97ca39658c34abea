"""End-to-end check that the monitoring files ask only for series the services export: every
metric name in deploy/monitoring/alerts.yml and in the Grafana dashboards' queries must appear in
some service's /metrics on the running stack.

Each service's port is read from its process's HTTP_PORT (the pidfiles next to E2E_LOG_DIR, as in
stack_checks); E2E_METRICS_URLS (space-separated /metrics URLs) overrides that.
"""
import json
import os
import pathlib
import re
import time
import unittest
import urllib.parse
import urllib.request

import yaml

from auth_flows import call
from stack_checks import environment

MONITORING = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
SERVICES = ["auth", "content", "gpt", "workers"]
# Made by Prometheus for every target, not by the services.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}


def metrics_urls():
    if os.environ.get("E2E_METRICS_URLS"):
        return os.environ["E2E_METRICS_URLS"].split()
    return [f"http://127.0.0.1:{environment(name)['HTTP_PORT']}/metrics" for name in SERVICES]


def exported(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {re.split(r"[{\s]", line, maxsplit=1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def metric_names(expr):
    """The series names a PromQL expression selects (functions, labels and keywords left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values, which may hold anything
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges and subqueries
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[a-zA-Z_:][\w:]*", expr):
        rest = expr[match.end():].lstrip()
        if rest.startswith("(") or match.group(0).lower() in KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def used_series():
    """{metric name: [where it is used]} over the alert rules and the dashboards."""
    uses = {}
    for group in yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"]:
        for rule in group["rules"]:
            for name in metric_names(rule["expr"]):
                uses.setdefault(name, []).append(f"alert {rule['alert']}")
    for path in sorted((MONITORING / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                for name in metric_names(target["expr"]):
                    uses.setdefault(name, []).append(f"{path.stem}: {panel['title']}")
        for variable in board.get("templating", {}).get("list", []):
            query = variable.get("definition", "")
            found = re.match(r"label_values\(\s*([a-zA-Z_:][\w:]*)", query)
            if found:
                uses.setdefault(found.group(1), []).append(f"{path.stem}: variable {variable['name']}")
    return uses


def warm_up():
    """One request down each path the panels watch, so counters born on first use exist too."""
    call("GET", "/api/posts")
    call("GET", "/api/search?" + urllib.parse.urlencode({"q": "metrics"}))
    call("POST", "/api/auth/login", {"email": "nobody@example.com", "password": "wrong-password"})
    call("POST", "/api/auth/refresh", {"refreshToken": "not-a-token"})
    call("POST", "/api/gpt/qna", {"question": "What do the dashboards show?"})


DOCS = pathlib.Path(__file__).resolve().parents[2]
# Histogram parts are documented under the histogram's name.
SUFFIXES = ("_bucket", "_sum", "_count")


def documentation():
    return "\n".join(path.read_text() for path in [DOCS / "README.md", *sorted((DOCS / "docs").glob("*.md"))])


class MetricsChecks(unittest.TestCase):
    def test_expressions_name_series(self):
        names = metric_names('sum by (service, le) (rate(http_server_request_duration_seconds_bucket{route!~"/x|y"}[5m])) / 1e6')
        self.assertEqual(names, {"http_server_request_duration_seconds_bucket"})
        self.assertEqual(metric_names("max by (queue) (jobs_queue_depth{state=\"dead\"}) > 0 and on (queue) up"),
                         {"jobs_queue_depth", "up"})

    def test_every_series_the_dashboards_and_alerts_use_is_exported(self):
        uses = used_series()
        self.assertGreater(len(uses), 20, "too few series found: is the PromQL parsed?")
        warm_up()
        # Workers record queue depths every 5 s.
        deadline = time.monotonic() + 12
        while True:
            available = set(SYNTHETIC)
            for url in metrics_urls():
                available |= exported(url)
            missing = sorted(set(uses) - available)
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(missing, [], "series used but not exported:\n" +
                         "\n".join(f"  {name}: {', '.join(sorted(set(uses[name])))}" for name in missing))


    def test_every_exported_series_is_documented(self):
        warm_up()
        names = set()
        for url in metrics_urls():
            names |= exported(url)
        bases = {next((n[: -len(x)] for x in SUFFIXES if n.endswith(x)), n) for n in names}
        text = documentation()
        undocumented = sorted(name for name in bases if not re.search(rf"\b{re.escape(name)}\b", text))
        self.assertGreater(len(bases), 20)
        self.assertEqual(undocumented, [], "exported but named in no document (README.md, docs/)")


if __name__ == "__main__":
    unittest.main()
