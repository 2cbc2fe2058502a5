package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// issued is one set of credentials the emulator answered with.
type issued struct {
	token      string // the token exchanged
	expiration time.Time
}

// emulator is the EKS Auth emulator of the box, behind a proxy that can
// take it off the network ("EKS Auth down") and back.
type emulator struct {
	*eksauthtest.Server
	proxy *switchProxy

	mu     sync.Mutex
	issued map[string]issued // guarded by mu: by access key ID
}

func startEmulator(t *testing.T) *emulator {
	t.Helper()
	e := &emulator{issued: map[string]issued{}}
	e.Server = eksauthtest.NewServer(eksauthtest.WithMiddleware(e.record))
	t.Cleanup(e.Close)
	p, err := newSwitchProxy(e.Server.URL[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	e.proxy = p
	return e
}

// Endpoint is the base endpoint the agents call.
func (e *emulator) Endpoint() string { return "http://" + e.proxy.addr }

// record notes the credentials of each successful exchange, so that a
// test can tell which token a client's credentials were issued for, and
// their real expiry.
func (e *emulator) record(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &captureWriter{ResponseWriter: w}
		api.ServeHTTP(rec, r)
		if rec.status != http.StatusOK {
			return
		}
		var in struct{ Token string }
		var out struct {
			Credentials struct {
				AccessKeyID string  `json:"accessKeyId"`
				Expiration  float64 `json:"expiration"`
			} `json:"credentials"`
		}
		if json.Unmarshal(body, &in) != nil || json.Unmarshal(rec.body.Bytes(), &out) != nil {
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.issued[out.Credentials.AccessKeyID] = issued{token: in.Token, expiration: time.Unix(int64(out.Credentials.Expiration), 0).UTC()}
	})
}

// lookup returns what the emulator issued under an access key ID.
func (e *emulator) lookup(accessKeyID string) (issued, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.issued[accessKeyID]
	return i, ok
}

// captureWriter keeps a copy of the answer; it passes Flush through, which
// the emulator's truncated answers use.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// switchProxy forwards TCP connections from addr to the emulator. down
// closes the listener and every open connection, so that EKS Auth is
// unreachable (connection refused) until up listens again on addr.
type switchProxy struct {
	addr, target string

	mu    sync.Mutex
	l     net.Listener      // guarded by mu; nil while down
	conns map[net.Conn]bool // guarded by mu
	wg    sync.WaitGroup
}

func newSwitchProxy(target string) (*switchProxy, error) {
	p := &switchProxy{target: target, conns: map[net.Conn]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = l.Addr().String()
	p.serve(l)
	return p, nil
}

func (p *switchProxy) serve(l net.Listener) {
	p.l = l
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(c)
			}()
		}
	}()
}

func (p *switchProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// track adds a proxied pair, or closes it if the proxy went down.
func (p *switchProxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l == nil {
		c.Close()
		up.Close()
		return false
	}
	p.conns[c], p.conns[up] = true, true
	return true
}

func (p *switchProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

func (p *switchProxy) up() error {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		l.Close()
		return errors.New("proxy already up")
	}
	p.serve(l)
	return nil
}

func (p *switchProxy) close() {
	p.down()
	p.wg.Wait()
}
