package awscli

import (
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// world is what one case runs in: an emulator with one association
// (cluster demo, default/web), a working directory for the files the
// command line names, and the environment every client gets.
type world struct {
	t     *testing.T
	srv   *eksauthtest.Server
	dir   string
	token string // a valid token of demo/default/web
	env   map[string]string

	mu  sync.Mutex
	uri string // of the last request
}

func (w *world) lastURI() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.uri
}

var pod = eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "web", Name: "web-0"}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir()}
	// The request target as sent, before any decoding.
	w.srv = eksauthtest.NewServer(eksauthtest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			w.mu.Lock()
			w.uri = r.RequestURI
			w.mu.Unlock()
			next.ServeHTTP(rw, r)
		})
	}))
	t.Cleanup(w.srv.Close)
	w.srv.Associate(eksauthtest.Association{Cluster: "demo", Namespace: "default", ServiceAccount: "web",
		RoleARN: "arn:aws:iam::111122223333:role/web"})
	w.token = w.srv.Token(pod, time.Hour)
	node := w.srv.NodeCredentials()
	w.env = map[string]string{
		// Nothing from the machine: no profile, no pager, no instance
		// metadata, the emulator's node credentials.
		"PATH":                        "/usr/bin:/bin",
		"LC_ALL":                      "C.UTF-8",
		"AWS_CONFIG_FILE":             w.file("config", "[default]\ncli_timestamp_format = iso8601\n"),
		"AWS_SHARED_CREDENTIALS_FILE": w.file("credentials", ""),
		"AWS_DEFAULT_REGION":          w.srv.Region(),
		"AWS_ACCESS_KEY_ID":           node.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       node.SecretAccessKey,
		"AWS_SESSION_TOKEN":           node.SessionToken,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_PAGER":                   "",
	}
	return w
}

// file writes name in the working directory and returns its absolute path.
func (w *world) file(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// expiredToken is a token of demo/default/web that expired an hour ago.
func (w *world) expiredToken() string {
	return w.srv.Token(pod, -time.Hour)
}

func (w *world) environ() []string {
	out := make([]string, 0, len(w.env))
	for k, v := range w.env {
		out = append(out, k+"="+v)
	}
	return out
}
