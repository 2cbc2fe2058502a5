package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := runAs(ctx, filepath.Base(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status. It is the
// whole program, minus the process: tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	return runAs(ctx, "eksauth", args, stdin, stdout, stderr, environ)
}

// runAs is run for a program named prog, the name usage errors show.
func runAs(ctx context.Context, prog string, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	c := &command{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, env: newEnv(environ)}
	if err := c.main(args); err != nil {
		return report(prog, stdout, stderr, err)
	}
	return exitOK
}
