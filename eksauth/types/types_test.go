package types_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/types"
)

// TestCredentialsPrintRedacted: every fmt verb shows the access key ID and
// the expiration but neither the secret key nor the session token, for a
// value, a pointer and a field of another struct; JSON is unchanged.
func TestCredentialsPrintRedacted(t *testing.T) {
	const (
		akid   = "ASIAEXAMPLEKEYID0001"
		secret = "SECRET-wJalrXUtnFEMI-K7MDENG"
		token  = "SESSION-IQoJb3JpZ2luX2VjE-token"
	)
	exp := time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)
	c := types.Credentials{AccessKeyId: strp(akid), Expiration: &exp, SecretAccessKey: strp(secret), SessionToken: strp(token)}
	nested := struct{ Credentials *types.Credentials }{&c}

	for _, tt := range []struct {
		format string
		arg    any
		want   string
	}{
		{"%v", c, "{AccessKeyId:" + akid + " Expiration:2026-11-28 23:00:00 +0000 UTC SecretAccessKey:<redacted> SessionToken:<redacted>}"},
		{"%+v", c, "{AccessKeyId:" + akid + " Expiration:2026-11-28 23:00:00 +0000 UTC SecretAccessKey:<redacted> SessionToken:<redacted>}"},
		{"%s", &c, "{AccessKeyId:" + akid + " Expiration:2026-11-28 23:00:00 +0000 UTC SecretAccessKey:<redacted> SessionToken:<redacted>}"},
		{"%#v", c, `types.Credentials{AccessKeyId:"` + akid + `", Expiration:"2026-11-28T23:00:00Z", SecretAccessKey:"<redacted>", SessionToken:"<redacted>"}`},
		{"%#v", &c, `types.Credentials{AccessKeyId:"` + akid + `", Expiration:"2026-11-28T23:00:00Z", SecretAccessKey:"<redacted>", SessionToken:"<redacted>"}`},
		{"%+v", nested, "{Credentials:{AccessKeyId:" + akid + " Expiration:2026-11-28 23:00:00 +0000 UTC SecretAccessKey:<redacted> SessionToken:<redacted>}}"},
		{"%v", types.Credentials{}, "{AccessKeyId:<nil> Expiration:<nil> SecretAccessKey:<nil> SessionToken:<nil>}"},
		{"%#v", types.Credentials{}, "types.Credentials{AccessKeyId:nil, Expiration:nil, SecretAccessKey:nil, SessionToken:nil}"},
		{"%v", (*types.Credentials)(nil), "<nil>"},
	} {
		got := fmt.Sprintf(tt.format, tt.arg)
		if got != tt.want {
			t.Errorf("Sprintf(%q, %T) = %s\nwant %s", tt.format, tt.arg, got, tt.want)
		}
	}
	// Verbs not listed above go through String or GoString too.
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		for _, arg := range []any{c, &c, nested, []*types.Credentials{&c}, map[string]types.Credentials{"k": c}} {
			got := fmt.Sprintf(format, arg)
			for _, s := range []string{secret, token, fmt.Sprintf("%x", secret), fmt.Sprintf("%X", token)} {
				if strings.Contains(got, s) {
					t.Errorf("Sprintf(%q, %T) shows a secret: %s", format, arg, got)
				}
			}
		}
	}

	// The fields keep the values, and JSON (what a program serialises on
	// purpose) has them all.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"AccessKeyId":"` + akid + `","Expiration":"2026-11-28T23:00:00Z","SecretAccessKey":"` + secret + `","SessionToken":"` + token + `"}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s\nwant %s", b, want)
	}
}

func strp(s string) *string { return &s }
