package main

import (
	"context"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status. It is the
// whole program, minus the process: tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	e := newEnv(environ)
	c := &command{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, env: e}
	if err := c.main(args); err != nil {
		return report(stdout, stderr, err)
	}
	return exitOK
}
