#!/usr/bin/env bash
# bench.sh: `make bench`. Starts a farm of real OpenSSH servers (200 hosts,
# one sshd per 16 of them), runs `drover exec -- true` on all of them at two
# parallelisms and the same with OpenSSH's ssh under xargs; then runbooks at
# 50 in flight: one step, ten builtin steps (`true`) and ten program steps
# (`/bin/echo`), beside OpenSSH running the same commands over one
# ControlMaster connection per host. It prints wall time, client CPU per
# host, peak RSS and hosts ok for each, the ratios of the multi-step cases
# to their one-step case, next to the targets. Needs root and
# openssh-server; installs GNU time if it is missing. Takes the farm down on
# exit, also after a failure or Ctrl-C.
#
# The upload cases publish a 50 MB tree of 2,000 files to the first 50
# hosts, then a second release with 1 % of the files changed: drover (the
# second as a delta against the first), `tar c | ssh tar x` per host and
# `rsync -a` (the second with --link-dest) over ssh, 50 at once each. They
# print wall time and the bytes each sends per host.
#
# The persist case runs exec twice with --persist: cold, then on the
# connections the first kept, and counts the connections the farm accepted
# for the second; beside it, OpenSSH with ControlPersist does the same, and
# the warm run's CPU is split into farm, keeper and command. The scale case rebuilds the farm with 1,000 hosts and
# runs exec on its first 200 and on all of them, beside ssh, and beside
# spot (github.com/umputun/spot) when a spot binary is at hand: spot's
# ad-hoc mode, `spot -c 50 true`, is the peer whose client CPU per host
# drover's should stay below. The Go module proxy serves no version of
# spot, so it is not installed here: build it from its source
# (`go build ./cmd/spot` in a checkout, which vendors its modules) and
# point BENCH_SPOT at it.
#
# Environment: BENCH_HOSTS (200), BENCH_DIR (/tmp/drover-bench-farm),
# DROVER (bin/drover), BENCH_NET (21: hosts on 127.0.21.* and up),
# BENCH_REPEAT (3: runs of each case; the table shows the medians),
# BENCH_CASES ("exec steps persist upload scale": exec is the
# exec-against-ssh cases, steps the runbook cases, persist a second exec on
# the connections --persist kept, upload the release uploads, scale exec
# on a farm of BENCH_SCALE_HOSTS (1000) against its first 200 and ssh),
# BENCH_SCALE_HOSTS, BENCH_SCALE_REPEAT (5: runs of each size and of ssh,
# in turn),
# BENCH_STEPS_REPEAT (5: runs of each drover runbook, in turn),
# BENCH_SPOT (a spot binary; default: spot on PATH, if any).
set -euo pipefail
cd "$(dirname "$0")/../.."

HOSTS=${BENCH_HOSTS:-200}
DIR=${BENCH_DIR:-/tmp/drover-bench-farm}
DROVER=${DROVER:-bin/drover}
NET=${BENCH_NET:-21}
FARM=examples/farm/farm.sh
TIME=/usr/bin/time

need_time() {
	[ -x "$TIME" ] && return 0
	echo "bench: installing GNU time" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
}

# measure NAME OUT CMD...: run CMD under GNU time $REPEAT times; record the
# median of each column, "wall user sys rss". The farm shares the machine's
# cores with the client, so one sample swings by a quarter; the median of a
# few does not.
REPEAT=${BENCH_REPEAT:-3}
measure() {
	local name=$1 out=$2 i; shift 2
	echo "bench: $name (x$REPEAT)" >&2
	for i in $(seq 1 "$REPEAT"); do
		sample "$name" "$out" "$i" "$@"
	done
	summarize "$name"
}

# sample NAME OUT I CMD...: run I of CMD under GNU time, and the farm's CPU
# time meanwhile.
sample() {
	local name=$1 out=$2 i=$3 before; shift 3
	before=$(farm_ticks)
	"$TIME" -f '%e %U %S %M' -o "$DIR/bench/$name.time.$i" "$@" >"$out" 2>"$DIR/bench/$name.err" || true
	sleep 0.5
	echo $(( $(farm_ticks) - before )) > "$DIR/bench/$name.farm.$i"
}

# summarize NAME: the medians of NAME's samples.
summarize() {
	median_columns "$DIR/bench/$1".time.* > "$DIR/bench/$1.time"
	sort -n "$DIR/bench/$1".farm.* | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}' > "$DIR/bench/$1.farm"
}

# farm_ticks: the CPU time the farm's sshd listeners and everything they
# started and reaped have used, in clock ticks.
farm_ticks() {
	local f
	for f in "$DIR"/units/*/sshd.pid; do
		awk '{print $14 + $15 + $16 + $17}' "/proc/$(cat "$f")/stat" 2>/dev/null || true
	done | awk '{s += $1} END {print s + 0}'
}

# median_columns FILE...: each file's last line is "wall user sys rss"; print
# the median of wall, of user+sys (as user, with sys 0) and of rss.
median_columns() {
	local f
	for f in "$@"; do tail -n 1 "$f"; done | awk '
		{ w[NR] = $1; c[NR] = $2 + $3; r[NR] = $4 }
		function med(a, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return a[int((n + 1) / 2)]
		}
		END { printf "%s %s 0 %s\n", med(w, NR), med(c, NR), med(r, NR) }'
}

# drover_ok OUT: hosts that exited 0, from the folded `exit 0  N/M hosts` headers.
drover_ok() {
	grep -o 'exit 0  [0-9]*/' "$1" | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}'
}

run_drover() {
	local p=$1 home="$DIR/bench/home"
	mkdir -p "$home"
	measure "drover-p$p" "$DIR/bench/drover-p$p.out" \
		env HOME="$home" XDG_STATE_HOME="$home/state" NO_COLOR=1 \
		"$DROVER" exec -i "$DIR/inventory.toml" -g web -p "$p" -- true
	drover_ok "$DIR/bench/drover-p$p.out" > "$DIR/bench/drover-p$p.ok"
}

run_ssh() {
	local p=$1
	measure "ssh-P$p" "$DIR/bench/ssh-P$p.out" \
		xargs -a "$DIR/bench/addrs" -P "$p" -I{} ssh -F /dev/null -o KexAlgorithms=curve25519-sha256 \
		-o BatchMode=yes -i "$DIR/id_ed25519" -o UserKnownHostsFile="$DIR/known_hosts" deploy@{} echo ok
	grep -c '^ok$' "$DIR/bench/ssh-P$p.out" > "$DIR/bench/ssh-P$p.ok" || true
}

# write_runbook FILE N CMD: a runbook of N steps that each run CMD.
write_runbook() {
	local rb=$1 n=$2 cmd=$3 i
	{
		printf 'name = "steps"\n\n[[stage]]\nname = "steps"\nmax_fail = "100%%"\n'
		for i in $(seq 1 "$n"); do
			printf '\n  [[stage.step]]\n  name = "step %d"\n  run  = "%s"\n' "$i" "$cmd"
		done
	} > "$rb"
}

# run_runbooks: the runbooks of one step, ten builtin steps (true) and ten
# program steps (/bin/echo) on every host, 50 in flight, over the one
# connection per host drover keeps for the run. The three take turns, so
# that what else the machine does weighs on each alike: their ratios are
# the targets. Each run swings by a fifth on a loaded machine and the
# targets sit close to the ratios, so they take $STEPS_REPEAT turns.
STEPS_REPEAT=${BENCH_STEPS_REPEAT:-5}
run_runbooks() {
	local home="$DIR/bench/home" i name j steps
	local -a names=(steps1 steps10-builtin steps10-program)
	mkdir -p "$home"
	write_runbook "$DIR/bench/steps1.toml" 1 true
	write_runbook "$DIR/bench/steps10-builtin.toml" 10 true
	write_runbook "$DIR/bench/steps10-program.toml" 10 "/bin/echo step"
	echo "bench: ${names[*]} (x$STEPS_REPEAT, in turn)" >&2
	for i in $(seq 1 "$STEPS_REPEAT"); do
		for name in "${names[@]}"; do
			sample "$name" "$DIR/bench/$name.out" "$i" \
				env HOME="$home" XDG_STATE_HOME="$home/state" NO_COLOR=1 \
				"$DROVER" run "$DIR/bench/$name.toml" -i "$DIR/inventory.toml" -g web -p 50
			# the journal of this run, in bytes per host per step
			steps=10
			[ "$name" = steps1 ] && steps=1
			j=$(ls -t "$home"/state/drover/runs/*.jsonl | head -n 1 || true)
			echo $(( $(stat -c %s "$j") / HOSTS / steps )) > "$DIR/bench/$name.journal"
		done
	done
	for name in "${names[@]}"; do
		summarize "$name"
		# the tally under the summary table: "200 ok"
		{ grep -oE '^[0-9]+ ok' "$DIR/bench/$name.out" | tail -1 | cut -d' ' -f1; } > "$DIR/bench/$name.ok" || true
	done
}

# run_ssh_steps: OpenSSH at 50 in flight, each host's commands over one
# ControlMaster connection (opened, used N times, closed), for one command,
# ten true and ten /bin/echo, in turn as run_runbooks.
run_ssh_steps() {
	local script="$DIR/bench/cm.sh" i
	mkdir -p "$DIR/bench/cm"
	cat > "$script" <<-'EOS'
		#!/bin/sh
		# cm.sh ADDR N CMD DIR: N x CMD over one ControlMaster connection.
		addr=$1 n=$2 cmd=$3 dir=$4 sock="$4/bench/cm/$1"
		set -- -F /dev/null -o KexAlgorithms=curve25519-sha256 -o BatchMode=yes \
			-i "$dir/id_ed25519" -o UserKnownHostsFile="$dir/known_hosts" -o ControlPath="$sock"
		ssh "$@" -o ControlMaster=yes -o ControlPersist=yes -N -f "deploy@$addr" || exit 1
		ok=1 i=0
		while [ "$i" -lt "$n" ]; do
			ssh "$@" "deploy@$addr" "$cmd" >/dev/null || ok=0
			i=$((i + 1))
		done
		ssh "$@" -O exit "deploy@$addr" 2>/dev/null
		[ "$ok" = 1 ] && echo ok
	EOS
	chmod +x "$script"
	echo "bench: ssh-steps1 ssh-steps10-builtin ssh-steps10-program (x$REPEAT, in turn)" >&2
	for i in $(seq 1 "$REPEAT"); do
		sample ssh-steps1 "$DIR/bench/ssh-steps1.out" "$i" \
			xargs -a "$DIR/bench/addrs" -P 50 -I{} "$script" {} 1 true "$DIR"
		sample ssh-steps10-builtin "$DIR/bench/ssh-steps10-builtin.out" "$i" \
			xargs -a "$DIR/bench/addrs" -P 50 -I{} "$script" {} 10 true "$DIR"
		sample ssh-steps10-program "$DIR/bench/ssh-steps10-program.out" "$i" \
			xargs -a "$DIR/bench/addrs" -P 50 -I{} "$script" {} 10 "/bin/echo step" "$DIR"
	done
	for name in ssh-steps1 ssh-steps10-builtin ssh-steps10-program; do
		summarize "$name"
		grep -c '^ok$' "$DIR/bench/$name.out" > "$DIR/bench/$name.ok" || true
	done
}

# make_release DIR SALT CHANGED: 2,000 files of 25 kB in 40 directories,
# incompressible; with CHANGED, every 100th file differs (1 %).
make_release() {
	local dir=$1 i d
	mkdir -p "$dir"
	for (( d = 0; d < 40; d++ )); do mkdir -p "$dir/d$d"; done
	for (( i = 0; i < 2000; i++ )); do
		head -c 25000 /dev/urandom > "$dir/d$(( i % 40 ))/f$i"
	done
}

# change_release SRC DST: DST is SRC with every 100th file rewritten.
change_release() {
	local i
	cp -a "$1" "$2"
	for (( i = 0; i < 2000; i += 100 )); do
		head -c 25000 /dev/urandom > "$2/d$(( i % 40 ))/f$i"
	done
}

# upload_runbook FILE: publish SOURCE as release REL under a per-host root
# (the benchmark farm's hosts share /srv by 16), against BASE.
upload_runbook() {
	cat > "$1" <<-'EOS'
		name = "publish"
		[params.rel]
		help = "release id"
		[params.src]
		required = true
		pattern = '.+'
		help = "the tree"
		[params.base]
		default = "none"
		help = "the release to link from (none: no such directory, so no base)"
		[[stage]]
		name = "publish"
		parallel = 50
		  [[stage.step]]
		  name = "publish"
		  upload = "{{ .src }}"
		  to = "/srv/bench/drover/{{ .addr }}/{{ .rel }}"
		  base = "/srv/bench/drover/{{ .addr }}/{{ .base }}"
	EOS
}

# run_uploads: the first and the second release by drover, tar|ssh and rsync.
run_uploads() {
	local home="$DIR/bench/home" rb="$DIR/bench/publish.toml" src="$DIR/bench/src" opts
	mkdir -p "$home"
	rm -rf "$src"
	make_release "$src/r1"
	change_release "$src/r1" "$src/r2"
	upload_runbook "$rb"
	head -n 50 "$DIR/bench/addrs" > "$DIR/bench/addrs50"
	awk '$1 == "web" { print $2 }' "$DIR/hosts.list" | head -n 50 | paste -sd, > "$DIR/bench/names50"
	opts="-F /dev/null -o KexAlgorithms=curve25519-sha256 -o BatchMode=yes -i $DIR/id_ed25519 -o UserKnownHostsFile=$DIR/known_hosts"
	local i
	for i in $(seq 1 "$REPEAT"); do
		clean_bench_srv
		upload_once "$i" "$home" "$rb" "$src" "$opts"
	done
	for r in up1-drover up1-tar up1-rsync up2-drover up2-tar up2-rsync; do
		median_columns "$DIR/bench/$r".time.* > "$DIR/bench/$r.time"
		echo 50 > "$DIR/bench/$r.ok"
	done
	verify_uploads "$src" > "$DIR/bench/up2-drover.verify"
	grep -ohE 'sent [0-9.]+ [kMG]?B' "$DIR/bench/up2-drover.out" | sort | uniq -c | sort -rn | head -3 > "$DIR/bench/up2-drover.sent" || true
	grep -ohE 'sent [0-9.]+ [kMG]?B' "$DIR/bench/up1-drover.out" | sort | uniq -c | sort -rn | head -3 > "$DIR/bench/up1-drover.sent" || true
	grep -E '^(sent|total size)' "$DIR/bench/up2-rsync.out" | head -2 > "$DIR/bench/up2-rsync.sent" || true
}

# clean_bench_srv: an empty /srv/bench owned by deploy in every unit (the
# hosts of a unit share its /srv).
clean_bench_srv() {
	local h
	for h in $(awk '$1 == "web" { print $2 }' "$DIR/hosts.list" | head -n 50); do
		"$FARM" exec "$h" --dir "$DIR" -- "rm -rf /srv/bench; mkdir -p /srv/bench && chown deploy: /srv/bench"
	done
}

# verify_uploads SRC: on each of the 50 hosts, whether drover's second
# release equals SRC/r2 (diff -r) and its unchanged files share the first
# release's inodes (every file but the changed 1 %).
verify_uploads() {
	local src=$1 h addr same=0 linked=0
	for h in $(tr , ' ' < "$DIR/bench/names50"); do
		addr=$(cat "$DIR/hosts/$h/addr")
		"$FARM" exec "$h" --dir "$DIR" -- "diff -r '$src/r2' /srv/bench/drover/$addr/r2" >/dev/null 2>&1 && same=$((same + 1))
		[ "$("$FARM" exec "$h" --dir "$DIR" -- "cd /srv/bench/drover/$addr && find r1 r2 -type f -links 2 | wc -l")" = 3960 ] &&
			linked=$((linked + 1))
	done
	echo "diff -r against the local tree empty on $same/50 hosts; 1980 unchanged files linked to r1 on $linked/50 hosts"
}

# upload_once I HOME RUNBOOK SRC SSHOPTS: one round of the six cases.
upload_once() {
	local i=$1 home=$2 rb=$3 src=$4 opts=$5
	timed "up1-drover.time.$i" "$DIR/bench/up1-drover.out" env HOME="$home" XDG_STATE_HOME="$home/state" NO_COLOR=1 		"$DROVER" run "$rb" -i "$DIR/inventory.toml" -H "$(cat "$DIR/bench/names50")" --yes -v --set rel=r1 --set src="$src/r1"
	timed "up1-tar.time.$i" /dev/null xargs -a "$DIR/bench/addrs50" -P 50 -I{} sh -c 		"tar -C '$src/r1' -cf - . | ssh $opts deploy@{} 'mkdir -p /srv/bench/tar/{}/r1 && tar -x -C /srv/bench/tar/{}/r1'"
	timed "up1-rsync.time.$i" /dev/null xargs -a "$DIR/bench/addrs50" -P 50 -I{} 		rsync -a --mkpath -e "ssh $opts" "$src/r1/" "deploy@{}:/srv/bench/rsync/{}/r1/"
	timed "up2-drover.time.$i" "$DIR/bench/up2-drover.out" env HOME="$home" XDG_STATE_HOME="$home/state" NO_COLOR=1 		"$DROVER" run "$rb" -i "$DIR/inventory.toml" -H "$(cat "$DIR/bench/names50")" --yes -v --set rel=r2 --set src="$src/r2" 		--set base=r1
	timed "up2-tar.time.$i" /dev/null xargs -a "$DIR/bench/addrs50" -P 50 -I{} sh -c 		"tar -C '$src/r2' -cf - . | ssh $opts deploy@{} 'mkdir -p /srv/bench/tar/{}/r2 && tar -x -C /srv/bench/tar/{}/r2'"
	timed "up2-rsync.time.$i" "$DIR/bench/up2-rsync.out" xargs -a "$DIR/bench/addrs50" -P 50 -I{} 		rsync -a --stats --mkpath --link-dest=../r1 -e "ssh $opts" "$src/r2/" "deploy@{}:/srv/bench/rsync/{}/r2/"
}

# farm_accepted: TCP connections the farm's sshds have accepted so far
# (they log each at LogLevel VERBOSE).
farm_accepted() {
	cat "$DIR"/units/*/sshd.log 2>/dev/null | grep -c '^Connection from' || true
}

# run_persist: drover exec -- true on every host with --persist 60s, cold
# (no connection kept) then warm (the first one's connections), $REPEAT
# times; the TCP connections the farm accepted during the warm one; and
# the drover processes left after drover disconnect.
run_persist() {
	local home="$DIR/bench/home" run="$DIR/bench/run" i before busy keeper
	mkdir -p "$home" "$run" && chmod 700 "$run"
	local -a env=(env HOME="$home" XDG_STATE_HOME="$home/state" XDG_RUNTIME_DIR="$run" NO_COLOR=1)
	: > "$DIR/bench/persist-warm.accepted"
	: > "$DIR/bench/persist-left"
	: > "$DIR/bench/persist-warm.cpu"
	for i in $(seq 1 "$REPEAT"); do
		"${env[@]}" "$DROVER" disconnect >/dev/null
		timed "persist-cold.time.$i" "$DIR/bench/persist-cold.out" \
			"${env[@]}" "$DROVER" exec -i "$DIR/inventory.toml" -g web -p 50 --persist 60s -- true
		before=$(farm_accepted)
		busy=$(busy_ticks) keeper=$(keeper_ticks)
		timed "persist-warm.time.$i" "$DIR/bench/persist-warm.out" \
			"${env[@]}" "$DROVER" exec -i "$DIR/inventory.toml" -g web -p 50 --persist 60s -- true
		echo "$(( $(busy_ticks) - busy )) $(( $(keeper_ticks) - keeper ))" \
			"$(tail -n 1 "$DIR/bench/persist-warm.time.$i")" >> "$DIR/bench/persist-warm.cpu"
		echo $(( $(farm_accepted) - before )) >> "$DIR/bench/persist-warm.accepted"
		"${env[@]}" "$DROVER" disconnect >/dev/null
		{ pgrep -c -f "drover persist-keeper" || true; } >> "$DIR/bench/persist-left"
	done
	for c in cold warm; do
		median_columns "$DIR/bench/persist-$c".time.* > "$DIR/bench/persist-$c.time"
		drover_ok "$DIR/bench/persist-$c.out" > "$DIR/bench/persist-$c.ok"
	done
	run_ssh_persist
}

# busy_ticks: the CPU time the whole machine has been busy, in clock ticks.
busy_ticks() {
	awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# keeper_ticks: the CPU time the connection keeper has used, in clock ticks.
keeper_ticks() {
	local pid
	pid=$(pgrep -f "drover persist-keeper" | head -n 1 || true)
	[ -n "$pid" ] && awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0
}

# persist_floor: where the warm runs' CPU went (the machine's busy time
# less the keeper's and the command's is the farm's, near enough on a
# quiet machine), and the least wall the farm's share allows on this
# machine's cores, against the cold run.
persist_floor() {
	awk -v tck="$(getconf CLK_TCK)" -v cores="$(nproc)" -v cold="$(wall_of persist-cold)" '
		{ b[NR] = $1 / tck; k[NR] = $2 / tck; c[NR] = $4 + $5; f[NR] = b[NR] - k[NR] - c[NR] }
		function med(a, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return a[int((n + 1) / 2)]
		}
		END {
			fm = med(f, NR)
			printf "persist: CPU of a warm run: farm %.2f s, keeper %.2f s, command %.2f s; the farm alone on %d cores needs %.2f s, %.2f x the cold run\n",
				fm, med(k, NR), med(c, NR), cores, fm / cores, (cold > 0 ? fm / cores / cold : 0)
		}' "$DIR/bench/persist-warm.cpu"
}

# run_ssh_persist: the same with OpenSSH's ControlPersist through xargs -P
# 50, a PTY per command as drover exec has: cold (each ssh opens a master
# that stays), warm (each uses its host's master), then every master told
# to exit; $REPEAT times.
run_ssh_persist() {
	local i c
	mkdir -p "$DIR/bench/cp"
	local -a ssh=(ssh -F /dev/null -o KexAlgorithms=curve25519-sha256 -o BatchMode=yes
		-i "$DIR/id_ed25519" -o UserKnownHostsFile="$DIR/known_hosts"
		-o ControlMaster=auto -o ControlPath="$DIR/bench/cp/%h" -o ControlPersist=60)
	for i in $(seq 1 "$REPEAT"); do
		for c in cold warm; do
			timed "ssh-persist-$c.time.$i" "$DIR/bench/ssh-persist-$c.out" \
				xargs -a "$DIR/bench/addrs" -P 50 -I{} "${ssh[@]}" -tt deploy@{} 'echo ok' </dev/null
		done
		xargs -a "$DIR/bench/addrs" -P 50 -I{} "${ssh[@]}" -O exit deploy@{} 2>/dev/null || true
	done
	for c in cold warm; do
		median_columns "$DIR/bench/ssh-persist-$c".time.* > "$DIR/bench/ssh-persist-$c.time"
		{ grep -c '^ok' "$DIR/bench/ssh-persist-$c.out" || true; } > "$DIR/bench/ssh-persist-$c.ok"
	done
}

# run_scale: the farm is rebuilt with $SCALE hosts (one sshd per 16
# addresses, as always); drover exec -- true at 50 in flight on its first
# 200 hosts and on all of them, and OpenSSH through xargs -P 50 on all of
# them.
SCALE=${BENCH_SCALE_HOSTS:-1000}
SCALE_REPEAT=${BENCH_SCALE_REPEAT:-5}
run_scale() {
	local home="$DIR/bench/home" n i
	"$FARM" down --dir "$DIR"
	"$FARM" up "$SCALE" --shared --dir "$DIR" --net "$NET"
	for f in "$DIR"/hosts/*/addr; do cat "$f"; done > "$DIR/bench/scale-addrs"
	mkdir -p "$home"
	local spot
	spot=$(spot_binary)
	[ -z "$spot" ] || spot_inventory > "$DIR/bench/spot-inventory.yml"
	# The two sizes, ssh and spot take turns, so that what else the
	# machine does weighs on each alike; their ratios are the targets.
	echo "bench: scale-drover200, scale-drover$SCALE, scale-ssh$SCALE${spot:+, scale-spot$SCALE} (x$SCALE_REPEAT, in turn)" >&2
	for i in $(seq 1 "$SCALE_REPEAT"); do
		if [ -n "$spot" ]; then
			# spot writes nothing but its output; it runs in an empty
			# directory so that no spot.yml there is read.
			sample "scale-spot$SCALE" "$DIR/bench/scale-spot$SCALE.out" "$i" \
				env -C "$home" HOME="$home" "$spot" --inventory="$DIR/bench/spot-inventory.yml" -t all -u deploy \
				-k "$DIR/id_ed25519" -c 50 --no-color true
		fi
		for n in 200 "$SCALE"; do
			sample "scale-drover$n" "$DIR/bench/scale-drover$n.out" "$i" \
				env HOME="$home" XDG_STATE_HOME="$home/state" NO_COLOR=1 \
				"$DROVER" exec -i "$DIR/inventory.toml" -H "$(scale_hosts "$n")" -p 50 -- true
		done
		sample "scale-ssh$SCALE" "$DIR/bench/scale-ssh$SCALE.out" "$i" \
			xargs -a "$DIR/bench/scale-addrs" -P 50 -I{} ssh -F /dev/null -o KexAlgorithms=curve25519-sha256 \
			-o BatchMode=yes -i "$DIR/id_ed25519" -o UserKnownHostsFile="$DIR/known_hosts" deploy@{} echo ok
	done
	for n in 200 "$SCALE"; do
		summarize "scale-drover$n"
		drover_ok "$DIR/bench/scale-drover$n.out" > "$DIR/bench/scale-drover$n.ok"
		echo "$n" > "$DIR/bench/scale-drover$n.hosts"
	done
	summarize "scale-ssh$SCALE"
	grep -c '^ok$' "$DIR/bench/scale-ssh$SCALE.out" > "$DIR/bench/scale-ssh$SCALE.ok" || true
	echo "$SCALE" > "$DIR/bench/scale-ssh$SCALE.hosts"
	if [ -n "$spot" ]; then
		summarize "scale-spot$SCALE"
		grep -c 'completed task "ad-hoc"' "$DIR/bench/scale-spot$SCALE.out" > "$DIR/bench/scale-spot$SCALE.ok" || true
		echo "$SCALE" > "$DIR/bench/scale-spot$SCALE.hosts"
	fi
}

# spot_binary: the spot to compare with, or nothing.
spot_binary() {
	if [ -n "${BENCH_SPOT:-}" ]; then
		[ -x "$BENCH_SPOT" ] || { echo "bench: BENCH_SPOT=$BENCH_SPOT is not an executable" >&2; exit 1; }
		echo "$BENCH_SPOT"
		return
	fi
	command -v spot || true
}

# spot_inventory: the scale farm as a spot inventory.
spot_inventory() {
	local d
	echo "hosts:"
	for d in "$DIR"/hosts/*/; do
		printf '  - {host: "%s", name: "%s"}\n' "$(cat "$d/addr")" "$(basename "$d")"
	done
}

# scale_hosts N: the -H list of the first N hosts of the scale farm
# (farm.sh names them web001.. when it has more than 99).
scale_hosts() {
	local w=2
	[ "$SCALE" -gt 99 ] && w=3
	printf 'web[%0*d:%0*d]' "$w" 1 "$w" "$1"
}

# scale_verdict: the scale case against its targets.
scale_verdict() {
	local w2 u2 s2 r2 w1 u1 s1 r1
	read -r w2 u2 s2 r2 < "$DIR/bench/scale-drover200.time"
	read -r w1 u1 s1 r1 < "$DIR/bench/scale-drover$SCALE.time"
	awk -v n="$SCALE" -v u2="$u2" -v s2="$s2" -v u1="$u1" -v s1="$s1" -v r1="$r1" \
		-v w1="$w1" -v sw="$(wall_of "scale-ssh$SCALE")" 'BEGIN {
		a = (u2 + s2) * 1000 / 200; b = (u1 + s1) * 1000 / n; mb = r1 / 1024
		printf "at %d hosts: cpu %.2f ms/host = %.2f x at 200 %s, RSS %.1f MB %s, wall %.2f x ssh %s\n", n,
			b, b / a, (b / a <= 1.1 ? "ok (target <= 1.1)" : "MISSED (target <= 1.1)"),
			mb, (mb <= 120 ? "ok (target <= 120)" : "MISSED (target <= 120)"),
			w1 / sw, (w1 / sw <= 0.8 ? "ok (target <= 0.8)" : "MISSED (target <= 0.8)")
	}'
	if [ ! -f "$DIR/bench/scale-spot$SCALE.time" ]; then
		echo "at $SCALE hosts: spot not measured (no spot binary: set BENCH_SPOT)"
		return
	fi
	local wp up sp rp
	read -r wp up sp rp < "$DIR/bench/scale-spot$SCALE.time"
	awk -v n="$SCALE" -v u1="$u1" -v s1="$s1" -v up="$up" -v sp="$sp" -v w1="$w1" -v wp="$wp" 'BEGIN {
		b = (u1 + s1) * 1000 / n; c = (up + sp) * 1000 / n
		printf "at %d hosts: cpu %.2f ms/host against spot %.2f, %.2f x %s; wall %.2f x spot\n", n, b, c, b / c,
			(b < c ? "ok (target < 1)" : "MISSED (target < 1)"), w1 / wp
	}'
}

# timed FILE OUT CMD...: one run of CMD under GNU time into $DIR/bench/FILE.
timed() {
	local f=$1 out=$2; shift 2
	echo "bench: ${f%.time.*}" >&2
	"$TIME" -f '%e %U %S %M' -o "$DIR/bench/$f" "$@" >"$out" 2>"$DIR/bench/${f%.time.*}.err" || true
}

# row NAME: one line of the table.
row() {
	local wall user sys rss ok farm=- hosts=$HOSTS
	read -r wall user sys rss < "$DIR/bench/$1.time"
	ok=$(cat "$DIR/bench/$1.ok")
	[ -f "$DIR/bench/$1.farm" ] && farm=$(cat "$DIR/bench/$1.farm")
	[ -f "$DIR/bench/$1.hosts" ] && hosts=$(cat "$DIR/bench/$1.hosts")
	awk -v n="$1" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v ok="$ok" -v h="$hosts" -v f="$farm" -v tck="$(getconf CLK_TCK)" \
		'BEGIN {printf "%-20s %8.2f %12.2f %12s %10.1f %9s\n", n, w, (u + s) * 1000 / h,
			(f == "-" ? "-" : sprintf("%.2f", f * 1000 / tck / h)), r / 1024, ok "/" h}'
}

wall_of() { cut -d' ' -f1 "$DIR/bench/$1.time"; }

report() {
	printf '\n%-20s %8s %12s %12s %10s %9s\n' run "wall s" "cpu ms/host" "farm ms/host" "max RSS MB" "hosts ok"
	for r in drover-p50 ssh-P50 drover-p200 ssh-P200 steps1 steps10-builtin steps10-program \
		ssh-steps1 ssh-steps10-builtin ssh-steps10-program persist-cold persist-warm ssh-persist-cold ssh-persist-warm \
		scale-drover200 "scale-drover$SCALE" "scale-ssh$SCALE" "scale-spot$SCALE" up1-drover up1-tar up1-rsync up2-drover up2-tar up2-rsync; do
		[ -f "$DIR/bench/$r.time" ] && row "$r"
	done
	echo
	if [ -f "$DIR/bench/drover-p50.time" ]; then
		echo "targets: drover cpu <= 2 ms/host, max RSS <= 40 MB, wall <= 0.8 x ssh"
		for p in 50 200; do verdict "$p"; done
	fi
	if [ -f "$DIR/bench/steps1.time" ]; then
		ratio steps10-builtin steps1 1.3
		ratio steps10-program steps1 1.6
		ratio ssh-steps10-builtin ssh-steps1 -
		ratio ssh-steps10-program ssh-steps1 -
		step_cost
		echo "journal of the 10-step runbook: $(cat "$DIR/bench/steps10-program.journal") bytes per host per step (target < 2048)"
	fi
	if [ -f "$DIR/bench/scale-ssh$SCALE.time" ]; then
		scale_verdict
	fi
	if [ -f "$DIR/bench/persist-warm.time" ]; then
		ratio persist-warm persist-cold 0.15
		ratio ssh-persist-warm ssh-persist-cold -
		ratio persist-warm ssh-persist-warm -
		persist_floor
		echo "persist: TCP connections the farm accepted during the warm runs: $(tr '\n' ' ' < "$DIR/bench/persist-warm.accepted")(target 0)"
		echo "persist: drover processes left after drover disconnect: $(tr '\n' ' ' < "$DIR/bench/persist-left")(target 0)"
	fi
	if [ -f "$DIR/bench/up2-drover.time" ]; then
		echo "(upload rows: 50 hosts; hosts ok not counted, see the e2e tests for what arrives)"
		ratio up1-drover up1-tar 1.2
		ratio up2-drover up2-rsync 0.5
		echo "drover, second release, per host:"; cat "$DIR/bench/up2-drover.sent"
		echo "drover, first release, per host:"; cat "$DIR/bench/up1-drover.sent"
		echo "rsync --link-dest, second release, one host:"; cat "$DIR/bench/up2-rsync.sent"
		echo "target: second release sends at most 2 % of the 50 MB tree (1 MB) per host"
		cat "$DIR/bench/up2-drover.verify"
	fi
}

# ratio A B TARGET: wall of A over wall of B, against TARGET (- for none).
ratio() {
	awk -v a="$1" -v b="$2" -v wa="$(wall_of "$1")" -v wb="$(wall_of "$2")" -v t="$3" 'BEGIN {
		r = (wb > 0 ? wa / wb : 0)
		v = (t == "-" ? "" : (r <= t ? "ok (target <= " t ")" : "MISSED (target <= " t ")"))
		printf "%-20s / %-11s wall %.2f x %s\n", a, b, r, v
	}'
}

# step_cost: client CPU of each of the runbook's nine extra steps, per host,
# over the one-step runbook.
step_cost() {
	local ew eu es er rw ru rs rr
	read -r ew eu es er < "$DIR/bench/steps1.time"
	read -r rw ru rs rr < "$DIR/bench/steps10-builtin.time"
	awk -v eu="$eu" -v es="$es" -v ru="$ru" -v rs="$rs" -v h="$HOSTS" 'BEGIN {
		c = ((ru + rs) - (eu + es)) * 1000 / h / 9
		printf "runbook, 10 steps at 50 in flight: %.3f ms client CPU per extra step per host %s (target < 2)\n",
			c, (c < 2 ? "ok" : "MISSED")
	}'
}

# verdict P: drover at P in flight against the targets.
verdict() {
	local wall user sys rss
	read -r wall user sys rss < "$DIR/bench/drover-p$1.time"
	awk -v p="$1" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
		-v sw="$(wall_of "ssh-P$1")" -v h="$HOSTS" 'BEGIN {
		cpu = (u + s) * 1000 / h; mb = r / 1024; ratio = (sw > 0 ? w / sw : 0)
		printf "at %3d in flight: cpu %.2f ms/host %s, RSS %.1f MB %s, wall ratio %.2f %s\n", p,
			cpu, (cpu <= 2 ? "ok" : "MISSED"), mb, (mb <= 40 ? "ok" : "MISSED"),
			ratio, (ratio <= 0.8 ? "ok" : "MISSED")
	}'
}

main() {
	[ "$(id -u)" = 0 ] || { echo "bench: needs root (the farm)" >&2; exit 1; }
	[ -x "$DROVER" ] || { echo "bench: no $DROVER (run make build)" >&2; exit 1; }
	need_time
	trap '"$FARM" down --dir "$DIR"; rm -rf "$DIR/units"' EXIT
	"$FARM" up "$HOSTS" --shared --dir "$DIR" --net "$NET"
	rm -rf "$DIR/bench" # rows of an earlier run would stand beside this one's
	mkdir -p "$DIR/bench"
	for f in "$DIR"/hosts/*/addr; do cat "$f"; done > "$DIR/bench/addrs"
	case " ${BENCH_CASES:-exec steps persist upload scale} " in *" exec "*)
		run_drover 50
		run_ssh 50
		run_drover 200
		run_ssh 200
	esac
	case " ${BENCH_CASES:-exec steps persist upload scale} " in *" steps "*)
		run_runbooks
		run_ssh_steps
	esac
	case " ${BENCH_CASES:-exec steps persist upload scale} " in *" persist "*)
		run_persist
	esac
	case " ${BENCH_CASES:-exec steps persist upload scale} " in *" upload "*)
		run_uploads
	esac
	case " ${BENCH_CASES:-exec steps persist upload scale} " in *" scale "*)
		run_scale
	esac
	report
}

main "$@"
