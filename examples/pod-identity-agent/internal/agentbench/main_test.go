package main

import (
	"os"
	"testing"
	"time"
)

// TestProcReaders reads this process's own /proc entries: CPU time grows
// with work, and VmHWM is at least VmRSS.
func TestProcReaders(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	pid := os.Getpid()
	before, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the CPU time shows it (a loaded machine may give this
	// process little of the wall time).
	for deadline := time.Now().Add(10 * time.Second); ; {
		after, err := procCPU(pid)
		if err != nil {
			t.Fatal(err)
		}
		if after-before >= 50*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time grew by %v over 10s of spinning", after-before)
		}
	}
	rss, err := procStatus(pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	hwm, err := procStatus(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("VmRSS %d kB, VmHWM %d kB", rss, hwm)
	}
	if _, err := procStatus(pid, "NoSuchField"); err == nil {
		t.Error("a missing field: no error")
	}
}

func TestErrorsText(t *testing.T) {
	if got := errorsText(nil); got != "" {
		t.Errorf("errorsText(nil) = %q", got)
	}
	if got, want := errorsText(map[string]int{"503": 3, "429": 1}), " (1×429, 3×503)"; got != want {
		t.Errorf("errorsText = %q, want %q", got, want)
	}
}
