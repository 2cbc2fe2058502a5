package eksauth_test

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// reachableSecrets walks v as a reflection-based dumper (spew, say) would,
// unexported fields and all, and returns the paths of the strings and byte
// slices that contain one of secrets.
func reachableSecrets(v any, secrets []string) []string {
	var found []string
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value, path string, depth int)
	check := func(s, path string) {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(s, secret) {
				found = append(found, path)
			}
		}
	}
	walk = func(v reflect.Value, path string, depth int) {
		if depth > 40 || !v.IsValid() {
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem(), path, depth+1)
		case reflect.Interface:
			walk(v.Elem(), path, depth+1)
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name, depth+1)
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k), path+"["+k.String()+"]", depth+1)
			}
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				if v.Kind() == reflect.Slice {
					check(string(v.Bytes()), path)
				}
				return
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path, depth+1)
			}
		case reflect.String:
			check(v.String(), path)
		}
	}
	walk(reflect.ValueOf(v), "err", 0)
	return found
}

// TestErrorValueHoldsNoSecrets: an error value, dumped in depth, shows
// neither the token nor the session token nor the signature (the
// *http.Response in the chain points at the signed request).
func TestErrorValueHoldsNoSecrets(t *testing.T) {
	tests := map[string]answer{
		"API error":      {Status: 400, Body: `{"code":"InvalidTokenException","message":"bad"}`},
		"not JSON":       {Status: 502, Body: `<html>bad gateway</html>`},
		"incomplete 2xx": {Body: `{}`},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, a)
			_, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
			if err == nil {
				t.Fatal("got no error")
			}
			secrets := []string{testToken, testSecretKey, testSessionToken}
			for _, r := range ts.Requests() {
				secrets = append(secrets, regexp.MustCompile(`Signature=([0-9a-f]{64})`).FindStringSubmatch(r.Header.Get("Authorization"))[1])
			}
			if paths := reachableSecrets(err, secrets); len(paths) > 0 {
				t.Errorf("secrets reachable from the error at %v", paths)
			}
		})
	}
}

// TestOutputHoldsNoRequestSecrets: a success output, dumped in depth (its
// ResultMetadata holds the raw response), shows neither the token nor the
// node's secret key, session token or signature; only the credentials it
// returns.
func TestOutputHoldsNoRequestSecrets(t *testing.T) {
	ts := newTestServer(t, answer{Status: 500, Body: `{"code":"InternalServerException"}`}, answer{Body: successBody(t)})
	out, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{testToken, testSecretKey, testSessionToken}
	for _, r := range ts.Requests() {
		secrets = append(secrets, regexp.MustCompile(`Signature=([0-9a-f]{64})`).FindStringSubmatch(r.Header.Get("Authorization"))[1])
	}
	if paths := reachableSecrets(out, secrets); len(paths) > 0 {
		t.Errorf("secrets reachable from the output at %v", paths)
	}
}
