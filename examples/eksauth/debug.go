package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/logging"
)

// debugLog writes the --debug trace in the AWS CLI's log format:
//
//	2026-11-28 22:02:47,123 - MainThread - eksauth.clidriver - DEBUG - message
//
// Every line goes through redact, which removes the values it was told
// are secret (the token, the caller's secret key and session token) and
// anything shaped like a secret field, whatever the source of the line.
type debugLog struct {
	w   io.Writer
	now func() time.Time

	mu      sync.Mutex // guards secrets and writes to w
	secrets []string
}

const redacted = "<redacted>"

func newDebugLog(w io.Writer) *debugLog { return &debugLog{w: w, now: time.Now} }

// secret registers values that must never be printed.
func (d *debugLog) secret(vals ...string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, v := range vals {
		if len(v) >= 4 {
			d.secrets = append(d.secrets, v)
		}
	}
}

func (d *debugLog) printf(name, format string, args ...any) {
	if d == nil {
		return
	}
	d.write(name, "DEBUG", fmt.Sprintf(format, args...))
}

func (d *debugLog) write(name, level, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	msg = d.redactLocked(msg)
	t := d.now()
	stamp := t.Format("2006-01-02 15:04:05") + fmt.Sprintf(",%03d", t.Nanosecond()/1e6)
	fmt.Fprintf(d.w, "%s - MainThread - %s - %s - %s\n", stamp, name, level, msg)
}

// Shapes of secrets in request and response dumps: JSON fields, the
// signature of an Authorization header, a session token header.
var secretShapes = []*regexp.Regexp{
	regexp.MustCompile(`("(?:token|sessionToken|secretAccessKey|SessionToken|SecretAccessKey)"\s*:\s*")[^"]*(")`),
	regexp.MustCompile(`(Signature=)[0-9a-fA-F]+()`),
	regexp.MustCompile(`(?i)(X-Amz-Security-Token:\s*)\S+()`),
	tokenShape,
}

// tokenShape is a JWT (a service-account token): its header is kept, its
// claims and signature are redacted.
var tokenShape = regexp.MustCompile(`(eyJ[A-Za-z0-9_=-]*\.)[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+()`)

// redactTokens removes service-account tokens from text the CLI prints
// outside --debug: its error messages echo arguments (Unknown options:
// --tokn, eyJ...), and the token must not reach a terminal or a CI log.
func redactTokens(s string) string {
	return tokenShape.ReplaceAllString(s, "${1}"+redacted+"${2}")
}

func (d *debugLog) redactLocked(s string) string {
	for _, v := range d.secrets {
		s = strings.ReplaceAll(s, v, redacted)
	}
	for _, re := range secretShapes {
		s = re.ReplaceAllString(s, "${1}"+redacted+"${2}")
	}
	return s
}

// clientLogger adapts debugLog to the client's logging.Logger.
type clientLogger struct{ d *debugLog }

func (l clientLogger) Logf(c logging.Classification, format string, v ...any) {
	level := "DEBUG"
	if c == logging.Warn {
		level = "WARNING"
	}
	l.d.write("eksauth.client", level, fmt.Sprintf(format, v...))
}
