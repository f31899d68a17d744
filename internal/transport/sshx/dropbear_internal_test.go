package sshx

import "testing"

func TestClosesIdleSessions(t *testing.T) {
	for version, want := range map[string]bool{
		"SSH-2.0-dropbear_2022.83":       true,
		"SSH-2.0-dropbear_2020.81":       true,
		"SSH-2.0-dropbear_2024.85":       true,
		"SSH-2.0-dropbear_2024.86":       false,
		"SSH-2.0-dropbear_2025.88":       false,
		"SSH-2.0-dropbear":               true,
		"SSH-2.0-dropbear_2022.83 extra": true,
		"SSH-2.0-OpenSSH_9.2p1 Debian-2": false,
		"SSH-2.0-Go":                     false,
		"SSH-2.0-dropbear_2026.90":       false,
		"SSH-2.0-dropbear_0.52":          true,
	} {
		if got := closesIdleSessions(version); got != want {
			t.Errorf("closesIdleSessions(%q) = %v, want %v", version, got, want)
		}
	}
}
