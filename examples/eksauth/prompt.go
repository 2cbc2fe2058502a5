package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
)

// Auto-prompt asks for the operation's parameters on the terminal, like
// the AWS CLI's --cli-auto-prompt (whose full-screen editor this replaces
// with one question a line):
//
//   - on: asks for every parameter not given on the command line;
//   - on-partial: runs the command as given and asks only when required
//     parameters are missing.
//
// The mode comes from --cli-auto-prompt / --no-cli-auto-prompt, then
// AWS_CLI_AUTO_PROMPT, then the profile's cli_auto_prompt; the default is
// off. A mode from the environment or the profile applies only when stdin
// is a terminal, so that scripts never wait for input.

func promptMode(args []string, e env, profileCfg map[string]string, stdinTTY bool) string {
	for _, a := range args {
		if a == "--no-cli-auto-prompt" {
			return "off"
		}
	}
	for _, a := range args {
		if a == "--cli-auto-prompt" {
			return "on"
		}
	}
	mode := cmp.Or(envVal(e, "AWS_CLI_AUTO_PROMPT"), profileCfg["cli_auto_prompt"], "off")
	if mode != "on" && mode != "on-partial" {
		return "off"
	}
	if !stdinTTY {
		return "off"
	}
	return mode
}

// prompter reads answers from in and asks on out.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

// ask asks for the given parameters and appends the answers to args. An
// empty answer leaves a parameter out. Ctrl-C (ctx done) while waiting for
// an answer ends the run with status 130, as in the AWS CLI's prompter.
func (pr *prompter) ask(ctx context.Context, args []string, names []string) ([]string, error) {
	for _, name := range names {
		o, _ := lookupOption(name)
		label := "--" + name
		if o != nil && o.required {
			label += " (required)"
		}
		fmt.Fprintf(pr.out, "%s: ", label)
		line, err := pr.readLine(ctx)
		if err != nil && line == "" {
			if err == io.EOF {
				fmt.Fprintln(pr.out)
				return args, nil
			}
			return nil, err
		}
		if v := strings.TrimRight(line, "\r\n"); v != "" {
			args = append(args, "--"+name, v)
		}
	}
	return args, nil
}

// readLine reads one answer, giving up when ctx is done. The read itself
// cannot be interrupted; it is left behind, and the process exits soon.
func (pr *prompter) readLine(ctx context.Context) (string, error) {
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := pr.in.ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case a := <-ch:
		return a.line, a.err
	case <-ctx.Done():
		fmt.Fprintln(pr.out)
		return "", &cliError{code: exitInterrupt}
	}
}

// paramNames lists the operation's parameters not present in args; with
// requiredOnly, the required ones only.
func paramNames(args []string, requiredOnly bool) []string {
	given := map[string]bool{}
	for _, a := range args {
		if strings.HasPrefix(a, "--") {
			name, _, _ := strings.Cut(a[2:], "=")
			if o, _ := lookupOption(name); o != nil {
				given[o.name] = true
			}
		}
	}
	var names []string
	for _, o := range options {
		if o.member == "" || given[o.name] || (requiredOnly && !o.required) {
			continue
		}
		names = append(names, o.name)
	}
	return names
}
