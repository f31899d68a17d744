#!/bin/sh
# Regenerates the terminal screenshots in this directory from real drover
# runs on a tmux terminal: board.png (the live board of a cutover in
# flight), gate.png (a batch gate waiting for an answer) and summary.png
# (a cutover stopped by a failing host, its undo and the summary table).
#
# Needs tmux, aha and chromium. DROVER names the binary (default: build one).
set -eu
docs=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock=drover-shots-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
bin=${DROVER:-}
if [ -z "$bin" ]; then
	bin=$work/drover
	(cd "$docs/.." && go build -o "$bin" ./cmd/drover)
fi

t() { tmux -L "$sock" "$@"; }

# wait_for REGEX: poll the screen until a line matches.
wait_for() {
	i=0
	until t capture-pane -p -S -200 -t shots | grep -Eq "$1"; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "screenshots: timed out waiting for: $1" >&2; exit 1; }
		sleep 0.05
	done
}

# shot NAME [FROM-REGEX]: the screen (from the first line matching
# FROM-REGEX, with the scroll-back) as docs/NAME.png.
shot() {
	t capture-pane -e -p -S -200 -t shots >"$work/$1.ansi"
	if [ $# -gt 1 ]; then
		awk -v from="$2" 'go || $0 ~ from { go = 1 } go' "$work/$1.ansi" >"$work/$1.cut"
		mv "$work/$1.cut" "$work/$1.ansi"
	fi
	aha --black --title "drover" <"$work/$1.ansi" |
		sed 's|</head>|<style>body{margin:12px} pre{font-family:"DejaVu Sans Mono",monospace;font-size:14px;line-height:1.17}</style></head>|' \
			>"$work/$1.html"
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
		--screenshot="$docs/$1.png" --window-size=1000,700 "file://$work/$1.html" 2>/dev/null
}

start() {
	t kill-server 2>/dev/null || true
	t new-session -d -s shots -x 110 -y 38 \
		"env -u NO_COLOR TERM=xterm-256color HOME=$work XDG_STATE_HOME=$work/state $bin $*; sleep 600"
}

# A gated demo: the gate of batch 2, then the board while batch 2 runs.
start demo
wait_for 'start batch 1 of 3'
t send-keys -t shots y Enter
wait_for 'start batch 2 of 3'
shot gate '▶ rolling cutover'
t send-keys -t shots y Enter
wait_for 'web0[23] +#[0-9] +(restart|wait for the log) .*(starting|started)'
shot board '▶ rolling cutover'
t send-keys -t shots a Enter

# A failing host: the rollout stops, switched hosts are put back.
start demo --yes --fail-host web03
wait_for 'the rollout stopped'
shot summary "▸ stage cutover"
echo "screenshots: wrote $docs/board.png $docs/gate.png $docs/summary.png"
