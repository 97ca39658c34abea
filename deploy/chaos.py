"""The fault suite (`deploy/chaos`, `deploy/dev chaos`): a throw-away stack with every component on
a host (network namespace) of its own, a workload from a client host, faults injected one
scenario at a time, and an independent checker of the acknowledged writes at the end.

    chaos.py [--scenario NAME]... [--minutes N] [--short] [--break-jobs] [--async-standby] [--keep]
    chaos.py --list | --self-test

Exit: 0 nothing lost and only documented answers; 1 the checker found something (report.md says
what); 2 bad arguments; 3 the stack did not come up; 77 network namespaces cannot be made here.
"""
import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chaoslib import checker, report, scenarios  # noqa: E402
from chaoslib.hosts import NoNamespaces, poll  # noqa: E402
from chaoslib.stack import REPO, Stack  # noqa: E402
from chaoslib.workload import Actor, Log, Shared, clip  # noqa: E402

NO_NAMESPACES = 77


def say(message):
    print(f"==> {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


class Context:
    def __init__(self, stack, log, break_jobs):
        self.stack, self.log, self.break_jobs = stack, log, break_jobs
        self.stop = threading.Event()
        self.notes = []
        self.prober = None
        self.async_standby = False

    def note(self, message):
        say(message)
        self.notes.append(f"{time.strftime('%H:%M:%S')} {message}")

    def llm_config(self, knobs):
        request = urllib.request.Request(f"http://{self.stack.addr('llm')}:8089/config", data=json.dumps(knobs).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=5).read()


def arguments():
    parser = argparse.ArgumentParser(prog="deploy/chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=sorted(scenarios.ALL), help="run this one (repeatable; default all)")
    parser.add_argument("--minutes", type=float, help="stretch the steady phases so the run takes about N minutes")
    parser.add_argument("--short", action="store_true", help=f"the short run of deploy/test: {', '.join(scenarios.SHORT)}, briefly")
    parser.add_argument("--break-jobs", action="store_true",
                        help="deliberately broken: delete a mail job before it runs (the checker must report it lost)")
    parser.add_argument("--async-standby", action="store_true",
                        help="postgres-failover with an asynchronous standby cut off 5 s before the primary: "
                             "the writes acknowledged meanwhile are lost (the checker must report them)")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away folder (data, logs) after the run")
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    parser.add_argument("--self-test", action="store_true", help="the checker's own tests (deploy/test_chaos.py), no stack")
    return parser.parse_args()


def quiesce(ctx, timeout=90):
    """Waits (with a deadline) until the jobs the run made are done and the videos processed."""
    def settled():
        left = ctx.stack.psql("SELECT (SELECT count(*) FROM queue.jobs WHERE run_at < now() + interval '20 seconds') + "
                              "(SELECT count(*) FROM content.videos WHERE status = 'processing')")
        return left == "0"
    try:
        poll("the queue to drain", settled, timeout, 0.5)
    except TimeoutError as error:
        ctx.note(f"{error}; checking anyway")


def main():
    args = arguments()
    if args.list:
        for s in scenarios.ALL.values():
            print(f"{s.name:18} {s.about}")
        return 0
    if args.self_test:
        import unittest
        suite = unittest.defaultTestLoader.loadTestsFromName("test_chaos")
        return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1
    if os.geteuid() != 0:
        say("the fault suite needs root: each host is a network namespace (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
        return NO_NAMESPACES
    bin_dir = os.environ.get("CHAOS_BIN_DIR")
    names = scenarios.SHORT if args.short and not args.scenario else (args.scenario or list(scenarios.ALL))
    before, after = (8, 8) if args.short else (20, 20)
    if args.minutes:
        fixed = sum(scenarios.ALL[n].hold + 10 for n in names) + 30
        spare = max(0.0, args.minutes * 60 - fixed)
        before = after = max(5.0, spare / (2 * len(names)))

    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(REPO, "chaos-results", stamp)
    os.makedirs(results_dir)
    work = tempfile.mkdtemp(prefix="chaos.", dir="/tmp")
    prefix = "cx" + os.urandom(2).hex()
    stack = Stack(work, prefix, bin_dir)
    stack.pg_relay = any(scenarios.ALL[n].pg_relay for n in names)
    log = Log(os.path.join(results_dir, "requests.jsonl"))
    ctx = Context(stack, log, args.break_jobs)
    ctx.results_dir = results_dir
    ctx.async_standby = args.async_standby
    actors = []
    results = []

    def terminate(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    code = 0
    try:
        say(f"fault suite: {', '.join(names)}; results in chaos-results/{stamp}")
        try:
            stack.up(ctx.note)
        except NoNamespaces as error:
            say(f"cannot run: {error}")
            code = NO_NAMESPACES
            return code
        except Exception as error:
            say(f"the stack did not come up: {error}")
            traceback.print_exc()
            code = 3
            return code
        ctx.prober = scenarios.Prober(stack, log)
        ctx.prober.setup()
        clip_bytes = clip()
        shared = Shared()
        actors = [Actor(n, stack.url, log, shared, ctx.stop, clip_bytes, stack.maildir) for n in range(1, 5)]
        for actor in actors:
            actor.start()
        for name in names:
            results.append(scenarios.run(ctx, scenarios.ALL[name], before, after))
        ctx.note("workload stopped; waiting for the queue to drain before checking")
    except KeyboardInterrupt:
        say("interrupted; tearing down")
        code = 130
    finally:
        ctx.stop.set()
        for actor in actors:
            actor.join(40)
        try:
            if code == 0 and stack.procs:
                quiesce(ctx)
                allowed = {r["name"]: scenarios.ALL[r["name"]].duplicate_mail for r in results
                           if scenarios.ALL[r["name"]].duplicate_mail}
                interrupted = {r["name"]: scenarios.ALL[r["name"]].interrupted_videos for r in results
                               if scenarios.ALL[r["name"]].interrupted_videos}
                findings = checker.check(checker.read_log(log.file.name), checker.snapshot(stack), allowed, interrupted)
                settings = (f"Scenarios: {', '.join(names)}. Steady phases {before:.0f} s before and {after:.0f} s after "
                            f"each fault; 4 actors through nginx from the client host; binaries from {bin_dir}."
                            + (" **--break-jobs: a mail job deleted on purpose.**" if args.break_jobs else "")
                            + (" **--async-standby: an asynchronous standby, behind by 5 s at the failover.**"
                               if args.async_standby else ""))
                path = report.write(results_dir, results, checker.read_log(log.file.name), findings, ctx.notes, settings)
                say(f"report: {os.path.relpath(path, REPO)}")
                print(open(path).read())
                unrecovered = [r["name"] for r in results if r["recovery"] is None]
                failed = [r["name"] for r in results if r.get("problems")]
                code = 1 if findings.failed() or unrecovered or failed else 0
        except Exception:
            traceback.print_exc()
            code = code or 1
        finally:
            log.close()
            stack.down()
            if os.path.isdir(stack.logs):
                shutil.copytree(stack.logs, os.path.join(results_dir, "logs"), dirs_exist_ok=True)
            if os.path.isdir(os.path.join(work, "nginx", "logs")):
                shutil.copytree(os.path.join(work, "nginx", "logs"), os.path.join(results_dir, "logs", "nginx"), dirs_exist_ok=True)
            if code == NO_NAMESPACES:
                shutil.rmtree(results_dir, ignore_errors=True)  # nothing ran
            if args.keep:
                say(f"kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    return code



if __name__ == "__main__":
    sys.exit(main())
