package eksauthtest

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
)

// Each cluster's OIDC issuer is https://oidc.eks.<region>.amazonaws.com/id/<ID>;
// EKS serves its discovery document and its keys below that path, and so
// does the emulator, on its own URL: a third party that verifies tokens
// (an agent checking them locally, a federation test) maps the issuer's
// host to [Server.URL] and fetches
//
//	GET /id/<ID>/.well-known/openid-configuration
//	GET /id/<ID>/keys
//
// Both are public: no signature needed, no record kept, no fault applied.
const (
	oidcDiscoveryPath = "/.well-known/openid-configuration"
	oidcKeysPath      = "/keys"
)

// discoveryDoc is the OIDC discovery document EKS serves for a cluster.
type discoveryDoc struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	AuthorizationEndpoint            string   `json:"authorization_endpoint"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
}

type jwk struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// serveOIDC answers the issuer routes and reports whether r was one.
func (s *Server) serveOIDC(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || !strings.HasPrefix(r.URL.Path, "/id/") {
		return false
	}
	var c *cluster
	var doc any
	switch path := r.URL.Path; {
	case strings.HasSuffix(path, oidcDiscoveryPath):
		if c = s.clusterByIssuerPath(strings.TrimSuffix(path, oidcDiscoveryPath)); c != nil {
			doc = discoveryDoc{
				Issuer:                           c.issuer,
				JWKSURI:                          c.issuer + oidcKeysPath,
				AuthorizationEndpoint:            "urn:kubernetes:programmatic_authorization",
				ResponseTypesSupported:           []string{"id_token"},
				SubjectTypesSupported:            []string{"public"},
				ClaimsSupported:                  []string{"sub", "iss"},
				IDTokenSigningAlgValuesSupported: []string{"RS256"},
			}
		}
	case strings.HasSuffix(path, oidcKeysPath):
		if c = s.clusterByIssuerPath(strings.TrimSuffix(path, oidcKeysPath)); c != nil {
			key, kid := c.signingKey()
			doc = map[string][]jwk{"keys": {{
				Kty: "RSA", Alg: "RS256", Use: "sig", Kid: kid,
				N: base64.RawURLEncoding.EncodeToString(key.PublicKey.N.Bytes()),
				E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.PublicKey.E)).Bytes()),
			}}}
		}
	}
	if doc == nil {
		http.NotFound(w, r)
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
	return true
}

// clusterByIssuerPath returns the cluster whose issuer has the path
// /id/<ID>, or nil.
func (s *Server) clusterByIssuerPath(path string) *cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clusters {
		if strings.HasSuffix(c.issuer, path) && strings.HasPrefix(path, "/id/") && len(path) > len("/id/") {
			return c
		}
	}
	return nil
}
