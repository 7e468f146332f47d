#!/usr/bin/env bash
# The long (soak) profile of the reliability and security suite (docs/reliability.md):
# 45 s storms from 6 processes per fault, 60 fuzz examples per operation, random seeds.
#   bench/soak.sh                      # against TEST_DATABASE_URL or CI's PostgreSQL
#   RELIABILITY_STORM_SECONDS=300 bench/soak.sh   # longer still
set -euo pipefail
cd "$(dirname "$0")/.."
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export RELIABILITY_PROFILE=soak
exec .venv/bin/pytest tests/security tests/reliability -q -p no:cacheprovider "$@"
