package credentials_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/podidentity/podidentity/credentials"
)

const fixtureToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ.c2lnbmF0dXJl"

func TestTokenFile(t *testing.T) {
	tests := map[string]struct {
		file string
		want string
		err  error // matched with errors.Is
	}{
		"trailing LF":      {"token-lf", fixtureToken, nil},
		"trailing CRLF+LF": {"token-crlf", fixtureToken, nil},
		"no newline":       {"token-bare", fixtureToken, nil},
		"empty":            {"token-empty", "", credentials.ErrEmptyToken},
		"only newlines":    {"token-only-newlines", "", credentials.ErrEmptyToken},
		"LF inside":        {"token-lf-inside", "", credentials.ErrTokenNewline},
		"CR inside":        {"token-cr-inside", "", credentials.ErrTokenNewline},
		"missing":          {"no-such-token", "", fs.ErrNotExist},
		"directory":        {".", "", credentials.ErrNotRegular},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			got, err := credentials.TokenFile(path).GetToken(context.Background())
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("GetToken = %q, %v; want %q, nil", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("GetToken = %q, nil; want an error", got)
			}
			if got != "" {
				t.Errorf("GetToken returned %q with its error, want \"\"", got)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.err)
			}
			var tfe *credentials.TokenFileError
			if !errors.As(err, &tfe) || tfe.Path != path {
				t.Errorf("error %v: want a *TokenFileError with Path %q", err, path)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %q", err, path)
			}
			if strings.Count(err.Error(), path) != 1 {
				t.Errorf("error %q names the file more than once", err)
			}
			for _, part := range []string{"eyJhbGciOiJSUzI1NiJ9", "c2lnbmF0dXJl", "OiJzeXN0ZW06"} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error %q leaks token content %q", err, part)
				}
			}
		})
	}
}

func TestTokenFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(strings.Repeat("a", 64<<10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := credentials.TokenFile(path).GetToken(context.Background())
	if !errors.Is(err, credentials.ErrTokenTooLong) {
		t.Errorf("GetToken error = %v, want ErrTokenTooLong", err)
	}
	if strings.Contains(err.Error(), "aaaa") {
		t.Errorf("error %q leaks content", err)
	}
}

func TestTokenFileCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := credentials.TokenFile(filepath.Join("testdata", "token-lf")).GetToken(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GetToken(canceled) = %v, want context.Canceled", err)
	}
}

// TestTokenFileRotationIsPickedUp rewrites the token file as the kubelet
// does (write a new file, rename it over the old one) and checks that the
// next refresh sends the new token.
func TestTokenFileRotationIsPickedUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "eks-pod-identity-token")
	write := func(tok string) {
		t.Helper()
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("first.token.one")

	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := credentials.NewWithClock(api, cluster, credentials.TokenFile(path), clk.Now, func() float64 { return 0.5 })
	mustRetrieve(t, p, "ASIAKEY1")

	write("second.token.two")
	clk.Set(refreshAt) // background refresh
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	mustRetrieve(t, p, "ASIAKEY2")

	write("third.token.three")
	p.Invalidate()
	mustRetrieve(t, p, "ASIAKEY3")

	if got, want := strings.Join(api.Tokens(), " "), "first.token.one second.token.two third.token.three"; got != want {
		t.Errorf("tokens sent = %s, want %s", got, want)
	}

	// A token file that disappears fails the waiting refresh with its path.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clk.Set(2 * time.Hour)
	_, err := p.Retrieve(context.Background())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Retrieve with the token file gone = %v, want fs.ErrNotExist naming %s", err, path)
	}
}

func TestDefaultTokenPath(t *testing.T) {
	const want = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
	if credentials.DefaultTokenPath != want {
		t.Errorf("DefaultTokenPath = %q, want %q", credentials.DefaultTokenPath, want)
	}
}

// FuzzTokenFile checks that any file content either yields a non-empty
// token without CR or LF, or an error that holds none of the content.
func FuzzTokenFile(f *testing.F) {
	for _, name := range []string{"token-lf", "token-crlf", "token-bare", "token-lf-inside", "token-cr-inside", "token-empty", "token-only-newlines"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	path := filepath.Join(f.TempDir(), "token")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := credentials.TokenFile(path).GetToken(context.Background())
		if err != nil {
			if tok != "" {
				t.Errorf("token %q returned with error %v", tok, err)
			}
			if trimmed := strings.Trim(string(content), "\r\n"); len(trimmed) >= 4 && strings.Contains(err.Error(), trimmed) {
				t.Errorf("error %q holds the content", err)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, "\r\n") {
			t.Errorf("token %q: want non-empty, without CR or LF", tok)
		}
		if !strings.HasPrefix(string(content), tok) || strings.TrimRight(string(content[len(tok):]), "\r\n") != "" {
			t.Errorf("token %q is not the content %q without trailing newlines", tok, content)
		}
	})
}

// getToken calls GetToken and fails the test if it has not returned within
// 5 s: the guard that turns a wedged read into a failure rather than a
// hung test.
func getToken(t *testing.T, ctx context.Context, tr credentials.TokenRetriever) (string, error) {
	t.Helper()
	type result struct {
		tok string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := tr.GetToken(ctx)
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		return r.tok, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("GetToken did not return within 5s")
		return "", nil
	}
}

// mkfifo makes a FIFO and, when the test ends, opens its writing end once,
// which frees a reader that a blocking open left waiting for a writer.
func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token-fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	return path
}

// TestTokenFileNotRegular: only a regular file is read. A FIFO would block
// the open until a writer came (and then give whatever it wrote), a
// device would give endless or empty content, a directory an error of the
// read: each is refused at once, by what the opened file is.
func TestTokenFileNotRegular(t *testing.T) {
	fifoWithWriter := func(t *testing.T) string {
		// A writer is there and has written a token: still refused.
		path := mkfifo(t)
		r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // lets the writer open
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close(); r.Close() })
		if _, err := w.WriteString(fixtureToken + "\n"); err != nil {
			t.Fatal(err)
		}
		return path
	}
	socket := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "token-socket")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return path
	}
	tests := map[string]struct {
		path func(t *testing.T) string
		kind string
	}{
		"FIFO without a writer": {mkfifo, "a FIFO"},
		"FIFO with a token":     {fifoWithWriter, "a FIFO"},
		"directory":             {func(t *testing.T) string { return t.TempDir() }, "a directory"},
		"/dev/null":             {func(*testing.T) string { return "/dev/null" }, "a character device"},
		"/dev/zero":             {func(*testing.T) string { return "/dev/zero" }, "a character device"},
		"unix socket":           {socket, ""}, // open fails (ENXIO): an error, not a token
		"symlink to a FIFO": {func(t *testing.T) string {
			link := filepath.Join(t.TempDir(), "token")
			if err := os.Symlink(mkfifo(t), link); err != nil {
				t.Fatal(err)
			}
			return link
		}, "a FIFO"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := tc.path(t)
			tok, err := getToken(t, context.Background(), credentials.TokenFile(path))
			if err == nil || tok != "" {
				t.Fatalf("GetToken = %q, %v; want an error", tok, err)
			}
			var tfe *credentials.TokenFileError
			if !errors.As(err, &tfe) || tfe.Path != path {
				t.Errorf("error %v: want a *TokenFileError with Path %q", err, path)
			}
			if tc.kind != "" && (!errors.Is(err, credentials.ErrNotRegular) || !strings.Contains(err.Error(), tc.kind)) {
				t.Errorf("error %q: want ErrNotRegular naming %s", err, tc.kind)
			}
			if strings.Contains(err.Error(), "c2lnbmF0dXJl") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

// TestTokenFileRegularThroughSymlinks: the kubelet projects the token
// through symlinks (token -> ..data/token, ..data -> ..2026_01_02...);
// they are followed to the regular file.
func TestTokenFileRegularThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "..2026_01_02_03_04_05.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "..2026_01_02_03_04_05.1", "token"), []byte(fixtureToken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..2026_01_02_03_04_05.1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/token", filepath.Join(dir, "token")); err != nil {
		t.Fatal(err)
	}
	if tok, err := getToken(t, context.Background(), credentials.TokenFile(filepath.Join(dir, "token"))); err != nil || tok != fixtureToken {
		t.Fatalf("GetToken = %q, %v; want the token", tok, err)
	}
}

// TestProviderWithFIFOTokenFile: a Provider whose token path is a FIFO
// (nobody writing) fails its refresh at once instead of waiting forever,
// and never calls EKS Auth.
func TestProviderWithFIFOTokenFile(t *testing.T) {
	path := mkfifo(t)
	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := credentials.NewWithClock(api, cluster, credentials.TokenFile(path), clk.Now, func() float64 { return 0.5 })
	_, err := retrieve(t, context.Background(), p)
	if !errors.Is(err, credentials.ErrNotRegular) || !strings.Contains(err.Error(), path) {
		t.Errorf("Retrieve = %v, want ErrNotRegular naming %s", err, path)
	}
	if n := api.calls.Load(); n != 0 {
		t.Errorf("%d EKS Auth calls without a token", n)
	}
}

// blockingOpen stands in for a file system whose open the kernel holds (a
// hung network mount): each call waits for release, then opens path.
type blockingOpen struct {
	calls   atomic.Int64
	release chan struct{}
}

func (b *blockingOpen) open(path string) (*os.File, error) {
	b.calls.Add(1)
	<-b.release
	return os.Open(path)
}

// readsPending counts goroutines inside a TokenFile's read.
func readsPending() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "(*blockingOpen).open")
}

// TestTokenFileHungRead: when the kernel holds the read, GetToken still
// returns at its context's end; a later call waits for that read instead
// of piling another on; once the kernel lets go, the read's goroutine ends
// and the next call reads the file.
func TestTokenFileHungRead(t *testing.T) {
	path := filepath.Join("testdata", "token-lf")
	hung := &blockingOpen{release: make(chan struct{})}
	tr := credentials.TokenFileWithOpen(path, hung.open)

	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		tok, err := getToken(t, ctx, tr)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || tok != "" {
			t.Fatalf("call %d: GetToken = %q, %v; want context.DeadlineExceeded", i, tok, err)
		}
		var tfe *credentials.TokenFileError
		if !errors.As(err, &tfe) || tfe.Path != path {
			t.Errorf("call %d: error %v: want a *TokenFileError naming the file", i, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("call %d returned after %v, its context ended after 50ms", i, d)
		}
	}
	if n := hung.calls.Load(); n != 1 {
		t.Errorf("%d opens pending, want 1: later calls must wait for the hung one", n)
	}
	if n := readsPending(); n != 1 {
		t.Errorf("%d reads pending, want 1", n)
	}

	close(hung.release)
	deadline := time.Now().Add(5 * time.Second)
	for readsPending() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the read's goroutine did not end once the kernel let go")
		}
		time.Sleep(time.Millisecond)
	}
	if tok, err := getToken(t, context.Background(), tr); err != nil || tok != fixtureToken {
		t.Fatalf("after the mount recovered: GetToken = %q, %v", tok, err)
	}
}

// TestProviderTimeoutBoundsTokenRead: Options.Timeout bounds reading the
// token, as documented; a refresh that the file system holds fails at the
// timeout (callers are not kept waiting) and EKS Auth is not called.
func TestProviderTimeoutBoundsTokenRead(t *testing.T) {
	hung := &blockingOpen{release: make(chan struct{})}
	defer close(hung.release)
	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := credentials.NewWithClock(api, cluster, credentials.TokenFileWithOpen(filepath.Join("testdata", "token-lf"), hung.open),
		clk.Now, func() float64 { return 0.5 }, func(o *credentials.Options) { o.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := retrieve(t, context.Background(), p)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Retrieve = %v, want the refresh's context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Retrieve returned after %v; Options.Timeout is 100ms", d)
	}
	if n := api.calls.Load(); n != 0 {
		t.Errorf("%d EKS Auth calls without a token", n)
	}
	waitRefresh(t, p)
}
