"""report.md of a run: per scenario, requests by status, acknowledged writes, lost, phantom,
duplicated effects, contract violations and time to recover; then the jobs; and a chart of the
answers over time when matplotlib is there."""
import collections
import os

from .workload import WRITES


def status_counts(records):
    counts = collections.Counter("no answer" if r["status"] == 0 else str(r["status"]) for r in records)
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def write(folder, results, records, findings, notes, settings):
    names = [r["name"] for r in results]
    requests = [r for r in records if r.get("outcome") in ("ack", "refused", "unknown")]
    lines = ["# Fault suite run", "", f"{settings}", "",
             "| scenario | requests by status | acknowledged writes | lost | phantom | duplicated effects | violations | time to recover |",
             "|---|---|---|---|---|---|---|---|"]
    for name in ["setup"] + names + ["(end)"]:
        mine = [r for r in requests if r["scenario"] == name]
        found = findings.by_scenario.get(name, {k: [] for k in findings.KINDS})
        if not mine and not any(found.values()):
            continue
        acked = sum(1 for r in mine if r["outcome"] == "ack" and r["kind"] in WRITES)
        result = next((r for r in results if r["name"] == name), None)
        recovery = "" if result is None else ("not within 90 s" if result["recovery"] is None else
                                              "skipped" if result["recovery"] == "skipped" else f"{result['recovery']} s")
        lines.append(f"| {name} | {status_counts(mine) or '–'} | {acked} | {len(found['lost'])} | {len(found['phantom'])} | "
                     f"{len(found['duplicate'])} | {len(found['violation'])} | {recovery} |")
    lines.append("")
    lines.append("`lost`, `phantom`, `mismatch` and `violations` must be 0, and so must duplicated effects unless the "
                 "scenario says why its mail may arrive twice (below); the run fails otherwise. Duplicates are listed "
                 "with their ids. `(end)` holds what is checked across the run (like counts, mail by Message-ID).")
    lines += ["", "## Scenarios", ""]
    for result in results:
        lines.append(f"- **{result['name']}**: {result['about']}.")
        lines += [f"  - {line}" for line in result.get("details", [])]
        lines += [f"  - **failed**: {what}" for what in result.get("problems", [])]
    lines += ["", "## Findings", ""]
    any_finding = False
    for name, found in findings.by_scenario.items():
        for kind in findings.KINDS:
            for what in found[kind]:
                allowed = (findings.allowed.get(name) if kind == "duplicate" and what.startswith("mail ")
                           else findings.interrupted.get(name) if kind == "interrupted" else None)
                lines.append(f"- {name}, {kind}: {what}" + (f" (allowed: {allowed})" if allowed else ""))
                any_finding = True
    if not any_finding:
        lines.append("None.")
    lines += ["", "## Jobs at the end", ""]
    for kind, label in (("stuck", "running with no lease holder"), ("dead_without_reason", "dead without a reason"),
                        ("dead", "dead, with a reason"), ("waiting", "still waiting")):
        items = findings.jobs[kind]
        lines.append(f"- {label}: {len(items)}")
        lines += [f"  - {item}" for item in items[:20]]
    lines += ["", "## Timeline", ""] + [f"- {n}" for n in notes]
    latencies = sorted(r["ms"] for r in requests if r["status"])
    if latencies:
        lines += ["", f"Latency of answered requests: median {latencies[len(latencies) // 2]} ms, "
                      f"p99 {latencies[int(len(latencies) * 0.99)]} ms, max {latencies[-1]} ms."]
    if chart(folder, results, requests):
        lines += ["", "![answers over time](answers.png)"]
    path = os.path.join(folder, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def chart(folder, results, requests):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    if not requests:
        return False
    start = min(r["t"] for r in requests)
    groups = {"2xx": [], "4xx": [], "429/503": [], "5xx other / no answer": []}
    for r in requests:
        s = r["status"]
        key = "2xx" if 200 <= s < 300 else "429/503" if s in (429, 503) else "4xx" if 400 <= s < 500 else "5xx other / no answer"
        groups[key].append(r["t"] - start)
    figure, axis = plt.subplots(figsize=(10, 3.5))
    end = max(r["t"] for r in requests) - start
    bins = max(1, int(end))
    axis.hist(list(groups.values()), bins=bins, stacked=True, label=list(groups), color=["#3a3", "#888", "#e90", "#d22"])
    for result in results:
        axis.axvspan(result["injected"] - start, result["healed"] - start, color="#f55", alpha=0.15)
        axis.text(result["injected"] - start, axis.get_ylim()[1] * 0.9, result["name"], fontsize=8)
    axis.set_xlabel("seconds")
    axis.set_ylabel("requests per second")
    axis.legend(fontsize=8, loc="upper right")
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "answers.png"), dpi=90)
    plt.close(figure)
    return True
