package eksauthtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The paths where a Kubernetes API server serves its service-account
// issuer's OIDC discovery document and keys.
const (
	kubeDiscoveryPath = "/.well-known/openid-configuration"
	kubeJWKSPath      = "/openid/v1/jwks"
)

// jwksRefetchInterval bounds how often a token with an unknown key ID
// makes the server read the JWKS again (the API server rotated its keys):
// a flood of forged kids costs one read per interval, not one per token.
const jwksRefetchInterval = 5 * time.Second

// maxIssuerDocument caps the discovery document and the JWKS read.
const maxIssuerDocument = 1 << 20

// externalIssuer is a real cluster's service-account issuer that a
// cluster of the emulator trusts (see [Server.TrustIssuer]).
type externalIssuer struct {
	apiServer string // base URL, no trailing slash
	client    *http.Client
	issuer    string // the discovery document's issuer: tokens' iss

	mu      sync.Mutex
	keys    map[string]crypto.PublicKey // guarded by mu, by key ID
	fetched time.Time                   // guarded by mu: the last JWKS read
}

// TrustIssuer makes the server check the tokens of cluster as EKS checks
// those of a real one: against the service-account issuer of the
// Kubernetes API server at apiServerURL (https://host:port, or a `kubectl
// proxy` URL), instead of a key of the emulator's own. It reads the
// issuer's OIDC discovery document (/.well-known/openid-configuration) and
// keys (/openid/v1/jwks) from that server with client (nil means
// http.DefaultClient), which must trust the API server's CA and
// authenticate to it: the API server lets service accounts read both
// (ClusterRole system:service-account-issuer-discovery), anonymous users
// not unless bound too.
//
// From then on a token the kubelet projects for the audience
// pods.eks.amazonaws.com is checked for its signature (RS256 or ES256/384/512,
// the API server's key types), issuer, audience, exp, nbf and iat, and its
// kubernetes.io claims (namespace, service account, pod) select the
// association, as on EKS. A key ID the keys read lack makes the server
// read them again, at most every 5 seconds. [Server.Token] still mints
// with the emulator's key: the cluster refuses those tokens. [Server.Issuer]
// returns the real issuer. TrustIssuer may be called again, to follow
// another API server.
func (s *Server) TrustIssuer(ctx context.Context, cluster, apiServerURL string, client *http.Client) error {
	if client == nil {
		client = http.DefaultClient
	}
	ext := &externalIssuer{apiServer: strings.TrimSuffix(apiServerURL, "/"), client: client}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := ext.get(ctx, kubeDiscoveryPath, &doc); err != nil {
		return err
	}
	if doc.Issuer == "" {
		return fmt.Errorf("eksauthtest: %s%s names no issuer", ext.apiServer, kubeDiscoveryPath)
	}
	ext.issuer = doc.Issuer
	keys, err := ext.readKeys(ctx)
	if err != nil {
		return err
	}
	ext.keys, ext.fetched = keys, time.Now()
	s.cluster(cluster).external.Store(ext)
	return nil
}

// get reads the JSON document at path of the API server into v.
func (e *externalIssuer) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.apiServer+path, nil)
	if err != nil {
		return fmt.Errorf("eksauthtest: issuer: %w", err)
	}
	// The API server serves its JWKS as application/jwk-set+json, and
	// refuses (406) an Accept without it.
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("eksauthtest: issuer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIssuerDocument))
	if err != nil {
		return fmt.Errorf("eksauthtest: issuer: read %s: %w", path, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("eksauthtest: issuer: GET %s%s: %s (the client must authenticate to the API server as a user allowed to read it)", e.apiServer, path, resp.Status)
	default:
		return fmt.Errorf("eksauthtest: issuer: GET %s%s: %s", e.apiServer, path, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("eksauthtest: issuer: decode %s: %w", path, err)
	}
	return nil
}

// readKeys reads the issuer's JWKS: its RSA and EC signing keys by key ID.
func (e *externalIssuer) readKeys(ctx context.Context) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Use string `json:"use"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	if err := e.get(ctx, kubeJWKSPath, &set); err != nil {
		return nil, err
	}
	keys := make(map[string]crypto.PublicKey)
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		var key crypto.PublicKey
		var err error
		switch k.Kty {
		case "RSA":
			key, err = rsaKey(k.N, k.E)
		case "EC":
			key, err = ecKey(k.Crv, k.X, k.Y)
		default:
			continue // a key type no token of the API server uses
		}
		if err != nil {
			return nil, fmt.Errorf("eksauthtest: issuer: key %q: %w", k.Kid, err)
		}
		keys[k.Kid] = key
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("eksauthtest: issuer: %s%s has no RSA or EC signing key", e.apiServer, kubeJWKSPath)
	}
	return keys, nil
}

func b64Int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("not a base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nn, err := b64Int(n)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	ee, err := b64Int(e)
	if err != nil || !ee.IsInt64() || ee.Int64() < 3 || ee.Int64() > 1<<31-1 {
		return nil, errors.New("e: not a public exponent")
	}
	return &rsa.PublicKey{N: nn, E: int(ee.Int64())}, nil
}

func ecKey(crv, x, y string) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, fmt.Errorf("curve %q", crv)
	}
	xx, err := b64Int(x)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	yy, err := b64Int(y)
	if err != nil {
		return nil, fmt.Errorf("y: %w", err)
	}
	if !curve.IsOnCurve(xx, yy) {
		return nil, errors.New("the point is not on the curve")
	}
	return &ecdsa.PublicKey{Curve: curve, X: xx, Y: yy}, nil
}

// key returns the key of a token's kid, reading the JWKS again for an
// unknown one (at most every jwksRefetchInterval).
func (e *externalIssuer) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.keys[kid]; ok {
		return k, nil
	}
	if time.Since(e.fetched) >= jwksRefetchInterval {
		e.fetched = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		keys, err := e.readKeys(ctx)
		cancel()
		if err == nil {
			e.keys = keys
		}
		if k, ok := e.keys[kid]; ok {
			return k, nil
		}
	}
	return nil, errors.New("no key of the issuer has this key ID")
}

// verification returns what a token of c is checked against: the issuer,
// the key of a token and the signing algorithms accepted.
func (c *cluster) verification() (issuer string, keyFunc jwt.Keyfunc, methods []string) {
	if ext := c.external.Load(); ext != nil {
		return ext.issuer, ext.key, []string{"RS256", "ES256", "ES384", "ES512"}
	}
	key, _ := c.signingKey()
	return c.issuer, func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, []string{jwt.SigningMethodRS256.Alg()}
}

// issuerURL is the issuer of c's tokens: the trusted one, if any.
func (c *cluster) issuerURL() string {
	if ext := c.external.Load(); ext != nil {
		return ext.issuer
	}
	return c.issuer
}
