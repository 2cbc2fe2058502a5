package compare_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	officialtypes "github.com/aws/aws-sdk-go-v2/service/eksauth/types"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/internal/compare"
	"github.com/podidentity/podidentity/internal/compare/officialcreds"
)

// The two credential stacks compared: our Provider around our client, and
// aws.CredentialsCache around the official client (through the small
// provider a user of the official client writes).
func newOurProvider(doer caller) *credentials.Provider {
	return credentials.New(newOurs(doer, ""), cluster, credentials.TokenRetrieverFunc(staticToken))
}

func newOfficialCache(doer caller) *aws.CredentialsCache {
	return aws.NewCredentialsCache(&officialcreds.Provider{
		Client:      newOfficial(doer, ""),
		ClusterName: cluster,
		Token:       staticToken,
	})
}

// TestProvidersAgree checks that the benchmarked stacks, and our Provider
// around the official client through compare.OfficialClient, all turn the
// canned answer into the same credentials with one upstream call each.
func TestProvidersAgree(t *testing.T) {
	ctx := context.Background()
	stacks := map[string]func(caller) aws.CredentialsProvider{
		"ours":     func(d caller) aws.CredentialsProvider { return newOurProvider(d) },
		"official": func(d caller) aws.CredentialsProvider { return newOfficialCache(d) },
		"ours+official client": func(d caller) aws.CredentialsProvider {
			return credentials.New(compare.OfficialClient{Client: newOfficial(d, "")}, cluster, credentials.TokenRetrieverFunc(staticToken))
		},
	}
	want := aws.Credentials{
		AccessKeyID:     "ASIAEXAMPLE123456789",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		CanExpire:       true,
	}
	for name, newStack := range stacks {
		t.Run(name, func(t *testing.T) {
			doer := newCannedDoer()
			p := newStack(doer)
			for range 3 {
				got, err := p.Retrieve(ctx)
				if err != nil {
					t.Fatalf("Retrieve: %v", err)
				}
				// Our Provider reports Expires early by its ExpiryWindow (5
				// minutes), as aws.CredentialsCache does when given one.
				exp := time.Unix(4102444800, 0)
				if got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey ||
					got.SessionToken == "" || !got.CanExpire || got.Expires.After(exp) || got.Expires.Before(exp.Add(-10*time.Minute)) {
					t.Errorf("Retrieve = %+v, want key %s, its secret, a session token, expiry within 10 minutes before %v", redact(got), want.AccessKeyID, exp)
				}
			}
			if got := doer.calls.Load(); got != 1 {
				t.Errorf("upstream calls = %d, want 1 (the rest cached)", got)
			}
		})
	}
}

// redact keeps secrets out of failure messages.
func redact(c aws.Credentials) aws.Credentials {
	if c.SecretAccessKey != "" {
		c.SecretAccessKey = "<redacted>"
	}
	if c.SessionToken != "" {
		c.SessionToken = "<redacted>"
	}
	return c
}

// BenchmarkRetrieve is a cached retrieval, serial and from all Ps at once.
func BenchmarkRetrieve(b *testing.B) {
	ctx := context.Background()
	stacks := []struct {
		name string
		p    aws.CredentialsProvider
	}{
		{"ours", newOurProvider(newCannedDoer())},
		{"official", newOfficialCache(newCannedDoer())},
	}
	for _, s := range stacks {
		if _, err := s.p.Retrieve(ctx); err != nil {
			b.Fatalf("%s: warm up: %v", s.name, err)
		}
	}
	for _, s := range stacks {
		b.Run("serial/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.p.Retrieve(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, s := range stacks {
		b.Run("parallel/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.p.Retrieve(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestProviderWithOfficialClient plugs the official client into our
// Provider through compare.OfficialClient, against the emulator: it gets
// credentials, and a refused token surfaces as the official typed error.
func TestProviderWithOfficialClient(t *testing.T) {
	e := newCompatEnv(t)
	ctx := context.Background()
	client := compare.OfficialClient{Client: official.NewFromConfig(e.srv.Config())}

	p := credentials.New(client, "demo", credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return e.goodToken, nil }))
	got, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !strings.HasPrefix(got.AccessKeyID, "ASIA") || got.SecretAccessKey == "" || got.SessionToken == "" ||
		got.Source != credentials.ProviderName || !got.CanExpire || time.Until(got.Expires) < 5*time.Hour {
		t.Errorf("Retrieve = %+v, want ASIA… credentials from %s expiring in about 6 h", redact(got), credentials.ProviderName)
	}

	expired := e.srv.Token(eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "app"}, -time.Minute)
	p = credentials.New(client, "demo", credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return expired, nil }))
	_, err = p.Retrieve(ctx)
	var ete *officialtypes.ExpiredTokenException
	if !errors.As(err, &ete) {
		t.Errorf("Retrieve with an expired token: error %v, want the official *types.ExpiredTokenException in the chain", err)
	}
	if err != nil && strings.Contains(err.Error(), expired) {
		t.Error("the error text contains the token")
	}
}
