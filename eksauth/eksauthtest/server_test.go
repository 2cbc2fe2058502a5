package eksauthtest_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

type successBody struct {
	Subject struct {
		Namespace      string `json:"namespace"`
		ServiceAccount string `json:"serviceAccount"`
	} `json:"subject"`
	Audience               string `json:"audience"`
	PodIdentityAssociation struct {
		AssociationArn string `json:"associationArn"`
		AssociationId  string `json:"associationId"`
	} `json:"podIdentityAssociation"`
	AssumedRoleUser struct {
		Arn          string `json:"arn"`
		AssumeRoleId string `json:"assumeRoleId"`
	} `json:"assumedRoleUser"`
	Credentials struct {
		AccessKeyId     string      `json:"accessKeyId"`
		SecretAccessKey string      `json:"secretAccessKey"`
		SessionToken    string      `json:"sessionToken"`
		Expiration      json.Number `json:"expiration"`
	} `json:"credentials"`
}

func decodeSuccess(t *testing.T, res result) successBody {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("status = %d (%s: %s), want 200", res.status, res.code, res.message)
	}
	var out successBody
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("success body: %v", err)
	}
	return out
}

func TestSuccessShape(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := eksauthtest.NewServer(eksauthtest.WithClock(func() time.Time { return now }))
	t.Cleanup(srv.Close)
	id := srv.Associate(eksauthtest.Association{Cluster: testCluster, Namespace: "shop", ServiceAccount: "cart", RoleARN: testRole})
	if !regexp.MustCompile(`^a-[a-z0-9]{17}$`).MatchString(id) {
		t.Errorf("association ID = %q, want a- and 17 lowercase letters or digits", id)
	}

	res := send(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)})
	got := decodeSuccess(t, res)

	if got.Subject.Namespace != "shop" || got.Subject.ServiceAccount != "cart" {
		t.Errorf("subject = %+v, want shop/cart", got.Subject)
	}
	if got.Audience != "pods.eks.amazonaws.com" {
		t.Errorf("audience = %q", got.Audience)
	}
	if want := "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/" + id; got.PodIdentityAssociation.AssociationArn != want {
		t.Errorf("associationArn = %q, want %q", got.PodIdentityAssociation.AssociationArn, want)
	}
	if got.PodIdentityAssociation.AssociationId != id {
		t.Errorf("associationId = %q, want %q", got.PodIdentityAssociation.AssociationId, id)
	}
	arnRE := regexp.MustCompile(`^arn:aws:sts::111122223333:assumed-role/cart/(eks-prod-cart-0-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)
	m := arnRE.FindStringSubmatch(got.AssumedRoleUser.Arn)
	if m == nil {
		t.Fatalf("assumedRoleUser.arn = %q, want %v", got.AssumedRoleUser.Arn, arnRE)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}:` + m[1] + `$`).MatchString(got.AssumedRoleUser.AssumeRoleId) {
		t.Errorf("assumeRoleId = %q, want AROA…:%s", got.AssumedRoleUser.AssumeRoleId, m[1])
	}
	c := got.Credentials
	if !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(c.AccessKeyId) {
		t.Errorf("accessKeyId = %q, want ASIA and 16 more", c.AccessKeyId)
	}
	if len(c.SecretAccessKey) != 40 {
		t.Errorf("len(secretAccessKey) = %d, want 40", len(c.SecretAccessKey))
	}
	if len(c.SessionToken) < 300 {
		t.Errorf("len(sessionToken) = %d, want a long one", len(c.SessionToken))
	}
	if want := now.Add(6 * time.Hour).Unix(); c.Expiration.String() != strconv.FormatInt(want, 10) {
		t.Errorf("expiration = %s, want %d (6 h after the clock)", c.Expiration, want)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	checkCommonHeaders(t, res)

	// Exactly the service's members, no more.
	var raw map[string]map[string]any
	var top map[string]json.RawMessage
	if err := json.Unmarshal(res.body, &top); err != nil {
		t.Fatal(err)
	}
	delete(top, "audience")
	b, _ := json.Marshal(top)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"subject":                {"namespace", "serviceAccount"},
		"podIdentityAssociation": {"associationArn", "associationId"},
		"assumedRoleUser":        {"arn", "assumeRoleId"},
		"credentials":            {"accessKeyId", "expiration", "secretAccessKey", "sessionToken"},
	}
	if len(raw) != len(want) {
		t.Errorf("top-level members %v, want audience and %v", keys(raw), want)
	}
	for member, fields := range want {
		if got := keys(raw[member]); strings.Join(got, ",") != strings.Join(fields, ",") {
			t.Errorf("%s members = %v, want %v", member, got, fields)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkCommonHeaders checks what every answer carries.
func checkCommonHeaders(t *testing.T, res result) {
	t.Helper()
	if rid := res.header.Get("X-Amzn-Requestid"); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(rid) {
		t.Errorf("X-Amzn-Requestid = %q, want a UUID", rid)
	}
	if d := res.header.Get("Date"); d == "" {
		t.Error("no Date header")
	} else if _, err := http.ParseTime(d); err != nil {
		t.Errorf("Date = %q: %v", d, err)
	}
}
