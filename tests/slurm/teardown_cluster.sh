#!/usr/bin/env bash
# Stop exactly the daemons that setup_cluster.sh started (PIDs in STATE_DIR/pids), newest first.
#
# Usage: tests/slurm/teardown_cluster.sh STATE_DIR
set -uo pipefail

STATE=${1:?usage: teardown_cluster.sh STATE_DIR}
[[ -e $STATE/pids || -e $STATE/installed_conf ]] || exit 0
touch "$STATE/pids"
export PATH=/usr/sbin:/sbin:$PATH
# Cancel what is left in the queue while the controller still answers.
SLURM_CONF=$STATE/slurm.conf timeout 10 scancel --quiet --partition=debug 2>/dev/null || true

mapfile -t entries < <(tac "$STATE/pids")
for entry in "${entries[@]}"; do
    name=${entry% *} pid=${entry#* }
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name ($pid) ignored SIGTERM for 10 s: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
done
rm -f "$STATE/pids"
# Remove the configuration setup_cluster.sh installed at the default path (if still ours).
if [[ -s $STATE/installed_conf ]]; then
    conf=$(cat "$STATE/installed_conf")
    grep -q "^# radiodeep test cluster" "$conf" 2>/dev/null && rm -f "$conf"
    rm -f "$STATE/installed_conf"
fi
