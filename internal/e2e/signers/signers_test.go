// Package signers checks the emulator against SigV4 signers nobody here
// wrote: botocore (its eks-auth client, and its SigV4Auth on a hand-built
// request) and @smithy/signature-v4, the signer of the AWS SDK for
// JavaScript v3. What they sign right is accepted; what is wrong (a key,
// a secret, a session token, the scope's region or service, a body changed
// after signing) is refused with the error the service sends.
package signers

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/internal/e2e/internal/realclients"
)

const (
	cluster = "prod"
	roleARN = "arn:aws:iam::111122223333:role/cart"
)

// spec is what the scripts read on stdin.
type spec struct {
	Mode            string `json:"mode,omitempty"` // botocore: "client" or "raw"
	Endpoint        string `json:"endpoint"`
	Region          string `json:"region"`
	Service         string `json:"service"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Cluster         string `json:"cluster"`
	Token           string `json:"token"`
	Tamper          string `json:"tamper,omitempty"`
}

type answer struct {
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	AccessKeyID string `json:"accessKeyId"`
	Expiration  string `json:"expiration"`
}

type signer struct {
	name, version string
	argv          []string
	mode          string
}

func signers(t *testing.T) []signer {
	t.Helper()
	py, _, err := realclients.Python()
	if err != nil {
		realclients.Unavailable(t, "botocore: %v", err)
	}
	jsDir, node, err := realclients.JS()
	if err != nil {
		realclients.Unavailable(t, "the JS SDK: %v", err)
	}
	here, _ := os.Getwd()
	// sign.js must sit beside node_modules to require the signer.
	run := t.TempDir()
	if err := os.Symlink(filepath.Join(jsDir, "node_modules"), filepath.Join(run, "node_modules")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(here, "testdata", "sign.js"))
	if err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(run, "sign.js")
	if err := os.WriteFile(js, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bot := filepath.Join(here, "testdata", "botocore_sign.py")
	out := []signer{
		{name: "botocore client", argv: []string{py, bot}, mode: "client"},
		{name: "botocore SigV4Auth", argv: []string{py, bot}, mode: "raw"},
		{name: "JS SDK v3 SignatureV4", argv: []string{node, js}},
	}
	for i := range out {
		v, err := exec.Command(out[i].argv[0], append(out[i].argv[1:], "version")...).Output()
		if err != nil {
			t.Fatalf("%s version: %v", out[i].name, err)
		}
		out[i].version = strings.TrimSpace(string(v))
		t.Logf("signer %s: %s", out[i].name, out[i].version)
	}
	return out
}

func call(t *testing.T, s signer, sp spec) answer {
	t.Helper()
	sp.Mode = s.mode
	in, _ := json.Marshal(sp)
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", s.name, err, stderr.String())
	}
	var a answer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("%s printed %q: %v\n%s", s.name, out, err, stderr.String())
	}
	return a
}

func TestRealSigners(t *testing.T) {
	ss := signers(t)
	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: cluster, Namespace: "shop", ServiceAccount: "cart", RoleARN: roleARN})
	node := srv.NodeCredentials()
	token := srv.Token(eksauthtest.Pod{Cluster: cluster, Namespace: "shop", ServiceAccount: "cart"}, time.Hour)
	valid := spec{
		Endpoint: srv.URL, Region: srv.Region(), Service: "eks-auth",
		AccessKeyID: node.AccessKeyID, SecretAccessKey: node.SecretAccessKey, SessionToken: node.SessionToken,
		Cluster: cluster, Token: token,
	}

	tests := []struct {
		name   string
		change func(*spec)
		raw    bool // only for signers that build the request (a client cannot get this wrong)
		status int
		code   string
	}{
		{name: "signed right", status: 200},
		{name: "no association", status: 404, code: "ResourceNotFoundException",
			change: func(s *spec) {
				s.Token = srv.Token(eksauthtest.Pod{Cluster: cluster, Namespace: "shop", ServiceAccount: "nobody"}, time.Hour)
			}},
		{name: "expired token", status: 400, code: "ExpiredTokenException",
			change: func(s *spec) {
				s.Token = srv.Token(eksauthtest.Pod{Cluster: cluster, Namespace: "shop", ServiceAccount: "cart"}, -time.Minute)
			}},
		{name: "cluster name with a slash", status: 400, code: "InvalidParameterException",
			change: func(s *spec) { s.Cluster = "prod/x" }},
		{name: "wrong secret key", status: 403, code: "InvalidSignatureException",
			change: func(s *spec) { s.SecretAccessKey = strings.Repeat("x", 40) }},
		{name: "unknown access key", status: 403, code: "UnrecognizedClientException",
			change: func(s *spec) { s.AccessKeyID = "ASIAUNKNOWNKEY000000" }},
		{name: "wrong session token", status: 403, code: "UnrecognizedClientException",
			change: func(s *spec) { s.SessionToken = "IQoJb3JpZ2luX2VjEOTHER" }},
		{name: "no session token", status: 403, code: "UnrecognizedClientException",
			change: func(s *spec) { s.SessionToken = "" }},
		{name: "scope of another region", status: 403, code: "InvalidSignatureException",
			change: func(s *spec) { s.Region = "eu-west-1" }},
		{name: "scope of another service", status: 403, code: "InvalidSignatureException", raw: true,
			change: func(s *spec) { s.Service = "eks" }},
		{name: "body changed after signing", status: 403, code: "InvalidSignatureException", raw: true,
			change: func(s *spec) { s.Tamper = "body" }},
	}
	for _, s := range ss {
		t.Run(s.name, func(t *testing.T) {
			for _, tc := range tests {
				if tc.raw && s.mode == "client" {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					sp := valid
					if tc.change != nil {
						tc.change(&sp)
					}
					a := call(t, s, sp)
					if a.Status != tc.status || a.Code != tc.code {
						t.Fatalf("%s (%s): status %d code %q (%s), want %d %q", s.name, s.version, a.Status, a.Code, a.Message, tc.status, tc.code)
					}
					if tc.status == 200 && !strings.HasPrefix(a.AccessKeyID, "ASIA") {
						t.Errorf("%s: success without credentials: %+v", s.name, a)
					}
				})
			}
		})
	}
}
