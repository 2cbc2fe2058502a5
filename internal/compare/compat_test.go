package compare_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	officialtypes "github.com/aws/aws-sdk-go-v2/service/eksauth/types"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
)

// answerView is an answer from the emulator as a caller sees it, with the
// values that differ on every call (keys, session UUIDs, request IDs)
// reduced to their shape, so that three sides can be compared.
type answerView struct {
	// Success.
	Namespace, ServiceAccount, Audience string
	AssociationArn, AssociationId       string
	RoleArn                             string // assumed-role ARN without the session name
	SessionPrefix                       string // eks-<cluster>-<pod>-
	SessionLen                          int
	RoleIdPrefix                        string // AROA…, before the colon
	KeyPrefix                           string // ASIA
	KeyLen, SecretLen                   int
	HasSessionToken                     bool
	Lifetime                            time.Duration // to the minute

	// Error.
	Status       int
	Type         string // types.X by name, GenericAPIError for others
	Code         string
	Message      string
	HasRequestID bool
}

// String shows the fields that are set, for readable failures.
func (v answerView) String() string {
	var b strings.Builder
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if f := rv.Field(i); !f.IsZero() {
			fmt.Fprintf(&b, "%s=%v ", rv.Type().Field(i).Name, f.Interface())
		}
	}
	return "{" + strings.TrimSpace(b.String()) + "}"
}

type shapes struct {
	ns, sa, aud, assocArn, assocID, roleArn, roleID, key, secret, session string
	exp                                                                   time.Time
}

func successView(s shapes) answerView {
	v := answerView{
		Namespace: s.ns, ServiceAccount: s.sa, Audience: s.aud,
		AssociationArn: s.assocArn, AssociationId: s.assocID,
		KeyLen: len(s.key), SecretLen: len(s.secret), HasSessionToken: s.session != "",
		Lifetime: time.Until(s.exp).Round(time.Minute),
	}
	if i := strings.LastIndexByte(s.roleArn, '/'); i >= 0 {
		v.RoleArn = s.roleArn[:i]
		session := s.roleArn[i+1:]
		v.SessionLen = len(session)
		// eks-<cluster>-<pod>-<uuid>: the pods of these tests are all named
		// "pod", so what precedes "-pod-" and the name itself are stable.
		if j := strings.Index(session, "-pod-"); j >= 0 {
			v.SessionPrefix = session[:j+5]
		}
		if id, ok := strings.CutSuffix(s.roleID, ":"+session); ok {
			v.RoleIdPrefix = id[:min(4, len(id))]
		}
	}
	v.KeyPrefix = s.key[:min(4, len(s.key))]
	return v
}

func oursView(out *eksauth.AssumeRoleForPodIdentityOutput) answerView {
	d := func(p *string) string { return aws.ToString(p) }
	s := shapes{aud: d(out.Audience)}
	if x := out.Subject; x != nil {
		s.ns, s.sa = d(x.Namespace), d(x.ServiceAccount)
	}
	if x := out.PodIdentityAssociation; x != nil {
		s.assocArn, s.assocID = d(x.AssociationArn), d(x.AssociationId)
	}
	if x := out.AssumedRoleUser; x != nil {
		s.roleArn, s.roleID = d(x.Arn), d(x.AssumeRoleId)
	}
	if x := out.Credentials; x != nil {
		s.key, s.secret, s.session, s.exp = d(x.AccessKeyId), d(x.SecretAccessKey), d(x.SessionToken), aws.ToTime(x.Expiration)
	}
	return successView(s)
}

func officialView(out *official.AssumeRoleForPodIdentityOutput) answerView {
	d := func(p *string) string { return aws.ToString(p) }
	s := shapes{aud: d(out.Audience)}
	if x := out.Subject; x != nil {
		s.ns, s.sa = d(x.Namespace), d(x.ServiceAccount)
	}
	if x := out.PodIdentityAssociation; x != nil {
		s.assocArn, s.assocID = d(x.AssociationArn), d(x.AssociationId)
	}
	if x := out.AssumedRoleUser; x != nil {
		s.roleArn, s.roleID = d(x.Arn), d(x.AssumeRoleId)
	}
	if x := out.Credentials; x != nil {
		s.key, s.secret, s.session, s.exp = d(x.AccessKeyId), d(x.SecretAccessKey), d(x.SessionToken), aws.ToTime(x.Expiration)
	}
	return successView(s)
}

func floorView(a *floorAnswer) answerView {
	return successView(shapes{
		ns: a.Subject.Namespace, sa: a.Subject.ServiceAccount, aud: a.Audience,
		assocArn: a.PodIdentityAssociation.AssociationArn, assocID: a.PodIdentityAssociation.AssociationId,
		roleArn: a.AssumedRoleUser.Arn, roleID: a.AssumedRoleUser.AssumeRoleId,
		key: a.Credentials.AccessKeyId, secret: a.Credentials.SecretAccessKey, session: a.Credentials.SessionToken,
		exp: a.expiration(),
	})
}

func clientErrorView(err error) answerView {
	v := viewOf(err)
	return answerView{Status: v.Status, Type: v.Type, Code: v.Code, Message: stable(v.Message), HasRequestID: v.RequestID != ""}
}

func floorErrorView(err error) answerView {
	var fe *floorError
	if !errors.As(err, &fe) {
		return answerView{Message: "not an HTTP error: " + err.Error()}
	}
	typ := "GenericAPIError"
	switch fe.Code {
	case protocol.CodeAccessDenied, protocol.CodeExpiredToken, protocol.CodeInternalServer,
		protocol.CodeInvalidParameter, protocol.CodeInvalidRequest, protocol.CodeInvalidToken,
		protocol.CodeResourceNotFound, protocol.CodeServiceUnavailable, protocol.CodeThrottling:
		typ = fe.Code
	}
	return answerView{Status: fe.Status, Type: typ, Code: fe.Code, Message: stable(fe.Message), HasRequestID: fe.RequestID != ""}
}

// timestamp matches the server's clock in a message ("current date/time").
var timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+Z`)

// stable blanks what differs between two identical calls in an error text
// or message: the request ID and the server's current time.
func stable(s string) string {
	s = timestamp.ReplaceAllString(s, "<time>")
	before, after, ok := strings.Cut(s, "RequestID: ")
	if !ok {
		return s
	}
	_, rest, _ := strings.Cut(after, ",")
	return before + "RequestID: <id>," + rest
}

// compatEnv is one emulator with a demo cluster, shared by the cases.
type compatEnv struct {
	srv       *eksauthtest.Server
	assocID   string
	goodToken string
}

func newCompatEnv(t *testing.T) *compatEnv {
	t.Helper()
	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	e := &compatEnv{srv: srv}
	e.assocID = srv.Associate(eksauthtest.Association{Cluster: "demo", Namespace: "default", ServiceAccount: "app",
		RoleARN: "arn:aws:iam::111122223333:role/app-role"})
	srv.Associate(eksauthtest.Association{Cluster: "demo", Namespace: "default", ServiceAccount: "chained",
		RoleARN: "arn:aws:iam::111122223333:role/hop", TargetRoleARN: "arn:aws:iam::444455556666:role/target"})
	srv.Associate(eksauthtest.Association{Cluster: "other", Namespace: "default", ServiceAccount: "app",
		RoleARN: "arn:aws:iam::111122223333:role/other-role"})
	e.goodToken = srv.Token(eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "app", Name: "pod"}, 0)
	return e
}

// compatCase is one request, sent by each side. cfg and creds adjust the
// configuration the emulator hands out.
type compatCase struct {
	cluster string
	token   func(e *compatEnv) string
	cfg     func(*aws.Config, *aws.Credentials)
	// oursRefuses: ours refuses the input before sending, on purpose
	// (DESIGN.md "Beyond the official client"); the official client and
	// the raw request are compared to each other only.
	oursRefuses bool
	want        answerView // the fields that identify the answer
}

func TestEmulatorCompat(t *testing.T) {
	e := newCompatEnv(t)
	pod := func(cluster, sa string) eksauthtest.Pod {
		return eksauthtest.Pod{Cluster: cluster, Namespace: "default", ServiceAccount: sa, Name: "pod"}
	}
	good := func(e *compatEnv) string { return e.goodToken }
	fixed := func(s string) func(*compatEnv) string { return func(*compatEnv) string { return s } }
	tampered := func(e *compatEnv) string {
		last := e.goodToken[len(e.goodToken)-2:]
		repl := "AA"
		if last == repl {
			repl = "BB"
		}
		return e.goodToken[:len(e.goodToken)-2] + repl
	}
	errOf := func(status int, code string) answerView {
		typ := "GenericAPIError"
		if !strings.HasPrefix(code, "Unrecognized") && !strings.HasPrefix(code, "InvalidSignature") &&
			!strings.HasPrefix(code, "Missing") && !strings.HasPrefix(code, "Incomplete") {
			typ = code
		}
		return answerView{Status: status, Code: code, Type: typ}
	}
	tests := map[string]compatCase{
		"success": {cluster: "demo", token: good, want: answerView{
			Namespace: "default", ServiceAccount: "app", Audience: protocol.Audience,
			RoleArn: "arn:aws:sts::111122223333:assumed-role/app-role", KeyPrefix: "ASIA", Lifetime: 6 * time.Hour}},
		"success with a target role": {cluster: "demo",
			token: func(e *compatEnv) string { return e.srv.Token(pod("demo", "chained"), 0) },
			want: answerView{Namespace: "default", ServiceAccount: "chained", Audience: protocol.Audience,
				RoleArn: "arn:aws:sts::444455556666:assumed-role/target", KeyPrefix: "ASIA", Lifetime: 59 * time.Minute}},
		"expired token": {cluster: "demo",
			token: func(e *compatEnv) string { return e.srv.Token(pod("demo", "app"), -time.Hour) },
			want:  errOf(400, "ExpiredTokenException")},
		"malformed token":            {cluster: "demo", token: fixed("aaaa.bbbb.cccc"), want: errOf(400, "InvalidTokenException")},
		"token with a bad signature": {cluster: "demo", token: tampered, want: errOf(400, "InvalidTokenException")},
		"another cluster's token": {cluster: "demo",
			token: func(e *compatEnv) string { return e.srv.Token(pod("other", "app"), 0) },
			want:  errOf(400, "InvalidTokenException")},
		"unknown cluster": {cluster: "ghost", token: good, want: errOf(404, "ResourceNotFoundException")},
		"service account without association": {cluster: "demo",
			token: func(e *compatEnv) string { return e.srv.Token(pod("demo", "nobody"), 0) },
			want:  errOf(404, "ResourceNotFoundException")},
		"wrong secret key": {cluster: "demo", token: good,
			cfg:  func(_ *aws.Config, c *aws.Credentials) { c.SecretAccessKey += "x" },
			want: errOf(403, "InvalidSignatureException")},
		"unknown access key": {cluster: "demo", token: good,
			cfg:  func(_ *aws.Config, c *aws.Credentials) { c.AccessKeyID = "ASIAUNKNOWNUNKNOWN00" },
			want: errOf(403, "UnrecognizedClientException")},
		"missing session token": {cluster: "demo", token: good,
			cfg:  func(_ *aws.Config, c *aws.Credentials) { c.SessionToken = "" },
			want: errOf(403, "UnrecognizedClientException")},
		"signed for another region": {cluster: "demo", token: good,
			cfg:  func(cfg *aws.Config, _ *aws.Credentials) { cfg.Region = "eu-west-1" },
			want: errOf(403, "InvalidSignatureException")},
		"token not a JWT": {cluster: "demo", token: fixed("not-a-jwt"), oursRefuses: true,
			want: errOf(400, "InvalidParameterException")},
		"empty token": {cluster: "demo", token: fixed(""), oursRefuses: true,
			want: errOf(400, "InvalidParameterException")},
		"cluster name out of pattern": {cluster: "bad.name", token: good, oursRefuses: true,
			want: errOf(400, "InvalidParameterException")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := e.srv.Config()
			node := e.srv.NodeCredentials()
			if tt.cfg != nil {
				tt.cfg(&cfg, &node)
			}
			cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return node, nil })
			tok := tt.token(e)

			type side struct {
				name string
				view answerView
				err  error
				text string // the error's text, stable across calls
				sent int    // requests the emulator received
			}
			run := func(name string, call func() (answerView, error)) side {
				before := len(e.srv.Requests())
				v, err := call()
				s := side{name: name, view: v, err: err, sent: len(e.srv.Requests()) - before}
				if err != nil {
					s.text = stable(err.Error())
					if strings.Contains(s.text, tok) && tok != "" {
						t.Errorf("%s: the error text contains the token", name)
					}
				}
				return s
			}

			oursSide := run("ours", func() (answerView, error) {
				out, err := eksauth.NewFromConfig(cfg).AssumeRoleForPodIdentity(ctx,
					&eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(tt.cluster), Token: aws.String(tok)})
				if err != nil {
					return clientErrorView(err), err
				}
				return oursView(out), nil
			})
			offSide := run("official", func() (answerView, error) {
				out, err := official.NewFromConfig(cfg).AssumeRoleForPodIdentity(ctx,
					&official.AssumeRoleForPodIdentityInput{ClusterName: aws.String(tt.cluster), Token: aws.String(tok)})
				if err != nil {
					return clientErrorView(err), err
				}
				return officialView(out), nil
			})
			rawSide := run("raw", func() (answerView, error) {
				f := newFloor(*cfg.BaseEndpoint, e.srv.Client())
				f.creds, f.region = node, cfg.Region
				out, err := f.call(ctx, tt.cluster, tok)
				if err != nil {
					return floorErrorView(err), err
				}
				return floorView(out), nil
			})
			sides := []side{offSide, rawSide}

			if tt.oursRefuses {
				if oursSide.sent != 0 || !errors.As(oursSide.err, new(smithy.InvalidParamsError)) {
					t.Errorf("ours: error %v after %d requests, want a smithy.InvalidParamsError before sending", oursSide.err, oursSide.sent)
				}
			} else {
				sides = append(sides, oursSide)
				if oursSide.text != offSide.text {
					t.Errorf("error text:\n ours     %q\n official %q", oursSide.text, offSide.text)
				}
				if oursSide.sent != offSide.sent {
					t.Errorf("requests sent: ours %d, official %d", oursSide.sent, offSide.sent)
				}
			}

			for _, s := range sides {
				got := s.view
				// The fields the case names must be as wanted...
				if tt.want.Status != 0 {
					if got.Status != tt.want.Status || got.Code != tt.want.Code || got.Type != tt.want.Type ||
						got.Message == "" || !got.HasRequestID {
						t.Errorf("%s: got %v, want status %d, %s (%s) with a message and a request ID",
							s.name, got, tt.want.Status, tt.want.Code, tt.want.Type)
					}
				} else if got.Namespace != tt.want.Namespace || got.ServiceAccount != tt.want.ServiceAccount ||
					got.Audience != tt.want.Audience || got.RoleArn != tt.want.RoleArn || got.KeyPrefix != tt.want.KeyPrefix ||
					got.Lifetime != tt.want.Lifetime || got.AssociationId == "" || got.SessionLen == 0 ||
					got.RoleIdPrefix != "AROA" || got.KeyLen != 20 || got.SecretLen == 0 || !got.HasSessionToken {
					t.Errorf("%s: got %v, want a complete success like %v", s.name, got, tt.want)
				}
				// ...and every field the same on every side.
				if got != sides[0].view {
					t.Errorf("%s and %s differ:\n %-8s %v\n %-8s %v", s.name, sides[0].name, s.name, got, sides[0].name, sides[0].view)
				}
			}
		})
	}
}

// TestEmulatorTypedErrors checks that errors.As finds the same typed error
// by its own package's type on both clients, for a case of each type the
// emulator answers with.
func TestEmulatorTypedErrors(t *testing.T) {
	e := newCompatEnv(t)
	ctx := context.Background()
	call := func(cluster, tok string) (error, error) {
		_, oursErr := eksauth.NewFromConfig(e.srv.Config()).AssumeRoleForPodIdentity(ctx,
			&eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(cluster), Token: aws.String(tok)})
		_, offErr := official.NewFromConfig(e.srv.Config()).AssumeRoleForPodIdentity(ctx,
			&official.AssumeRoleForPodIdentityInput{ClusterName: aws.String(cluster), Token: aws.String(tok)})
		return oursErr, offErr
	}
	expired := e.srv.Token(eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "app"}, -time.Minute)
	oursErr, offErr := call("demo", expired)
	var oursExp *types.ExpiredTokenException
	var offExp *officialtypes.ExpiredTokenException
	if !errors.As(oursErr, &oursExp) || !errors.As(offErr, &offExp) {
		t.Errorf("expired: ours %v, official %v; want *types.ExpiredTokenException from both", oursErr, offErr)
	} else if stable(aws.ToString(oursExp.Message)) != stable(aws.ToString(offExp.Message)) {
		t.Errorf("expired: message ours %q, official %q", aws.ToString(oursExp.Message), aws.ToString(offExp.Message))
	}

	oursErr, offErr = call("ghost", e.goodToken)
	var oursNF *types.ResourceNotFoundException
	var offNF *officialtypes.ResourceNotFoundException
	if !errors.As(oursErr, &oursNF) || !errors.As(offErr, &offNF) {
		t.Errorf("not found: ours %v, official %v; want *types.ResourceNotFoundException from both", oursErr, offErr)
	}

	oursErr, offErr = call("demo", "aaaa.bbbb.cccc")
	var oursIT *types.InvalidTokenException
	var offIT *officialtypes.InvalidTokenException
	if !errors.As(oursErr, &oursIT) || !errors.As(offErr, &offIT) {
		t.Errorf("invalid token: ours %v, official %v; want *types.InvalidTokenException from both", oursErr, offErr)
	}
}
