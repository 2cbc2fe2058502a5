// Command floor is the floor of the size and cold-start comparison: the
// same job as cmd/ours and cmd/official (one exchange of the token file for
// credentials, the access key ID printed) done by hand with net/http,
// aws/signer/v4 and encoding/json, without a client library, a retryer or
// endpoint rules. No program doing the job over HTTPS can be much smaller.
//
// Environment: as cmd/ours; AWS_ENDPOINT_URL_EKS_AUTH is required.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	tok, err := os.ReadFile(os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
	if err != nil {
		return err
	}
	body, err := json.Marshal(struct {
		Token string `json:"token"`
	}{strings.TrimRight(string(tok), "\r\n")})
	if err != nil {
		return err
	}
	url := os.Getenv("AWS_ENDPOINT_URL_EKS_AUTH") + "/clusters/" + os.Getenv("EKS_CLUSTER_NAME") + "/assume-role-for-pod-identity"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	node := aws.Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
	}
	if err := v4.NewSigner().SignHTTP(ctx, node, req, hex.EncodeToString(sum[:]), "eks-auth", os.Getenv("AWS_REGION"), time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Credentials struct {
			AccessKeyID     string  `json:"accessKeyId"`
			SecretAccessKey string  `json:"secretAccessKey"`
			SessionToken    string  `json:"sessionToken"`
			Expiration      float64 `json:"expiration"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	c := out.Credentials
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expiration == 0 {
		return fmt.Errorf("answer without complete credentials")
	}
	fmt.Println(c.AccessKeyID)
	return nil
}
