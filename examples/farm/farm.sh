#!/usr/bin/env bash
# farm.sh: a farm of real OpenSSH servers on loopback addresses, for drover's
# end-to-end tests and benchmarks (DESIGN §9). Needs root, openssh-server,
# sudo and util-linux (unshare, nsenter). Uses only 127.0.0.0/8.
#
#   farm.sh up N [--dir DIR] [--shared] [--net B]   start N hosts web01..webNN
#   farm.sh down [--dir DIR]                        stop what `up` started
#   farm.sh status [--dir DIR]                      one line per host
#   farm.sh kill NAME [--dir DIR]                   host down: sshd and its sessions
#   farm.sh stop NAME | cont NAME [--dir DIR]       freeze / thaw a host
#   farm.sh rekey NAME [--dir DIR]                  new host key, then restart
#   farm.sh restart NAME [--dir DIR]                start a killed host again
#   farm.sh exec NAME [--dir DIR] CMD...            run CMD as root on the host
#
# Host i (1-based) listens on 127.0.X.Y port 22 with X = B + (i-1)/250 and
# Y = (i-1)%250 + 1 (B defaults to 1). Every host runs its sshd in a private
# mount namespace with its own /etc, /home, /root, /srv, /var/log and
# /run/sudo (bind mounts of DIR/units/UNIT/*), so users, passwords, sudoers
# and files differ per host. Users: deploy (passwordless sudo), ops (sudo
# asks for "ops-pass"), pwuser (password login only, "pw-old"), and root by
# key. DIR holds the client key id_ed25519, known_hosts, authorized_keys and
# inventory.toml; DIR/hosts/NAME/sshd.log is the host's sshd log and
# DIR/hosts/NAME/log/sudo.log its sudo log.
#
# --shared (benchmarks only) lets one sshd serve up to 16 hosts: those hosts
# share one namespace, one host key and one /srv, and `kill`, `stop` and
# `rekey` act on all of them.
set -euo pipefail

SSHD=${SSHD:-/usr/sbin/sshd}
PER_UNIT_SHARED=16
READY_TIMEOUT=${FARM_READY_TIMEOUT:-20}

die() { echo "farm: $*" >&2; exit 1; }
say() { echo "farm: $*" >&2; }

# host_name I N: web01 style name, 3 digits when N > 99.
host_name() {
	if [ "$2" -gt 99 ]; then printf 'web%03d' "$1"; else printf 'web%02d' "$1"; fi
}

# host_addr I BASE: the loopback address of host I.
host_addr() {
	local i=$(( $1 - 1 ))
	echo "127.0.$(( $2 + i / 250 )).$(( i % 250 + 1 ))"
}

# unit_of NAME: the unit directory that serves host NAME.
unit_of() {
	local f="$DIR/hosts/$1/unit"
	[ -f "$f" ] || die "no host $1 in $DIR"
	cat "$f"
}

# ns_pids UNIT...: every process in the mount namespaces of the units (one
# listing of /proc for all of them).
ns_pids() {
	local u nss=""
	for u in "$@"; do [ -s "$u/mntns" ] && nss+="$(cat "$u/mntns") "; done
	[ -n "$nss" ] || return 0
	# shellcheck disable=SC2012
	{ ls -l /proc/[0-9]*/ns/mnt 2>/dev/null || true; } | awk -v nss=" $nss" '
		index(nss, " " $NF " ") { split($(NF-2), p, "/"); print p[3] }'
}

# unit_signal SIG UNIT...: send SIG to the units' sshd and all their sessions.
unit_signal() {
	local sig=$1 pids; shift
	pids=$(ns_pids "$@")
	[ -n "$pids" ] && kill "-$sig" $pids 2>/dev/null
	return 0
}

# starters UNIT...: the start processes of units still starting up (before
# their sshd wrote mntns). A start process becomes the unit's sshd by exec,
# so its command line names the unit either way.
starters() {
	local u pid
	for u in "$@"; do
		[ -s "$u/start.pid" ] || continue
		pid=$(cat "$u/start.pid")
		tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF "$u/" && echo "$pid"
	done
	return 0
}

# unit_kill UNIT...: kill every process of the units and wait until they are gone.
unit_kill() {
	local tries=0 u pids
	pids=$(starters "$@")
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	unit_signal CONT "$@"
	unit_signal KILL "$@"
	while [ -n "$(ns_pids "$@")" ] && [ $tries -lt 100 ]; do
		tries=$((tries + 1)); sleep 0.05
	done
	for u in "$@"; do rm -f "$u/sshd.pid"; done
}

# make_client_files: the client key, authorized_keys readable by every user.
make_client_files() {
	ssh-keygen -q -t ed25519 -N '' -C drover-farm -f "$DIR/id_ed25519"
	cp "$DIR/id_ed25519.pub" "$DIR/authorized_keys"
	chmod 644 "$DIR/authorized_keys"
	searchable_parents "$DIR"
}

# searchable_parents PATH: sshd reads authorized_keys as the login user, so
# every directory above it must be searchable by everyone.
searchable_parents() {
	local d
	d=$(cd "$1" && pwd)
	while [ "$d" != "/" ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
}

# make_unit UNIT NAME: the per-namespace tree: /etc copy, homes, host key.
make_unit() {
	local u=$1 name=$2
	mkdir -p "$u"/{srv,home,root,log,sudo}
	chmod 711 "$u/sudo"
	chmod 700 "$u/root"
	cp -a /etc "$u/etc"
	echo "$name" > "$u/etc/hostname"
	printf 'Defaults logfile=/var/log/sudo.log\nDefaults lecture=never\ndeploy ALL=(ALL) NOPASSWD: ALL\nops ALL=(ALL) ALL\n' \
		> "$u/etc/sudoers.d/drover-farm"
	chmod 440 "$u/etc/sudoers.d/drover-farm"
	printf '# plain shell start-up for farm users\nPS1='"'"'\\u@\\h:\\w\\$ '"'"'\n' > "$u/root/.bashrc"
	ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$u/ssh_host_ed25519_key"
}

# write_sshd_config UNIT ADDR...: the unit's sshd_config.
write_sshd_config() {
	local u=$1 a; shift
	{
		for a in "$@"; do echo "ListenAddress $a:22"; done
		cat <<EOF
HostKey $u/ssh_host_ed25519_key
PidFile $u/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
AuthorizedKeysFile $DIR/authorized_keys
MaxStartups 1000:30:2000
MaxSessions 100
AllowTcpForwarding yes
GatewayPorts no
PrintMotd no
UseDNS no
LogLevel VERBOSE
SyslogFacility AUTH
Subsystem sftp internal-sftp
Match User pwuser
	PubkeyAuthentication no
EOF
	} > "$u/sshd_config"
}

# unit_script UNIT: what runs inside the new namespace: private mounts, the
# users on first start, then sshd in the foreground.
unit_script() {
	local u=$1
	cat <<EOF
set -e
mount --bind '$u/etc' /etc
mount --bind '$u/home' /home
mount --bind '$u/root' /root
mount --bind '$u/srv' /srv
mount --bind '$u/log' /var/log
mkdir -p /run/sudo 2>/dev/null || true
mount --bind '$u/sudo' /run/sudo
hostname "\$(cat /etc/hostname)"
if [ ! -e '$u/users.done' ]; then
	for user in deploy ops pwuser; do
		useradd -m -s /bin/bash "\$user"
		printf '# plain shell start-up for farm users\n' > "/home/\$user/.bashrc"
		chown "\$user:" "/home/\$user/.bashrc"
	done
	printf 'ops:ops-pass\npwuser:pw-old\n' | chpasswd
	usermod -p '*' deploy
	chown deploy: /srv
	cp /etc/hostname /srv/hostname
	touch '$u/users.done'
fi
readlink /proc/self/ns/mnt > '$u/mntns'
exec '$SSHD' -D -f '$u/sshd_config' -E '$u/sshd.log'
EOF
}

# unit_start UNIT: start the unit's sshd in its own mount and UTS namespace.
unit_start() {
	local u=$1
	rm -f "$u/sshd.pid" "$u/mntns"
	: > "$u/sshd.log"
	setsid unshare --mount --uts --propagation private \
		sh -c "$(unit_script "$u")" </dev/null >>"$u/start.log" 2>&1 &
	echo $! > "$u/start.pid"
	disown
}

# unit_wait UNIT ADDR...: wait until sshd listens on every address.
unit_wait() {
	local u=$1 a deadline=$(( SECONDS + READY_TIMEOUT )); shift
	for a in "$@"; do
		until grep -q "Server listening on $a port 22" "$u/sshd.log" 2>/dev/null; do
			if grep -q "Bind to port 22 on $a failed" "$u/sshd.log" 2>/dev/null; then
				die "$a:22 is taken (another farm? pick another --net, or take that one down)"
			fi
			if [ $SECONDS -ge $deadline ]; then
				cat "$u/start.log" "$u/sshd.log" >&2 2>/dev/null || true
				die "sshd for $a did not start (see $u/sshd.log)"
			fi
			sleep 0.05
		done
	done
}

# write_inventory N: DIR/inventory.toml in DESIGN §3 format.
write_inventory() {
	local n=$1 i names=""
	for i in $(seq 1 "$n"); do names+="\"$(host_name "$i" "$n")\", "; done
	{
		printf '# written by examples/farm/farm.sh\n[defaults]\nuser = "deploy"\n'
		printf 'identity = "%s"\nknown_hosts = "%s"\n\n' "$DIR/id_ed25519" "$DIR/known_hosts"
		printf '[groups]\nweb = [%s]\ncanary = ["%s"]\n' "${names%, }" "$(host_name 1 "$n")"
		for i in $(seq 1 "$n"); do
			printf '\n[hosts."%s"]\nhostname = "%s"\nport = 22\n' \
				"$(host_name "$i" "$n")" "$(cat "$DIR/hosts/$(host_name "$i" "$n")/addr")"
		done
	} > "$DIR/inventory.toml"
}

# known_hosts_line ADDR UNIT: the known_hosts entry for one host.
known_hosts_line() {
	echo "$1 $(cut -d' ' -f1,2 "$2/ssh_host_ed25519_key.pub")"
}

cmd_up() {
	local n=$1 per=1 i j name addr u addrs
	[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "up: N must be a positive number"
	[ "$(id -u)" = 0 ] || die "up: needs root (mount namespaces, sshd on port 22)"
	[ -x "$SSHD" ] || die "up: $SSHD not found (install openssh-server)"
	[ "$SHARED" = 1 ] && per=$PER_UNIT_SHARED
	cmd_down 2>/dev/null || true
	rm -rf "$DIR/hosts" "$DIR/units" "$DIR"/id_ed25519* "$DIR/known_hosts" "$DIR/authorized_keys" "$DIR/inventory.toml"
	mkdir -p "$DIR/hosts" "$DIR/units" /run/sshd
	chmod 755 /run/sshd
	DIR=$(cd "$DIR" && pwd)
	make_client_files
	: > "$DIR/known_hosts"
	for (( i = 1; i <= n; i += per )); do
		u="$DIR/units/$(host_name "$i" "$n")"
		make_unit "$u" "$(host_name "$i" "$n")"
		addrs=()
		for (( j = i; j < i + per && j <= n; j++ )); do
			name=$(host_name "$j" "$n"); addr=$(host_addr "$j" "$NET")
			mkdir -p "$DIR/hosts/$name"
			echo "$addr" > "$DIR/hosts/$name/addr"
			echo "$u" > "$DIR/hosts/$name/unit"
			ln -sfn "$u/sshd.log" "$DIR/hosts/$name/sshd.log"
			ln -sfn "$u/log" "$DIR/hosts/$name/log"
			ln -sfn "$u/srv" "$DIR/hosts/$name/srv"
			known_hosts_line "$addr" "$u" >> "$DIR/known_hosts"
			echo "$addr $name" >> "$u/etc/hosts"
			addrs+=("$addr")
		done
		echo "${addrs[*]}" > "$u/addrs"
		write_sshd_config "$u" "${addrs[@]}"
		unit_start "$u"
	done
	trap 'cmd_down' EXIT
	for u in "$DIR"/units/*; do
		# shellcheck disable=SC2046
		unit_wait "$u" $(cat "$u/addrs")
	done
	trap - EXIT
	write_inventory "$n"
	say "$n hosts up in $DIR (inventory $DIR/inventory.toml)"
}

cmd_down() {
	[ -d "$DIR/units" ] || return 0
	unit_kill "$DIR"/units/*
	return 0
}

cmd_status() {
	local h name u state
	[ -d "$DIR/hosts" ] || { say "no farm in $DIR"; return 0; }
	for h in "$DIR"/hosts/*/; do
		name=$(basename "$h"); u=$(cat "$h/unit")
		state=down
		if [ -s "$u/sshd.pid" ] && kill -0 "$(cat "$u/sshd.pid")" 2>/dev/null; then
			state="up pid $(cat "$u/sshd.pid")"
			grep -q '^T' <(ps -o stat= -p "$(cat "$u/sshd.pid")") && state="stopped pid $(cat "$u/sshd.pid")"
		fi
		printf '%-8s %-15s %s\n' "$name" "$(cat "$h/addr")" "$state"
	done
}

# unit_restart UNIT: kill whatever runs in the unit, start it again.
unit_restart() {
	unit_kill "$1"
	unit_start "$1"
	# shellcheck disable=SC2046
	unit_wait "$1" $(cat "$1/addrs")
}

cmd_rekey() {
	local u=$1 a
	rm -f "$u/ssh_host_ed25519_key" "$u/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "$(basename "$u")" -f "$u/ssh_host_ed25519_key"
	unit_restart "$u"
	for a in $(cat "$u/addrs"); do say "$a has a new host key: $(ssh-keygen -lf "$u/ssh_host_ed25519_key.pub" | cut -d' ' -f2)"; done
}

cmd_exec() {
	local u=$1 pid; shift
	[ $# -gt 0 ] || die "exec: no command"
	pid=$(cat "$u/sshd.pid" 2>/dev/null) || die "exec: host is down"
	nsenter --mount --uts --target "$pid" -- sh -c "$*"
}

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

main() {
	local cmd=${1:-}; [ $# -gt 0 ] && shift
	DIR=./.farm SHARED=0 NET=1
	local args=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--dir) DIR=$2; shift 2 ;;
		--dir=*) DIR=${1#--dir=}; shift ;;
		--shared) SHARED=1; shift ;;
		--net) NET=$2; shift 2 ;;
		--) shift; args+=("$@"); break ;;
		*) args+=("$1"); shift ;;
		esac
	done
	set -- "${args[@]+"${args[@]}"}"
	case "$cmd" in
	up) [ $# -eq 1 ] || usage; cmd_up "$1"; return ;;
	down) cmd_down; return ;;
	status) cmd_status; return ;;
	kill | stop | cont | rekey | restart) [ $# -eq 1 ] || usage ;;
	exec) [ $# -ge 2 ] || usage ;;
	*) usage ;;
	esac
	local u; u=$(unit_of "$1"); shift
	case "$cmd" in
	kill) unit_kill "$u" ;;
	stop) unit_signal STOP "$u" ;;
	cont) unit_signal CONT "$u" ;;
	rekey) cmd_rekey "$u" ;;
	restart) unit_restart "$u" ;;
	exec) cmd_exec "$u" "$@" ;;
	esac
}

main "$@"
