// Command pause is the sandbox image's process of the one-node cluster
// test: it holds the pod's namespaces, reaps the orphans the pod's
// containers leave (it is their PID 1 with a shared PID namespace) and
// exits on SIGTERM or SIGINT, as the kubelet's own pause does.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
