package credentials

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
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
// Trailing CR and LF are trimmed. A file that is missing, empty, larger
// than 64 KiB, or with CR or LF inside the token fails with a
// [*TokenFileError].
func TokenFile(path string) TokenRetriever { return tokenFile(path) }

type tokenFile string

func (path tokenFile) GetToken(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	tok, err := readToken(string(path))
	if err != nil {
		return "", &TokenFileError{Path: string(path), Err: err}
	}
	return tok, nil
}

func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", withoutPath(err)
	}
	defer f.Close()
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

// withoutPath drops an *fs.PathError's wrapper, whose path TokenFileError
// already states.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
