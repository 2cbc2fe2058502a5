package deploy

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The binaries the image holds (see the Dockerfile) and the chart runs.
const (
	plainBinary = "/pod-identity-agent"         // no file capability: init, hybrid agent (root)
	capBinary   = "/nonroot/pod-identity-agent" // cap_net_bind_service: the non-root agent
)

type instruction struct{ cmd, args string }

// dockerfile reads the Dockerfile's instructions, continuation lines
// joined, comments dropped. (No Docker engine runs here: the image itself
// is not built; what the chart relies on in it is checked.)
func dockerfile() ([]instruction, error) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		return nil, err
	}
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		cont := strings.HasSuffix(trimmed, "\\")
		cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
		if cont {
			continue
		}
		if s := strings.TrimSpace(cur.String()); s != "" {
			cmd, args, _ := strings.Cut(s, " ")
			out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		}
		cur.Reset()
	}
	return out, nil
}

// dockerfileLdflags is the -ldflags of the Dockerfile's go build.
func dockerfileLdflags() (string, error) {
	ins, err := dockerfile()
	if err != nil {
		return "", err
	}
	re := regexp.MustCompile(`go build .*-ldflags "([^"]*)"`)
	for _, in := range ins {
		if m := re.FindStringSubmatch(in.args); in.cmd == "RUN" && m != nil {
			return m[1], nil
		}
	}
	return "", errors.New("Dockerfile: no go build -ldflags")
}

func TestDockerfile(t *testing.T) {
	ins, err := dockerfile()
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	final := stages[len(stages)-1]
	if base := strings.Fields(final[0].args)[0]; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("runtime base %s, want distroless static or scratch", base)
	}

	var build string
	for _, st := range stages[:len(stages)-1] {
		for _, in := range st {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				build = in.args
			}
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-X main.version=${VERSION}", "./pod-identity-agent", "setcap cap_net_bind_service=+ep /out" + capBinary} {
		if !strings.Contains(build, want) {
			t.Errorf("build step %q lacks %q", build, want)
		}
	}
	if _, err := os.Stat("../main.go"); err != nil {
		t.Errorf("the build's package is not beside deploy/: %v", err)
	}

	var dests []string
	var user, entry string
	for _, in := range final {
		switch in.cmd {
		case "COPY":
			f := strings.Fields(in.args)
			if !strings.HasPrefix(f[0], "--from=") {
				t.Errorf("runtime stage copies %q from the context, want only the build's output", in.args)
			}
			dests = append(dests, f[len(f)-1])
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		}
	}
	for _, bin := range []string{plainBinary, capBinary} {
		if !slices.Contains(dests, bin) {
			t.Errorf("the image has no %s (copies to %v), which the chart runs", bin, dests)
		}
	}
	if user != "65532:65532" {
		t.Errorf("USER %q, want distroless's nonroot 65532:65532", user)
	}
	if entry != `["`+capBinary+`"]` {
		t.Errorf("ENTRYPOINT %s, want the non-root agent", entry)
	}
}
