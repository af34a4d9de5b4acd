#!/usr/bin/env bash
# Start a private one-node SLURM cluster (munged, slurmctld, slurmd) for the tests.
#
# Usage: tests/slurm/setup_cluster.sh STATE_DIR
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge when missing (needs root), writes
# STATE_DIR/slurm.conf for this host, starts the three daemons in the foreground of background
# processes and records their PIDs in STATE_DIR/pids (teardown_cluster.sh stops exactly those).
# Everything (munge socket and key, spool, state, logs) lives in STATE_DIR, so a system munged or
# SLURM on the host is neither used nor touched. Clients reach the cluster with
# SLURM_CONF=STATE_DIR/slurm.conf (also written to STATE_DIR/env).
set -euo pipefail

STATE=${1:?usage: setup_cluster.sh STATE_DIR}
CTLD_PORT=${RADIODEEP_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${RADIODEEP_SLURMD_PORT:-16818}
MIN_JOB_AGE=${RADIODEEP_SLURM_MIN_JOB_AGE:-600}   # s; well above 3x the plugin's status-check delay
export PATH=/usr/sbin:/sbin:$PATH

missing=()
for pkg_cmd in slurmctld:slurmctld slurmd:slurmd slurm-client:sbatch munge:munged; do
    command -v "${pkg_cmd#*:}" >/dev/null || missing+=("${pkg_cmd%%:*}")
done
if ((${#missing[@]})); then
    if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
        echo "SLURM packages missing (${missing[*]}) and cannot install them (needs root and apt-get)" >&2
        exit 3
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
fi

mkdir -p -m 0700 "$STATE"
STATE=$(cd "$STATE" && pwd)
if [[ -s $STATE/pids ]]; then
    echo "$STATE/pids exists: a cluster from this state directory may still run" >&2
    exit 4
fi
mkdir -p -m 0700 "$STATE/munge" "$STATE/ctld" "$STATE/spool" "$STATE/log"
: >"$STATE/pids"
# On any failure below, stop what was already started.
trap 'rc=$?; if ((rc)); then "$(dirname "$0")/teardown_cluster.sh" "$STATE" || true; fi' EXIT

start() {  # start NAME CMD...: run a foreground daemon in the background, record its PID
    local name=$1
    shift
    setsid "$@" >"$STATE/log/$name.out" 2>&1 </dev/null &
    echo "$name $!" >>"$STATE/pids"
}

# munge: own key and socket
dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$STATE/munge/munge.key"
SOCKET=$STATE/munge/munge.socket
start munged munged --foreground --force --socket="$SOCKET" --key-file="$STATE/munge/munge.key" \
    --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/log/munged.log" \
    --seed-file="$STATE/munge/munged.seed"
for _ in $(seq 100); do
    munge --socket="$SOCKET" -n 2>/dev/null | unmunge --socket="$SOCKET" >/dev/null 2>&1 && break
    sleep 0.1
done
munge --socket="$SOCKET" -n | unmunge --socket="$SOCKET" >/dev/null

# slurm.conf: one node = this host, its CPUs, 90% of its memory; memory is a consumable
# resource with a per-CPU default so that several jobs run side by side.
NODE=$(hostname -s)
read -r CPUS SOCKETS CORES THREADS MEM < <(slurmd -C | awk '
    {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}}
    /^NodeName/ {print v["CPUs"], v["SocketsPerBoard"], v["CoresPerSocket"], v["ThreadsPerCore"], v["RealMemory"]}')
MEM=$((MEM * 9 / 10))
DEF_MEM=$((MEM / CPUS < 1000 ? MEM / CPUS : 1000))
MARKER="# radiodeep test cluster (tests/slurm/setup_cluster.sh)"
cat >"$STATE/slurm.conf" <<CONF
$MARKER: state in $STATE
ClusterName=radiodeep-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEF_MEM
MinJobAge=$MIN_JOB_AGE
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
echo "SLURM_CONF=$STATE/slurm.conf" >"$STATE/env"
export SLURM_CONF=$STATE/slurm.conf

# The plugin's job step drops SLURM_CONF from the environment of the srun it runs inside each
# job, so srun must find the configuration at the default path, as on a real cluster. Install
# it there unless a configuration not written by this script is in place.
SYSTEM_CONF=/etc/slurm/slurm.conf
if [[ -e $SYSTEM_CONF ]] && ! grep -q "^$MARKER" "$SYSTEM_CONF"; then
    echo "$SYSTEM_CONF exists and was not written by this script: not replacing it" >&2
    exit 6
fi
mkdir -p "$(dirname "$SYSTEM_CONF")"
cp "$SLURM_CONF" "$SYSTEM_CONF"
echo "$SYSTEM_CONF" >"$STATE/installed_conf"

# slurmctld and slurmd always together (a lone restart leaves the node in state 'unk').
start slurmctld slurmctld -D -c -f "$SLURM_CONF"
start slurmd slurmd -D -f "$SLURM_CONF" -N "$NODE"
for _ in $(seq 300); do
    state=$(sinfo -h -N -n "$NODE" -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 0.2
done
if [[ $state != idle ]]; then
    echo "node $NODE not idle after 60 s (state '${state:-none}'); logs in $STATE/log" >&2
    tail -n 20 "$STATE"/log/*.log >&2 || true
    exit 5
fi
echo "SLURM cluster up: node $NODE ($CPUS CPUs, ${MEM} MB, DefMemPerCPU=$DEF_MEM), SLURM_CONF=$SLURM_CONF"
