package eksauth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// wireClient hands each request to a server in its wire form, without a
// network: what the server parses is what it would read off the socket.
type wireClient struct {
	server http.Handler
	sent   int
	bad    error // set when the wire form does not parse
}

func (c *wireClient) Do(r *http.Request) (*http.Response, error) {
	c.sent++
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		return nil, err
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		c.bad = err
		return nil, err
	}
	sr.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	c.server.ServeHTTP(rec, sr)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// FuzzRequest builds requests from arbitrary input and has the emulator
// judge them: input the client accepts must reach the wire as a request
// the service parses, with a valid signature, the same cluster and the
// same body members; input it refuses must fail validation, unsent.
func FuzzRequest(f *testing.F) {
	srv := eksauthtest.NewServer()
	f.Cleanup(srv.Close)
	pod := eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}
	srv.Associate(eksauthtest.Association{Cluster: pod.Cluster, Namespace: pod.Namespace, ServiceAccount: pod.ServiceAccount,
		RoleARN: "arn:aws:iam::111122223333:role/cart"})
	valid := srv.Token(pod, time.Hour)

	f.Add("prod", valid, "", "", "")
	f.Add("prod", valid, "ip-10-0-0-1.ec2.internal", "i-0123456789abcdef0", "us-west-2a")
	f.Add("other", valid, "", "", "")
	f.Add("prod", "a.b.c", "\"quoted\"\n", "\u2028", "\x00")
	f.Add("a/../b", valid, "", "", "")
	f.Add("prod%2F", "a.b.c\r\nX-Evil: 1", "", "", "")
	f.Add("", "", "", "", "")
	f.Add(strings.Repeat("c", 101), "=.=.=", "", "", "")
	f.Add("Prod-1_x", "-_=.-_=.-_=", "é", "", "")

	f.Fuzz(func(t *testing.T, cluster, token, node, instance, zone string) {
		srv.ResetRequests()
		hc := &wireClient{server: srv}
		cfg := srv.Config()
		cfg.HTTPClient = hc
		cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
		in := &eksauth.AssumeRoleForPodIdentityInput{ClusterName: &cluster, Token: &token}
		for _, p := range []struct {
			dst **string
			v   string
		}{{&in.EksNodeName, node}, {&in.InstanceId, instance}, {&in.Zone, zone}} {
			if p.v != "" {
				*p.dst = aws.String(p.v)
			}
		}

		out, err := eksauth.NewFromConfig(cfg).AssumeRoleForPodIdentity(context.Background(), in)
		if hc.bad != nil {
			t.Fatalf("the request on the wire does not parse: %v", hc.bad)
		}
		if err != nil && len(token) >= 16 && strings.Contains(err.Error(), token) {
			t.Fatalf("the error holds the token: %v", err)
		}
		if hc.sent == 0 {
			var ip *smithy.InvalidParamsError
			if !errors.As(err, &ip) {
				t.Fatalf("nothing sent, and the error is not a validation error: %v", err)
			}
			return
		}

		reqs := srv.Requests()
		if len(reqs) != 1 {
			t.Fatalf("the emulator saw %d requests, want 1", len(reqs))
		}
		r := reqs[0]
		switch r.Code {
		case "", "ResourceNotFoundException", "InvalidTokenException", "ExpiredTokenException":
		default:
			// A signature, routing or body problem: our request was wrong.
			t.Fatalf("the emulator refused the request with %s (%d): %v", r.Code, r.Status, err)
		}
		if got := r.Cluster(); got != cluster {
			t.Fatalf("the emulator saw cluster %q, want %q", got, cluster)
		}
		var body struct {
			Token, EksNodeName, InstanceId, Zone *string
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Token == nil || *body.Token != token ||
			deref(body.EksNodeName) != node || deref(body.InstanceId) != instance || deref(body.Zone) != zone {
			t.Fatalf("the body sent does not hold the input (%v)", err)
		}
		if r.Code == "" && (err != nil || out.Credentials == nil || out.Credentials.SecretAccessKey == nil) {
			t.Fatalf("the emulator answered 200; the client returned %v", err)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
