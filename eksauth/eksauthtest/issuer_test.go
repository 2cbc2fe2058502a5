package eksauthtest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeAPIServer serves a Kubernetes API server's issuer discovery and
// JWKS over TLS, to a bearer token only, as a real one does to
// authenticated service accounts.
type fakeAPIServer struct {
	*httptest.Server
	issuer string

	mu        sync.Mutex
	keys      map[string]crypto.PublicKey // guarded by mu
	jwksReads atomic.Int32
}

const fakeBearer = "test-bearer"

func newFakeAPIServer(t *testing.T) *fakeAPIServer {
	t.Helper()
	f := &fakeAPIServer{issuer: "https://kubernetes.default.svc.cluster.local", keys: map[string]crypto.PublicKey{}}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+fakeBearer {
			http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
			return
		}
		var doc any
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			doc = map[string]any{"issuer": f.issuer, "jwks_uri": "https://10.0.0.1:6443/openid/v1/jwks", "id_token_signing_alg_values_supported": []string{"RS256", "ES256"}}
		case "/openid/v1/jwks":
			f.jwksReads.Add(1)
			f.mu.Lock()
			var keys []map[string]string
			for kid, k := range f.keys {
				switch k := k.(type) {
				case *rsa.PublicKey:
					keys = append(keys, map[string]string{"use": "sig", "kty": "RSA", "kid": kid, "alg": "RS256",
						"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
				case *ecdsa.PublicKey:
					keys = append(keys, map[string]string{"use": "sig", "kty": "EC", "kid": kid, "alg": "ES256", "crv": "P-256",
						"x": base64.RawURLEncoding.EncodeToString(k.X.FillBytes(make([]byte, 32))), "y": base64.RawURLEncoding.EncodeToString(k.Y.FillBytes(make([]byte, 32)))})
				}
			}
			f.mu.Unlock()
			doc = map[string]any{"keys": keys}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPIServer) addKey(kid string, k crypto.PublicKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[kid] = k
}

// client is an HTTP client that trusts the fake and sends its bearer token.
func (f *fakeAPIServer) client() *http.Client {
	c := *f.Client()
	c.Transport = bearer{c.Transport}
	return &c
}

type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+fakeBearer)
	return b.next.RoundTrip(r)
}

// kubeToken is a token as the kubelet projects it, with the claims of a
// real API server (node, warnafter).
func kubeToken(t *testing.T, method jwt.SigningMethod, key crypto.Signer, kid, issuer, audience string, ttl time.Duration) string {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	iat := now
	if ttl < 0 {
		iat = now.Add(ttl - time.Hour)
	}
	cl := jwt.MapClaims{
		"iss": issuer, "aud": []string{audience}, "sub": "system:serviceaccount:shop:cart",
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": now.Add(ttl).Unix(), "jti": "0b7c3f0e-1d5e-4a39-9d47-0d7d0b0c2b61",
		"kubernetes.io": map[string]any{
			"namespace":      "shop",
			"node":           map[string]string{"name": "node-1", "uid": "3a1b9c2e-0000-4000-8000-000000000001"},
			"pod":            map[string]string{"name": "cart-7d9f", "uid": "3a1b9c2e-0000-4000-8000-000000000002"},
			"serviceaccount": map[string]string{"name": "cart", "uid": "3a1b9c2e-0000-4000-8000-000000000003"},
			"warnafter":      now.Add(ttl / 2).Unix(),
		},
	}
	tok := jwt.NewWithClaims(method, cl)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTrustIssuer(t *testing.T) {
	api := newFakeAPIServer(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	api.addKey("rsa-1", &rsaKey.PublicKey)
	api.addKey("ec-1", &ecKey.PublicKey)

	srv := newTestServer(t)
	ctx := context.Background()
	if err := srv.TrustIssuer(ctx, testCluster, api.URL, http.DefaultClient); err == nil {
		t.Fatal("TrustIssuer with a client that does not trust the API server's CA: no error")
	}
	noAuth := api.Client()
	if err := srv.TrustIssuer(ctx, testCluster, api.URL, noAuth); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("TrustIssuer unauthenticated = %v, want the 401", err)
	}
	if err := srv.TrustIssuer(ctx, testCluster, api.URL+"/", api.client()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Issuer(testCluster); got != api.issuer {
		t.Errorf("Issuer = %q, want the API server's %q", got, api.issuer)
	}

	aud := "pods.eks.amazonaws.com"
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
		code  string // "" for success
	}{
		{"RS256", kubeToken(t, jwt.SigningMethodRS256, rsaKey, "rsa-1", api.issuer, aud, time.Hour), ""},
		{"ES256", kubeToken(t, jwt.SigningMethodES256, ecKey, "ec-1", api.issuer, aud, time.Hour), ""},
		{"another key under a known kid", kubeToken(t, jwt.SigningMethodRS256, otherKey, "rsa-1", api.issuer, aud, time.Hour), "InvalidTokenException"},
		{"another issuer", kubeToken(t, jwt.SigningMethodRS256, rsaKey, "rsa-1", "https://elsewhere.example", aud, time.Hour), "InvalidTokenException"},
		{"another audience", kubeToken(t, jwt.SigningMethodRS256, rsaKey, "rsa-1", api.issuer, "sts.amazonaws.com", time.Hour), "InvalidTokenException"},
		{"expired", kubeToken(t, jwt.SigningMethodRS256, rsaKey, "rsa-1", api.issuer, aud, -time.Minute), "ExpiredTokenException"},
		{"the emulator's own token", srv.Token(testPod, time.Hour), "InvalidTokenException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, srv, rawRequest{token: tc.token})
			switch {
			case tc.code == "" && res.status != http.StatusOK:
				t.Fatalf("status %d %s: %s, want 200", res.status, res.code, res.message)
			case tc.code != "" && res.code != tc.code:
				t.Fatalf("status %d code %q, want %s", res.status, res.code, tc.code)
			}
			if tc.code != "" {
				return
			}
			var out struct {
				Subject         struct{ Namespace, ServiceAccount string }
				AssumedRoleUser struct{ Arn string }
			}
			if err := json.Unmarshal(res.body, &out); err != nil {
				t.Fatal(err)
			}
			if out.Subject.Namespace != "shop" || out.Subject.ServiceAccount != "cart" || !strings.Contains(out.AssumedRoleUser.Arn, "/eks-"+testCluster+"-cart-7d9f-") {
				t.Errorf("answer %+v, want the token's namespace, service account and pod", out)
			}
		})
	}

	// A key the API server rotated in: one more JWKS read, then accepted;
	// a flood of unknown kids makes no more reads within the interval.
	reads := api.jwksReads.Load()
	newKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	api.addKey("rsa-2", &newKey.PublicKey)
	waitUntil := time.Now().Add(6 * time.Second) // the refetch interval since TrustIssuer's read
	var res result
	for {
		res = send(t, srv, rawRequest{token: kubeToken(t, jwt.SigningMethodRS256, newKey, "rsa-2", api.issuer, aud, time.Hour)})
		if res.status == http.StatusOK || time.Now().After(waitUntil) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res.status != http.StatusOK {
		t.Fatalf("token of a rotated-in key: status %d %s, want 200 after a JWKS read", res.status, res.code)
	}
	after := api.jwksReads.Load()
	if after-reads != 1 {
		t.Errorf("JWKS read %d times for the new kid, want once", after-reads)
	}
	for i := range 20 {
		forged := kubeToken(t, jwt.SigningMethodRS256, otherKey, "forged-"+string(rune('a'+i)), api.issuer, aud, time.Hour)
		if res := send(t, srv, rawRequest{token: forged}); res.code != "InvalidTokenException" {
			t.Fatalf("unknown kid: code %q, want InvalidTokenException", res.code)
		}
	}
	if n := api.jwksReads.Load() - after; n != 0 {
		t.Errorf("20 unknown kids within the interval made %d JWKS reads, want 0", n)
	}
}
