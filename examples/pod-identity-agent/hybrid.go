package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// fileCredentials are the node's credentials read from the shared
// credentials file, for hybrid nodes (-rotate-credentials): nodeadm keeps
// the file current (from SSM or IAM Roles Anywhere), rewriting it before
// the credentials in it expire, and the agent must follow. The SDK's own
// chain reads the file once.
//
// The file is read again when it changed (its size, modification time or
// inode, checked with one stat per EKS Auth call), when EKS Auth refused
// what it held (reload), and at least every maxAge as the official agent
// does, in case a rewrite kept all three.
type fileCredentials struct {
	path, profile string
	maxAge        time.Duration

	mu     sync.Mutex
	creds  aws.Credentials // the last good read; zero before
	stamp  os.FileInfo     // of that read
	readAt time.Time
	stale  bool // reload was called
}

// fileCredentialsMaxAge is the longest a read stays in use: a rewrite is
// picked up within a minute, as with the official --rotate-credentials.
const fileCredentialsMaxAge = time.Minute

// newFileCredentials reads the file the SDK would:
// AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE or
// default.
func newFileCredentials() *fileCredentials {
	path := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if path == "" {
		path = config.DefaultSharedCredentialsFilename()
	}
	profile := os.Getenv("AWS_PROFILE")
	if profile == "" {
		profile = config.DefaultSharedConfigProfile
	}
	return &fileCredentials{path: path, profile: profile, maxAge: fileCredentialsMaxAge}
}

func (p *fileCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	fi, statErr := os.Stat(p.path)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.creds.HasKeys() && !p.stale && statErr == nil && sameFile(p.stamp, fi) && time.Since(p.readAt) < p.maxAge {
		return p.creds, nil
	}
	creds, err := p.read(ctx)
	if err != nil {
		// A rewrite in progress can leave the file empty for a moment:
		// keep signing with what was read last; EKS Auth says if it is
		// no good any more.
		if p.creds.HasKeys() {
			return p.creds, nil
		}
		return aws.Credentials{}, err
	}
	p.creds, p.stamp, p.readAt, p.stale = creds, fi, time.Now(), false
	return creds, nil
}

func (p *fileCredentials) read(ctx context.Context) (aws.Credentials, error) {
	sc, err := config.LoadSharedConfigProfile(ctx, p.profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{}
		o.CredentialsFiles = []string{p.path}
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("read the node's credentials from %s: %w", p.path, err)
	}
	creds := sc.Credentials
	if !creds.HasKeys() {
		return aws.Credentials{}, fmt.Errorf("read the node's credentials from %s: %w", p.path,
			errors.New("profile "+p.profile+" has no aws_access_key_id and aws_secret_access_key"))
	}
	creds.Source = "SharedCredentialsFile (re-read): " + p.path
	creds.CanExpire = true
	creds.Expires = time.Now().Add(p.maxAge)
	return creds, nil
}

// reload makes the next Retrieve read the file, whatever its stamp says.
func (p *fileCredentials) reload() {
	p.mu.Lock()
	p.stale = true
	p.mu.Unlock()
}

func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
