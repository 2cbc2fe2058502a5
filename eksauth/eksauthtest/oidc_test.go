package eksauthtest_test

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// getJSON fetches the path of an issuer URL from the emulator, as a third
// party that maps the issuer's host to the emulator would.
func getJSON(t *testing.T, srv *eksauthtest.Server, issuerURL string, v any) int {
	t.Helper()
	u, err := url.Parse(issuerURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(srv.URL + u.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", u.Path, ct)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", u.Path, err)
		}
	}
	return resp.StatusCode
}

// keyfunc finds a token's key the way an OIDC verifier does: discovery
// document at the issuer, then its jwks_uri, then the key with the
// token's kid.
func keyfunc(t *testing.T, srv *eksauthtest.Server) jwt.Keyfunc {
	return func(tok *jwt.Token) (any, error) {
		iss, err := tok.Claims.GetIssuer()
		if err != nil {
			return nil, err
		}
		var doc struct {
			Issuer  string   `json:"issuer"`
			JWKSURI string   `json:"jwks_uri"`
			Algs    []string `json:"id_token_signing_alg_values_supported"`
		}
		if st := getJSON(t, srv, iss+"/.well-known/openid-configuration", &doc); st != http.StatusOK {
			t.Fatalf("discovery document of %s: status %d", iss, st)
		}
		if doc.Issuer != iss || doc.JWKSURI != iss+"/keys" || len(doc.Algs) != 1 || doc.Algs[0] != "RS256" {
			t.Errorf("discovery document %+v, want issuer %s, jwks_uri %s/keys, RS256", doc, iss, iss)
		}
		var set struct {
			Keys []struct{ Kty, Alg, Use, Kid, N, E string } `json:"keys"`
		}
		if st := getJSON(t, srv, doc.JWKSURI, &set); st != http.StatusOK {
			t.Fatalf("JWKS %s: status %d", doc.JWKSURI, st)
		}
		for _, k := range set.Keys {
			if k.Kid != tok.Header["kid"] {
				continue
			}
			if k.Kty != "RSA" || k.Alg != "RS256" || k.Use != "sig" {
				t.Errorf("key %+v, want RSA, RS256, sig", k)
			}
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil {
				t.Fatalf("key %s: n or e is not base64url", k.Kid)
			}
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
		}
		return nil, jwt.ErrTokenUnverifiable
	}
}

func TestOIDCThirdPartyVerifiesTokens(t *testing.T) {
	srv := newTestServer(t)
	other := eksauthtest.Pod{Cluster: "staging", Namespace: "shop", ServiceAccount: "cart"}
	for _, pod := range []eksauthtest.Pod{testPod, other} {
		token := srv.Token(pod, time.Hour)
		parsed, err := jwt.Parse(token, keyfunc(t, srv),
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience("pods.eks.amazonaws.com"),
			jwt.WithIssuer(srv.Issuer(pod.Cluster)), jwt.WithExpirationRequired())
		if err != nil || !parsed.Valid {
			t.Errorf("a token of %s does not verify with its issuer's published key: %v", pod.Cluster, err)
		}
	}

	// The keys of one cluster do not verify another's tokens.
	token := srv.Token(other, time.Hour)
	_, err := jwt.Parse(token, func(tok *jwt.Token) (any, error) {
		tok.Claims.(jwt.MapClaims)["iss"] = srv.Issuer(testCluster)
		return keyfunc(t, srv)(tok)
	})
	if err == nil {
		t.Error("a staging token verified with prod's published keys")
	}
}

func TestOIDCUnknownIssuer(t *testing.T) {
	srv := newTestServer(t)
	var v any
	for _, path := range []string{"/id/0123456789ABCDEF0123456789ABCDEF/keys", "/id/.well-known/openid-configuration", "/id/keys"} {
		if st := getJSON(t, srv, "https://oidc.eks.us-west-2.amazonaws.com"+path, &v); st != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, st)
		}
	}
	if got := srv.Requests(); len(got) != 0 {
		t.Errorf("OIDC requests were recorded as API requests: %d", len(got))
	}
}
