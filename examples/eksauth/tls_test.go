package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// tlsSandbox serves testdata/response.json over HTTPS with a certificate
// no system trusts, and writes that certificate to a PEM file.
func tlsSandbox(t *testing.T) (*sandbox, []string, string) {
	t.Helper()
	body, err := os.ReadFile("testdata/response.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	sb := newSandbox(t)
	sb.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	sb.set("AWS_SECRET_ACCESS_KEY", "secretEXAMPLE")
	sb.set("AWS_REGION", "us-west-2")
	sb.set("AWS_MAX_ATTEMPTS", "1")
	ca := sb.file("ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	args := []string{"assume-role-for-pod-identity", "--endpoint-url", srv.URL, "--cluster-name", "demo", "--token", "a.b.c", "--query", "audience", "--output", "text"}
	return sb, args, ca
}

func TestTLS(t *testing.T) {
	t.Run("untrusted certificate", func(t *testing.T) {
		sb, args, _ := tlsSandbox(t)
		r := sb.run("", args...)
		if r.code != exitGeneral || !strings.HasPrefix(r.stderr, "\nSSL validation failed for https://127.0.0.1:") {
			t.Fatalf("exit %d stderr %q", r.code, r.stderr)
		}
	})
	t.Run("--no-verify-ssl warns", func(t *testing.T) {
		sb, args, _ := tlsSandbox(t)
		r := sb.run("", append(args, "--no-verify-ssl")...)
		want := "eksauth: InsecureRequestWarning: Unverified HTTPS request is being made to host '127.0.0.1'. Adding certificate verification is strongly advised. See: https://urllib3.readthedocs.io/en/latest/advanced-usage.html#tls-warnings\n"
		if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" || r.stderr != want {
			t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("--ca-bundle", func(t *testing.T) {
		sb, args, ca := tlsSandbox(t)
		r := sb.run("", append(args, "--ca-bundle", ca)...)
		if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" || r.stderr != "" {
			t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("AWS_CA_BUNDLE", func(t *testing.T) {
		sb, args, ca := tlsSandbox(t)
		sb.set("AWS_CA_BUNDLE", ca)
		r := sb.run("", args...)
		if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" {
			t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("profile ca_bundle", func(t *testing.T) {
		sb, args, ca := tlsSandbox(t)
		sb.set("AWS_CONFIG_FILE", sb.file("config", "[default]\nca_bundle = "+ca+"\n"))
		r := sb.run("", args...)
		if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" {
			t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	// The same report wherever the missing bundle was named.
	for name, set := range map[string]func(sb *sandbox) []string{
		"missing bundle": func(sb *sandbox) []string { return []string{"--ca-bundle", "/nonexistent.pem"} },
		"missing AWS_CA_BUNDLE": func(sb *sandbox) []string {
			sb.set("AWS_CA_BUNDLE", "/nonexistent.pem")
			return nil
		},
		"missing profile ca_bundle": func(sb *sandbox) []string {
			sb.set("AWS_CONFIG_FILE", sb.file("config", "[default]\nca_bundle = /nonexistent.pem\n"))
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			sb, args, _ := tlsSandbox(t)
			r := sb.run("", append(args, set(sb)...)...)
			if want := "\nCould not find a suitable TLS CA certificate bundle, invalid path: /nonexistent.pem\n"; r.code != exitGeneral || r.stderr != want {
				t.Fatalf("exit %d stderr %q, want %d %q", r.code, r.stderr, exitGeneral, want)
			}
		})
	}
}

// TestCABundleOverHTTP: the AWS CLI reads the CA bundle only for a TLS
// connection, so a missing one does not fail a plain-HTTP endpoint.
func TestCABundleOverHTTP(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL,
		"--ca-bundle", "/nonexistent.pem", "--query", "audience", "--output", "text")
	if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
