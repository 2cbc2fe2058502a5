package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// TestMain lets TestSignals run main() in a child process (the test binary
// re-executes itself with EKSAUTH_EMULATOR_RUN_MAIN set), and fails the
// package if a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	if os.Getenv("EKSAUTH_EMULATOR_RUN_MAIN") == "1" {
		os.Args = append([]string{"eksauth-emulator"}, strings.Fields(os.Getenv("EKSAUTH_EMULATOR_ARGS"))...)
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
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

// TestExitStatus runs the real main: 0 for help, 2 for a bad command line
// (said once), 1 when the server cannot start.
func TestExitStatus(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	for name, tc := range map[string]struct {
		args, stderr string
		status       int
	}{
		"help":         {"-h", "Usage: eksauth-emulator", 0},
		"unknown flag": {"-bogus", "flag provided but not defined: -bogus", 2},
		"bad account":  {"-account 12", "eksauth-emulator: invalid account ID", 2},
		"port in use":  {"-addr " + busy.Addr().String(), "address already in use (another emulator running? choose the address with -addr", 1},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "EKSAUTH_EMULATOR_RUN_MAIN=1", "EKSAUTH_EMULATOR_ARGS="+tc.args)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status {
				t.Errorf("exit status = %d, want %d; stderr:\n%s", status, tc.status, &stderr)
			}
			if got := stderr.String(); strings.Count(got, tc.stderr) != 1 {
				t.Errorf("stderr = %q, want %q once", got, tc.stderr)
			}
		})
	}
}
