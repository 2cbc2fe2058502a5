package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The command line is parsed the way the AWS CLI's argparse parsers do it:
// "--name value" or "--name=value", unique prefixes of option names,
// options and the command in any order, the last occurrence winning.

type optKind int

const (
	optFlag     optKind = iota // store_true
	optValue                   // one value
	optOptional                // nargs='?' with a constant
)

type option struct {
	name     string
	kind     optKind
	global   bool     // parsed by the main parser in the AWS CLI
	choices  []string // allowed values, if any
	isInt    bool
	required bool
	member   string // the API member of an operation parameter
	constVal string // the value of an optOptional given without one
}

// options lists the operation's parameters first (their order is the order
// of the "required" error), then the global options.
var options = []option{
	{name: "cluster-name", kind: optValue, required: true, member: "clusterName"},
	{name: "token", kind: optValue, required: true, member: "token"},
	{name: "eks-node-name", kind: optValue, member: "eksNodeName"},
	{name: "instance-id", kind: optValue, member: "instanceId"},
	{name: "zone", kind: optValue, member: "zone"},
	{name: "cli-input-json", kind: optValue},
	{name: "cli-input-yaml", kind: optValue},
	{name: "generate-cli-skeleton", kind: optOptional, choices: []string{"input", "output", "yaml-input"}, constVal: "input"},
	{name: "debug", kind: optFlag, global: true},
	{name: "endpoint-url", kind: optValue, global: true},
	{name: "no-verify-ssl", kind: optFlag, global: true},
	{name: "no-paginate", kind: optFlag, global: true},
	{name: "output", kind: optValue, global: true, choices: outputFormats},
	{name: "query", kind: optValue, global: true},
	{name: "profile", kind: optValue, global: true},
	{name: "region", kind: optValue, global: true},
	{name: "version", kind: optFlag, global: true},
	{name: "color", kind: optValue, global: true, choices: []string{"on", "off", "auto"}},
	{name: "no-sign-request", kind: optFlag, global: true},
	{name: "ca-bundle", kind: optValue, global: true},
	{name: "cli-read-timeout", kind: optValue, global: true, isInt: true},
	{name: "cli-connect-timeout", kind: optValue, global: true, isInt: true},
	{name: "cli-binary-format", kind: optValue, global: true, choices: []string{"base64", "raw-in-base64-out"}},
	{name: "no-cli-pager", kind: optFlag, global: true},
	{name: "cli-auto-prompt", kind: optFlag, global: true},
	{name: "no-cli-auto-prompt", kind: optFlag, global: true},
}

var outputFormats = []string{"json", "text", "table", "yaml", "yaml-stream"}

const (
	serviceName   = "eks-auth"
	operationName = "assume-role-for-pod-identity"
	apiOperation  = "AssumeRoleForPodIdentity"
)

// parsed is the command line after parsing.
type parsed struct {
	command string // operationName, or "" when none was given
	help    bool   // "help" was asked for
	version bool
	values  map[string]string // option name -> value ("" for flags)
	unknown []string          // what neither parser recognised
}

func (p *parsed) has(name string) bool { _, ok := p.values[name]; return ok }

func (p *parsed) get(name string) (string, bool) {
	v, ok := p.values[name]
	return v, ok
}

// lookupOption finds the option name abbreviates. The AWS CLI parses in
// two passes: the main parser, which knows only the global options, takes a
// prefix of one of them (or reports it ambiguous among them) before the
// operation's parser sees what is left.
func lookupOption(name string) (*option, error) {
	for i := range options {
		if options[i].name == name {
			return &options[i], nil
		}
	}
	for _, global := range []bool{true, false} {
		var matches []*option
		for i := range options {
			o := &options[i]
			if o.global == global && strings.HasPrefix(o.name, name) {
				matches = append(matches, o)
			}
		}
		switch len(matches) {
		case 0:
			continue
		case 1:
			return matches[0], nil
		}
		names := make([]string, len(matches))
		for i, m := range matches {
			names[i] = "--" + m.name
		}
		return nil, usageErr("ambiguous option: --%s could match %s", name, strings.Join(names, ", "))
	}
	return nil, nil
}

// looksLikeOption is argparse's test for an argument that cannot be a value:
// it starts with "-", is not a negative number and holds no space (so that
// an inline YAML document starting with "---" is a value).
func looksLikeOption(s string) bool {
	if !strings.HasPrefix(s, "-") || s == "-" || strings.Contains(s, " ") {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err != nil
}

// parseArgs parses args. Errors of the main parser (global options, the
// command) come before errors of the operation's parser, as in the AWS CLI.
func parseArgs(args []string) (*parsed, error) {
	p := &parsed{values: map[string]string{}}
	var globalErr, opErr error
	fail := func(o *option, err error) {
		if o != nil && o.global {
			if globalErr == nil {
				globalErr = err
			}
		} else if opErr == nil {
			opErr = err
		}
	}
	var positionals []string
	sawCommand := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positionals = append(positionals, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "--") || len(a) == 2 {
			if looksLikeOption(a) {
				p.unknown = append(p.unknown, a)
			} else {
				positionals = append(positionals, a)
				sawCommand = sawCommand || a == operationName
			}
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		o, err := lookupOption(name)
		if err != nil {
			fail(nil, err)
			continue
		}
		if o == nil {
			p.unknown = append(p.unknown, a)
			continue
		}
		switch o.kind {
		case optFlag:
			if hasVal {
				fail(o, usageErr("argument --%s: ignored explicit argument '%s'", o.name, val))
				continue
			}
			if o.name == "version" && globalErr == nil {
				p.version = true
				return p, nil
			}
			p.values[o.name] = ""
			continue
		case optOptional:
			if !hasVal {
				val = o.constVal
				if i+1 < len(args) && !looksLikeOption(args[i+1]) && (sawCommand || slices.Contains(o.choices, args[i+1])) {
					i++
					val = args[i]
				}
			}
		case optValue:
			if !hasVal {
				if i+1 >= len(args) || looksLikeOption(args[i+1]) {
					fail(o, usageErr("argument --%s: expected one argument", o.name))
					continue
				}
				i++
				val = args[i]
			}
		}
		if len(o.choices) > 0 && !slices.Contains(o.choices, val) {
			fail(o, usageErr("argument --%s: %s", o.name, invalidChoice(o.choices)))
			continue
		}
		if o.isInt {
			// Converted after parsing, as Python's int(): a general error.
			if _, err := strconv.Atoi(strings.TrimSpace(val)); err != nil {
				fail(o, &cliError{code: exitGeneral, msg: fmt.Sprintf("invalid literal for int() with base 10: '%s'", val)})
				continue
			}
		}
		p.values[o.name] = val
	}
	// The command: "assume-role-for-pod-identity", optionally after the
	// service name so that `eksauth eks-auth assume-role-for-pod-identity`
	// reads like the aws command it replaces.
	afterService := false
	if len(positionals) > 0 && positionals[0] == serviceName {
		positionals = positionals[1:]
		afterService = true
		if len(positionals) == 0 && globalErr == nil {
			globalErr = usageErr("the following arguments are required: operation")
		}
	}
	if globalErr != nil {
		return nil, globalErr
	}
	if len(positionals) == 0 {
		return nil, usageErr("the following arguments are required: command")
	}
	switch positionals[0] {
	case "help":
		p.help = true
		return p, nil
	case operationName:
		p.command = operationName
	default:
		if afterService {
			// The service's parser: its operations and help.
			return nil, usageErr("argument operation: %s", invalidChoice([]string{operationName, "help"}))
		}
		return nil, usageErr("argument command: %s", invalidChoice([]string{operationName, serviceName, "help"}))
	}
	rest := positionals[1:]
	if len(rest) > 0 && rest[0] == "help" {
		p.help = true
		return p, nil
	}
	if opErr != nil {
		return nil, opErr
	}
	if missing := p.missingRequired(); len(missing) > 0 {
		return nil, usageErr("the following arguments are required: %s", strings.Join(missing, ", "))
	}
	p.unknown = append(p.unknown, rest...)
	if len(p.unknown) > 0 {
		return nil, &cliError{code: exitUsage, msg: "Unknown options: " + strings.Join(p.unknown, ", "), unknown: true}
	}
	return p, nil
}

// missingRequired lists the required parameters not given. Reading the
// input from --cli-input-json/--cli-input-yaml, or printing an input
// skeleton, makes them optional, as in the AWS CLI.
func (p *parsed) missingRequired() []string {
	if p.has("cli-input-json") || p.has("cli-input-yaml") {
		return nil
	}
	if s, ok := p.get("generate-cli-skeleton"); ok && s != "output" {
		return nil
	}
	var missing []string
	for _, o := range options {
		if o.required && !p.has(o.name) {
			missing = append(missing, "--"+o.name)
		}
	}
	return missing
}

// invalidChoice is the AWS CLI's message for a value outside the choices:
// two choices a line, each padded to 40 columns.
func invalidChoice(choices []string) string {
	msg := []string{"Invalid choice, valid choices are:\n"}
	for i := 0; i < len(choices); i += 2 {
		var cur []string
		for _, c := range choices[i:min(i+2, len(choices))] {
			cur = append(cur, fmt.Sprintf("%-40s", c))
		}
		msg = append(msg, strings.Join(cur, " | "))
	}
	return strings.Join(msg, "\n")
}
