// Package protocol holds the wire facts of the EKS Auth API that the
// client, the emulator and the examples speak, so that they cannot drift
// apart. Each fact has its one home here or next door:
//
//   - error codes, HTTP statuses and faults: [LookupError], [ModeledErrors],
//     the Code* variables (derived from eksauth/types);
//   - cluster-name and token rules: [ValidClusterName], [ValidToken],
//     [ValidateInput];
//   - the wire member names: [Request.Members] and the Member* constants;
//   - complete credentials: [CheckCredentials];
//   - region names: internal/endpoints.ValidRegion;
//   - the refresh schedule and its backoff: internal/refresh.
package protocol

import (
	"encoding/json"
	"strings"
)

const (
	// ServiceID is the service's name in errors, as the official client spells it.
	ServiceID = "EKS Auth"
	// APIVersion is the EKS Auth API version.
	APIVersion = "2023-11-26"
	// OperationName is the only operation of the API.
	OperationName = "AssumeRoleForPodIdentity"
	// SigningName is the SigV4 service name.
	SigningName = "eks-auth"
	// Audience is the audience of pod-identity service-account tokens.
	Audience = "pods.eks.amazonaws.com"
	// ContentType is the request and response media type.
	ContentType = "application/json"
	// MaxClusterNameLen is the longest cluster name the API accepts.
	MaxClusterNameLen = 100
)

// Path is the request path for clusterName, below the endpoint's own path.
// Cluster names that pass ValidClusterName need no escaping.
func Path(clusterName string) string {
	return "/clusters/" + clusterName + "/assume-role-for-pod-identity"
}

// ClusterFromPath returns the cluster name of a request path, or false if
// the path is not the operation's.
func ClusterFromPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/clusters/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "/assume-role-for-pod-identity")
	if !ok || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// ValidClusterName reports whether s is 1 to 100 characters of
// ^[0-9A-Za-z][A-Za-z0-9\-_]*$.
func ValidClusterName(s string) bool {
	if len(s) == 0 || len(s) > MaxClusterNameLen || charClass[s[0]] != alnum {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := charClass[s[i]]; c != alnum && c != punct {
			return false
		}
	}
	return true
}

// ValidToken reports whether s matches
// ^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$: three non-empty
// base64url parts (padding allowed), which also rules out CR and LF.
// Tokens run to a kilobyte or more and are checked on every call, hence
// the table lookup per byte.
func ValidToken(s string) bool {
	parts, n := 0, 0
	for i := 0; i < len(s); i++ {
		switch charClass[s[i]] {
		case alnum, punct, pad:
			n++
		case dot:
			if n == 0 {
				return false
			}
			parts, n = parts+1, 0
		default:
			return false
		}
	}
	return parts == 2 && n > 0
}

// Byte classes of the two patterns: alnum is [0-9A-Za-z], punct '-' and
// '_', pad '=', dot '.'; the zero class is anything else.
const (
	other = iota
	alnum
	punct
	pad
	dot
)

var charClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = alnum
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = alnum, alnum
	}
	t['-'], t['_'], t['='], t['.'] = punct, punct, pad, dot
	return t
}()

// Request is the operation's input as it is on the wire; a nil member is
// absent.
type Request struct {
	Token, EksNodeName, InstanceId, Zone *string
}

// Member is one member of a JSON body, by its wire name: names are
// case-sensitive in this protocol (restJson1).
type Member struct {
	Name  string
	Value **string
}

// Members binds r's members to their wire names, in the order the
// serializer writes them: the one list of the request's member names.
func (r *Request) Members() [4]Member {
	return [...]Member{{"token", &r.Token}, {"eksNodeName", &r.EksNodeName}, {"instanceId", &r.InstanceId}, {"zone", &r.Zone}}
}

// MarshalJSON writes the members that are set, by their wire names.
func (r Request) MarshalJSON() ([]byte, error) {
	set := make(map[string]string, 4)
	for _, m := range r.Members() {
		if *m.Value != nil {
			set[m.Name] = **m.Value
		}
	}
	return json.Marshal(set)
}

// Wire names of the success body's members, read by the client and
// written by the emulator.
const (
	MemberAudience               = "audience"
	MemberSubject                = "subject"
	MemberNamespace              = "namespace"
	MemberServiceAccount         = "serviceAccount"
	MemberPodIdentityAssociation = "podIdentityAssociation"
	MemberAssociationArn         = "associationArn"
	MemberAssociationId          = "associationId"
	MemberAssumedRoleUser        = "assumedRoleUser"
	MemberArn                    = "arn"
	MemberAssumeRoleId           = "assumeRoleId"
	MemberCredentials            = "credentials"
	MemberAccessKeyId            = "accessKeyId"
	MemberSecretAccessKey        = "secretAccessKey"
	MemberSessionToken           = "sessionToken"
	MemberExpiration             = "expiration" // epoch seconds, a JSON number
)

// Error is the JSON body of an error answer.
type Error struct {
	Type    string `json:"__type,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}
