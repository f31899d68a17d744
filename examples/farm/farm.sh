#!/usr/bin/env bash
# farm.sh: a farm of real SSH servers (OpenSSH, and Dropbear beside it) on
# loopback addresses, for drover's end-to-end tests and benchmarks (DESIGN
# §9). Needs root, openssh-server, sudo and util-linux (unshare, nsenter);
# --dropbear also needs dropbear-bin. Uses only 127.0.0.0/8.
#
#   farm.sh up N [--dir DIR] [--shared] [--net B] [--ca C] [--dropbear D]
#                [--busybox K]                      start N hosts web01..webNN
#   farm.sh down [--dir DIR]                        stop what `up` started
#   farm.sh status [--dir DIR]                      one line per host
#   farm.sh kill NAME [--dir DIR]                   host down: server and its sessions
#   farm.sh stop NAME | cont NAME [--dir DIR]       freeze / thaw a host
#   farm.sh rekey NAME [--dir DIR]                  new host key, then restart
#   farm.sh restart NAME [--dir DIR]                start a killed host again
#   farm.sh exec NAME [--dir DIR] CMD...            run CMD as root on the host
#
# Addresses: the farm's hosts are numbered 1, 2, ... in the order web hosts,
# then ca hosts, then dropbear hosts, then busybox hosts, and host i listens
# on 127.0.X.Y port 22 with X = B + (i-1)/250 and Y = (i-1)%250 + 1 (B
# defaults to 1). So with `up 20 --ca 5 --dropbear 3 --busybox 3`,
# web01..web20 are .1-.20, ca01..ca05 .21-.25, db01..db03 .26-.28 and
# bb01..bb03 .29-.31; DIR/hosts/NAME/addr has each host's address.
#
# Every host runs its server in a private mount namespace with its own /etc,
# /home, /root, /srv, /var/log and /run/sudo (bind mounts of
# DIR/units/UNIT/*), so users, passwords, sudoers and files differ per host.
# Users: deploy (passwordless sudo), ops (sudo asks for "ops-pass"), pwuser
# (password login only, "pw-old"), certuser (OpenSSH hosts: a user
# certificate only, no authorized_keys entry) and root by key. DIR holds the
# client keys, known_hosts files, CA keys and inventory.toml;
# DIR/hosts/NAME/sshd.log is the host's server log (sshd's, or Dropbear's
# stderr) and DIR/hosts/NAME/log/sudo.log its sudo log.
#
# Client keys in DIR: id_ed25519 (every user, every host), id_pass (the
# same, encrypted with the passphrase in id_pass.passphrase), id_certuser
# with id_certuser-cert.pub (signed by user_ca for the principal certuser;
# every OpenSSH host trusts user_ca.pub in TrustedUserCAKeys).
#
# --ca C adds ca01..caCC (C >= 2): sshd with MaxAuthTries 3 presenting a
# HostCertificate signed by DIR/host_ca for the principals "caNN.farm" and
# the host's address, except the last, whose certificate names ca01 instead
# (the wrong principal). known_hosts lists every host's plain key;
# known_hosts.ca holds only the @cert-authority line for *.farm and the ca
# hosts' 127.0.X.*; known_hosts.revoked is known_hosts with the last web
# host's line replaced by an @revoked line for its key.
#
# --dropbear D adds db01..dbDD: Dropbear (`dropbear -F -E`, host key
# converted with dropbearconvert) in the same kind of namespace; it reads
# each user's ~/.ssh/authorized_keys, which holds id_ed25519 and id_pass for
# deploy, ops and root.
#
# --busybox K adds bb01..bbKK (needs busybox): OpenSSH hosts where every
# user's login shell is BusyBox's ash and sshd sets PATH to a directory of
# BusyBox applets only (UNIT/bbin), as on a BusyBox or Alpine host: what
# drover runs there finds BusyBox's sh, mv, ln, tar, tail, sha256sum and
# nothing of GNU's. There is no sudo on PATH.
#
# --shared (benchmarks only) lets one sshd serve up to 16 web hosts: those
# hosts share one namespace, one host key and one /srv, and `kill`, `stop`
# and `rekey` act on all of them.
set -euo pipefail

SSHD=${SSHD:-/usr/sbin/sshd}
DROPBEAR=${DROPBEAR:-/usr/sbin/dropbear}
BUSYBOX=${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}
PASSPHRASE=correct-horse-farm
PER_UNIT_SHARED=16
READY_TIMEOUT=${FARM_READY_TIMEOUT:-60}

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
# listing of /proc for all of them). The kernel reuses namespace numbers, so
# a namespace counts only while its /etc is still the unit's: a stale mntns
# file (a farm that died, or was taken down elsewhere) never names another
# farm's processes.
ns_pids() {
	local u ns pids listing p
	# shellcheck disable=SC2012
	listing=$(ls -l /proc/[0-9]*/ns/mnt 2>/dev/null || true)
	for u in "$@"; do
		[ -s "$u/mntns" ] || continue
		ns=$(cat "$u/mntns")
		pids=$(awk -v ns="$ns" '$NF == ns { split($(NF-2), p, "/"); print p[3] }' <<< "$listing")
		# Any one live process proves the namespace is the unit's: the first
		# may have exited since the listing (a session ending), and skipping
		# the unit then would leave a "stopped" host running.
		for p in $pids; do
			if ns_is_unit "$p" "$u"; then
				echo "$pids"
				break
			fi
		done
	done
	return 0
}

# ns_is_unit PID UNIT: whether PID's /etc is a bind mount of UNIT/etc (the
# mount's root is UNIT/etc, or its tail when /tmp is a file system of its own).
ns_is_unit() {
	local root
	while read -r root; do
		case "$2/etc" in *"$root") [ "${root#*/units/}" != "$root" ] && return 0 ;; esac
	done < <(awk '$5 == "/etc" { print $4 }' "/proc/$1/mountinfo" 2>/dev/null)
	return 1
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

# make_client_files: the client keys, authorized_keys readable by every
# user, the host and user CAs and the user certificate for certuser.
make_client_files() {
	ssh-keygen -q -t ed25519 -N '' -C drover-farm -f "$DIR/id_ed25519"
	ssh-keygen -q -t ed25519 -N "$PASSPHRASE" -C drover-farm-pass -f "$DIR/id_pass"
	echo "$PASSPHRASE" > "$DIR/id_pass.passphrase"
	cat "$DIR/id_ed25519.pub" "$DIR/id_pass.pub" > "$DIR/authorized_keys"
	chmod 644 "$DIR/authorized_keys"
	ssh-keygen -q -t ed25519 -N '' -C drover-farm-host-ca -f "$DIR/host_ca"
	ssh-keygen -q -t ed25519 -N '' -C drover-farm-user-ca -f "$DIR/user_ca"
	ssh-keygen -q -t ed25519 -N '' -C drover-farm-certuser -f "$DIR/id_certuser"
	ssh-keygen -q -s "$DIR/user_ca" -I certuser -n certuser "$DIR/id_certuser.pub"
	chmod 644 "$DIR/user_ca.pub"
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
	[ "$(unit_kind "$u")" != busybox ] || make_applets "$u/bbin"
	make_host_key "$u"
}

# make_applets DIR: one link to BusyBox per applet it has, and nothing else.
make_applets() {
	local a
	mkdir -p "$1"
	for a in $("$BUSYBOX" --list); do ln -sfn "$BUSYBOX" "$1/$a"; done
	chmod 755 "$1"
}

# make_host_key UNIT: a new ed25519 host key, and what the unit's kind
# needs beside it: a certificate for the principals in UNIT/principals, or
# the key in Dropbear's format plus an RSA key (as Debian's dropbear
# package makes: Dropbear 2022.83 offers rsa-sha2-256 even without an RSA
# key and aborts the handshake of a client that picks it).
make_host_key() {
	local u=$1
	rm -f "$u"/ssh_host_ed25519_key* "$u"/dropbear_*host_key
	ssh-keygen -q -t ed25519 -N '' -C "$(basename "$u")" -f "$u/ssh_host_ed25519_key"
	if [ -s "$u/principals" ]; then
		ssh-keygen -q -s "$DIR/host_ca" -h -I "$(basename "$u")" -n "$(cat "$u/principals")" \
			"$u/ssh_host_ed25519_key.pub"
	fi
	if [ "$(unit_kind "$u")" = dropbear ]; then
		dropbearconvert openssh dropbear "$u/ssh_host_ed25519_key" "$u/dropbear_host_key" >/dev/null 2>&1 ||
			die "dropbearconvert failed for $u"
		dropbearkey -t rsa -s 2048 -f "$u/dropbear_rsa_host_key" >/dev/null 2>&1 ||
			die "dropbearkey failed for $u"
	fi
}

# unit_kind UNIT: what the unit is: sshd, dropbear or busybox (sshd with
# BusyBox as every user's shell and tools).
unit_kind() {
	if [ -f "$1/kind" ]; then cat "$1/kind"; else echo sshd; fi
}

# write_sshd_config UNIT ADDR...: the unit's sshd_config; a ca unit (with
# UNIT/principals) presents its certificate and allows 3 auth tries.
write_sshd_config() {
	local u=$1 a; shift
	{
		for a in "$@"; do echo "ListenAddress $a:22"; done
		if [ -s "$u/principals" ]; then
			echo "HostCertificate $u/ssh_host_ed25519_key-cert.pub"
			echo "MaxAuthTries 3"
		fi
		[ "$(unit_kind "$u")" != busybox ] || echo "SetEnv PATH=$u/bbin"

		cat <<EOF
HostKey $u/ssh_host_ed25519_key
TrustedUserCAKeys $DIR/user_ca.pub
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
Match User certuser
	AuthorizedKeysFile none
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
	for user in deploy ops pwuser certuser; do
		id "\$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "\$user"
		printf '# plain shell start-up for farm users\n' > "/home/\$user/.bashrc"
		chown "\$user:" "/home/\$user/.bashrc"
	done
	printf 'ops:ops-pass\npwuser:pw-old\n' | chpasswd
	usermod -p '*' deploy
	usermod -p '*' certuser
	chown deploy: /srv
	cp /etc/hostname /srv/hostname
	$(authorized_keys_script "$u")
	$(busybox_shell_script "$u")
	touch '$u/users.done'
fi
readlink /proc/self/ns/mnt > '$u/mntns'
$(server_exec "$u")
EOF
}

# authorized_keys_script UNIT: for a Dropbear unit, the shell lines that
# give deploy, ops and root a ~/.ssh/authorized_keys (Dropbear has no
# AuthorizedKeysFile option); nothing for sshd, which reads DIR/authorized_keys.
authorized_keys_script() {
	[ "$(unit_kind "$1")" = dropbear ] || { echo ':'; return; }
	cat <<EOF
for home in /home/deploy /home/ops /root; do
		owner=\$(stat -c %U "\$home")
		mkdir -p "\$home/.ssh"
		cp '$DIR/authorized_keys' "\$home/.ssh/authorized_keys"
		chmod 700 "\$home/.ssh"; chmod 600 "\$home/.ssh/authorized_keys"
		chown -R "\$owner:" "\$home/.ssh"
	done
EOF
}

# busybox_shell_script UNIT: for a busybox unit, the line that makes
# BusyBox's ash every user's login shell; nothing for other units.
busybox_shell_script() {
	[ "$(unit_kind "$1")" = busybox ] || { echo ':'; return; }
	echo "for user in root deploy ops pwuser certuser; do usermod -s '$1/bbin/sh' \"\$user\"; done"
}

# server_exec UNIT: the line that replaces the unit's shell by its server.
server_exec() {
	local u=$1
	if [ "$(unit_kind "$u")" = dropbear ]; then
		echo "exec '$DROPBEAR' -F -E -p '$(cat "$u/addrs")':22 -r '$u/dropbear_host_key' -r '$u/dropbear_rsa_host_key' -P '$u/sshd.pid' 2>>'$u/sshd.log'"
	else
		echo "exec '$SSHD' -D -f '$u/sshd_config' -E '$u/sshd.log'"
	fi
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

# unit_wait UNIT ADDR...: wait until the unit's server listens on every
# address (Dropbear says "Not backgrounding" once it listens). A unit whose
# start process died (killed from outside) is started again, twice at most.
unit_wait() {
	local u=$1 a ready failed restarts=0 deadline=$(( SECONDS + READY_TIMEOUT )); shift
	for a in "$@"; do
		ready="Server listening on $a port 22" failed="Bind to port 22 on $a failed"
		if [ "$(unit_kind "$u")" = dropbear ]; then
			ready="Not backgrounding" failed="No listening ports available"
		fi
		until grep -q "$ready" "$u/sshd.log" 2>/dev/null; do
			if grep -q "$failed" "$u/sshd.log" 2>/dev/null; then
				die "$a:22 is taken (another farm? pick another --net, or take that one down)"
			fi
			if [ $SECONDS -ge $deadline ]; then
				cat "$u/start.log" "$u/sshd.log" >&2 2>/dev/null || true
				die "the server for $a did not start (see $u/sshd.log)"
			fi
			if [ $restarts -lt 2 ] && ! kill -0 "$(cat "$u/start.pid")" 2>/dev/null; then
				restarts=$((restarts + 1))
				say "the server for $a died while starting; starting it again"
				unit_start "$u"
			fi
			sleep 0.05
		done
	done
}

# write_inventory: DIR/inventory.toml in DESIGN §3 format, from
# DIR/hosts.list ("GROUP NAME" lines in address order).
write_inventory() {
	local group name
	{
		printf '# written by examples/farm/farm.sh\n[defaults]\nuser = "deploy"\n'
		printf 'identity = "%s"\nknown_hosts = "%s"\n\n[groups]\n' "$DIR/id_ed25519" "$DIR/known_hosts"
		for group in web ca dropbear busybox; do
			grep -q "^$group " "$DIR/hosts.list" || continue
			printf '%s = [%s]\n' "$group" "$(awk -v g="$group" '$1 == g { printf "%s\"%s\"", sep, $2; sep = ", " }' "$DIR/hosts.list")"
		done
		printf 'canary = ["%s"]\n' "$(awk '$1 == "web" { print $2; exit }' "$DIR/hosts.list")"
		while read -r group name; do
			printf '\n[hosts."%s"]\nhostname = "%s"\nport = 22\n' "$name" "$(cat "$DIR/hosts/$name/addr")"
		done < "$DIR/hosts.list"
	} > "$DIR/inventory.toml"
}

# known_hosts_line ADDR UNIT: the known_hosts entry for one host.
known_hosts_line() {
	echo "$1 $(cut -d' ' -f1,2 "$2/ssh_host_ed25519_key.pub")"
}

# add_host GROUP NAME ADDR UNIT: host NAME of GROUP, served by UNIT.
add_host() {
	local group=$1 name=$2 addr=$3 u=$4
	mkdir -p "$DIR/hosts/$name"
	echo "$addr" > "$DIR/hosts/$name/addr"
	echo "$u" > "$DIR/hosts/$name/unit"
	ln -sfn "$u/sshd.log" "$DIR/hosts/$name/sshd.log"
	ln -sfn "$u/log" "$DIR/hosts/$name/log"
	ln -sfn "$u/srv" "$DIR/hosts/$name/srv"
	known_hosts_line "$addr" "$u" >> "$DIR/known_hosts"
	echo "$addr $name" >> "$u/etc/hosts"
	echo "$group $name" >> "$DIR/hosts.list"
}

# web_units N PER: start web01..webNN, PER hosts to a unit.
web_units() {
	local n=$1 per=$2 i j name u addrs
	for (( i = 1; i <= n; i += per )); do
		u="$DIR/units/$(host_name "$i" "$n")"
		make_unit "$u" "$(host_name "$i" "$n")"
		addrs=()
		for (( j = i; j < i + per && j <= n; j++ )); do
			name=$(host_name "$j" "$n")
			add_host web "$name" "$(host_addr "$j" "$NET")" "$u"
			addrs+=("$(host_addr "$j" "$NET")")
		done
		echo "${addrs[*]}" > "$u/addrs"
		write_sshd_config "$u" "${addrs[@]}"
		unit_start "$u"
	done
}

# single_unit GROUP NAME INDEX KIND [PRINCIPALS]: start one host of its own
# unit at address number INDEX; PRINCIPALS makes sshd present a certificate.
single_unit() {
	local group=$1 name=$2 addr u="$DIR/units/$2"
	addr=$(host_addr "$3" "$NET")
	mkdir -p "$u"
	echo "$4" > "$u/kind"
	[ -z "${5:-}" ] || echo "${5//ADDR/$addr}" > "$u/principals"
	make_unit "$u" "$name"
	add_host "$group" "$name" "$addr" "$u"
	echo "$addr" > "$u/addrs"
	[ "$4" = dropbear ] || write_sshd_config "$u" "$addr"
	unit_start "$u"
}

# ca_units N C: ca01..caCC after N web hosts; the last one's certificate
# carries ca01's principals.
ca_units() {
	local n=$1 c=$2 k name principals
	for (( k = 1; k <= c; k++ )); do
		name=$(printf 'ca%02d' "$k")
		principals="$name.farm,ADDR"
		[ "$k" -eq "$c" ] && principals="ca01.farm,$(host_addr $(( n + 1 )) "$NET")"
		single_unit ca "$name" $(( n + k )) sshd "$principals"
	done
}

# dropbear_units FIRST D: db01..dbDD from address number FIRST on.
dropbear_units() {
	local first=$1 d=$2 k
	for (( k = 0; k < d; k++ )); do
		single_unit dropbear "$(printf 'db%02d' $(( k + 1 )))" $(( first + k )) dropbear
	done
}

# busybox_units FIRST K: bb01..bbKK from address number FIRST on.
busybox_units() {
	local first=$1 k=$2 i
	for (( i = 0; i < k; i++ )); do
		single_unit busybox "$(printf 'bb%02d' $(( i + 1 )))" $(( first + i )) busybox
	done
}

# write_known_hosts_variants N: known_hosts.ca (only the @cert-authority
# line) and known_hosts.revoked (the last web host's key @revoked).
write_known_hosts_variants() {
	local n=$1 last addr nets="" name
	while read -r _ name; do
		addr=$(cat "$DIR/hosts/$name/addr")
		[[ ",$nets," == *",${addr%.*}.*,"* ]] || nets+=",${addr%.*}.*"
	done < <(grep '^ca ' "$DIR/hosts.list")
	echo "@cert-authority *.farm$nets $(cut -d' ' -f1,2 "$DIR/host_ca.pub")" > "$DIR/known_hosts.ca"
	last=$(host_name "$n" "$n")
	addr=$(cat "$DIR/hosts/$last/addr")
	{
		grep -v "^$addr " "$DIR/known_hosts"
		echo "@revoked * $(cut -d' ' -f1,2 "$(cat "$DIR/hosts/$last/unit")/ssh_host_ed25519_key.pub")"
	} > "$DIR/known_hosts.revoked"
}

# up_checks N: refuse what cannot work before anything starts.
up_checks() {
	[[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] || die "up: N must be a positive number"
	[[ "$CA" =~ ^[0-9]+$ ]] && [ "$CA" -ne 1 ] || die "up: --ca must be 0 or at least 2 (the last ca host has the wrong principal)"
	[[ "$DROPBEAR_N" =~ ^[0-9]+$ ]] || die "up: --dropbear must be a number"
	[ "$(id -u)" = 0 ] || die "up: needs root (mount namespaces, sshd on port 22)"
	[ -x "$SSHD" ] || die "up: $SSHD not found (install openssh-server)"
	if [ "$DROPBEAR_N" -gt 0 ]; then
		[ -x "$DROPBEAR" ] && command -v dropbearconvert >/dev/null ||
			die "up: --dropbear needs $DROPBEAR and dropbearconvert (install dropbear-bin)"
	fi
	[[ "$BUSYBOX_N" =~ ^[0-9]+$ ]] || die "up: --busybox must be a number"
	if [ "$BUSYBOX_N" -gt 0 ]; then
		[ -x "$BUSYBOX" ] || die "up: --busybox needs $BUSYBOX (install busybox)"
	fi
}

cmd_up() {
	local n=$1 per=1 u
	up_checks "$n"
	[ "$SHARED" = 1 ] && per=$PER_UNIT_SHARED
	cmd_down 2>/dev/null || true
	rm -rf "$DIR/hosts" "$DIR/units" "$DIR"/id_ed25519* "$DIR"/id_pass* "$DIR"/id_certuser* "$DIR"/host_ca* \
		"$DIR"/user_ca* "$DIR"/known_hosts* "$DIR/authorized_keys" "$DIR/inventory.toml" "$DIR/hosts.list"
	mkdir -p "$DIR/hosts" "$DIR/units" /run/sshd
	chmod 755 /run/sshd
	DIR=$(cd "$DIR" && pwd)
	make_client_files
	: > "$DIR/known_hosts"
	: > "$DIR/hosts.list"
	trap 'cmd_down' EXIT
	web_units "$n" "$per"
	ca_units "$n" "$CA"
	dropbear_units $(( n + CA + 1 )) "$DROPBEAR_N"
	busybox_units $(( n + CA + DROPBEAR_N + 1 )) "$BUSYBOX_N"
	for u in "$DIR"/units/*; do
		# shellcheck disable=SC2046
		unit_wait "$u" $(cat "$u/addrs")
	done
	trap - EXIT
	write_known_hosts_variants "$n"
	write_inventory
	say "$(wc -l < "$DIR/hosts.list") hosts up in $DIR (inventory $DIR/inventory.toml)"
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
	make_host_key "$u"
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
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

main() {
	local cmd=${1:-}; [ $# -gt 0 ] && shift
	DIR=./.farm SHARED=0 NET=1 CA=0 DROPBEAR_N=0 BUSYBOX_N=0
	local args=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--dir) DIR=$2; shift 2 ;;
		--dir=*) DIR=${1#--dir=}; shift ;;
		--shared) SHARED=1; shift ;;
		--net) NET=$2; shift 2 ;;
		--ca) CA=$2; shift 2 ;;
		--dropbear) DROPBEAR_N=$2; shift 2 ;;
		--busybox) BUSYBOX_N=$2; shift 2 ;;
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
