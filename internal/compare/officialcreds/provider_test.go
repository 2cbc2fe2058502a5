package officialcreds_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/aws/aws-sdk-go-v2/service/eksauth/types"
	"github.com/podidentity/podidentity/internal/compare/officialcreds"
)

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]struct {
		content string
		want    string
	}{
		"newline":    {"a.b.c\n", "a.b.c"},
		"crlf":       {"a.b.c\r\n", "a.b.c"},
		"no newline": {"a.b.c", "a.b.c"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := officialcreds.TokenFile(path)(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("token = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := officialcreds.TokenFile(filepath.Join(dir, "missing"))(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
}

type fakeAPI func(*eksauth.AssumeRoleForPodIdentityInput) (*eksauth.AssumeRoleForPodIdentityOutput, error)

func (f fakeAPI) AssumeRoleForPodIdentity(_ context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	return f(in)
}

func TestRetrieve(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	full := &types.Credentials{AccessKeyId: aws.String("ASIA1"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp}
	tests := map[string]struct {
		creds   *types.Credentials
		err     error
		want    aws.Credentials
		wantErr bool
	}{
		"success": {creds: full, want: aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t",
			Source: officialcreds.ProviderName, CanExpire: true, Expires: exp}},
		"no credentials": {wantErr: true},
		"no token":       {creds: &types.Credentials{AccessKeyId: aws.String("ASIA1"), SecretAccessKey: aws.String("s"), Expiration: &exp}, wantErr: true},
		"client error":   {err: errors.New("boom"), wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := &officialcreds.Provider{
				ClusterName: "demo",
				Token:       func(context.Context) (string, error) { return "a.b.c", nil },
				Client: fakeAPI(func(in *eksauth.AssumeRoleForPodIdentityInput) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
					if aws.ToString(in.ClusterName) != "demo" || aws.ToString(in.Token) != "a.b.c" {
						t.Errorf("input = %q, %q; want demo, a.b.c", aws.ToString(in.ClusterName), aws.ToString(in.Token))
					}
					return &eksauth.AssumeRoleForPodIdentityOutput{Credentials: tt.creds}, tt.err
				}),
			}
			got, err := p.Retrieve(context.Background())
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Retrieve = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
