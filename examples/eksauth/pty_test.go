package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// openPTY returns a pseudo-terminal: what the test writes to tty the CLI
// reads from term, and the other way round.
func openPTY(t *testing.T) (tty, term *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// readAll collects what the CLI writes to the terminal.
func readAll(master *os.File) <-chan string {
	ch := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, master) // ends with EIO when the slave closes
		ch <- b.String()
	}()
	return ch
}

// TestPagerOnTerminal: on a terminal, the output goes through AWS_PAGER;
// --no-cli-pager and a pipe bypass it.
func TestPagerOnTerminal(t *testing.T) {
	sb, args := fixedSandbox(t)
	sb.set("AWS_PAGER", "sed 's/^/PAGED: /'")
	args = append(args, "--query", "audience", "--output", "text")

	master, slave := openPTY(t)
	out := readAll(master)
	var errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), slave, &errb, sb.environ())
	slave.Close()
	got := strings.ReplaceAll(<-out, "\r\n", "\n")
	if code != 0 || got != "PAGED: pods.eks.amazonaws.com\n" {
		t.Fatalf("exit %d, terminal got %q, stderr %q", code, got, errb.String())
	}

	master2, slave2 := openPTY(t)
	out2 := readAll(master2)
	code = run(context.Background(), append(args, "--no-cli-pager"), strings.NewReader(""), slave2, &errb, sb.environ())
	slave2.Close()
	if got := strings.ReplaceAll(<-out2, "\r\n", "\n"); code != 0 || got != "pods.eks.amazonaws.com\n" {
		t.Fatalf("--no-cli-pager: exit %d, terminal got %q", code, got)
	}

	r := sb.run("", args...)
	if r.stdout != "pods.eks.amazonaws.com\n" {
		t.Fatalf("to a pipe: got %q, want no pager", r.stdout)
	}
}

func TestPagerSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		env    map[string]string
		config string
		args   []string
		want   string
	}{
		"default":            {want: "less -R"},
		"PAGER":              {env: map[string]string{"PAGER": "more"}, want: "more"},
		"profile cli_pager":  {env: map[string]string{"PAGER": "more"}, config: "[default]\ncli_pager = most\n", want: "most"},
		"AWS_PAGER first":    {env: map[string]string{"AWS_PAGER": "cat", "PAGER": "more"}, config: "[default]\ncli_pager = most\n", want: "cat"},
		"AWS_PAGER empty":    {env: map[string]string{"AWS_PAGER": ""}, want: ""},
		"--no-cli-pager":     {args: []string{"--no-cli-pager"}, env: map[string]string{"AWS_PAGER": "cat"}, want: ""},
		"profile empty page": {config: "[default]\ncli_pager =\n", env: map[string]string{"PAGER": "more"}, want: ""},
	} {
		t.Run(name, func(t *testing.T) {
			sb := newSandbox(t)
			for k, v := range tc.env {
				sb.env[k] = v
			}
			if tc.config != "" {
				sb.set("AWS_CONFIG_FILE", sb.file("config", tc.config))
			}
			p, err := parseArgs(append([]string{"assume-role-for-pod-identity", "--cluster-name", "d", "--token", "a.b.c"}, tc.args...))
			if err != nil {
				t.Fatal(err)
			}
			s, err := resolveSettings(p, newEnv(sb.environ()))
			if err != nil {
				t.Fatal(err)
			}
			if s.pager != tc.want {
				t.Errorf("pager %q, want %q", s.pager, tc.want)
			}
		})
	}
}

// TestAutoPromptOnTerminal drives --cli-auto-prompt through a
// pseudo-terminal: it asks for each parameter not given and runs.
func TestAutoPromptOnTerminal(t *testing.T) {
	for name, tc := range map[string]struct {
		env     map[string]string
		args    []string
		answers func(token string) []string
		asked   []string
	}{
		"--cli-auto-prompt": {
			args:    []string{"--cli-auto-prompt"},
			answers: func(tok string) []string { return []string{"demo", tok, "", "", ""} },
			asked:   []string{"--cluster-name (required): ", "--token (required): ", "--eks-node-name: ", "--instance-id: ", "--zone: "},
		},
		"AWS_CLI_AUTO_PROMPT=on-partial": {
			env:     map[string]string{"AWS_CLI_AUTO_PROMPT": "on-partial"},
			args:    []string{"--cluster-name", "demo"},
			answers: func(tok string) []string { return []string{tok} },
			asked:   []string{"--token (required): "},
		},
	} {
		t.Run(name, func(t *testing.T) {
			sb := newSandbox(t)
			em := sb.emulator()
			for k, v := range tc.env {
				sb.set(k, v)
			}
			master, slave := openPTY(t)
			screen := make(chan string, 1)
			go func() {
				// Answer each question once it is on the screen.
				r := bufio.NewReader(master)
				var seen strings.Builder
				for _, a := range tc.answers(em.token) {
					for !strings.HasSuffix(seen.String(), ": ") {
						b, err := r.ReadByte()
						if err != nil {
							screen <- seen.String()
							return
						}
						seen.WriteByte(b)
					}
					if _, err := master.Write([]byte(a + "\n")); err != nil {
						break
					}
					// Skip the echo of the answer.
					for !strings.HasSuffix(seen.String(), "\n") {
						b, err := r.ReadByte()
						if err != nil {
							break
						}
						seen.WriteByte(b)
					}
				}
				screen <- seen.String()
			}()
			var out bytes.Buffer
			args := append([]string{"assume-role-for-pod-identity", "--endpoint-url", em.URL, "--query", "subject"}, tc.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := run(ctx, args, slave, &out, slave, sb.environ())
			seen := <-screen
			if code != 0 {
				t.Fatalf("exit %d, terminal:\n%s", code, seen)
			}
			var subject map[string]string
			if err := json.Unmarshal(out.Bytes(), &subject); err != nil || subject["serviceAccount"] != "app" {
				t.Fatalf("stdout %q (%v)", out.String(), err)
			}
			for _, q := range tc.asked {
				if !strings.Contains(seen, q) {
					t.Errorf("terminal never asked %q:\n%s", q, seen)
				}
			}
			if strings.Count(seen, ": ") != len(tc.asked) {
				t.Errorf("asked %d questions, want %d:\n%s", strings.Count(seen, ": "), len(tc.asked), seen)
			}
		})
	}
}

// TestAutoPromptNeedsTerminal: a mode set in the environment never waits
// for input when stdin is not a terminal; --no-cli-auto-prompt wins.
func TestAutoPromptNeedsTerminal(t *testing.T) {
	sb := newSandbox(t)
	sb.set("AWS_CLI_AUTO_PROMPT", "on")
	r := sb.run("demo\n", "assume-role-for-pod-identity", "--token", "a.b.c")
	if r.code != exitUsage || !strings.Contains(r.stderr, "required: --cluster-name") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	if got := promptMode([]string{"--cli-auto-prompt", "--no-cli-auto-prompt"}, env{}, nil, true); got != "off" {
		t.Errorf("mode %q, want off", got)
	}
	if got := promptMode(nil, env{}, map[string]string{"cli_auto_prompt": "on-partial"}, true); got != "on-partial" {
		t.Errorf("profile mode %q, want on-partial", got)
	}
}

// With --cli-auto-prompt, answers may also come from a pipe.
func TestAutoPromptFromStdin(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	r := sb.run("demo\n"+em.token+"\n\n\n\n", "assume-role-for-pod-identity", "--cli-auto-prompt", "--endpoint-url", em.URL, "--query", "audience", "--output", "text")
	if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, em.token) {
		t.Errorf("the token was echoed on stderr")
	}
}

// TestTableOnWideTerminal: on a terminal the table is as wide as its
// content allows (no vertical fallback at 400 columns) and coloured (auto).
// The golden file is the AWS CLI's output on a 400-column terminal.
func TestTableOnWideTerminal(t *testing.T) {
	sb, args := fixedSandbox(t)
	master, slave := openPTY(t)
	if err := pty.Setsize(slave, &pty.Winsize{Rows: 50, Cols: 400}); err != nil {
		t.Skip(err)
	}
	out := readAll(master)
	var errb bytes.Buffer
	code := run(context.Background(), append(args, "--output", "table", "--no-cli-pager"), strings.NewReader(""), slave, &errb, sb.environ())
	slave.Close()
	got := strings.ReplaceAll(<-out, "\r\n", "\n")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	checkGolden(t, "table-tty400.golden", got, "table")
}

// TestAutoPromptInterrupt: Ctrl-C at a question ends the run with 130.
func TestAutoPromptInterrupt(t *testing.T) {
	sb := newSandbox(t)
	_, slave := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"assume-role-for-pod-identity", "--cli-auto-prompt"}, slave, &out, io.Discard, sb.environ())
	}()
	cancel() // before or while it asks: either way the run must end with 130
	select {
	case code := <-done:
		if code != exitInterrupt {
			t.Fatalf("exit %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt did not give up after Ctrl-C")
	}
}
