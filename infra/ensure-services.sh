#!/usr/bin/env bash
# What the test suite needs beyond Python packages: Debian's chromium (browser tests), espeak-ng and sox
# (real speech for the voice tests), Redis (bus tests),
# PostgreSQL (optional: its tests skip when absent). Installs or starts each one that is missing.
set -u
missing=()
declare -A package_of=([pdftoppm]=poppler-utils)  # a tool whose Debian package has another name
for tool in chromium espeak-ng sox pdftoppm; do command -v "$tool" >/dev/null || missing+=("${package_of[$tool]:-$tool}"); done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages the tests need: ${missing[*]}"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || echo "apt-get install ${missing[*]} failed" >&2
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null; then
    echo "starting redis-server on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
  else
    echo "redis-server is not installed; the Redis bus tests need it (apt-get install redis-server)" >&2
  fi
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
exit 0
