package main

import (
	"encoding/json"
	"testing"
)

func TestSuccessAgainstEmulator(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	t.Log(r.stdout)
}
