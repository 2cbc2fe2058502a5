package main

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestPeekClaims(t *testing.T) {
	fixture, err := os.ReadFile("testdata/token.jwt")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		token   string
		want    claims
		wantErr string
	}{
		"projected token (fixture)": {
			token: strings.TrimSpace(string(fixture)),
			want: claims{podUID: "4b1f3c2e-6a77-4c1e-9a55-0d8e5b1f9a10", podName: "web-7d9f", namespace: "team-a",
				serviceAccount: "web", issuedAt: time.Unix(1764300000, 0).UTC(), expires: time.Unix(1764386400, 0).UTC()},
		},
		"padded payload": {
			token: "h." + base64.URLEncoding.EncodeToString([]byte(`{"kubernetes.io":{"pod":{"uid":"u1"}}}`)) + ".s",
			want:  claims{podUID: "u1"},
		},
		"fractional exp": {
			token: "h." + b64(`{"exp":1764386400.5,"kubernetes.io":{"pod":{"uid":"u1"}}}`) + ".s",
			want:  claims{podUID: "u1", expires: time.Unix(1764386400, 5e8).UTC()},
		},
		"not three parts":  {token: "a.b", wantErr: "three base64url parts"},
		"bad characters":   {token: "a.b c.d", wantErr: "three base64url parts"},
		"CRLF":             {token: "a.b.c\r\nX-Evil: 1", wantErr: "three base64url parts"},
		"too long":         {token: strings.Repeat("a", maxTokenLen+1), wantErr: "longer than"},
		"payload not b64":  {token: "a.b.c", wantErr: "not base64url"},
		"payload array":    {token: "a." + b64(`[1,2]`) + ".c", wantErr: "not a JSON object"},
		"no pod uid":       {token: "a." + b64(`{"kubernetes.io":{"pod":{"name":"x"}}}`) + ".c", wantErr: "no kubernetes.io pod uid"},
		"uid not a string": {token: "a." + b64(`{"kubernetes.io":{"pod":{"uid":7}}}`) + ".c", wantErr: "not a JSON object"},
		"exp not a number": {token: "a." + b64(`{"exp":"soon","kubernetes.io":{"pod":{"uid":"u"}}}`) + ".c", wantErr: "not a JSON object"},
		"exp negative":     {token: "a." + b64(`{"exp":-1,"kubernetes.io":{"pod":{"uid":"u"}}}`) + ".c", wantErr: "exp"},
		"exp huge":         {token: "a." + b64(`{"exp":1e300,"kubernetes.io":{"pod":{"uid":"u"}}}`) + ".c", wantErr: "exp"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := peekClaims(tc.token)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), tc.token) {
					t.Errorf("the error quotes the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got != tc.want {
				t.Errorf("claims = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzPeekClaims(f *testing.F) {
	if fixture, err := os.ReadFile("testdata/token.jwt"); err == nil {
		f.Add(strings.TrimSpace(string(fixture)))
	}
	f.Add("a." + b64(`{"kubernetes.io":{"pod":{"uid":"u1"}},"exp":1}`) + ".c")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := peekClaims(token)
		if err == nil && c.podUID == "" {
			t.Errorf("peekClaims(%q) succeeded without a pod UID", token)
		}
	})
}
