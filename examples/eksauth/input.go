package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

// params is the operation's input by API member name.
type params map[string]any

// members lists the input members in the API's order, with the doc line
// the yaml-input skeleton prints after each.
var members = []struct {
	name, doc string
	required  bool
}{
	{"clusterName", "The name of the cluster for the request.", true},
	{"token", "The token of the Kubernetes service account for the pod.", true},
	{"eksNodeName", "The name of the node the pod runs on.", false},
	{"instanceId", "The ID of the EC2 instance the pod runs on.", false},
	{"zone", "The Availability Zone the pod runs in.", false},
}

// readParamFile resolves the AWS CLI's file:// and fileb:// value syntax
// for text (--cli-input-json and --cli-input-yaml): the value is the
// content of the file, taken as is (a trailing newline is kept, as the AWS
// CLI keeps it).
func readParamFile(option, value string) (string, error) {
	var path string
	binary := false
	switch {
	case strings.HasPrefix(value, "fileb://"):
		path, binary = value[len("fileb://"):], true
	case strings.HasPrefix(value, "file://"):
		path = value[len("file://"):]
	default:
		return value, nil
	}
	path = expandUser(path)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", paramErr(option, fmt.Sprintf("Unable to load paramfile %s: %s", value, pyOSError(err, path)))
	}
	if !utf8.Valid(b) {
		if binary {
			// A string member cannot carry raw bytes; say so rather than
			// send mangled text.
			return "", paramErr(option, fmt.Sprintf("Unable to load paramfile %s: the contents are not UTF-8 text, which --%s requires", value, strings.TrimPrefix(option, "--")))
		}
		return "", paramErr(option, fmt.Sprintf("Unable to load paramfile (%s), text contents could not be decoded.  If this is a binary file, please use the fileb:// prefix instead of the file:// prefix.", path))
	}
	return string(b), nil
}

// memberValue resolves the value of an operation parameter: fileb://
// gives the file's bytes, which a string member refuses when validated, as
// botocore refuses them.
func memberValue(option, value string) (any, error) {
	if rest, ok := strings.CutPrefix(value, "fileb://"); ok {
		path := expandUser(rest)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, paramErr(option, fmt.Sprintf("Unable to load paramfile %s: %s", value, pyOSError(err, path)))
		}
		return b, nil
	}
	return readParamFile(option, value)
}

func expandUser(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// pyOSError words a file error as Python's OSError.
func pyOSError(err error, path string) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Sprintf("[Errno %d] %s: '%s'", int(errno), pyStrerror(errno), path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("[Errno 2] No such file or directory: '%s'", path)
	}
	return err.Error()
}

func pyStrerror(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// loadInput reads --cli-input-json or --cli-input-yaml (inline or file://)
// into params.
func loadInput(p *parsed) (params, error) {
	in := params{}
	var option, raw string
	var isYAML bool
	if p.has("cli-input-json") && p.has("cli-input-yaml") {
		// Checked when the input is read, not by the parser, as in the
		// AWS CLI v2.
		return nil, &cliError{code: exitUsage, msg: "Only one --cli-input- parameter may be specified."}
	}
	if v, ok := p.get("cli-input-json"); ok {
		option, raw = "cli-input-json", v
	} else if v, ok := p.get("cli-input-yaml"); ok {
		option, raw, isYAML = "cli-input-yaml", v, true
	} else {
		return in, nil
	}
	text, err := readParamFile("--"+option, raw)
	if err != nil {
		return nil, err
	}
	var data any
	if isYAML {
		// The input is not echoed back: it usually holds a token.
		if err := yaml.Unmarshal([]byte(text), &data); err != nil {
			return nil, paramErr(option, "Invalid YAML received.")
		}
		data = normalizeYAML(data)
	} else {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil {
			return nil, paramErr(option, "Invalid JSON received.")
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, paramErr(option, "Invalid JSON received.")
		}
	}
	m, ok := data.(map[string]any)
	if !ok {
		// This one error names the option with its dashes and the type as
		// Python's type() prints it.
		return nil, paramErr("--"+option, fmt.Sprintf("Invalid type: expecting map, received <class '%s'>", pyTypeName(data)))
	}
	for k, v := range m {
		in[k] = v
	}
	return in, nil
}

// buildParams merges the input file and the command line (which wins) and
// resolves file:// values.
func buildParams(p *parsed) (params, error) {
	in, err := loadInput(p)
	if err != nil {
		return nil, err
	}
	for _, o := range options {
		if o.member == "" {
			continue
		}
		v, ok := p.get(o.name)
		if !ok {
			continue
		}
		mv, err := memberValue("--"+o.name, v)
		if err != nil {
			return nil, err
		}
		in[o.member] = mv
	}
	return in, nil
}

// validate checks params as botocore does before a call: required members,
// unknown members, types, minimum lengths.
func (ps params) validate() error {
	var problems []string
	known := map[string]bool{}
	var names []string
	for _, m := range members {
		known[m.name] = true
		names = append(names, m.name)
		if _, ok := ps[m.name]; m.required && !ok {
			problems = append(problems, fmt.Sprintf("Missing required parameter in input: %q", m.name))
		}
	}
	var unknown []string
	for k := range ps {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		problems = append(problems, fmt.Sprintf("Unknown parameter in input: %q, must be one of: %s", k, strings.Join(names, ", ")))
	}
	for _, m := range members {
		v, ok := ps[m.name]
		if !ok {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			problems = append(problems, fmt.Sprintf("Invalid type for parameter %s, value: %s, type: <class '%s'>, valid types: <class 'str'>", m.name, pyRepr(v), pyTypeName(v)))
			continue
		}
		if s == "" && (m.name == "clusterName" || m.name == "token") {
			problems = append(problems, fmt.Sprintf("Invalid length for parameter %s, value: 0, valid min length: 1", m.name))
		}
	}
	if len(problems) > 0 {
		return validationErr(problems)
	}
	return nil
}

func (ps params) str(name string) *string {
	if s, ok := ps[name].(string); ok {
		return &s
	}
	return nil
}

func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "float"
		}
		return "int"
	case int, int64, uint64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case []byte: // YAML's !!binary
		return "bytes"
	}
	return fmt.Sprintf("%T", v)
}

func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case []any, map[string]any, []byte:
		// Containers and bytes may hold a token: name the type only.
		return "<" + pyTypeName(v) + ">"
	}
	return fmt.Sprint(v)
}

// inputSkeleton is what --generate-cli-skeleton input prints.
func inputSkeleton() string {
	o := newObject()
	for _, m := range members {
		o.set(m.name, "")
	}
	var b strings.Builder
	writeJSON(&b, o)
	return b.String()
}

// yamlInputSkeleton is what --generate-cli-skeleton yaml-input prints: each
// member with its documentation as an end-of-line comment. ruamel.yaml,
// which writes it for the AWS CLI, puts two spaces before the first comment
// of a mapping and one before the others.
func yamlInputSkeleton() string {
	var b strings.Builder
	for i, m := range members {
		sep := " # "
		if i == 0 {
			sep = "  # "
		}
		b.WriteString(m.name + ": ''" + sep)
		if m.required {
			b.WriteString("[REQUIRED] ")
		}
		b.WriteString(m.doc + "\n")
	}
	return b.String()
}

// outputSkeleton is the sample response --generate-cli-skeleton output
// formats: every string member holds its own name, the timestamp the epoch.
func outputSkeleton() *object {
	obj := func(names ...string) *object {
		o := newObject()
		for _, n := range names {
			o.set(n, n)
		}
		return o
	}
	o := newObject()
	o.set("subject", obj("namespace", "serviceAccount"))
	o.set("audience", "audience")
	o.set("podIdentityAssociation", obj("associationArn", "associationId"))
	o.set("assumedRoleUser", obj("arn", "assumeRoleId"))
	c := obj("sessionToken", "secretAccessKey", "accessKeyId")
	c.set("expiration", pyDatetime("1970-01-01T00:00:00"))
	o.set("credentials", c)
	return o
}

// normalizeYAML turns the maps the YAML decoder builds into
// map[string]any, so that YAML input validates like JSON input.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
	}
	return v
}
