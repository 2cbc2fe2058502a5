package credentials

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// DefaultTokenPath is where EKS mounts a pod's Pod Identity service-account
// token.
const DefaultTokenPath = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"

// maxTokenSize bounds a token file read; projected tokens are about 1 KiB.
const maxTokenSize = 64 << 10

// TokenRetriever returns the service-account token to exchange. A
// [Provider] calls GetToken once per refresh attempt and never caches the
// result, so implementations should return the current token each time.
// Calls may overlap (a refresh started before Invalidate can still be
// running), so GetToken must be safe for concurrent use.
type TokenRetriever interface {
	GetToken(ctx context.Context) (string, error)
}

// TokenRetrieverFunc adapts a function to [TokenRetriever].
type TokenRetrieverFunc func(ctx context.Context) (string, error)

// GetToken calls f.
func (f TokenRetrieverFunc) GetToken(ctx context.Context) (string, error) { return f(ctx) }

// Errors a [TokenFile] wraps in a [*TokenFileError]; a missing file wraps
// an error that errors.Is matches with [fs.ErrNotExist].
var (
	ErrEmptyToken   = errors.New("empty token")
	ErrTokenNewline = errors.New("token contains CR or LF")
	ErrTokenTooLong = fmt.Errorf("token longer than %d bytes", maxTokenSize)
	// ErrNotRegular: the path names a directory, a FIFO, a device or a
	// socket. The kubelet projects a regular file (through symlinks,
	// which are followed); reading anything else could block or never end.
	ErrNotRegular = errors.New("not a regular file")
)

// TokenFileError is a [TokenFile]'s failure. It names the file and never
// holds any of its content.
type TokenFileError struct {
	Path string
	Err  error
}

func (e *TokenFileError) Error() string { return fmt.Sprintf("token file %q: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *TokenFileError) Unwrap() error { return e.Err }

// TokenFile returns a [TokenRetriever] that reads the token from path on
// every call, since the kubelet rewrites the file as it rotates the token.
// Trailing CR and LF are trimmed. A file that is missing, not a regular
// file, empty, larger than 64 KiB, or with CR or LF inside the token fails
// with a [*TokenFileError].
//
// The read never outlasts ctx (a [Provider] bounds it with
// [Options.Timeout]): the file is opened without blocking, so a FIFO or a
// device cannot hold it, and the read runs aside, so a call returns at
// ctx's end with ctx's error even when the kernel holds the read (a hung
// network mount). Such a read cannot be interrupted: its goroutine ends
// when the kernel lets go, and until then later calls wait for it rather
// than start another, so at most one read per TokenFile is ever pending.
func TokenFile(path string) TokenRetriever {
	return newTokenFile(path, openToken)
}

func newTokenFile(path string, open func(string) (*os.File, error)) *tokenFile {
	return &tokenFile{path: path, open: open, idle: make(chan struct{}, 1)}
}

type tokenFile struct {
	path string
	open func(string) (*os.File, error)
	idle chan struct{} // holds a value while no read is pending
}

func (t *tokenFile) GetToken(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case t.idle <- struct{}{}:
	case <-ctx.Done():
		return "", &TokenFileError{Path: t.path, Err: fmt.Errorf("an earlier read is still blocked: %w", ctx.Err())}
	}
	type result struct {
		tok string
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := readToken(t.path, t.open)
		<-t.idle
		done <- result{tok, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return "", &TokenFileError{Path: t.path, Err: r.err}
		}
		return r.tok, nil
	case <-ctx.Done():
		return "", &TokenFileError{Path: t.path, Err: fmt.Errorf("read did not finish: %w", ctx.Err())}
	}
}

// openToken opens path for reading without waiting: O_NONBLOCK makes the
// open of a FIFO return at once rather than wait for a writer; O_NOCTTY
// keeps a terminal from becoming the process's.
func openToken(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}

func readToken(path string, open func(string) (*os.File, error)) (string, error) {
	f, err := open(path)
	if err != nil {
		return "", withoutPath(err)
	}
	defer f.Close()
	// Of the opened file, not of the path, so that the check and the read
	// are of the same file even while the kubelet swaps its symlinks.
	fi, err := f.Stat()
	if err != nil {
		return "", withoutPath(err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w (%s)", ErrNotRegular, fileKind(fi.Mode()))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenSize+1))
	if err != nil {
		return "", withoutPath(err)
	}
	if len(b) > maxTokenSize {
		return "", ErrTokenTooLong
	}
	tok := strings.TrimRight(string(b), "\r\n")
	switch {
	case tok == "":
		return "", ErrEmptyToken
	case strings.ContainsAny(tok, "\r\n"):
		return "", ErrTokenNewline
	}
	return tok, nil
}

// fileKind names what a non-regular file is, for the error.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "mode " + m.Type().String()
}

// withoutPath drops an *fs.PathError's wrapper, whose path TokenFileError
// already states.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
