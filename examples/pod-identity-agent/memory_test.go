package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// realisticEKSAuth answers like EKS Auth (and the emulator): a 20-character
// access key, a 40-character secret, a session token of 976 characters
// (the emulator's length; real ones run to about a kilobyte), an ARN
// naming the role session, every string freshly allocated as the client's
// decoder does. It records nothing, so that it holds no memory itself.
type realisticEKSAuth struct{}

func (realisticEKSAuth) AssumeRoleForPodIdentity(_ context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	b := make([]byte, 720)
	_, _ = rand.Read(b)
	return &eksauth.AssumeRoleForPodIdentityOutput{
		AssumedRoleUser: &types.AssumedRoleUser{
			Arn:          aws.String("arn:aws:sts::111122223333:assumed-role/web-role/eks-c1-web-7d9f5c6b8-x2x9z-" + rand.Text()),
			AssumeRoleId: aws.String("AROAEXAMPLEEXAMPLE123:eks-c1-web"),
		},
		Credentials: &types.Credentials{
			AccessKeyId:     aws.String("ASIA" + rand.Text()[:16]),
			SecretAccessKey: aws.String(rand.Text() + rand.Text()[:14]),
			SessionToken:    aws.String("IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b)),
			Expiration:      aws.Time(time.Now().Add(6 * time.Hour)),
		},
	}, nil
}

// fillPods serves n pods once each, from their own addresses, with
// kubelet-like tokens (UIDs, pod names of a Deployment), and waits until
// no first fetch is under way.
func fillPods(tb testing.TB, a *agent, n int) {
	now := time.Now()
	for i := range n {
		uid := fmt.Sprintf("8f4b2c1e-%04x-4a5b-9c8d-%012x", i>>16, i)
		tok := fakeToken(tb, uid, now, now.Add(24*time.Hour), strings.Repeat("s", 342)) // RS256 signature's length
		if r := getFrom(tb, a, i, tok); r.status != http.StatusOK {
			tb.Fatalf("pod %d: %d %s", i, r.status, r.body)
		}
	}
	waitFor(tb, "the pending table emptied", func() bool { return a.pending.len() == 0 })
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// vmHWM returns the process's peak resident memory (VmHWM), 0 if unknown.
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestMemoryPerCachedPod: a full cache of the default size costs at most
// 3 KB of heap per pod, credentials (about 1.1 KB of them) included.
func TestMemoryPerCachedPod(t *testing.T) {
	const pods = 4096
	before := heapInUse()
	a := newAgent(agentOptions{cluster: "c1", client: realisticEKSAuth{}, cacheSize: pods, idleTTL: time.Hour, rate: 10, burst: 50, maxInflight: 32})
	fillPods(t, a, pods)
	after := heapInUse()
	if entries, _ := a.cache.stats(); entries != pods {
		t.Fatalf("%d tokens cached, want %d", entries, pods)
	}
	perPod := float64(after-before) / pods
	t.Logf("heap per cached pod: %.0f B (%d pods)", perPod, pods)
	if perPod > 3<<10 {
		t.Errorf("heap per cached pod = %.0f B, want at most 3 KB", perPod)
	}
	runtime.KeepAlive(a)
}

// BenchmarkMemoryPerPod fills the default cache (4,096 pods) b.N times
// and reports the heap per cached pod and, run alone, the growth of the
// process's peak RSS (VmHWM) per pod during the first fill: an upper bound
// that includes the garbage of the fill (later fills reuse that peak).
func BenchmarkMemoryPerPod(b *testing.B) {
	const pods = 4096
	var heap, hwm float64
	for i := range b.N {
		b.StopTimer()
		before, hwmBefore := heapInUse(), vmHWM()
		b.StartTimer()
		a := newAgent(agentOptions{cluster: "c1", client: realisticEKSAuth{}, cacheSize: pods, idleTTL: time.Hour, rate: 10, burst: 50, maxInflight: 32})
		fillPods(b, a, pods)
		b.StopTimer()
		heap += float64(heapInUse()-before) / pods
		if i == 0 {
			hwm = float64(vmHWM()-hwmBefore) / pods
		}
		runtime.KeepAlive(a)
		b.StartTimer()
	}
	b.ReportMetric(heap/float64(b.N), "heap-B/pod")
	b.ReportMetric(hwm, "VmHWM-B/pod")
}
