package compare_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/podidentity/podidentity/internal/protocol"
)

// floor is the physical floor of one call: a hand-written request doing only
// what the protocol requires (marshal the body, hash it, build the request,
// sign it, send it, read the answer with a cap, unmarshal it, check the
// fields) with net/http, aws/signer/v4 and encoding/json. No retries, no
// endpoint rules, no logging. It is also the "hand-signed raw HTTP request"
// of the compatibility tests.
type floor struct {
	endpoint string
	region   string
	creds    aws.Credentials
	http     interface {
		Do(*http.Request) (*http.Response, error)
	}
	signer *v4.Signer
}

func newFloor(endpoint string, doer interface {
	Do(*http.Request) (*http.Response, error)
}) *floor {
	return &floor{endpoint: endpoint, region: region, creds: nodeCreds, http: doer, signer: v4.NewSigner()}
}

// floorAnswer is the success body; floorCredentials.Expiration is epoch seconds.
type floorAnswer struct {
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
		AccessKeyId     string  `json:"accessKeyId"`
		SecretAccessKey string  `json:"secretAccessKey"`
		SessionToken    string  `json:"sessionToken"`
		Expiration      float64 `json:"expiration"`
	} `json:"credentials"`
}

func (a *floorAnswer) expiration() time.Time {
	sec, frac := math.Modf(a.Credentials.Expiration)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// floorError is a non-2xx answer, as read by hand.
type floorError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *floorError) Error() string {
	return fmt.Sprintf("status %d, request %s, %s: %s", e.Status, e.RequestID, e.Code, e.Message)
}

const maxAnswer = 1 << 20

func (f *floor) call(ctx context.Context, clusterName, tok string) (*floorAnswer, error) {
	body, err := json.Marshal(protocol.Request{Token: &tok})
	if err != nil {
		return nil, err
	}
	return f.send(ctx, clusterName, body)
}

// send signs and sends a raw body, so tests can send what no client would.
func (f *floor) send(ctx context.Context, clusterName string, body []byte) (*floorAnswer, error) {
	sum := sha256.Sum256(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint+protocol.Path(clusterName), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", protocol.ContentType)
	if err := f.signer.SignHTTP(ctx, f.creds, req, hex.EncodeToString(sum[:]), protocol.SigningName, f.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, readFloorError(resp, b)
	}
	var out floorAnswer
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	c := &out.Credentials
	if c.AccessKeyId == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expiration == 0 {
		return nil, errors.New("floor: answer without complete credentials")
	}
	return &out, nil
}

func readFloorError(resp *http.Response, body []byte) error {
	e := &floorError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Amzn-Requestid")}
	var wire struct {
		protocol.Error
		MessageUpper string `json:"Message"`
	}
	_ = json.Unmarshal(body, &wire)
	e.Code = resp.Header.Get("X-Amzn-Errortype")
	if e.Code == "" {
		e.Code = wire.Code
	}
	if e.Code == "" {
		e.Code = wire.Type
	}
	if i := strings.IndexByte(e.Code, ':'); i >= 0 {
		e.Code = e.Code[:i]
	}
	if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
		e.Code = e.Code[i+1:]
	}
	e.Message = wire.Message
	if e.Message == "" {
		e.Message = wire.MessageUpper
	}
	return e
}
