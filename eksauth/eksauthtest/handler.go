package eksauthtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/podidentity/podidentity/internal/protocol"
)

var _ http.Handler = (*Server)(nil)

// maxBodyBytes caps a request body; a token is at most a few kilobytes.
const maxBodyBytes = 1 << 20

// coralServiceNS is the namespace AWS front ends append to the code in
// X-Amzn-ErrorType for errors outside a service's model (authentication).
const coralServiceNS = ":http://internal.amazon.com/coral/com.amazon.coral.service/"

// apiError is an error answer.
type apiError struct {
	status int
	code   string
	msg    string
	auth   bool // an authentication failure: the coral namespace in X-Amzn-ErrorType
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func authError(code, msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: code, msg: msg, auth: true}
}

func newAPIError(code, msg string) *apiError {
	return &apiError{status: statusOf(code), code: code, msg: msg}
}

// statusOf returns the HTTP status of a code of the API or of the
// emulator's authentication failures.
func statusOf(code string) int {
	if e, ok := protocol.LookupError(code); ok {
		return e.Status
	}
	switch code {
	case CodeMissingAuthenticationToken, CodeIncompleteSignature, CodeInvalidSignature, CodeUnrecognizedClient:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// ServeHTTP answers one request as EKS Auth does. The Server serves
// itself; ServeHTTP is exported so that the emulator can also be mounted
// in another server (an httptest.NewTLSServer, say). Dropped connections
// and truncated answers abort the handler with http.ErrAbortHandler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveOIDC(w, r) {
		return
	}
	rid := newUUID()
	w.Header().Set("X-Amzn-Requestid", rid)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	rec := &Request{
		Time:      s.wallNow(),
		Method:    r.Method,
		Path:      r.URL.EscapedPath(),
		Header:    r.Header.Clone(),
		Body:      body,
		RequestID: rid,
	}
	s.record(rec)

	var ans answer
	truncate := false
	if f, ok := s.nextFault(); ok {
		s.update(rec, func(r *Request) { r.Fault = true })
		if !s.sleep(r, f.Delay) || f.Drop {
			s.update(rec, func(r *Request) { r.Done, r.Dropped = true, true })
			dropConn()
		}
		ans.err, ans.raw, truncate = faultError(f), f.Body, f.Truncate
	}
	if ans.err == nil {
		switch {
		case err != nil:
			ans.err = newAPIError(protocol.CodeInvalidRequest, "The request body could not be read.")
		case len(body) > maxBodyBytes:
			ans.err = &apiError{status: http.StatusRequestEntityTooLarge, code: protocol.CodeInvalidRequest, msg: "The request body is too large."}
		default:
			ans = s.handle(r, body)
		}
	}
	status, code, out := ans.encode(w.Header())
	s.update(rec, func(r *Request) {
		r.Status, r.Code, r.Done, r.Dropped = status, code, true, truncate
		if ans.throttled {
			r.Fault, r.Throttled = true, true
		}
	})
	if truncate {
		writeTruncated(w, status, out)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// answer is a success body or an error.
type answer struct {
	body []byte    // the success body
	err  *apiError // or the error
	raw  string    // with err: a body to send instead of the JSON error

	throttled bool // err is WithThrottling's answer
}

// encode sets the answer's headers and returns its status, error code and
// body.
func (a answer) encode(h http.Header) (status int, code string, body []byte) {
	if a.err == nil {
		h.Set("Content-Type", protocol.ContentType)
		return http.StatusOK, "", a.body
	}
	if a.raw != "" {
		h.Set("Content-Type", http.DetectContentType([]byte(a.raw)))
		return a.err.status, a.err.code, []byte(a.raw)
	}
	h.Set("Content-Type", protocol.ContentType)
	if a.err.code != "" {
		typ := a.err.code
		if a.err.auth {
			typ += coralServiceNS
		}
		h.Set("X-Amzn-Errortype", typ)
	}
	return a.err.status, a.err.code, errorBody(a.err.msg)
}

func errorBody(msg string) []byte {
	b, _ := json.Marshal(protocol.Error{Message: msg}) // cannot fail: a struct of strings
	return b
}

// handle authenticates, routes and answers one request.
func (s *Server) handle(r *http.Request, body []byte) answer {
	if aerr := s.verifySignature(r, body); aerr != nil {
		return answer{err: aerr}
	}
	name, ok := clusterFromPath(r.URL.EscapedPath())
	if !ok || r.Method != http.MethodPost {
		return answer{err: &apiError{status: http.StatusNotFound, code: "UnknownOperationException",
			msg: fmt.Sprintf("No operation matches %s %s.", r.Method, clip(r.URL.EscapedPath()))}}
	}
	// The account's rate applies to every call of the operation, before
	// its input is looked at, as a front end's throttle does.
	if !s.allowRequest() {
		return answer{err: faultError(Fault{Code: protocol.CodeThrottling}), throttled: true}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != protocol.ContentType {
			return answer{err: newAPIError(protocol.CodeInvalidRequest, "The request's Content-Type must be application/json.")}
		}
	}
	if !protocol.ValidClusterName(name) {
		return answer{err: newAPIError(protocol.CodeInvalidParameter, fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'clusterName' failed to satisfy constraint: "+
				"Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9\\-_]*$ and have length between 1 and 100.", clip(name)))}
	}
	in, aerr := decodeRequest(body)
	if aerr != nil {
		return answer{err: aerr}
	}
	if in.Token == nil || *in.Token == "" {
		return answer{err: newAPIError(protocol.CodeInvalidParameter,
			"1 validation error detected: Value null at 'token' failed to satisfy constraint: Member must not be null.")}
	}
	if !protocol.ValidToken(*in.Token) {
		return answer{err: newAPIError(protocol.CodeInvalidParameter,
			"1 validation error detected: Value at 'token' failed to satisfy constraint: "+
				"Member must satisfy regular expression pattern: ^[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+$.")}
	}
	c, ok := s.knownCluster(name)
	if !ok {
		return answer{err: newAPIError(protocol.CodeResourceNotFound, fmt.Sprintf("No cluster found for name: %s.", name))}
	}
	claims, err := s.verifyToken(c, *in.Token)
	if err != nil {
		var te *tokenError
		errors.As(err, &te)
		return answer{err: newAPIError(te.code, te.msg)}
	}
	k := claims.Kubernetes
	assoc, ok := s.association(name, k.Namespace, k.ServiceAccount.Name)
	if !ok {
		return answer{err: newAPIError(protocol.CodeResourceNotFound, fmt.Sprintf(
			"No Pod Identity Association found for cluster %s, namespace %s and service account %s.", name, k.Namespace, k.ServiceAccount.Name))}
	}
	pod := "pod"
	if k.Pod != nil && k.Pod.Name != "" {
		pod = k.Pod.Name
	}
	b, err := s.success(assoc, pod)
	if err != nil {
		return answer{err: newAPIError(protocol.CodeInternalServer, "Internal error.")}
	}
	return answer{body: b}
}

// clusterFromPath routes on the path as sent, the way the service does:
// the cluster name is the escaped segment between /clusters/ and
// /assume-role-for-pod-identity, then unescaped, so that a name with %2F
// in it reaches the operation (and fails its pattern) instead of being
// split into two segments and matching no route.
func clusterFromPath(escaped string) (string, bool) {
	seg, ok := protocol.ClusterFromPath(escaped)
	if !ok {
		return "", false
	}
	name, err := url.PathUnescape(seg)
	if err != nil {
		return "", false
	}
	return name, true
}

// decodeRequest reads the body as the service does. Member names are
// case-sensitive in this protocol (restJson1): {"Token": ...} is an
// unknown member, ignored like any other, so the request has no token.
// encoding/json alone would match names case-insensitively.
func decodeRequest(body []byte) (protocol.Request, *apiError) {
	var in protocol.Request
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&members); err != nil || dec.More() {
		return in, newAPIError(protocol.CodeInvalidRequest, "The request body is not a valid JSON object.")
	}
	for _, m := range in.Members() {
		raw, ok := members[m.Name]
		if !ok || string(raw) == "null" {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return in, newAPIError(protocol.CodeInvalidRequest, fmt.Sprintf("The field '%s' has the wrong type.", m.Name))
		}
		*m.Value = &v
	}
	return in, nil
}

// maxSessionName is STS's limit on a role session name.
const maxSessionName = 64

func (s *Server) success(a Association, pod string) ([]byte, error) {
	role := a.RoleARN
	lifetime := DefaultCredentialLifetime
	if a.TargetRoleARN != "" {
		role, lifetime = a.TargetRoleARN, TargetRoleCredentialLifetime
	}
	switch {
	case a.CredentialLifetime > 0:
		lifetime = a.CredentialLifetime
	case s.lifetime > 0:
		lifetime = s.lifetime
	}
	parsed, name, _ := parseRole(role) // checked by Associate

	// eks-<cluster>-<pod>-<uuid>: the prefix is cut so that the UUID,
	// which makes the name unique, always fits.
	id := newUUID()
	prefix := "eks-" + a.Cluster + "-" + pod
	if max := maxSessionName - len(id) - 1; len(prefix) > max {
		prefix = prefix[:max]
	}
	session := prefix + "-" + id

	type object = map[string]any
	return json.Marshal(object{
		protocol.MemberSubject:  object{protocol.MemberNamespace: a.Namespace, protocol.MemberServiceAccount: a.ServiceAccount},
		protocol.MemberAudience: protocol.Audience,
		protocol.MemberPodIdentityAssociation: object{
			protocol.MemberAssociationArn: s.AssociationARN(a.Cluster, a.ID),
			protocol.MemberAssociationId:  a.ID,
		},
		protocol.MemberAssumedRoleUser: object{
			protocol.MemberArn: arn.ARN{Partition: parsed.Partition, Service: "sts", AccountID: parsed.AccountID,
				Resource: "assumed-role/" + name + "/" + session}.String(),
			protocol.MemberAssumeRoleId: s.roleID(role) + ":" + session,
		},
		protocol.MemberCredentials: object{
			protocol.MemberAccessKeyId:     "ASIA" + randString(upperAlnum, 16),
			protocol.MemberSecretAccessKey: randString(secretChars, 40),
			protocol.MemberSessionToken:    sessionToken(),
			protocol.MemberExpiration:      s.now().Add(lifetime).Unix(), // epoch seconds
		},
	})
}

// sleep waits d, or until the request is canceled or the server closes;
// it reports whether the whole delay passed.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}
