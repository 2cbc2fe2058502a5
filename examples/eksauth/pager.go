package main

import (
	"io"
	"os"
	"os/exec"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width of the terminal w, or 80 when w is not one
// (the table format's fallback in the AWS CLI).
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			return width
		}
	}
	return 80
}

// writeOutput sends out to stdout, through the pager when stdout is a
// terminal and a pager is configured, as the AWS CLI v2 does. The pager
// runs through the shell, with LESS=FRX unless LESS is set, so that less
// exits at once when the output fits on one screen.
func writeOutput(out string, stdout, stderr io.Writer, pager string, e env) error {
	if pager == "" || !isTerminal(stdout) {
		_, err := io.WriteString(stdout, out)
		return err
	}
	cmd := exec.Command("/bin/sh", "-c", pager)
	vars := e.list()
	if _, ok := e["LESS"]; !ok {
		vars = append(vars, "LESS=FRX")
	}
	cmd.Env = vars
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return pagerError(err)
	}
	if err := cmd.Start(); err != nil {
		return pagerError(err)
	}
	_, werr := io.WriteString(in, out)
	in.Close()
	// A pager that quits early (q in less) closes its input: not an error.
	_ = werr
	_ = cmd.Wait()
	return nil
}

func pagerError(err error) error {
	return &cliError{code: exitConfig, msg: "Unable to redirect output to pager. Received the following error when opening pager:\n" + err.Error() + "\n\nLearn more about configuring the output pager by running \"eksauth help\"."}
}
