package eksauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// clock is a settable clock for WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type tokenClaims struct {
	Iss        string   `json:"iss"`
	Sub        string   `json:"sub"`
	Aud        []string `json:"aud"`
	Exp        int64    `json:"exp"`
	Iat        int64    `json:"iat"`
	Nbf        int64    `json:"nbf"`
	Jti        string   `json:"jti"`
	Kubernetes struct {
		Namespace string `json:"namespace"`
		Pod       struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"pod"`
		ServiceAccount struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"serviceaccount"`
	} `json:"kubernetes.io"`
}

// decodeJWT returns the header and claims of a token, unverified.
func decodeJWT(t *testing.T, token string) (map[string]any, tokenClaims) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	var header map[string]any
	var claims tokenClaims
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("token part %d: %v", i, err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("token part %d: %v", i, err)
		}
	}
	return header, claims
}

func TestTokenClaims(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	srv := newTestServer(t, eksauthtest.WithClock(func() time.Time { return now }))
	token := srv.Token(testPod, 2*time.Hour)
	header, c := decodeJWT(t, token)

	if header["alg"] != "RS256" || header["typ"] != "JWT" {
		t.Errorf("header = %v, want alg RS256, typ JWT", header)
	}
	if kid, _ := header["kid"].(string); !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(kid) {
		t.Errorf("kid = %q, want 40 lowercase hex digits, as EKS's", kid)
	}
	issRE := regexp.MustCompile(`^https://oidc\.eks\.us-west-2\.amazonaws\.com/id/[0-9A-F]{32}$`)
	if !issRE.MatchString(c.Iss) || c.Iss != srv.Issuer(testCluster) {
		t.Errorf("iss = %q, want %v and Issuer(%q) = %q", c.Iss, issRE, testCluster, srv.Issuer(testCluster))
	}
	if c.Sub != "system:serviceaccount:shop:cart" {
		t.Errorf("sub = %q", c.Sub)
	}
	if len(c.Aud) != 1 || c.Aud[0] != "pods.eks.amazonaws.com" {
		t.Errorf("aud = %q, want [pods.eks.amazonaws.com]", c.Aud)
	}
	if c.Iat != now.Unix() || c.Nbf != now.Unix() || c.Exp != now.Add(2*time.Hour).Unix() {
		t.Errorf("iat, nbf, exp = %d, %d, %d, want %d, %d, %d", c.Iat, c.Nbf, c.Exp, now.Unix(), now.Unix(), now.Add(2*time.Hour).Unix())
	}
	k := c.Kubernetes
	if k.Namespace != "shop" || k.ServiceAccount.Name != "cart" || k.Pod.Name != "cart-0" {
		t.Errorf("kubernetes.io = %+v", k)
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, uid := range []string{k.Pod.UID, k.ServiceAccount.UID, c.Jti} {
		if !uuidRE.MatchString(uid) {
			t.Errorf("uid %q is not a UUID", uid)
		}
	}

	// UIDs are stable per service account and per pod name.
	_, again := decodeJWT(t, srv.Token(testPod, time.Hour))
	other := testPod
	other.Name = "cart-1"
	_, sibling := decodeJWT(t, srv.Token(other, time.Hour))
	if again.Kubernetes.Pod.UID != k.Pod.UID || again.Kubernetes.ServiceAccount.UID != k.ServiceAccount.UID {
		t.Errorf("UIDs changed between tokens of one pod: %+v then %+v", k, again.Kubernetes)
	}
	if sibling.Kubernetes.Pod.UID == k.Pod.UID || sibling.Kubernetes.ServiceAccount.UID != k.ServiceAccount.UID {
		t.Errorf("another pod of the service account: pod UID %q (first %q), SA UID %q (first %q)",
			sibling.Kubernetes.Pod.UID, k.Pod.UID, sibling.Kubernetes.ServiceAccount.UID, k.ServiceAccount.UID)
	}
	if again.Jti == c.Jti {
		t.Error("two tokens share a jti")
	}

	// ttl 0 is the kubelet's default, 24 h.
	_, def := decodeJWT(t, srv.Token(testPod, 0))
	if def.Exp != now.Add(24*time.Hour).Unix() {
		t.Errorf("ttl 0: exp = %d, want %d", def.Exp, now.Add(24*time.Hour).Unix())
	}
}

func TestTokenChecks(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	srv := newTestServer(t, eksauthtest.WithClock(clk.Now))
	srv.Associate(eksauthtest.Association{Cluster: "other", Namespace: "shop", ServiceAccount: "cart", RoleARN: testRole})
	unassociated := testPod
	unassociated.ServiceAccount = "nobody"

	good := srv.Token(testPod, time.Hour)
	otherCluster := srv.Token(eksauthtest.Pod{Cluster: "other", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)
	otherServer := newTestServer(t).Token(testPod, time.Hour) // same cluster name, likely same pooled key
	parts := strings.Split(good, ".")
	badSig := parts[0] + "." + parts[1] + "." + flip(parts[2])
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"cart"`, `"admin"`, -1))) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	hs256 := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]

	tests := map[string]struct {
		token    string
		cluster  string
		at       time.Time
		status   int
		code     string
		msgStart string
	}{
		"valid":                      {token: good, status: 200},
		"valid just before expiry":   {token: good, at: t0.Add(time.Hour - time.Second), status: 200},
		"expired within the leeway":  {token: good, at: t0.Add(time.Hour + eksauthtest.TokenLeeway - time.Second), status: 200},
		"expired":                    {token: good, at: t0.Add(time.Hour + eksauthtest.TokenLeeway + time.Second), status: 400, code: "ExpiredTokenException", msgStart: "The token included in the request is expired: current date/time 2026-05-01T09:00:06Z must be before the expiration date/time 2026-05-01T09:00:00Z."},
		"not valid yet":              {token: good, at: t0.Add(-time.Minute), status: 400, code: "InvalidTokenException", msgStart: "The token included in the request is not valid yet."},
		"another cluster's token":    {token: otherCluster, status: 400, code: "InvalidTokenException", msgStart: "The token included in the request has an invalid signature."},
		"another server's token":     {token: otherServer, status: 400, code: "InvalidTokenException", msgStart: "The token included in the request has an invalid"},
		"bad signature":              {token: badSig, status: 400, code: "InvalidTokenException", msgStart: "The token included in the request has an invalid signature."},
		"tampered claims":            {token: tampered, status: 400, code: "InvalidTokenException", msgStart: "The token included in the request has an invalid signature."},
		"alg none":                   {token: none + "AAAA", status: 400, code: "InvalidTokenException"},
		"alg HS256":                  {token: hs256, status: 400, code: "InvalidTokenException"},
		"malformed":                  {token: "a.b.c", status: 400, code: "InvalidTokenException", msgStart: "The token included in the request is malformed."},
		"unknown cluster":            {token: good, cluster: "nope", status: 404, code: "ResourceNotFoundException", msgStart: "No cluster found for name: nope."},
		"no association":             {token: srv.Token(unassociated, time.Hour), status: 404, code: "ResourceNotFoundException", msgStart: "No Pod Identity Association found for cluster prod, namespace shop and service account nobody."},
		"expired and minted expired": {token: srv.Token(testPod, -time.Hour), status: 400, code: "ExpiredTokenException"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			at := tc.at
			if at.IsZero() {
				at = t0
			}
			clk.Set(at)
			t.Cleanup(func() { clk.Set(t0) })
			res := send(t, srv, rawRequest{token: tc.token, cluster: tc.cluster})
			if res.status != tc.status || res.code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", res.status, res.code, res.message, tc.status, tc.code)
			}
			if !strings.HasPrefix(res.message, tc.msgStart) {
				t.Errorf("message = %q, want it to start with %q", res.message, tc.msgStart)
			}
			if tc.code != "" && res.errType != tc.code {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", res.errType, tc.code)
			}
			checkCommonHeaders(t, res)
			assertNoSecrets(t, string(res.body), tc.token, parts[2])
		})
	}
}

// flip changes the first character of a base64url string.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestAssociationLifecycle(t *testing.T) {
	srv := newTestServer(t)
	token := srv.Token(testPod, time.Hour)
	first := decodeSuccess(t, send(t, srv, rawRequest{token: token})).PodIdentityAssociation.AssociationId

	second := srv.Associate(eksauthtest.Association{Cluster: testCluster, Namespace: "shop", ServiceAccount: "cart", RoleARN: "arn:aws:iam::111122223333:role/cart-v2"})
	if second == first {
		t.Fatalf("replacing an association kept its ID %q", first)
	}
	got := decodeSuccess(t, send(t, srv, rawRequest{token: token}))
	if got.PodIdentityAssociation.AssociationId != second || !strings.Contains(got.AssumedRoleUser.Arn, ":assumed-role/cart-v2/") {
		t.Errorf("after replacing: association %q, role %q; want %q and role cart-v2", got.PodIdentityAssociation.AssociationId, got.AssumedRoleUser.Arn, second)
	}
	if n := len(srv.Associations()); n != 1 {
		t.Errorf("len(Associations()) = %d, want 1", n)
	}
	if srv.Disassociate(first) {
		t.Error("Disassociate(replaced ID) = true, want false")
	}
	if !srv.Disassociate(second) {
		t.Error("Disassociate(current ID) = false, want true")
	}
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusNotFound || res.code != "ResourceNotFoundException" {
		t.Errorf("after Disassociate: %d %q, want 404 ResourceNotFoundException", res.status, res.code)
	}
}

func TestAssociatePanicsOnBadInput(t *testing.T) {
	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	tests := map[string]eksauthtest.Association{
		"bad cluster":        {Cluster: "-x", Namespace: "n", ServiceAccount: "s", RoleARN: testRole},
		"no namespace":       {Cluster: "c", ServiceAccount: "s", RoleARN: testRole},
		"no service acct":    {Cluster: "c", Namespace: "n", RoleARN: testRole},
		"not a role":         {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: "arn:aws:iam::111122223333:user/bob"},
		"empty role":         {Cluster: "c", Namespace: "n", ServiceAccount: "s"},
		"bad target role":    {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: testRole, TargetRoleARN: "role"},
		"role of no acct":    {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: "arn:aws:iam:::role/x"},
		"role of short acct": {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: "arn:aws:iam::1:role/r"},
		"role with no name":  {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: "arn:aws:iam::111122223333:role/"},
		"negative lifetime":  {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: testRole, CredentialLifetime: -time.Minute},
		"sub-second life":    {Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: testRole, CredentialLifetime: time.Millisecond},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			if err := a.Validate(); err == nil {
				t.Errorf("Validate(%+v) = nil, want an error", a)
			}
			defer func() {
				if recover() == nil {
					t.Errorf("Associate(%+v) did not panic", a)
				}
			}()
			srv.Associate(a)
		})
	}
}
