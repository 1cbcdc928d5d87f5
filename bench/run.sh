#!/usr/bin/env bash
# bench/run.sh: Strom against franz-go's in-memory kfake, same tool, same
# machine, same run. Writes bench/RESULTS.md (rewritten each run) and prints it.
#
#   bench/run.sh                    # full size, about 10 minutes on 2 cores
#   SCALE=0.02 bench/run.sh         # quick check of the tooling (~2 minutes)
#   SCENARIOS="a b" bench/run.sh    # a subset
#
# Scenarios (every run also records broker CPU seconds and peak RSS, "f"):
#   a  perf e2e, 1 KiB records, 8 partitions, acks=all, unlimited rate
#   b  perf e2e at 10,000 records/s, 1 KiB, 8 partitions, acks=all
#   c  perf produce, 100-byte records, 8 partitions, acks=all, unlimited
#   d  (a) with acks=1; perf produce with acks=0
#   e  (a) against Strom in relaxed flush mode (log.flush.interval.messages=max)
#   g  start-up with 10 GB of data: after SIGTERM and after kill -9 (Strom only)
#   h  10,000 partitions: create, one record each, restart, RSS
#   i  perf consume --group: 4 members on 8 partitions of 1 KiB records
#   j  rebalance (bench/rebalance): a group of 10 on 12 partitions, an 11th
#      member joins and leaves; Strom also with group.initial.rebalance.delay.ms=0
#   k  perf commit: OffsetCommit/s and latency, 1 member and 4 members, 8 partitions
#
# Environment:
#   SCALE         multiplies record counts, data size and partition count (default 1)
#   SCENARIOS     space-separated subset of "a b c d e g h i j k" (default all)
#   RESULTS       output file (default bench/RESULTS.md)
#   BENCH_TMPDIR  where broker data directories go (default /tmp); the disk
#                 under it is the disk being measured
#   KEEP=1        keep the temporary directory (logs, raw JSON) for inspection
#
# Brokers listen on 127.0.0.1 only, on ports the kernel picks; every broker
# this script starts is stopped by PID, and every wait is bounded.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${SCALE:-1}
SCENARIOS=${SCENARIOS:-"a b c d e g h i j k"}
RESULTS=${RESULTS:-bench/RESULTS.md}
KEEP=${KEEP:-0}
PERF_TIMEOUT=${PERF_TIMEOUT:-1200}  # seconds, per perf command
CMDLINE="SCALE=$SCALE SCENARIOS=\"$SCENARIOS\" bench/run.sh${*:+ $*}"

for tool in go jq awk timeout setsid; do
	command -v "$tool" >/dev/null || { echo "bench/run.sh: needs $tool" >&2; exit 2; }
done
awk -v s="$SCALE" 'BEGIN { exit !(s > 0 && s <= 100) }' || { echo "SCALE must be in (0, 100]" >&2; exit 2; }

TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/strom-bench.XXXXXX")
OUT=$TMP/out
mkdir -p "$OUT"
BROKERS=() # PIDs of brokers this shell started and has not stopped

cleanup() {
	local pid
	for pid in "${BROKERS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	BROKERS=()
}
finish() {
	cleanup
	if [[ $KEEP == 1 ]]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap finish EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# scaled N MIN: N*SCALE rounded, at least MIN.
scaled() { awk -v n="$1" -v s="$SCALE" -v m="$2" 'BEGIN { v = int(n * s + 0.5); if (v < m) v = m; print v }'; }

now_ns() { date +%s%N; }
ms_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }

# --- the broker's process figures ------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID: user+system CPU ticks (fields 14 and 15 of /proc/PID/stat;
# the name field may hold spaces, so count from the closing parenthesis).
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

alive() { # not exited (a zombie child counts as exited)
	local state
	# The file vanishes when the shell reaps the child, possibly mid-read.
	state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

# --- starting and stopping brokers -----------------------------------------
# Each start sets BROKER_PID and BROKER_ADDR.

# start_strom NAME DIR PORT [key=value ...]: PORT 0 lets the kernel choose.
start_strom() {
	local name=$1 dir=$2 port=$3
	shift 3
	# Write back the previous scenario's dirty pages first: otherwise the
	# kernel flushes a gigabyte of someone else's data while this scenario
	# fsyncs, and its latency measures that instead of the broker.
	sync
	local args=(server --override "listeners=PLAINTEXT://127.0.0.1:$port"
		--override "log.dirs=$dir" --override "strom.admin.listen=")
	local kv
	for kv in "$@"; do args+=(--override "$kv"); done
	mkdir -p "$dir"
	: >>"$OUT/$name.log" # exists before await_line reads it
	# setsid: a Ctrl-C meant for this script must not stop the broker
	# under the perf tool's feet; cleanup stops it.
	setsid "$BIN/strom" "${args[@]}" >>"$OUT/$name.log" 2>&1 &
	BROKER_PID=$!
	BROKERS+=("$BROKER_PID")
	echo "strom ${args[*]}" >>"$OUT/commands"
	BROKER_ADDR=127.0.0.1:$port
	if [[ $port == 0 ]]; then
		BROKER_ADDR=$(await_line "$OUT/$name.log" 's/^ *listening on *\(127\.0\.0\.1:[0-9]*\).*/\1/p')
	fi
}

start_kfake() {
	local name=$1
	: >>"$OUT/$name.log"
	setsid "$BIN/kfake" --listen 127.0.0.1:0 --partitions 8 >>"$OUT/$name.log" 2>&1 &
	BROKER_PID=$!
	BROKERS+=("$BROKER_PID")
	echo "kfake --listen 127.0.0.1:0 --partitions 8   # go build ./bench/kfake" >>"$OUT/commands"
	BROKER_ADDR=$(await_line "$OUT/$name.log" 's/^\(127\.0\.0\.1:[0-9]*\)$/\1/p')
}

# await_line FILE SED: the first line of FILE that SED prints, waiting up to
# 5 minutes (a broker with 10,000 partitions starts slowly) while the
# broker lives.
await_line() {
	local i v
	for ((i = 0; i < 6000; i++)); do
		v=$(sed -n -e "$2" "$1" | head -1)
		[[ -n $v ]] && { echo "$v"; return 0; }
		alive "$BROKER_PID" || break
		sleep 0.05
	done
	echo "broker $BROKER_PID never printed its address; its log:" >&2
	tail -20 "$1" >&2
	return 1
}

# ready [waitready args]: wait until BROKER_ADDR answers Metadata; prints ms.
ready() { "$BIN/waitready" --addr "$BROKER_ADDR" --pid "$BROKER_PID" --timeout 10m "$@"; }

# stop_broker PID [SIGNAL]: signal the broker, wait for it (at most 10
# minutes, then SIGKILL) and set STOP_MS.
stop_broker() {
	local pid=$1 sig=${2:-TERM} t0 i
	t0=$(now_ns)
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 12000; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		log "broker $pid ignored SIG$sig for 10 minutes; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	STOP_MS=$(ms_since "$t0")
	local keep=() p
	for p in "${BROKERS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
	BROKERS=("${keep[@]+"${keep[@]}"}")
}

# --- running the perf tool -------------------------------------------------
# run_tool RESULT CMD...: runs CMD (a tool that prints one JSON line) against
# the running broker and saves that JSON plus the broker's CPU seconds during
# the run and its peak RSS so far as OUT/RESULT.json.
run_tool() {
	local name=$1
	shift
	local c0 c1 hwm
	c0=$(cpu_ticks "$BROKER_PID")
	if ! timeout --foreground "$PERF_TIMEOUT" "$@" >"$OUT/$name.raw" 2>"$OUT/$name.err"; then
		log "$name: ${*#"$BIN/"} failed:"
		tail -5 "$OUT/$name.err" >&2
		return 1
	fi
	c1=$(cpu_ticks "$BROKER_PID")
	hwm=$(status_kb "$BROKER_PID" VmHWM)
	tail -1 "$OUT/$name.raw" | jq -c \
		--argjson cpu "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
		--argjson hwm "$hwm" '. + {broker_cpu_s: $cpu, broker_hwm_kb: $hwm}' >"$OUT/$name.json"
}

# run_perf RESULT [strom perf args...]: run_tool for strom perf against
# BROKER_ADDR.
run_perf() {
	local name=$1
	shift
	echo "strom perf $* --bootstrap-server $BROKER_ADDR --json" >>"$OUT/commands"
	run_tool "$name" "$BIN/strom" perf "$@" --bootstrap-server "$BROKER_ADDR" --json || return 1
	log "$name: $(jq -r '"\(.records_per_sec | floor) records/s, \(.mb_per_sec * 10 | floor / 10) MB/s"' "$OUT/$name.json")"
}

# pair SCENARIO [strom overrides] -- [perf args]: one fresh Strom and one
# fresh kfake, the same perf command against each.
pair() {
	local s=$1
	shift
	local overrides=()
	while [[ $1 != -- ]]; do overrides+=("$1"); shift; done
	shift
	start_strom "$s.strom" "$TMP/data-$s" 0 "${overrides[@]+"${overrides[@]}"}"
	ready >/dev/null
	run_perf "$s.strom" "$@"
	stop_broker "$BROKER_PID"
	rm -rf "$TMP/data-$s"
	start_kfake "$s.kfake"
	ready >/dev/null
	run_perf "$s.kfake" "$@"
	stop_broker "$BROKER_PID"
}

# --- scenarios -------------------------------------------------------------
N_A=$(scaled 1000000 2000)   # 1 KiB records: 1 GiB at SCALE=1
N_B=$(scaled 200000 2000)    # at 10,000/s: 20 s at SCALE=1
N_C=$(scaled 10000000 20000) # 100-byte records
N_G=$(scaled 10485760 2000)  # 1 KiB records: 10 GiB at SCALE=1
PARTS_H=$(scaled 10000 100)  # partitions, in topics of 100
N_I=$(scaled 500000 2000)    # 1 KiB records: 488 MiB at SCALE=1
R_J=$(scaled 20 3)           # joins (and leaves) timed per run
N_K=$(scaled 20000 500)      # OffsetCommit requests per run
TOPICS_H=$(((PARTS_H + 99) / 100))

E2E=(e2e --record-size 1024 --partitions 8)

scenario_a() { pair a -- "${E2E[@]}" --topic a --num-records "$N_A" --acks all; }
scenario_b() { pair b -- "${E2E[@]}" --topic b --num-records "$N_B" --acks all --throughput 10000; }
scenario_c() { pair c -- produce --record-size 100 --partitions 8 --topic c --num-records "$N_C" --acks all; }
scenario_d() {
	pair d1 -- "${E2E[@]}" --topic d1 --num-records "$N_A" --acks 1
	pair d0 -- produce --record-size 1024 --partitions 8 --topic d0 --num-records "$N_A" --acks 0
}
scenario_e() {
	start_strom e.strom "$TMP/data-e" 0 log.flush.interval.messages=9223372036854775807
	ready >/dev/null
	run_perf e.strom "${E2E[@]}" --topic e --num-records "$N_A" --acks all
	stop_broker "$BROKER_PID"
	rm -rf "$TMP/data-e"
}

scenario_g() {
	local dir=$TMP/data-g port out=$OUT/g.json
	start_strom g.strom "$dir" 0
	port=${BROKER_ADDR##*:}
	ready >/dev/null
	log "g: filling a topic with $N_G records of 1 KiB"
	run_perf g.fill produce --record-size 1024 --partitions 8 --topic fill --num-records "$N_G" --acks all
	local bytes
	bytes=$(du -sb "$dir" | awk '{ print $1 }')
	stop_broker "$BROKER_PID" TERM
	local stop_ms=$STOP_MS t0 clean unclean rss

	t0=$(now_ns)
	start_strom g.strom "$dir" "$port"
	clean=$(ready --since-ns "$t0" --min-partitions 8)
	rss=$(status_kb "$BROKER_PID" VmRSS)
	log "g: restart after SIGTERM: $clean ms"
	# Unclean: write a little more, then kill -9 straight after the last
	# acknowledgement, so the active segments end where the crash left them.
	run_perf g.more produce --record-size 1024 --partitions 8 --topic fill --num-records "$(scaled 100000 1000)" --acks 1
	log "g: kill -9 (bash reports the broker as Killed)"
	stop_broker "$BROKER_PID" KILL
	t0=$(now_ns)
	start_strom g.strom "$dir" "$port"
	unclean=$(ready --since-ns "$t0" --min-partitions 8)
	log "g: restart after kill -9: $unclean ms"
	stop_broker "$BROKER_PID"
	jq -n --argjson bytes "$bytes" --argjson stop "$stop_ms" --argjson clean "$clean" \
		--argjson unclean "$unclean" --argjson rss "$rss" \
		'{data_bytes: $bytes, stop_ms: $stop, clean_ms: $clean, unclean_ms: $unclean, rss_kb: $rss}' >"$out"
	rm -rf "$dir"
}

# manyparts NAME: create TOPICS_H topics of 100 partitions on the running
# broker and produce one record to each partition.
manyparts() {
	echo "manyparts --addr $BROKER_ADDR --topics $TOPICS_H --partitions 100" >>"$OUT/commands"
	timeout --foreground "$PERF_TIMEOUT" "$BIN/manyparts" --addr "$BROKER_ADDR" --topics "$TOPICS_H" --partitions 100 \
		>"$OUT/$1.raw" 2>"$OUT/$1.err" || { log "$1: manyparts failed:"; tail -5 "$OUT/$1.err" >&2; return 1; }
}

scenario_h() {
	local dir=$TMP/data-h port total=$((TOPICS_H * 100)) restart rss_load rss
	start_strom h.strom "$dir" 0
	port=${BROKER_ADDR##*:}
	ready >/dev/null
	log "h: $total partitions on Strom"
	manyparts h.strom
	rss_load=$(status_kb "$BROKER_PID" VmRSS)
	stop_broker "$BROKER_PID" TERM
	local stop_ms=$STOP_MS t0
	t0=$(now_ns)
	start_strom h.strom "$dir" "$port"
	restart=$(ready --since-ns "$t0" --min-partitions "$total")
	rss=$(status_kb "$BROKER_PID" VmRSS)
	stop_broker "$BROKER_PID"
	jq -c --argjson load "$rss_load" --argjson stop "$stop_ms" --argjson restart "$restart" --argjson rss "$rss" \
		'. + {rss_loaded_kb: $load, stop_ms: $stop, restart_ms: $restart, rss_restart_kb: $rss}' \
		"$OUT/h.strom.raw" >"$OUT/h.strom.json"
	rm -rf "$dir"

	log "h: $total partitions on kfake"
	start_kfake h.kfake
	ready >/dev/null
	manyparts h.kfake
	rss_load=$(status_kb "$BROKER_PID" VmRSS)
	stop_broker "$BROKER_PID"
	jq -c --argjson load "$rss_load" '. + {rss_loaded_kb: $load}' "$OUT/h.kfake.raw" >"$OUT/h.kfake.json"
}

# start_broker B NAME [strom overrides]: a fresh Strom (B=strom) or kfake
# (B=kfake), ready for requests.
start_broker() {
	local b=$1 name=$2
	shift 2
	rm -rf "$TMP/data-$name"
	case $b in
	strom) start_strom "$name" "$TMP/data-$name" 0 "$@" ;;
	kfake) start_kfake "$name" ;;
	esac
	ready >/dev/null
}
stop_fresh() { stop_broker "$BROKER_PID"; rm -rf "$TMP/data-$1"; }

# Group throughput: the topic is filled first, then a fresh group of four
# reads all of it from the earliest offsets, committing as it goes.
scenario_i() {
	local b
	for b in strom kfake; do
		start_broker "$b" "i.$b"
		run_perf "i.fill.$b" produce --record-size 1024 --partitions 8 --topic i --num-records "$N_I" --acks all
		run_perf "i.$b" consume --topic i --messages "$N_I" --group perf-i --consumers 4 --timeout 60s
		stop_fresh "i.$b"
	done
}

# rebalance RESULT [args]: bench/rebalance against the running broker.
rebalance() {
	local name=$1
	shift
	echo "rebalance --addr $BROKER_ADDR $*" >>"$OUT/commands"
	run_tool "$name" "$BIN/rebalance" --addr "$BROKER_ADDR" "$@" || return 1
	log "$name: first settling $(jq -r '.initial_ms | round' "$OUT/$name.json") ms, join median $(jq -r '.join_median_ms | round' "$OUT/$name.json") ms"
}

# Rebalance time. A 100 ms heartbeat lets the broker's part show: with
# Kafka's 3 s default, members hear of a rebalance only at their next
# heartbeat and the client's wait dominates (the j3 runs show that case).
scenario_j() {
	local b rb=(--members 10 --partitions 12 --repeats "$R_J" --topic j)
	for b in strom kfake; do
		start_broker "$b" "j.$b"
		rebalance "j.$b" "${rb[@]}" --heartbeat-interval 100ms
		stop_fresh "j.$b"
		start_broker "$b" "j3.$b"
		rebalance "j3.$b" "${rb[@]}" --heartbeat-interval 3s
		stop_fresh "j3.$b"
	done
	# Kafka's initial delay (3 s, extended while members keep arriving)
	# only holds back the first join of an empty group; kfake has none.
	start_broker strom j0.strom group.initial.rebalance.delay.ms=0
	rebalance j0.strom "${rb[@]}" --heartbeat-interval 100ms
	stop_fresh j0.strom
}

# run_commit RESULT [perf commit args]
run_commit() {
	local name=$1
	shift
	echo "strom perf commit $* --bootstrap-server $BROKER_ADDR --json" >>"$OUT/commands"
	run_tool "$name" "$BIN/strom" perf commit "$@" --bootstrap-server "$BROKER_ADDR" --json || return 1
	log "$name: $(jq -r '"\(.commits_per_sec | floor) OffsetCommit/s, p99 \(.latency_ms.p99) ms"' "$OUT/$name.json")"
}

# Commit throughput: members commit, one request after another each, a new
# offset for every partition they own (8 in all).
scenario_k() {
	local b
	for b in strom kfake; do
		start_broker "$b" "k.$b"
		run_commit "k1.$b" --topic k --partitions 8 --members 1 --commits "$N_K" --duration 60s
		run_commit "k4.$b" --topic k --partitions 8 --members 4 --commits "$N_K" --duration 60s
		stop_fresh "k.$b"
	done
}

# --- report ----------------------------------------------------------------
# j FILE EXPR: a value from a result file, empty if the scenario did not run.
j() { [[ -s $OUT/$1.json ]] && jq -r "$2 // empty" "$OUT/$1.json" || true; }
# num VALUE [DECIMALS]: a number with thousands separators, "–" if empty.
num() { awk -v v="$1" -v d="${2:-0}" 'BEGIN {
	if (v == "") { print "–"; exit }
	s = sprintf("%." d "f", v); neg = s ~ /^-/; sub(/^-/, "", s)
	i = index(s, "."); ip = i ? substr(s, 1, i - 1) : s; fp = i ? substr(s, i) : ""
	while (length(ip) > 3) { fp = "," substr(ip, length(ip) - 2) fp; ip = substr(ip, 1, length(ip) - 3) }
	print (neg ? "-" : "") ip fp }'; }
# ratio A B: A/B to two decimals, "–" if either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f", a / b }'; }
# met VALUE OP LIMIT: yes or no, "–" if missing.
met() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
	if (v == "" || v == "–") { print "–"; exit }
	ok = (op == ">=") ? v + 0 >= l : v + 0 <= l; print ok ? "**yes**" : "**no**" }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "") print ""; else printf "%.0f", k / 1024 }'; }
# cpu_per_gb RESULT BYTES_EXPR: broker CPU seconds per GB (1e9 bytes) moved.
cpu_per_gb() {
	[[ -s $OUT/$1.json ]] || return 0
	jq -r "(.broker_cpu_s / (($2) * .record_size / 1e9))" "$OUT/$1.json"
}

# want S: scenario S was asked for.
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

report() {
	local row
	row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }
	local sa ka sb kb sc kc s1 k1 s0 k0 se
	sa=$(j a.strom .mb_per_sec); ka=$(j a.kfake .mb_per_sec)
	sb=$(j b.strom .e2e_latency_ms.p99); kb=$(j b.kfake .e2e_latency_ms.p99)
	sc=$(j c.strom .records_per_sec); kc=$(j c.kfake .records_per_sec)
	s1=$(j d1.strom .mb_per_sec); k1=$(j d1.kfake .mb_per_sec)
	s0=$(j d0.strom .mb_per_sec); k0=$(j d0.kfake .mb_per_sec)
	se=$(j e.strom .mb_per_sec)
	local rb
	rb=$(ratio "$sb" "$kb")

	echo "# Strom benchmark results"
	echo
	if [[ $SCALE != 1 ]]; then
		echo "> **SCALE=$SCALE: a quick check of the tooling with reduced sizes, not figures to quote.**"
		echo
	fi
	echo "Strom and franz-go's in-memory \`kfake\` (\`bench/kfake\`), each started fresh per"
	echo "scenario, measured with the same \`strom perf\` command in the same run."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- command: \`$CMDLINE\` (from the repository root)"
	echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
	echo "- disk under \`${BENCH_TMPDIR:-/tmp}\`: $DISK"
	echo "- $(go version)"
	echo "- load average at start: $LOAD0"
	echo
	echo "| scenario | Strom | kfake | ratio | target | met? |"
	echo "| --- | --- | --- | --- | --- | --- |"
	want a && row "a. e2e 1 KiB, 8 partitions, acks=all, unlimited: MB/s (records/s)" \
		"$(num "$sa" 1) ($(num "$(j a.strom .records_per_sec)"))" "$(num "$ka" 1) ($(num "$(j a.kfake .records_per_sec)"))" \
		"$(ratio "$sa" "$ka")" "≥ 0.8" "$(met "$(ratio "$sa" "$ka")" ">=" 0.8)"
	want b && row "b. e2e 1 KiB at 10,000 records/s, acks=all: p99 e2e latency ms" \
		"$(num "$sb" 2)" "$(num "$kb" 2)" "$rb" "≤ 1.5" "$(met "$rb" "<=" 1.5)"
	want c && row "c. produce 100 B, 8 partitions, acks=all: records/s" \
		"$(num "$sc")" "$(num "$kc")" "$(ratio "$sc" "$kc")" "Strom ≥ 1,000,000" "$(met "$sc" ">=" 1000000)"
	want d && row "d. e2e 1 KiB, acks=1: MB/s" "$(num "$s1" 1)" "$(num "$k1" 1)" "$(ratio "$s1" "$k1")" "report" "–"
	want d && row "d. produce 1 KiB, acks=0: MB/s" "$(num "$s0" 1)" "$(num "$k0" 1)" "$(ratio "$s0" "$k0")" "report" "–"
	want e && row "e. (a) with relaxed flush (Kafka's interval flush): MB/s, vs kfake (a)" "$(num "$se" 1)" "$(num "$ka" 1)" "$(ratio "$se" "$ka")" "report" "–"
	local sca kca scc kcc
	sca=$(cpu_per_gb a.strom '2 * .records_received'); kca=$(cpu_per_gb a.kfake '2 * .records_received')
	scc=$(cpu_per_gb c.strom '.records'); kcc=$(cpu_per_gb c.kfake '.records')
	want a && row "f. broker CPU s per GB moved, (a) (in + out)" "$(num "$sca" 1)" "$(num "$kca" 1)" "$(ratio "$sca" "$kca")" "report" "–"
	want c && row "f. broker CPU s per GB produced, (c)" "$(num "$scc" 1)" "$(num "$kcc" 1)" "$(ratio "$scc" "$kcc")" "report" "–"
	local ra rka
	ra=$(mib "$(j a.strom .broker_hwm_kb)"); rka=$(mib "$(j a.kfake .broker_hwm_kb)")
	want a && row "f. broker peak RSS during (a), MiB" "$(num "$ra")" "$(num "$rka")" "$(ratio "$ra" "$rka")" "report" "–"
	if [[ -s $OUT/g.json ]]; then
		local gb
		gb=$(jq -r '.data_bytes / 1e9' "$OUT/g.json")
		row "g. start-up with $(num "$gb" 2) GB after SIGTERM: ms to Metadata" "$(num "$(j g .clean_ms)")" "n/a (in memory)" "–" "report" "–"
		row "g. start-up with $(num "$gb" 2) GB after kill -9: ms to Metadata" "$(num "$(j g .unclean_ms)")" "n/a" "–" "report" "–"
		row "g. clean stop (SIGTERM to exit) with $(num "$gb" 2) GB: ms" "$(num "$(j g .stop_ms)")" "n/a" "–" "report" "–"
		row "g. RSS after restart, MiB" "$(num "$(mib "$(j g .rss_kb)")")" "n/a" "–" "report" "–"
	fi
	if [[ -s $OUT/h.strom.json ]]; then
		local p
		p=$(num "$(j h.strom .partitions)")
		row "h. create $p partitions ($(j h.strom .topics) topics × 100): ms" "$(num "$(j h.strom .create_ms)")" "$(num "$(j h.kfake .create_ms)")" "$(ratio "$(j h.strom .create_ms)" "$(j h.kfake .create_ms)")" "report" "–"
		row "h. one record to each of $p partitions, acks=all: ms" "$(num "$(j h.strom .produce_ms)")" "$(num "$(j h.kfake .produce_ms)")" "$(ratio "$(j h.strom .produce_ms)" "$(j h.kfake .produce_ms)")" "report" "–"
		row "h. RSS with $p partitions loaded, MiB" "$(num "$(mib "$(j h.strom .rss_loaded_kb)")")" "$(num "$(mib "$(j h.kfake .rss_loaded_kb)")")" "–" "report" "–"
		row "h. clean stop with $p partitions: ms" "$(num "$(j h.strom .stop_ms)")" "n/a" "–" "report" "–"
		row "h. restart with $p partitions: ms until all are led" "$(num "$(j h.strom .restart_ms)")" "n/a" "–" "report" "–"
		row "h. RSS after restart, MiB" "$(num "$(mib "$(j h.strom .rss_restart_kb)")")" "n/a" "–" "report" "–"
	fi
	local si ki
	si=$(j i.strom .mb_per_sec); ki=$(j i.kfake .mb_per_sec)
	want i && row "i. group of 4 consumers, 8 partitions, 1 KiB, once the group has settled: MB/s (records/s)" \
		"$(num "$si" 1) ($(num "$(j i.strom .records_per_sec)"))" "$(num "$ki" 1) ($(num "$(j i.kfake .records_per_sec)"))" \
		"$(ratio "$si" "$ki")" "report" "–"
	want i && row "i. same: ms from start to the group's first record (join)" "$(num "$(j i.strom .first_record_ms)")" \
		"$(num "$(j i.kfake .first_record_ms)")" "$(ratio "$(j i.strom .first_record_ms)" "$(j i.kfake .first_record_ms)")" "report" "–"
	# mm RESULT FIELD: "median / max" of a rebalance run.
	mm() { echo "$(num "$(j "$1" ".$2_median_ms")") / $(num "$(j "$1" ".$2_max_ms")")"; }
	local r
	for r in j j3; do
		local hb
		hb=$([[ $r == j ]] && echo "100 ms" || echo "3 s")
		want j && row "j. 11th member joins a settled group of 10 (12 partitions, heartbeat $hb): ms until all are assigned and consuming, median / max of $R_J" \
			"$(mm "$r.strom" join)" "$(mm "$r.kfake" join)" "$(ratio "$(j "$r.strom" .join_median_ms)" "$(j "$r.kfake" .join_median_ms)")" "report" "–"
		want j && row "j. the 11th leaves (LeaveGroup, heartbeat $hb): ms until settled, median / max" \
			"$(mm "$r.strom" leave)" "$(mm "$r.kfake" leave)" "$(ratio "$(j "$r.strom" .leave_median_ms)" "$(j "$r.kfake" .leave_median_ms)")" "report" "–"
	done
	want j && row "j. first settling of 10 new members, empty group: ms (Strom default group.initial.rebalance.delay.ms=3000; kfake has no delay)" \
		"$(num "$(j j.strom .initial_ms)")" "$(num "$(j j.kfake .initial_ms)")" "$(ratio "$(j j.strom .initial_ms)" "$(j j.kfake .initial_ms)")" "report" "–"
	want j && row "j. same with group.initial.rebalance.delay.ms=0: ms (join median / max: $(mm j0.strom join))" \
		"$(num "$(j j0.strom .initial_ms)")" "$(num "$(j j.kfake .initial_ms)")" "$(ratio "$(j j0.strom .initial_ms)" "$(j j.kfake .initial_ms)")" "report" "–"
	local m
	for m in 1 4; do
		local sk kk
		sk=$(j "k$m.strom" .commits_per_sec); kk=$(j "k$m.kfake" .commits_per_sec)
		local who="1 member"
		[[ $m == 1 ]] || who="$m members"
		want k && row "k. OffsetCommit/s, $who committing 8 partitions, one request at a time each" \
			"$(num "$sk")" "$(num "$kk")" "$(ratio "$sk" "$kk")" "report" "–"
		want k && row "k. same: commit latency p50 / p99 ms" \
			"$(num "$(j "k$m.strom" .latency_ms.p50)" 2) / $(num "$(j "k$m.strom" .latency_ms.p99)" 2)" \
			"$(num "$(j "k$m.kfake" .latency_ms.p50)" 2) / $(num "$(j "k$m.kfake" .latency_ms.p99)" 2)" \
			"$(ratio "$(j "k$m.strom" .latency_ms.p99)" "$(j "k$m.kfake" .latency_ms.p99)")" "report" "–"
	done
	echo
	echo "Every run, in detail (latency: e2e for e2e runs, produce-to-ack for produce runs;"
	echo "broker CPU = user+system seconds of the broker process during the perf command;"
	echo "peak RSS = the broker's VmHWM since it started):"
	echo
	echo "| run | records | s | records/s | MB/s | latency p50 / p99 / max ms | broker CPU s | peak RSS MiB |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	local f name
	for f in "$OUT"/*.json; do
		name=$(basename "$f" .json)
		jq -e 'has("broker_cpu_s") and has("records_per_sec")' "$f" >/dev/null 2>&1 || continue
		# perf consume measures no latency: "–" for it.
		jq -r --arg n "$name" 'def r2: if . == null then "–" else . * 100 | round / 100 end;
			(.e2e_latency_ms // .latency_ms) as $l |
			"| \($n) | \(.records_received // .records) | \(.seconds * 100 | round / 100) | \(.records_per_sec | round) | \(.mb_per_sec * 10 | round / 10) | \($l.p50 | r2) / \($l.p99 | r2) / \($l.max | r2) | \(.broker_cpu_s) | \(.broker_hwm_kb / 1024 | round) |"' "$f"
	done
	echo
	echo "Definitions: MB = 2^20 bytes in throughput columns (as \`strom perf\` prints),"
	echo "GB = 10^9 bytes of record values for CPU per GB; an e2e record moves its bytes"
	echo "through the broker twice (produce and fetch). The perf client runs on the same"
	echo "2 cores as the broker, for both brokers alike. Strom runs with its defaults"
	echo "(fsync before acknowledging, group commit) except in (e); kfake keeps"
	echo "everything in memory and never syncs. Start-up times run from launching the"
	echo "process until a Metadata request lists every partition with a leader"
	echo "(\`bench/waitready\`), with the page cache warm (nothing is dropped)."
	if want i || want j || want k; then
		echo "Group scenarios use franz-go clients with their default balancer"
		echo "(cooperative-sticky), each member its own client in one process. (i) counts"
		echo "throughput from when the members own every partition (none polls before)"
		echo "and commits the records it counts with kgo's autocommit of marked records. (j) counts a group settled when every member is assigned,"
		echo "every partition has exactly one owner and each owner has received a record"
		echo "from it since it was assigned (nothing is committed, so a moved partition"
		echo "is read from its start); the first settling of a new group waits out"
		echo "Strom's group.initial.rebalance.delay.ms, which, as in Kafka, is extended"
		echo "by another delay while members keep joining. (k) times one OffsetCommit"
		echo "request from send to answer; Strom answers once the commit is durable."
	fi
	echo
	echo "Commands (\`strom\`, \`kfake\`, \`waitready\`, \`manyparts\`, \`rebalance\` are built from this"
	echo "repository: \`go build ./cmd/strom ./bench/...\`; ports differ per run):"
	echo
	echo '```'
	sort -u "$OUT/commands" 2>/dev/null | sed -E "s#$TMP#\$TMP#g; s#127\.0\.0\.1:[0-9]+#127.0.0.1:PORT#g" | sort -u
	echo '```'
	if [[ -n $FAILED ]]; then
		echo
		echo "**Failed scenarios:**$FAILED (see the log on stderr)."
	fi
}

# --- main ------------------------------------------------------------------
BIN=$TMP/bin
mkdir -p "$BIN"
log "building into $BIN"
go build -o "$BIN/strom" ./cmd/strom
go build -o "$BIN/kfake" ./bench/kfake
go build -o "$BIN/waitready" ./bench/waitready
go build -o "$BIN/manyparts" ./bench/manyparts
go build -o "$BIN/rebalance" ./bench/rebalance

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
DISK=$(
	src=$(df --output=source "$TMP" | tail -1)
	fs=$(df --output=fstype "$TMP" | tail -1)
	dev=$(basename "$src")
	rota=$(cat "/sys/class/block/$dev/queue/rotational" 2>/dev/null || echo '?')
	echo "$src ($fs, rotational=$rota)"
)

FAILED=""
for s in $SCENARIOS; do
	case $s in a | b | c | d | e | g | h | i | j | k) ;; *) echo "unknown scenario $s" >&2; exit 2 ;; esac
	log "scenario $s"
	# A subshell per scenario, so a failure is recorded and the run goes on;
	# its own trap stops whatever brokers it started.
	set +e
	(
		set -e
		trap cleanup EXIT
		trap 'exit 130' INT TERM
		"scenario_$s"
	)
	rc=$?
	set -e
	# Interrupted: the subshell stopped its brokers; stop here too (bash
	# does not run the parent's INT trap for a child that exited itself).
	[[ $rc == 130 ]] && exit 130
	if [[ $rc != 0 ]]; then
		log "scenario $s FAILED (exit $rc)"
		FAILED="$FAILED $s"
	fi
done

mkdir -p "$(dirname "$RESULTS")"
report >"$RESULTS"
cat "$RESULTS"
[[ -z $FAILED ]]
