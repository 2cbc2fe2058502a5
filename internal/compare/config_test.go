package compare_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/eksauth"
)

// TestNewFromConfig checks that both clients take the same endpoint from an
// aws.Config loaded by the SDK's config module: environment variables, the
// shared config file's services section, and FIPS settings.
func TestNewFromConfig(t *testing.T) {
	const sharedConfig = `[default]
region = us-west-2
services = local

[profile fips]
region = us-east-1
use_fips_endpoint = true

[profile noservices]
region = eu-west-1

[services local]
eks_auth =
  endpoint_url = http://127.0.0.1:1111/from-services
`
	path := "/clusters/demo/assume-role-for-pod-identity"
	tests := map[string]struct {
		env     map[string]string
		profile string
		want    string // the request URL; "" means both fail
	}{
		"services section":            {want: "http://127.0.0.1:1111/from-services" + path},
		"AWS_ENDPOINT_URL_EKS_AUTH":   {env: map[string]string{"AWS_ENDPOINT_URL_EKS_AUTH": "http://127.0.0.1:2222/svc"}, want: "http://127.0.0.1:2222/svc" + path},
		"AWS_ENDPOINT_URL":            {env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:3333"}, want: "http://127.0.0.1:3333" + path},
		"service beats global":        {env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:3333", "AWS_ENDPOINT_URL_EKS_AUTH": "http://127.0.0.1:2222"}, want: "http://127.0.0.1:2222" + path},
		"ignore configured endpoints": {env: map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_EKS_AUTH": "http://127.0.0.1:2222"}, want: "https://eks-auth.us-west-2.api.aws" + path},
		"no endpoint settings":        {profile: "noservices", want: "https://eks-auth.eu-west-1.api.aws" + path},
		"FIPS from the profile":       {profile: "fips", want: "https://eks-auth-fips.us-east-1.api.aws" + path},
		"FIPS from the environment":   {profile: "noservices", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}, want: "https://eks-auth-fips.eu-west-1.api.aws" + path},
		"FIPS with a custom endpoint": {profile: "noservices", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_ENDPOINT_URL_EKS_AUTH": "http://127.0.0.1:2222"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfgFile := filepath.Join(dir, "config")
			if err := os.WriteFile(cfgFile, []byte(sharedConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS_AUTH", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
				"AWS_USE_FIPS_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("AWS_CONFIG_FILE", cfgFile)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			opts := []func(*config.LoadOptions) error{config.WithCredentialsProvider(staticProvider)}
			if tt.profile != "" {
				opts = append(opts, config.WithSharedConfigProfile(tt.profile))
			}
			cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			oursDoer, offDoer := newCannedDoer(), newCannedDoer()
			ours := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) { o.HTTPClient = oursDoer })
			off := official.NewFromConfig(cfg, func(o *official.Options) { o.HTTPClient = offDoer })
			_, oursErr := ours.AssumeRoleForPodIdentity(context.Background(), oursInput())
			_, offErr := off.AssumeRoleForPodIdentity(context.Background(), officialInput())
			if tt.want == "" {
				if oursErr == nil || offErr == nil {
					t.Fatalf("errors: ours %v, official %v; want both", oursErr, offErr)
				}
				if got, want := oursErr.Error(), offErr.Error(); got != want {
					t.Errorf("error text:\n ours     %s\n official %s", got, want)
				}
				return
			}
			if oursErr != nil || offErr != nil {
				t.Fatalf("errors: ours %v, official %v", oursErr, offErr)
			}
			got, want := oursDoer.last.Load().URL.String(), offDoer.last.Load().URL.String()
			if got != want || want != tt.want {
				t.Errorf("URL: ours %s, official %s, want %s", got, want, tt.want)
			}
		})
	}
}

// TestNewFromConfigRetryAndAppID checks that both clients take the retry
// attempts and the application ID from the shared config.
func TestNewFromConfigRetryAndAppID(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\nregion = us-west-2\nmax_attempts = 5\nsdk_ua_app_id = shop-agent\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS_AUTH", "AWS_MAX_ATTEMPTS", "AWS_SDK_UA_APP_ID", "AWS_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithCredentialsProvider(staticProvider))
	if err != nil {
		t.Fatal(err)
	}
	oursDoer, offDoer := newCannedDoer(), newCannedDoer()
	ours := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) { o.HTTPClient = oursDoer })
	off := official.NewFromConfig(cfg, func(o *official.Options) { o.HTTPClient = offDoer })
	if _, err := ours.AssumeRoleForPodIdentity(context.Background(), oursInput()); err != nil {
		t.Fatal(err)
	}
	if _, err := off.AssumeRoleForPodIdentity(context.Background(), officialInput()); err != nil {
		t.Fatal(err)
	}
	oursReq, offReq := oursDoer.last.Load(), offDoer.last.Load()
	if got, want := oursReq.Header.Get("Amz-Sdk-Request"), offReq.Header.Get("Amz-Sdk-Request"); got != want || want != "attempt=1; max=5" {
		t.Errorf("amz-sdk-request: ours %q, official %q, want %q", got, want, "attempt=1; max=5")
	}
	for side, ua := range map[string]string{"ours": oursReq.Header.Get("User-Agent"), "official": offReq.Header.Get("User-Agent")} {
		if !strings.Contains(ua, "app/shop-agent") {
			t.Errorf("%s User-Agent %q has no app/shop-agent", side, ua)
		}
	}
}
