# shellcheck shell=bash
# What deploy/dev, deploy/test and deploy/e2e share: packages, the Python environment, Postgres's
# own tools. Sourced, not executed; REPO_ROOT is set by the caller.

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------------------------
# System packages: everything a documented command runs that is not Python (Python tools come
# from deploy/requirements.txt, in the environment deploy/venv keeps).

# The stack, its tests and deploy/production/validate (`deploy/dev deps`, `up`, `test`); nodejs
# only for `node --test` of the API documents page's module (Tests/Web), no npm packages.
DEB_PACKAGES=(
  postgresql postgresql-contrib redis-server nginx-light ffmpeg
  libhiredis-dev libcurl4-openssl-dev libpq-dev libssl-dev
  python3 python3-venv ca-certificates curl openssl nodejs
  # The web client: the markdown libraries nginx serves it, and the browser its tests drive
  # (fonts-nanum, or Korean renders as boxes in the screenshots).
  node-marked node-dompurify chromium chromium-driver fonts-nanum
)
# Also the benchmarks in loadtest/ (`deploy/dev deps --bench`, which they run first): wrk, and
# redis-benchmark and pgbench, which come with redis-server and postgresql already. k6 and
# matplotlib are Python packages (deploy/requirements.txt).
BENCH_PACKAGES=(wrk redis-tools postgresql)

# What the Swift toolchain in /opt/swift needs to build (a linker, C and C++ runtimes, the zlib
# Foundation links, git for the package dependencies, and the libraries its own programs load);
# installed when deploy/dev or deploy/test builds.
SWIFT_PACKAGES=(binutils libc6-dev libgcc-12-dev libstdc++-12-dev zlib1g-dev git pkg-config tzdata libedit2 libncurses6 libsqlite3-0 libxml2)

deb_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# /usr/sbin is not on an ordinary user's PATH on Debian.
nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# install_packages PACKAGE...: installs the missing ones; does nothing (and needs no sudo) otherwise.
install_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    warn "apt-get not found; make sure these are installed: $*"
    return 0
  fi
  local pkg missing=()
  for pkg in "$@"; do
    # Any nginx build will do; nginx-light is only the smallest one on Debian 12.
    if [ "$pkg" = nginx-light ] && [ -x "$(nginx_bin)" ]; then continue; fi
    deb_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0

  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${missing[*]} yourself"
    sudo=(sudo)
  fi
  log "installing missing packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  # Newer releases dropped the nginx-light flavour.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
    missing=("${missing[@]/#nginx-light/nginx}")
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The Python environment's bin/ first on PATH (built or refreshed first when needed).
use_venv() {
  local venv
  venv=$("$REPO_ROOT/deploy/venv") || die "the Python environment could not be built (deploy/venv)"
  export PATH="$venv/bin:$PATH" VIRTUAL_ENV=$venv DEV_VENV_READY=1
}

# install_deps [--bench]: the system packages, then the Python environment.
install_deps() {
  install_packages "${DEB_PACKAGES[@]}"
  if [ "${1:-}" = --bench ]; then install_packages "${BENCH_PACKAGES[@]}"; fi
  use_venv
}

# Newest installed PostgreSQL unless PG_BIN is given.
pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || die "PostgreSQL server binaries not found (set PG_BIN)"
  echo "$dir"
}

# Prints N distinct free TCP ports on 127.0.0.1 (all held open together, so they differ).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (it refuses to run as root: as root, run its tools as the postgres user)

as_pg() {
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user to run PostgreSQL"
    # cd / so the tools do not complain about a working directory postgres cannot read.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# pg_initdb DATADIR SUPERUSER [initdb options...]: UTF-8 whatever the caller's locale is
# (a C/POSIX locale would give SQL_ASCII and break Korean text).
pg_initdb() {
  local data=$1 superuser=$2
  shift 2
  as_pg "$(pg_bin)/initdb" -D "$data" -U "$superuser" -E UTF8 --locale=C.UTF-8 "$@" >/dev/null
}

# The supervisor of the stack's processes (deploy/supervisor.py, deploy/stack.toml).
supervise() {
  [ -n "${DEV_VENV_READY:-}" ] || use_venv
  "$VIRTUAL_ENV/bin/python3" "$REPO_ROOT/deploy/supervisor.py" "$@"
}
