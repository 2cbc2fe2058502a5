package main

import (
	"context"
	"strings"
	"testing"
)

// usage is what the AWS CLI v2 prints before an argparse error.
const wantUsage = "\nusage: eksauth [options] <command> <subcommand> [<subcommand> ...] [parameters]\n" +
	"To see help text, you can run:\n\n" +
	"  eksauth help\n  eksauth <command> help\n  eksauth <command> <subcommand> help\n\n"

func TestUsageErrors(t *testing.T) {
	const op = "assume-role-for-pod-identity"
	cases := map[string]struct {
		args   []string
		code   int
		stderr string
	}{
		"missing both": {
			args: []string{op}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: the following arguments are required: --cluster-name, --token\n\n",
		},
		"missing token": {
			args: []string{op, "--cluster-name", "demo"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: the following arguments are required: --token\n\n",
		},
		"no command": {
			args: nil, code: exitUsage,
			stderr: wantUsage + "eksauth: error: the following arguments are required: command\n\n",
		},
		"unknown options": {
			args: []string{op, "--cluster-name", "demo", "--token", "a.b.c", "--foo", "bar"}, code: exitUsage,
			stderr: wantUsage + "Unknown options: --foo, bar\n\n",
		},
		// The AWS CLI echoes unknown arguments; a token among them must not
		// reach the terminal (or a CI log) whole.
		"unknown option with a token": {
			args: []string{op, "--cluster-name", "demo", "--token", "a.b.c", "--tokn", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}, code: exitUsage,
			stderr: wantUsage + "Unknown options: --tokn, eyJhbGciOiJSUzI1NiJ9.<redacted>\n\n",
		},
		"value missing": {
			args: []string{op, "--cluster-name"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: argument --cluster-name: expected one argument\n\n",
		},
		"bad output choice": {
			args: []string{op, "--output", "xml"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: argument --output: Invalid choice, valid choices are:\n\n" +
				"json                                     | text                                    \n" +
				"table                                    | yaml                                    \n" +
				"yaml-stream                             \n\n",
		},
		"bad color": {
			args: []string{op, "--color", "blue"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: argument --color: Invalid choice, valid choices are:\n\n" +
				"on                                       | off                                     \n" +
				"auto                                    \n\n",
		},
		"bad cli-binary-format": {
			args: []string{op, "--cli-binary-format", "hex"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: argument --cli-binary-format: Invalid choice, valid choices are:\n\n" +
				"base64                                   | raw-in-base64-out                       \n\n",
		},
		"json and yaml input together": {
			args: []string{op, "--cli-input-json", "{}", "--cli-input-yaml", "{}"}, code: exitUsage,
			stderr: "\nOnly one --cli-input- parameter may be specified.\n",
		},
		"ambiguous prefix": {
			args: []string{op, "--cli-input", "{}"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: ambiguous option: --cli-input could match --cli-input-json, --cli-input-yaml\n\n",
		},
		// The main parser takes a prefix of a global option first.
		"ambiguous global prefix": {
			args: []string{op, "--cli-", "x"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: ambiguous option: --cli- could match --cli-read-timeout, --cli-connect-timeout, --cli-binary-format, --cli-auto-prompt\n\n",
		},
		"global prefix wins": {
			args: []string{op, "--cli-input-json", "{}", "--cli-r", "x"}, code: exitGeneral,
			stderr: "\ninvalid literal for int() with base 10: 'x'\n",
		},
		"unknown operation of the service": {
			args: []string{"eks-auth", "frobnicate"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: argument operation: Invalid choice, valid choices are:\n\n" +
				"assume-role-for-pod-identity             | help                                    \n\n",
		},
		"flag with a value": {
			args: []string{op, "--debug=yes"}, code: exitUsage,
			stderr: wantUsage + "eksauth: error: argument --debug: ignored explicit argument 'yes'\n\n",
		},
		"timeout not an int": {
			args: []string{op, "--cluster-name", "demo", "--token", "a.b.c", "--cli-read-timeout", "x"}, code: exitGeneral,
			stderr: "\ninvalid literal for int() with base 10: 'x'\n",
		},
		"empty cluster name": {
			args: []string{op, "--cluster-name", "", "--token", "a.b.c", "--region", "us-west-2"}, code: exitUsage,
			stderr: "\nParameter validation failed:\nInvalid length for parameter clusterName, value: 0, valid min length: 1\n",
		},
		"missing token file": {
			args: []string{op, "--cluster-name", "demo", "--token", "file:///nonexistent/token"}, code: exitUsage,
			stderr: "\nError parsing parameter '--token': Unable to load paramfile file:///nonexistent/token: [Errno 2] No such file or directory: '/nonexistent/token'\n",
		},
		"input json not an object": {
			args: []string{op, "--cli-input-json", "[1]"}, code: exitUsage,
			stderr: "\nError parsing parameter '--cli-input-json': Invalid type: expecting map, received <class 'list'>\n",
		},
		"input json null": {
			args: []string{op, "--cli-input-json", "null"}, code: exitUsage,
			stderr: "\nError parsing parameter '--cli-input-json': Invalid type: expecting map, received <class 'NoneType'>\n",
		},
		"input json invalid": {
			args: []string{op, "--cli-input-json", `{"clusterName": "demo"} x`}, code: exitUsage,
			stderr: "\nError parsing parameter 'cli-input-json': Invalid JSON received.\n",
		},
		"input json missing members": {
			args: []string{op, "--cli-input-json", `{"zone": 5}`, "--region", "us-west-2"}, code: exitUsage,
			stderr: "\nParameter validation failed:\nMissing required parameter in input: \"clusterName\"\nMissing required parameter in input: \"token\"\n" +
				"Invalid type for parameter zone, value: 5, type: <class 'int'>, valid types: <class 'str'>\n",
		},
		"input yaml binary": {
			args: []string{op, "--cli-input-yaml", "clusterName: !!binary aGVsbG8=\ntoken: a.b.c\n", "--region", "us-west-2"}, code: exitUsage,
			stderr: "\nParameter validation failed:\nInvalid type for parameter clusterName, value: <bytes>, type: <class 'bytes'>, valid types: <class 'str'>\n",
		},
		"bad query": {
			args: []string{op, "--query", "a[", "--cluster-name", "demo", "--token", "a.b.c"}, code: exitUsage,
			stderr: "\nBad value for --query a[: Invalid jmespath expression: Incomplete expression:\n\"a[\"\n   ^\n",
		},

		"endpoint without scheme": {
			args: []string{op, "--endpoint-url", "localhost", "--cluster-name", "demo", "--token", "a.b.c"}, code: exitUsage,
			stderr: "\nBad value for --endpoint-url \"localhost\": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/\n",
		},
		// "localhost:1" has the scheme "localhost" for Python's urlsplit,
		// and no host.
		"endpoint without host": {
			args: []string{op, "--endpoint-url", "localhost:1", "--cluster-name", "demo", "--token", "a.b.c", "--region", "us-west-2"}, code: exitGeneral,
			stderr: "\nInvalid endpoint: localhost:1\n",
		},
		"endpoint with another scheme": {
			args: []string{op, "--endpoint-url", "ftp://localhost", "--cluster-name", "demo", "--token", "a.b.c", "--region", "us-west-2"}, code: exitGeneral,
			stderr: "\nAn HTTP Client raised an unhandled exception: Not supported URL scheme ftp\n",
		},
		"bad region": {
			args: []string{op, "--region", "us west", "--cluster-name", "demo", "--token", "a.b.c"}, code: exitGeneral,
			stderr: "\nProvided region_name 'us west' doesn't match a supported format.\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sb := newSandbox(t)
			r := sb.run("", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if r.stderr != tc.stderr {
				t.Errorf("stderr:\n%q\nwant:\n%q", r.stderr, tc.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	sb := newSandbox(t)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"help":             {[]string{"help"}, "eksauth\n"},
		"operation help":   {[]string{"assume-role-for-pod-identity", "help"}, "ASSUME-ROLE-FOR-POD-IDENTITY\n"},
		"service and help": {[]string{"eks-auth", "assume-role-for-pod-identity", "help"}, "ASSUME-ROLE-FOR-POD-IDENTITY\n"},
		"version":          {[]string{"--version"}, "eksauth-cli/"},
		"version anywhere": {[]string{"assume-role-for-pod-identity", "--version", "--cluster-name", "x"}, "eksauth-cli/"},
	} {
		t.Run(name, func(t *testing.T) {
			r := sb.run("", tc.args...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, tc.want) || r.stderr != "" {
				t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
	r := sb.run("", "--version")
	if f := strings.Fields(r.stdout); len(f) != 3 || !strings.HasPrefix(f[1], "Go/") || !strings.Contains(f[2], "/") {
		t.Errorf("version %q, want eksauth-cli/<v> Go/<v> <os>/<arch>", r.stdout)
	}
}

func TestParseArgsSyntax(t *testing.T) {
	cases := map[string][]string{
		"equals":          {"assume-role-for-pod-identity", "--cluster-name=demo", "--token=a.b.c"},
		"prefix":          {"assume-role-for-pod-identity", "--cluster=demo", "--tok", "a.b.c"},
		"options first":   {"--cluster-name", "demo", "--token", "a.b.c", "assume-role-for-pod-identity"},
		"last one wins":   {"assume-role-for-pod-identity", "--cluster-name", "other", "--cluster-name", "demo", "--token", "a.b.c"},
		"no-paginate":     {"assume-role-for-pod-identity", "--cluster-name", "demo", "--token", "a.b.c", "--no-paginate"},
		"skeleton output": {"assume-role-for-pod-identity", "--generate-cli-skeleton", "output", "--cluster-name", "demo", "--token", "a.b.c"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := parseArgs(args)
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := p.get("cluster-name"); v != "demo" {
				t.Errorf("cluster-name %q", v)
			}
			if v, _ := p.get("token"); v != "a.b.c" {
				t.Errorf("token %q", v)
			}
		})
	}
}

// TestUsageNamesTheProgram: run as "aws" (a link), the usage is the AWS
// CLI v2's, word for word.
func TestUsageNamesTheProgram(t *testing.T) {
	sb := newSandbox(t)
	var out, errb strings.Builder
	code := runAs(context.Background(), "aws", []string{"eks-auth", "assume-role-for-pod-identity", "--cluster-name", "demo"}, strings.NewReader(""), &out, &errb, sb.environ())
	want := "\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n" +
		"To see help text, you can run:\n\n" +
		"  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n\n" +
		"aws: error: the following arguments are required: --token\n\n"
	if code != exitUsage || errb.String() != want {
		t.Fatalf("exit %d stderr:\n%q\nwant:\n%q", code, errb.String(), want)
	}
}

// TestFileb: fileb:// gives bytes, which a string member refuses as
// botocore does (without printing them: they are usually the token).
func TestFileb(t *testing.T) {
	sb := newSandbox(t)
	tok := sb.file("token", "aaaa.bbbb.cccc")
	r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", "fileb://"+tok, "--region", "us-west-2")
	want := "\nParameter validation failed:\nInvalid type for parameter token, value: <bytes>, type: <class 'bytes'>, valid types: <class 'str'>\n"
	if r.code != exitUsage || r.stderr != want || r.stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q, want %d %q", r.code, r.stdout, r.stderr, exitUsage, want)
	}
}
