package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets TestSignals run main() in a child process: the test
// binary re-executes itself with EKSAUTH_EMULATOR_RUN_MAIN set.
func TestMain(m *testing.M) {
	if os.Getenv("EKSAUTH_EMULATOR_RUN_MAIN") == "1" {
		os.Args = append([]string{"eksauth-emulator"}, strings.Fields(os.Getenv("EKSAUTH_EMULATOR_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSignals runs the real main and stops it with SIGINT and SIGTERM.
func TestSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "EKSAUTH_EMULATOR_RUN_MAIN=1",
				"EKSAUTH_EMULATOR_ARGS=-addr 127.0.0.1:0 -quiet -associate prod/shop/cart=arn:aws:iam::111122223333:role/cart")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			lines := bufio.NewScanner(stdout)
			lines.Buffer(make([]byte, 64<<10), 64<<10)
			ready := false
			for lines.Scan() {
				if lines.Text() == "# Serving until SIGINT or SIGTERM." {
					ready = true
					break
				}
			}
			if !ready {
				t.Fatalf("the emulator did not start: %v", lines.Err())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after %v: %v", sig, err)
			}
			if len(rest) != 1 || rest[0] != "# shutting down" {
				t.Errorf("output after %v = %q, want the shutdown line", sig, rest)
			}
		})
	}
}
