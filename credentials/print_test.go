package credentials_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// heldToken is a token retriever that holds its token in its value, as
// a test double or a hand-written retriever might.
type heldToken string

func (s heldToken) GetToken(context.Context) (string, error) { return string(s), nil }

// TestProviderPrintsNoSecrets: a Provider printed with any verb after a
// Retrieve shows neither its cached secret key and session token nor the
// token its retriever holds, and it still names its cluster.
func TestProviderPrintsNoSecrets(t *testing.T) {
	const (
		token   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcmludCJ9.cHJpbnQtc2lnbmF0dXJl"
		secret  = "PRINT-SECRET-KEY-wJalrXUtnFEMI"
		session = "PRINT-SESSION-TOKEN-IQoJb3JpZ2lu"
	)
	client := credentials.APIClientFunc(func(_ context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		exp := time.Now().Add(time.Hour)
		return &eksauth.AssumeRoleForPodIdentityOutput{Credentials: &types.Credentials{
			AccessKeyId: strp("ASIAPRINTEXAMPLE0001"), SecretAccessKey: strp(secret), SessionToken: strp(session), Expiration: &exp,
		}}, nil
	})
	p := credentials.New(client, "print-cluster", heldToken(token))
	creds, err := p.Retrieve(context.Background())
	if err != nil || creds.SecretAccessKey != secret {
		t.Fatalf("Retrieve = %v, %v", creds.AccessKeyID, err)
	}
	for format, want := range map[string]string{
		"%v":  "credentials.Provider{cluster: print-cluster}",
		"%+v": "credentials.Provider{cluster: print-cluster}",
		"%#v": `&credentials.Provider{cluster:"print-cluster"}`,
	} {
		if got := fmt.Sprintf(format, p); got != want {
			t.Errorf("Sprintf(%q, p) = %s, want %s", format, got, want)
		}
	}
	if got := fmt.Sprintf("%v", (*credentials.Provider)(nil)); got != "<nil>" {
		t.Errorf("a nil Provider prints as %s", got)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, arg := range []any{p, []*credentials.Provider{p}, struct{ P *credentials.Provider }{p}} {
			got := fmt.Sprintf(format, arg)
			for _, s := range []string{token, secret, session} {
				if strings.Contains(got, s) {
					t.Errorf("Sprintf(%q, %T) shows a secret: %s", format, arg, got)
				}
			}
			if !strings.Contains(got, "print-cluster") {
				t.Errorf("Sprintf(%q, %T) = %s, want the cluster named", format, arg, got)
			}
		}
	}
}

func strp(s string) *string { return &s }
