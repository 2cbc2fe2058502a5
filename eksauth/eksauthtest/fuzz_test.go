package eksauthtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/podidentity/podidentity/internal/protocol"
)

// seedLines returns the non-empty lines of a testdata file.
func seedLines(f *testing.F, name string) []string {
	file, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	var lines []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

func FuzzParseAuthorization(f *testing.F) {
	for _, line := range seedLines(f, "authorization.txt") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			if err.status != http.StatusForbidden || err.code != CodeIncompleteSignature {
				t.Fatalf("error %d %s, want 403 %s", err.status, err.code, CodeIncompleteSignature)
			}
			return
		}
		if len(a.Signature) != 64 || len(a.SignedHeaders) == 0 || a.AccessKeyID == "" || a.Region == "" {
			t.Fatalf("accepted %q as %+v", h, a)
		}
	})
}

func newFuzzServer(f *testing.F) *Server {
	s := NewServer()
	f.Cleanup(s.Close)
	s.Associate(Association{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", RoleARN: "arn:aws:iam::111122223333:role/cart"})
	return s
}

func FuzzParseToken(f *testing.F) {
	s := newFuzzServer(f)
	c := s.cluster("prod")
	good := s.Token(Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)
	f.Add(good)
	f.Add(s.Token(Pod{Cluster: "other", Namespace: "shop", ServiceAccount: "cart"}, time.Hour))
	for _, line := range seedLines(f, "tokens.txt") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, token string) {
		cl, err := s.verifyToken(c, token)
		if err != nil {
			te, ok := err.(*tokenError)
			if !ok || te.code != protocol.CodeInvalidToken && te.code != protocol.CodeExpiredToken {
				t.Fatalf("error %v, want a token error", err)
			}
			if len(token) >= 16 && strings.Contains(te.msg, token) { // short strings occur in any text
				t.Fatal("the error repeats the token")
			}
			return
		}
		if token != good && cl.Subject != "system:serviceaccount:shop:cart" {
			t.Fatalf("accepted a forged token with claims %+v", cl)
		}
	})
}

// FuzzHandler feeds the handler arbitrary requests, signed (so that they
// reach the body and token checks) or not.
func FuzzHandler(f *testing.F) {
	s := newFuzzServer(f)
	token := s.Token(Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)
	path := protocol.Path("prod")
	entries, err := os.ReadDir(filepath.Join("testdata", "requests"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "requests", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("POST", path, strings.ReplaceAll(string(b), "$TOKEN", token), "application/json", "", true)
	}
	f.Add("POST", path, `{"token":"`+token+`"}`, "application/json", "", true)
	f.Add("POST", "/clusters/-bad/assume-role-for-pod-identity", `{"token":"a.b.c"}`, "application/json", "", true)
	f.Add("GET", "/", "", "", "", false)
	f.Add("POST", path, `{"token":"a.b.c"}`, "text/plain", "AWS4-HMAC-SHA256 Credential=x", false)
	f.Add("POST", path, `{"token":null}`, "application/json; charset=utf-8", "", true)

	f.Fuzz(func(t *testing.T, method, path, body, contentType, authz string, sign bool) {
		if !validMethod(method) {
			return // net/http refuses such requests before any handler
		}
		r := &http.Request{
			Method:        method,
			URL:           &url.URL{Path: path},
			Host:          "127.0.0.1:1",
			Header:        make(http.Header),
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)),
		}
		r = r.WithContext(context.Background())
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if sign {
			sum := sha256.Sum256([]byte(body))
			signed := r.Clone(context.Background())
			signed.URL = &url.URL{Scheme: "http", Host: r.Host, Path: path}
			if err := signRequest(s, signed, hex.EncodeToString(sum[:])); err != nil {
				return
			}
			r.Header = signed.Header
		} else if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Header().Get("X-Amzn-Requestid") == "" {
			t.Fatal("no X-Amzn-Requestid")
		}
		out := w.Body.Bytes()
		if w.Code != http.StatusOK {
			var e protocol.Error
			if err := json.Unmarshal(out, &e); err != nil || e.Message == "" {
				t.Fatalf("error answer %d %q is not a JSON error", w.Code, out)
			}
			if w.Header().Get("X-Amzn-Errortype") == "" {
				t.Fatalf("error answer %d without X-Amzn-ErrorType", w.Code)
			}
		}
		node := s.NodeCredentials()
		if bytes.Contains(out, []byte(node.SecretAccessKey)) || bytes.Contains(out, []byte(node.SessionToken)) {
			t.Fatal("an answer contains the node's secrets")
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// signRequest signs r with the server's node credentials, now.
func signRequest(s *Server, r *http.Request, payloadHash string) error {
	return v4.NewSigner().SignHTTP(context.Background(), s.node, r, payloadHash, protocol.SigningName, s.region, time.Now())
}
