package credentials_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/credentials"
)

const fixtureToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ.c2lnbmF0dXJl"

func TestTokenFile(t *testing.T) {
	tests := map[string]struct {
		file string
		want string
		err  error // matched with errors.Is
	}{
		"trailing LF":      {"token-lf", fixtureToken, nil},
		"trailing CRLF+LF": {"token-crlf", fixtureToken, nil},
		"no newline":       {"token-bare", fixtureToken, nil},
		"empty":            {"token-empty", "", credentials.ErrEmptyToken},
		"only newlines":    {"token-only-newlines", "", credentials.ErrEmptyToken},
		"LF inside":        {"token-lf-inside", "", credentials.ErrTokenNewline},
		"CR inside":        {"token-cr-inside", "", credentials.ErrTokenNewline},
		"missing":          {"no-such-token", "", fs.ErrNotExist},
		"directory":        {".", "", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			got, err := credentials.TokenFile(path).GetToken(context.Background())
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("GetToken = %q, %v; want %q, nil", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("GetToken = %q, nil; want an error", got)
			}
			if got != "" {
				t.Errorf("GetToken returned %q with its error, want \"\"", got)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.err)
			}
			var tfe *credentials.TokenFileError
			if !errors.As(err, &tfe) || tfe.Path != path {
				t.Errorf("error %v: want a *TokenFileError with Path %q", err, path)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %q", err, path)
			}
			if strings.Count(err.Error(), path) != 1 {
				t.Errorf("error %q names the file more than once", err)
			}
			for _, part := range []string{"eyJhbGciOiJSUzI1NiJ9", "c2lnbmF0dXJl", "OiJzeXN0ZW06"} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error %q leaks token content %q", err, part)
				}
			}
		})
	}
}

func TestTokenFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(strings.Repeat("a", 64<<10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := credentials.TokenFile(path).GetToken(context.Background())
	if !errors.Is(err, credentials.ErrTokenTooLong) {
		t.Errorf("GetToken error = %v, want ErrTokenTooLong", err)
	}
	if strings.Contains(err.Error(), "aaaa") {
		t.Errorf("error %q leaks content", err)
	}
}

func TestTokenFileCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := credentials.TokenFile(filepath.Join("testdata", "token-lf")).GetToken(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GetToken(canceled) = %v, want context.Canceled", err)
	}
}

// TestTokenFileRotationIsPickedUp rewrites the token file as the kubelet
// does (write a new file, rename it over the old one) and checks that the
// next refresh sends the new token.
func TestTokenFileRotationIsPickedUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "eks-pod-identity-token")
	write := func(tok string) {
		t.Helper()
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("first.token.one")

	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := credentials.NewWithClock(api, cluster, credentials.TokenFile(path), clk.Now, func() float64 { return 0.5 })
	mustRetrieve(t, p, "ASIAKEY1")

	write("second.token.two")
	clk.Set(refreshAt) // background refresh
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	mustRetrieve(t, p, "ASIAKEY2")

	write("third.token.three")
	p.Invalidate()
	mustRetrieve(t, p, "ASIAKEY3")

	if got, want := strings.Join(api.Tokens(), " "), "first.token.one second.token.two third.token.three"; got != want {
		t.Errorf("tokens sent = %s, want %s", got, want)
	}

	// A token file that disappears fails the waiting refresh with its path.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clk.Set(2 * time.Hour)
	_, err := p.Retrieve(context.Background())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Retrieve with the token file gone = %v, want fs.ErrNotExist naming %s", err, path)
	}
}

func TestDefaultTokenPath(t *testing.T) {
	const want = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
	if credentials.DefaultTokenPath != want {
		t.Errorf("DefaultTokenPath = %q, want %q", credentials.DefaultTokenPath, want)
	}
}

// FuzzTokenFile checks that any file content either yields a non-empty
// token without CR or LF, or an error that holds none of the content.
func FuzzTokenFile(f *testing.F) {
	for _, name := range []string{"token-lf", "token-crlf", "token-bare", "token-lf-inside", "token-cr-inside", "token-empty", "token-only-newlines"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	path := filepath.Join(f.TempDir(), "token")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := credentials.TokenFile(path).GetToken(context.Background())
		if err != nil {
			if tok != "" {
				t.Errorf("token %q returned with error %v", tok, err)
			}
			if trimmed := strings.Trim(string(content), "\r\n"); len(trimmed) >= 4 && strings.Contains(err.Error(), trimmed) {
				t.Errorf("error %q holds the content", err)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, "\r\n") {
			t.Errorf("token %q: want non-empty, without CR or LF", tok)
		}
		if !strings.HasPrefix(string(content), tok) || strings.TrimRight(string(content[len(tok):]), "\r\n") != "" {
			t.Errorf("token %q is not the content %q without trailing newlines", tok, content)
		}
	})
}
