package eksauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/podidentity/podidentity/eksauth/types"

	smithytime "github.com/aws/smithy-go/time"
)

// FuzzParseEpochSeconds checks the big.Float-free conversion against
// smithy-go's, which the official client uses.
func FuzzParseEpochSeconds(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 1.7e9, 1700000000.123, 0.0005, -0.0005, 1e-320, 9.2e15, 9.3e15, 1e300, -1e300, math.MaxFloat64, 9223372036854775.807} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // JSON has neither
		}
		if got, want := parseEpochSeconds(v), smithytime.ParseEpochSeconds(v); !got.Equal(want) || got.Location() != want.Location() {
			t.Fatalf("parseEpochSeconds(%v) = %v, want %v", v, got, want)
		}
	})
}

func TestSanitizeErrorCode(t *testing.T) {
	tests := map[string]string{
		"Foo":                        "Foo",
		"aws.protocols#Foo":          "Foo",
		"Foo:http://internal.amazon": "Foo",
		"ns#Foo:http://x#y":          "Foo",
		"a#b#c":                      "b#c",
		":Foo":                       "",
		"":                           "",
	}
	for in, want := range tests {
		if got := sanitizeErrorCode(in); got != want {
			t.Errorf("sanitizeErrorCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// officialDecode replays the official client's success deserializer
// (generic decoding with UseNumber, then per-member type checks), as the
// reference for FuzzDecodeSuccessMatchesOfficial.
func officialDecode(body []byte) (*AssumeRoleForPodIdentityOutput, string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var shape any
	if err := dec.Decode(&shape); err != nil && err != io.EOF {
		return nil, "syntax"
	}
	out := &AssumeRoleForPodIdentityOutput{}
	if shape == nil {
		return out, ""
	}
	m, ok := shape.(map[string]any)
	if !ok {
		return nil, "shape"
	}
	str := func(v any) (*string, bool) {
		if v == nil {
			return nil, true
		}
		s, ok := v.(string)
		return &s, ok
	}
	obj := func(v any) (map[string]any, bool) {
		if v == nil {
			return nil, true
		}
		o, ok := v.(map[string]any)
		return o, ok
	}
	var ok2 bool
	for k, v := range m {
		switch k {
		case "audience":
			if out.Audience, ok2 = str(v); !ok2 {
				return nil, "shape"
			}
		case "subject", "assumedRoleUser", "podIdentityAssociation", "credentials":
			o, ok := obj(v)
			if !ok {
				return nil, "shape"
			}
			if o == nil {
				continue
			}
			switch k {
			case "subject":
				out.Subject = &types.Subject{}
			case "assumedRoleUser":
				out.AssumedRoleUser = &types.AssumedRoleUser{}
			case "podIdentityAssociation":
				out.PodIdentityAssociation = &types.PodIdentityAssociation{}
			case "credentials":
				out.Credentials = &types.Credentials{}
			}
			for k2, v2 := range o {
				var target **string
				switch k + "." + k2 {
				case "subject.namespace":
					target = &out.Subject.Namespace
				case "subject.serviceAccount":
					target = &out.Subject.ServiceAccount
				case "assumedRoleUser.arn":
					target = &out.AssumedRoleUser.Arn
				case "assumedRoleUser.assumeRoleId":
					target = &out.AssumedRoleUser.AssumeRoleId
				case "podIdentityAssociation.associationArn":
					target = &out.PodIdentityAssociation.AssociationArn
				case "podIdentityAssociation.associationId":
					target = &out.PodIdentityAssociation.AssociationId
				case "credentials.accessKeyId":
					target = &out.Credentials.AccessKeyId
				case "credentials.secretAccessKey":
					target = &out.Credentials.SecretAccessKey
				case "credentials.sessionToken":
					target = &out.Credentials.SessionToken
				case "credentials.expiration":
					if v2 == nil {
						continue
					}
					n, ok := v2.(json.Number)
					if !ok {
						return nil, "shape"
					}
					f, err := n.Float64()
					if err != nil {
						return nil, "shape"
					}
					t := smithytime.ParseEpochSeconds(f)
					out.Credentials.Expiration = &t
					continue
				default:
					continue
				}
				if *target, ok2 = str(v2); !ok2 {
					return nil, "shape"
				}
			}
		}
	}
	return out, ""
}

// FuzzDecodeSuccessMatchesOfficial checks that the reflection-free decoder
// accepts, refuses and reads exactly what the official client's does
// (apart from refusing incomplete credentials, on purpose).
func FuzzDecodeSuccessMatchesOfficial(f *testing.F) {
	if b, err := os.ReadFile("testdata/success.json"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		``, ` `, `null`, `[]`, `"x"`, `5`, `{}`, `{"credentials":null}`, `{"credentials":5}`, `{"audience":true}`,
		`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1.5e9}} x`,
		`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"1"}}`,
		`{"credentials":{"accessKeyId":"A\u00e9\n","secretAccessKey":"S","sessionToken":"T","expiration":-0.5}}`,
		`{"Credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1}}`,
		`{"credentials":{"accessKeyId":5,"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1}}`,
		`{"cred\u0065ntials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1e400}}`,
		`{"a":[1,{"b":null}],"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1}}`,
		`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"\x"}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `{"a":tru}`, "{\"a\":\"\x01\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := officialDecode(body)
		got, err := decodeSuccess(body)
		if wantErr != "" {
			if err == nil {
				t.Fatalf("official refuses (%s), ours accepts %q", wantErr, body)
			}
			category := "shape"
			if !strings.Contains(err.Error(), "with invalid JSON") {
				category = "syntax"
			}
			if category != wantErr {
				t.Fatalf("official: %s error, ours: %v", wantErr, err)
			}
			return
		}
		c := want.Credentials
		complete := c != nil && !isEmpty(c.AccessKeyId) && !isEmpty(c.SecretAccessKey) && !isEmpty(c.SessionToken) && c.Expiration != nil
		if !complete {
			if err == nil || !strings.Contains(err.Error(), "incomplete credentials") {
				t.Fatalf("incomplete credentials accepted or misreported: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("official accepts, ours: %v", err)
		}
		got.ResultMetadata = want.ResultMetadata
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded differently:\n got  %s\n want %s", dump(got), dump(want))
		}
	})
}

func dump(o *AssumeRoleForPodIdentityOutput) string {
	b, _ := json.Marshal(o)
	return string(b)
}

func TestAdjustForRetryAfter(t *testing.T) {
	c := newCallConfig(Options{Retryer: aws.NopRetryer{}, Logger: logging.Nop{}})
	answer := func(v string) error {
		resp := &http.Response{StatusCode: 503, Header: http.Header{}}
		if v != "" {
			resp.Header.Set("X-Amz-Retry-After", v)
		}
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: errors.New("x")}}
	}
	tests := []struct {
		header string
		delay  time.Duration
		want   time.Duration
	}{
		{"", 100 * time.Millisecond, 100 * time.Millisecond},
		{"1500", 100 * time.Millisecond, 1500 * time.Millisecond},
		{"10", 100 * time.Millisecond, 100 * time.Millisecond},     // not below the backoff
		{"60000", 100 * time.Millisecond, 5100 * time.Millisecond}, // at most 5 s above it
		{"-1", 100 * time.Millisecond, 100 * time.Millisecond},     // invalid: ignored
		{"soon", 100 * time.Millisecond, 100 * time.Millisecond},   // invalid: ignored
	}
	for _, tt := range tests {
		if got := c.adjustForRetryAfter(tt.delay, answer(tt.header)); got != tt.want {
			t.Errorf("x-amz-retry-after %q, backoff %v: delay %v, want %v", tt.header, tt.delay, got, tt.want)
		}
	}
}
