package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// fixedServer answers every request with testdata/response.json, the body
// the *.golden files marked as aws-cli output were produced from.
func fixedServer(t *testing.T) *httptest.Server {
	t.Helper()
	body, err := os.ReadFile("testdata/response.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Requestid", "rid-1")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fixedSandbox(t *testing.T) (*sandbox, []string) {
	sb := newSandbox(t)
	srv := fixedServer(t)
	sb.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	sb.set("AWS_SECRET_ACCESS_KEY", "secretEXAMPLE")
	sb.set("AWS_REGION", "us-west-2")
	return sb, []string{"assume-role-for-pod-identity", "--endpoint-url", srv.URL, "--cluster-name", "demo", "--token", "x.y.z"}
}

// TestOutputGolden runs the CLI on a fixed response for every output
// format and several queries. The json, text and table files were written
// by aws-cli 1.45.11 (cli_timestamp_format = iso8601, the v2 default) from
// the same response; -update leaves them alone. The yaml files are ours.
func TestOutputGolden(t *testing.T) {
	queries := map[string]string{
		"":             "",
		"query-hash":   "{id: credentials.accessKeyId, exp: credentials.expiration, role: assumedRoleUser.arn}",
		"query-scalar": "credentials.accessKeyId",
		"query-list":   "[credentials.accessKeyId, audience]",
		// Unicode widths, escapes and YAML quoting; literals of every type.
		"query-unicode":  "{a: `[]`, b: `{}`, c: 'é中文', d: 'tab\\there', e: 'it\\'s: #1'}",
		"query-literals": "[`null`, `true`, `3`, to_number('1.5'), '', 'yes', '123']",
	}
	for _, format := range outputFormats {
		for prefix, q := range queries {
			name := format + ".golden"
			if prefix != "" {
				name = prefix + "." + name
			}
			t.Run(name, func(t *testing.T) {
				sb, args := fixedSandbox(t)
				args = append(args, "--output", format)
				if q != "" {
					args = append(args, "--query", q)
				}
				r := sb.run("", args...)
				if r.code != 0 || r.stderr != "" {
					t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
				}
				checkGolden(t, name, r.stdout, format)
			})
		}
	}
}

// checkGolden compares with a golden file; files written by the AWS CLI
// (json, text, table) are never rewritten.
func checkGolden(t *testing.T, name, got, format string) {
	t.Helper()
	if format == "yaml" || format == "yaml-stream" || strings.HasPrefix(name, "ours-") {
		golden(t, name, got)
		return
	}
	want, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s: differs from the AWS CLI's output\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestOutputDefaults(t *testing.T) {
	cases := map[string]struct {
		env         map[string]string
		config      string
		credentials string
		args        []string
		golden      string
		wantErr     string
		code        int // of wantErr; 255 if 0
	}{
		"AWS_DEFAULT_OUTPUT": {env: map[string]string{"AWS_DEFAULT_OUTPUT": "text"}, golden: "text.golden"},
		"profile output":     {config: "[default]\noutput = table\n", golden: "table.golden"},
		// --profile makes botocore ignore the environment's credentials.
		"named profile output": {config: "[profile ci]\noutput = text\n", credentials: "[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secretEXAMPLE\n",
			args: []string{"--profile", "ci"}, golden: "text.golden"},
		"named profile without credentials": {config: "[profile ci]\noutput = text\n", args: []string{"--profile", "ci"}, code: exitConfig,
			wantErr: "\nUnable to locate credentials. You can configure credentials by running \"aws configure\".\n"},
		"option beats environment":  {env: map[string]string{"AWS_DEFAULT_OUTPUT": "text"}, args: []string{"--output", "json"}, golden: "json.golden"},
		"environment beats profile": {env: map[string]string{"AWS_DEFAULT_OUTPUT": "text"}, config: "[default]\noutput = table\n", golden: "text.golden"},
		"bad output in environment": {env: map[string]string{"AWS_DEFAULT_OUTPUT": "xml"}, wantErr: "\nUnknown output type: xml\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sb, args := fixedSandbox(t)
			for k, v := range tc.env {
				sb.set(k, v)
			}
			if tc.config != "" {
				sb.set("AWS_CONFIG_FILE", sb.file("config", tc.config))
			}
			if tc.credentials != "" {
				sb.set("AWS_SHARED_CREDENTIALS_FILE", sb.file("credentials", tc.credentials))
			}
			r := sb.run("", append(args, tc.args...)...)
			if tc.wantErr != "" {
				code := tc.code
				if code == 0 {
					code = exitGeneral
				}
				if r.code != code || r.stderr != tc.wantErr {
					t.Fatalf("got exit %d stderr %q, want %d %q", r.code, r.stderr, code, tc.wantErr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			checkGolden(t, tc.golden, r.stdout, "")
		})
	}
}

func TestTableColor(t *testing.T) {
	for name, q := range map[string]string{"table-color.golden": "", "query-subject.table-color.golden": "subject"} {
		t.Run(name, func(t *testing.T) {
			sb, args := fixedSandbox(t)
			args = append(args, "--output", "table", "--color", "on")
			if q != "" {
				args = append(args, "--query", q)
			}
			r := sb.run("", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkGolden(t, name, r.stdout, "table")
		})
	}
	// --color auto on a pipe, and off, print no escape sequences.
	sb, args := fixedSandbox(t)
	for _, c := range []string{"auto", "off"} {
		r := sb.run("", append(args, "--output", "table", "--color", c)...)
		if r.code != 0 || strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("--color %s: exit %d, got escape sequences:\n%q", c, r.code, r.stdout)
		}
	}
}

func TestSkeletons(t *testing.T) {
	cases := []struct {
		args   []string
		golden string
	}{
		{[]string{"--generate-cli-skeleton"}, "ours-skeleton-input.golden"},
		{[]string{"--generate-cli-skeleton", "input"}, "ours-skeleton-input.golden"},
		{[]string{"--generate-cli-skeleton", "yaml-input"}, "ours-skeleton-yaml-input.golden"},
		{[]string{"--generate-cli-skeleton", "output", "--cluster-name", "demo", "--token", "x.y.z"}, "skeleton-output.json.golden"},
		{[]string{"--generate-cli-skeleton", "output", "--cluster-name", "demo", "--token", "x.y.z", "--output", "text"}, "skeleton-output.text.golden"},
		{[]string{"--generate-cli-skeleton", "output", "--cluster-name", "demo", "--token", "x.y.z", "--output", "table"}, "skeleton-output.table.golden"},
		{[]string{"--generate-cli-skeleton", "output", "--cluster-name", "demo", "--token", "x.y.z", "--output", "yaml"}, "ours-skeleton-output.yaml.golden"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			sb := newSandbox(t)
			sb.set("AWS_REGION", "us-west-2")
			// No credentials and no endpoint: nothing may be sent.
			r := sb.run("", append([]string{"assume-role-for-pod-identity"}, tc.args...)...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			checkGolden(t, tc.golden, r.stdout, "")
		})
	}
}

// TestSkeletonRoundTrip feeds the skeletons back through --cli-input-json
// and --cli-input-yaml, filled in.
func TestSkeletonRoundTrip(t *testing.T) {
	sb, args := fixedSandbox(t)
	base := args[:3] // command and --endpoint-url URL
	js := strings.Replace(strings.Replace(inputSkeleton(), `"clusterName": ""`, `"clusterName": "demo"`, 1), `"token": ""`, `"token": "x.y.z"`, 1)
	js = strings.NewReplacer(`    "eksNodeName": "",`+"\n", "", `    "instanceId": "",`+"\n", "", `,`+"\n"+`    "zone": ""`, "").Replace(js)
	ya := strings.Replace(strings.Replace(yamlInputSkeleton(), "clusterName: ''", "clusterName: demo", 1), "token: ''", "token: x.y.z", 1)
	ya = strings.NewReplacer("eksNodeName: '' #", "# eksNodeName:", "instanceId: '' #", "# instanceId:", "zone: '' #", "# zone:").Replace(ya)
	for name, extra := range map[string][]string{
		"json inline": {"--cli-input-json", js},
		"json file":   {"--cli-input-json", "file://" + sb.file("in.json", js)},
		"yaml inline": {"--cli-input-yaml", ya},
		"yaml file":   {"--cli-input-yaml", "file://" + sb.file("in.yaml", ya)},
	} {
		t.Run(name, func(t *testing.T) {
			r := sb.run("", append(append([]string{}, base...), append(extra, "--query", "audience", "--output", "text")...)...)
			if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestTimestampFormat: cli_timestamp_format = wire prints the epoch
// seconds the service sent, as the AWS CLI does.
func TestTimestampFormat(t *testing.T) {
	for format, want := range map[string]string{"iso8601": "2026-12-04T23:59:59+00:00\n", "wire": "1796428799\n"} {
		t.Run(format, func(t *testing.T) {
			sb, args := fixedSandbox(t)
			sb.set("AWS_CONFIG_FILE", sb.file("config", "[default]\ncli_timestamp_format = "+format+"\n"))
			r := sb.run("", append(args, "--query", "credentials.expiration", "--output", "text")...)
			if r.code != 0 || r.stdout != want {
				t.Fatalf("exit %d stdout %q stderr %q, want %q", r.code, r.stdout, r.stderr, want)
			}
		})
	}
}

// TestEmptyObjectNotPrinted: an empty object (an operation without output,
// or a query's) prints nothing in json, yaml and yaml-stream, as in the AWS
// CLI v2.
func TestEmptyObjectNotPrinted(t *testing.T) {
	for _, format := range []string{"json", "yaml", "yaml-stream"} {
		sb, args := fixedSandbox(t)
		r := sb.run("", append(args, "--output", format, "--query", "`{}`")...)
		if r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("%s: exit %d stdout %q stderr %q, want nothing", format, r.code, r.stdout, r.stderr)
		}
	}
}
