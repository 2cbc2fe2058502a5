package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// nodeIdentity is what EKS Auth accepts since 2026 about the calling node
// (eksNodeName, instanceId, zone); each is optional.
type nodeIdentity struct {
	nodeName, instanceID, zone string
}

// identityTimeout bounds the look-up at start: a node without IMDS (a
// hybrid node, a laptop) must not delay serving.
const identityTimeout = time.Second

// imdsIdentity fills what the flags left empty from the instance metadata
// service, once, within identityTimeout, best effort: any failure leaves
// the field empty (EKS Auth does not need it). The zone is the
// availability-zone ID (usw2-az1), which names the same place in every
// account, as the official agent sends it, not the account-specific name
// (us-west-2a). The node name is IMDS's local-hostname, the name EKS gives
// EC2 nodes by default; the chart passes the real one (-node-name from the
// downward API).
func imdsIdentity(ctx context.Context, client *imds.Client, flags nodeIdentity, log *slog.Logger) nodeIdentity {
	id := flags
	var want []struct {
		path string
		dst  *string
	}
	for _, w := range []struct {
		path string
		dst  *string
	}{
		{"local-hostname", &id.nodeName},
		{"instance-id", &id.instanceID},
		{"placement/availability-zone-id", &id.zone},
	} {
		if *w.dst == "" {
			want = append(want, w)
		}
	}
	if len(want) == 0 || client == nil {
		return id
	}
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	for _, w := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := getMetadata(ctx, client, w.path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, w.path)
				return
			}
			*w.dst = v
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		log.Info("node identity: not from IMDS (sent to EKS Auth only when known; -node-name, -instance-id and -zone set it)", "missing", strings.Join(failures, ","))
	}
	return id
}

func getMetadata(ctx context.Context, client *imds.Client, path string) (string, error) {
	out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
	if err != nil {
		return "", err
	}
	defer out.Content.Close()
	b, err := io.ReadAll(io.LimitReader(out.Content, 256))
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if v == "" || strings.ContainsAny(v, "\r\n") {
		return "", io.ErrUnexpectedEOF
	}
	return v, nil
}
