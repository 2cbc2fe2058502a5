package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// countingAssumer answers every call InvalidTokenException with an HTTP
// answer, as EKS Auth answers the probe token of an accepted node.
type countingAssumer struct{ calls atomic.Int32 }

func (c *countingAssumer) AssumeRoleForPodIdentity(context.Context, *eksauth.AssumeRoleForPodIdentityInput, ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	c.calls.Add(1)
	return nil, responseError(400, &smithy.GenericAPIError{Code: codeInvalidToken, Message: "bad token"})
}

// TestReadinessCostsNothingWhenReady: once ready, a node that hears
// nothing from its pods for hours asks EKS Auth nothing (its periodic
// check looks at its credentials only); credentials that go away make it
// not ready without a call; the active checks then back off, and wait for
// the node's budget.
func TestReadinessCostsNothingWhenReady(t *testing.T) {
	fake := &countingAssumer{}
	var credsErr atomic.Value
	credsErr.Store(errors.New(""))
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		if err := credsErr.Load().(error); err.Error() != "" {
			return aws.Credentials{}, err
		}
		return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
	})
	n := newNodeAuth(fake, creds, "c1", discardLog())
	n.budget = newBudget(0, 1, 1)
	ctx := context.Background()
	n.tick(ctx, time.Second)
	if err := n.ready(); err != nil || fake.calls.Load() != 1 {
		t.Fatalf("at start: ready %v after %d calls, want ready after 1", err, fake.calls.Load())
	}
	idle := func() { n.mu.Lock(); n.learned = time.Now().Add(-3 * time.Hour); n.mu.Unlock() }
	for range 36 { // three hours of 5-minute ticks
		idle()
		n.tick(ctx, time.Second)
	}
	if err := n.ready(); err != nil || fake.calls.Load() != 1 {
		t.Errorf("idle and ready: %v after %d calls, want ready and no call since the start", err, fake.calls.Load())
	}
	credsErr.Store(errors.New("no EC2 IMDS role found"))
	idle()
	n.tick(ctx, time.Second)
	if err := n.ready(); err == nil || !strings.Contains(err.Error(), "no node credentials") || fake.calls.Load() != 1 {
		t.Errorf("credentials gone: %v after %d calls, want not ready, no call", err, fake.calls.Load())
	}
	// Not ready: the checks back off, 15 s doubling up to 5 minutes.
	var intervals []time.Duration
	for range 7 {
		n.mu.Lock()
		n.learned = time.Now()
		n.mu.Unlock()
		intervals = append(intervals, n.due().Round(time.Second))
		idle()
		n.tick(ctx, time.Second)
	}
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if intervals[i] != want[i] {
			t.Errorf("not-ready intervals %v, want %v", intervals, want)
			break
		}
	}
	// A fixed credential is seen by the next active check, which waits
	// for the budget: with the one slot held by a pod's call, none is sent.
	credsErr.Store(errors.New(""))
	release, err := n.budget.acquire(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	before := fake.calls.Load()
	idle()
	n.tick(ctx, 50*time.Millisecond)
	if fake.calls.Load() != before || n.ready() == nil {
		t.Errorf("the check went past a full budget: %d calls, ready %v", fake.calls.Load()-before, n.ready())
	}
	release()
	idle()
	n.tick(ctx, time.Second)
	if err := n.ready(); err != nil || fake.calls.Load() != before+1 {
		t.Errorf("credentials back: %v after %d calls, want ready after 1", err, fake.calls.Load()-before)
	}
}
