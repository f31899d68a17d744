package target

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/drover-sh/drover/internal/inventory"
)

// localMachine describes the control machine for inventory resolution.
// sshConfig is the -F file; "" reads ~/.ssh/config, then
// /etc/ssh/ssh_config, and "none" nothing, as for ssh.
func localMachine(env Env, sshConfig string) (inventory.Local, error) {
	home := env.Getenv("HOME")
	name := env.Getenv("USER")
	uid := strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		name, uid = u.Username, u.Uid
		if home == "" {
			home = u.HomeDir
		}
	}
	hostname, _ := os.Hostname()
	var cfg *inventory.SSHConfig
	var err error
	switch sshConfig {
	case "none": // as ssh -F none: no file at all
	case "":
		cfg, err = inventory.LoadSSHConfig(filepath.Join(home, ".ssh", "config"), systemSSHConfig(env))
	default:
		cfg, err = inventory.LoadSSHConfigFile(sshConfig)
	}
	if err != nil {
		return inventory.Local{}, err
	}
	return inventory.Local{User: name, Home: home, UID: uid, Hostname: hostname, SSHConfig: cfg, LookupEnv: env.LookupEnv}, nil
}

// systemSSHConfig is the system-wide ssh_config: /etc/ssh/ssh_config, or
// $DROVER_SYSTEM_SSH_CONFIG when set ("none" for none), so tests do not
// depend on the machine's file.
func systemSSHConfig(env Env) string {
	switch p, ok := env.LookupEnv("DROVER_SYSTEM_SSH_CONFIG"); {
	case !ok:
		return inventory.SystemSSHConfig
	case p == "none":
		return ""
	default:
		return p
	}
}
