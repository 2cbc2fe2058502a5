package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxTokenLen caps the Authorization value the agent looks at. Projected
// service-account tokens are about 1 KiB; 16 KiB leaves room for large
// claims while keeping a hostile header from costing more than a decode.
const maxTokenLen = 16 << 10

// claims are the parts of a projected service-account token that the agent
// reads. They are read WITHOUT verifying the signature: EKS Auth verifies
// every token before the agent serves anything for it (see cache.go for why
// this is safe), so these values only route and label requests.
type claims struct {
	podUID         string
	podName        string
	namespace      string
	serviceAccount string
	issuedAt       time.Time // zero if absent
	expires        time.Time // zero if absent
}

// errMalformedToken is the cause of every peekClaims failure; the message
// says what is wrong without ever quoting the token.
var errMalformedToken = errors.New("malformed service-account token")

// peekClaims decodes the payload of a JWT and returns its pod claims. It
// fails when the token is not three base64url parts, the payload is not a
// JSON object, or the pod UID claim is missing.
func peekClaims(token string) (claims, error) {
	if len(token) > maxTokenLen {
		return claims{}, fmt.Errorf("%w: longer than %d bytes", errMalformedToken, maxTokenLen)
	}
	if !validToken(token) {
		return claims{}, fmt.Errorf("%w: want three base64url parts separated by dots", errMalformedToken)
	}
	payload := strings.Split(token, ".")[1]
	// JWTs use unpadded base64url, but the token pattern EKS Auth accepts
	// allows '=', so tolerate padding.
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return claims{}, fmt.Errorf("%w: payload is not base64url", errMalformedToken)
	}
	var body struct {
		Exp *json.Number `json:"exp"`
		Iat *json.Number `json:"iat"`
		K8s struct {
			Namespace string `json:"namespace"`
			Pod       struct {
				Name string `json:"name"`
				UID  string `json:"uid"`
			} `json:"pod"`
			ServiceAccount struct {
				Name string `json:"name"`
			} `json:"serviceaccount"`
		} `json:"kubernetes.io"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return claims{}, fmt.Errorf("%w: payload is not a JSON object of claims", errMalformedToken)
	}
	if body.K8s.Pod.UID == "" {
		return claims{}, fmt.Errorf("%w: no kubernetes.io pod uid claim", errMalformedToken)
	}
	c := claims{
		podUID:         body.K8s.Pod.UID,
		podName:        body.K8s.Pod.Name,
		namespace:      body.K8s.Namespace,
		serviceAccount: body.K8s.ServiceAccount.Name,
	}
	if c.issuedAt, err = numericDate(body.Iat); err != nil {
		return claims{}, fmt.Errorf("%w: iat: %w", errMalformedToken, err)
	}
	if c.expires, err = numericDate(body.Exp); err != nil {
		return claims{}, fmt.Errorf("%w: exp: %w", errMalformedToken, err)
	}
	return c, nil
}

// numericDate converts a JWT NumericDate (seconds since the epoch, possibly
// with a fraction) to a time; nil means absent.
func numericDate(n *json.Number) (time.Time, error) {
	if n == nil {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<40 {
		return time.Time{}, errors.New("not a number of seconds since the epoch")
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
}

// validToken reports whether s matches EKS Auth's token pattern,
// ^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$: three non-empty
// base64url parts (padding allowed), which also rules out CR and LF. The
// client checks the same before sending; checking here answers 400 without
// taking a slot of the first-fetch table.
func validToken(s string) bool {
	parts, n := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '=':
			n++
		case c == '.' && n > 0:
			parts, n = parts+1, 0
		default:
			return false
		}
	}
	return parts == 2 && n > 0
}
