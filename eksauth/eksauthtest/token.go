package eksauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/podidentity/podidentity/internal/protocol"
)

// TokenLeeway is the clock skew tolerated when the server checks a
// token's exp, nbf and iat.
const TokenLeeway = 5 * time.Second

// cluster is an emulated EKS cluster: its OIDC issuer, its signing key and
// the stable UIDs of its service accounts and pods.
type cluster struct {
	name   string
	issuer string
	index  int // which process-wide cached key it uses

	keyOnce sync.Once
	key     *rsa.PrivateKey
	kid     string

	mu   sync.Mutex
	uids map[string]string // guarded by mu: "sa/<ns>/<name>" or "pod/<ns>/<name>" to UID

	external atomic.Pointer[externalIssuer] // set by TrustIssuer: checks tokens instead of key
}

// cluster returns the named cluster, creating it (without its key yet).
func (s *Server) cluster(name string) *cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[name]
	if !ok {
		var id [16]byte
		_, _ = rand.Read(id[:])
		c = &cluster{
			name:   name,
			issuer: fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", s.region, strings.ToUpper(hex.EncodeToString(id[:]))),
			index:  len(s.clusters),
			uids:   make(map[string]string),
		}
		s.clusters[name] = c
	}
	return c
}

// signingKey returns the cluster's key and key ID, generating the key on
// first use.
func (c *cluster) signingKey() (*rsa.PrivateKey, string) {
	c.keyOnce.Do(func() {
		c.key = pooledKey(c.index)
		der, err := x509.MarshalPKIXPublicKey(&c.key.PublicKey)
		if err != nil {
			panic("eksauthtest: marshal public key: " + err.Error())
		}
		// EKS's key IDs are 40 lowercase hex digits, a SHA-1 of the
		// public key's size, as long as a third party can match a token's
		// kid to the JWKS the issuer serves.
		sum := sha1.Sum(der)
		c.kid = hex.EncodeToString(sum[:])
	})
	return c.key, c.kid
}

func (c *cluster) uid(kind, namespace, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := kind + "/" + namespace + "/" + name
	u, ok := c.uids[k]
	if !ok {
		u = newUUID()
		c.uids[k] = u
	}
	return u
}

// keyPool caches RSA-2048 keys for the whole process, because generating
// one takes tens of milliseconds: the n-th cluster of every Server uses
// the n-th key. Clusters of one Server never share a key; clusters of two
// Servers may, but their issuers differ, so their tokens do not mix.
var keyPool struct {
	mu   sync.Mutex
	keys []*rsa.PrivateKey // guarded by mu
}

func pooledKey(i int) *rsa.PrivateKey {
	keyPool.mu.Lock()
	defer keyPool.mu.Unlock()
	for len(keyPool.keys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("eksauthtest: generate RSA key: " + err.Error())
		}
		keyPool.keys = append(keyPool.keys, k)
	}
	return keyPool.keys[i]
}

// claims are the claims of a projected service-account token.
type claims struct {
	jwt.RegisteredClaims
	Kubernetes k8sClaims `json:"kubernetes.io"`
}

// k8sClaims are the kubernetes.io claims of a token.
type k8sClaims struct {
	Namespace      string     `json:"namespace"`
	Pod            *objectRef `json:"pod,omitempty"`
	ServiceAccount objectRef  `json:"serviceaccount"`
}

// objectRef names a Kubernetes object.
type objectRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// Token mints a projected service-account token for pod, signed with the
// key of pod.Cluster and valid for ttl: an RS256 JWT with the claims the
// kubelet requests for EKS Pod Identity. ttl 0 means DefaultTokenLifetime;
// a negative ttl mints a token that expired -ttl ago. The cluster need
// not have associations. It panics on an invalid cluster name or an empty
// namespace or service account.
func (s *Server) Token(pod Pod, ttl time.Duration) string {
	if !protocol.ValidClusterName(pod.Cluster) {
		panic(fmt.Sprintf("eksauthtest: Token: invalid cluster name %q", pod.Cluster))
	}
	if pod.Namespace == "" || pod.ServiceAccount == "" {
		panic("eksauthtest: Token: namespace and service account are required")
	}
	if pod.Name == "" {
		pod.Name = "pod"
	}
	c := s.cluster(pod.Cluster)
	key, kid := c.signingKey()

	now := s.now().Truncate(time.Second)
	iat, exp := now, now.Add(ttl)
	switch {
	case ttl == 0:
		exp = now.Add(DefaultTokenLifetime)
	case ttl < 0:
		iat = exp.Add(-time.Hour)
	}
	cl := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    c.issuer,
			Subject:   "system:serviceaccount:" + pod.Namespace + ":" + pod.ServiceAccount,
			Audience:  jwt.ClaimStrings{protocol.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(iat),
			NotBefore: jwt.NewNumericDate(iat),
			ID:        newUUID(),
		},
		Kubernetes: k8sClaims{
			Namespace: pod.Namespace,
			Pod:       &objectRef{Name: pod.Name, UID: c.uid("pod", pod.Namespace, pod.Name)},
			ServiceAccount: objectRef{
				Name: pod.ServiceAccount,
				UID:  c.uid("sa", pod.Namespace, pod.ServiceAccount),
			},
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, cl)
	t.Header["kid"] = kid
	signed, err := t.SignedString(key)
	if err != nil {
		panic("eksauthtest: sign token: " + err.Error())
	}
	return signed
}

// tokenError is why a token was refused, with the API error code.
type tokenError struct {
	code string
	msg  string
}

func (e *tokenError) Error() string { return e.code + ": " + e.msg }

// verifyToken checks a token against cluster c as EKS does and returns
// its claims. The error is a *tokenError; its message never contains the
// token.
func (s *Server) verifyToken(c *cluster, token string) (*claims, error) {
	issuer, keyFunc, methods := c.verification()
	now := s.now()
	p := jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(protocol.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(TokenLeeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var cl claims
	_, err := p.ParseWithClaims(token, &cl, keyFunc)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request is malformed."}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request has an invalid signature."}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request has an invalid issuer."}
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request has an invalid audience."}
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request is not valid yet."}
	case errors.Is(err, jwt.ErrTokenExpired) && cl.ExpiresAt != nil:
		return nil, &tokenError{protocol.CodeExpiredToken, fmt.Sprintf(
			"The token included in the request is expired: current date/time %s must be before the expiration date/time %s.",
			now.UTC().Format(time.RFC3339Nano), cl.ExpiresAt.UTC().Format(time.RFC3339))}
	default:
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request is invalid."}
	}
	k := cl.Kubernetes
	if k.Namespace == "" || k.ServiceAccount.Name == "" ||
		cl.Subject != "system:serviceaccount:"+k.Namespace+":"+k.ServiceAccount.Name {
		return nil, &tokenError{protocol.CodeInvalidToken, "The token included in the request is not a service account token."}
	}
	return &cl, nil
}
