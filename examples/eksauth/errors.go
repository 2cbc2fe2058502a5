package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	smithy "github.com/aws/smithy-go"
)

// Exit statuses of the AWS CLI v2.
const (
	exitOK        = 0
	exitUsage     = 252 // bad usage or parameter validation
	exitConfig    = 253 // missing region or credentials, bad configuration
	exitService   = 254 // the service answered with an error
	exitGeneral   = 255 // anything else
	exitInterrupt = 130 // Ctrl-C (128 + SIGINT)
)

// usageText is the AWS CLI's usage for the program named prog: the name
// it was run as, as argparse does (a link named aws prints the AWS CLI's
// text exactly).
func usageText(prog string) string {
	return "usage: " + prog + " [options] <command> <subcommand> [<subcommand> ...] [parameters]\n" +
		"To see help text, you can run:\n" +
		"\n" +
		"  " + prog + " help\n" +
		"  " + prog + " <command> help\n" +
		"  " + prog + " <command> <subcommand> help\n"
}

// cliError is an error with the exit status and the exact text the AWS CLI
// prints for it.
type cliError struct {
	code int
	msg  string
	// usage errors are printed after the usage lines (argparse errors), or
	// after them with a blank line first (unknown options).
	usage   bool
	unknown bool
}

func (e *cliError) Error() string { return e.msg }

// usageErr is an argparse error: "eksauth: error: <msg>" after the usage.
func usageErr(format string, args ...any) *cliError {
	return &cliError{code: exitUsage, msg: fmt.Sprintf(format, args...), usage: true}
}

// paramErr is the AWS CLI's ParamError for one option.
func paramErr(option, msg string) *cliError {
	return &cliError{code: exitUsage, msg: fmt.Sprintf("Error parsing parameter '%s': %s", option, msg)}
}

// validationErr lists botocore-style parameter validation problems.
func validationErr(problems []string) *cliError {
	return &cliError{code: exitUsage, msg: "Parameter validation failed:\n" + strings.Join(problems, "\n")}
}

var (
	errNoRegion      = &cliError{code: exitConfig, msg: `You must specify a region. You can also configure your region by running "aws configure".`}
	errNoCredentials = &cliError{code: exitConfig, msg: `Unable to locate credentials. You can configure credentials by running "aws configure".`}
)

// report prints err as the AWS CLI would and returns the exit status.
func report(prog string, stdout, stderr io.Writer, err error) int {
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{code: exitGeneral, msg: err.Error()}
	}
	shown := *ce
	shown.msg = redactTokens(shown.msg)
	ce = &shown
	switch {
	case ce.code == exitInterrupt:
		// Ctrl-C: the AWS CLI only ends the current line.
		fmt.Fprint(stdout, "\n")
	case ce.unknown:
		fmt.Fprintf(stderr, "\n%s\n%s\n\n", usageText(prog), ce.msg)
	case ce.usage:
		fmt.Fprintf(stderr, "\n%s\n%s: error: %s\n\n", usageText(prog), prog, ce.msg)
	default:
		fmt.Fprintf(stderr, "\n%s\n", ce.msg)
	}
	return ce.code
}

// operationError turns an error of the client into the AWS CLI's report.
func operationError(err error, endpoint string) error {
	if errors.Is(err, context.Canceled) {
		return &cliError{code: exitInterrupt}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg := ae.ErrorCode(), ae.ErrorMessage()
		if code == "" {
			code = "Unknown"
		}
		var re *awshttp.ResponseError
		if code == "UnknownError" && errors.As(err, &re) && re.HTTPStatusCode() > 0 {
			// The client's stand-in for an answer without a code (a proxy,
			// a wrong endpoint): botocore names the status instead, and the
			// reason for a 5xx without a message.
			status := re.HTTPStatusCode()
			code = strconv.Itoa(status)
			if msg == "UnknownError" {
				msg = ""
				if status >= 500 {
					msg = http.StatusText(status)
				}
			}
		}
		return serviceErr(err, code, msg)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 300 && errors.As(err, new(*smithy.DeserializationError)) {
		// An error answer whose body is not JSON (a proxy's or load
		// balancer's HTML page): botocore names the status, with the
		// reason for a 5xx. For a 4xx it quotes the body, which the client
		// does not keep (it may echo anything): the reason stands in.
		status := re.HTTPStatusCode()
		return serviceErr(err, strconv.Itoa(status), http.StatusText(status))
	}
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ie x509.CertificateInvalidError
	if errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ie) {
		return &cliError{code: exitGeneral, msg: fmt.Sprintf("SSL validation failed for %s %v", endpoint, rootCause(err))}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return &cliError{code: exitGeneral, msg: fmt.Sprintf("Connect timeout on endpoint URL: %q", endpoint)}
		}
		return &cliError{code: exitGeneral, msg: fmt.Sprintf("Read timeout on endpoint URL: %q", endpoint)}
	}
	var oe *net.OpError
	var ue2 *url.Error
	if errors.As(err, &oe) || (errors.As(err, &ue2) && !errors.As(err, new(*smithy.DeserializationError))) {
		return &cliError{code: exitGeneral, msg: fmt.Sprintf("Could not connect to the endpoint URL: %q", endpoint)}
	}
	// Endpoint configuration errors (from AWS_ENDPOINT_URL*, the profile
	// or AWS_USE_FIPS_ENDPOINT) in botocore's words, without the Go
	// client's "operation error ..., failed to resolve service endpoint".
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "Failed to parse uri: "); ok {
		return &cliError{code: exitGeneral, msg: "Invalid endpoint: " + rest}
	}
	if i := strings.Index(msg, "Invalid Configuration: "); i >= 0 {
		return &cliError{code: exitGeneral, msg: msg[i:]}
	}
	return &cliError{code: exitGeneral, msg: msg}
}

// serviceErr is the AWS CLI's report of an error answer, exit status 254.
func serviceErr(err error, code, msg string) *cliError {
	op := "AssumeRoleForPodIdentity"
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) && me.Attempt > 1 {
		op += fmt.Sprintf(" operation (reached max retries: %d)", me.Attempt-1)
	} else {
		op += " operation"
	}
	return &cliError{code: exitService, msg: fmt.Sprintf("An error occurred (%s) when calling the %s: %s", code, op, msg)}
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
