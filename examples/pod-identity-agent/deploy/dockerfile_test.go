package deploy

import (
	"os"
	"slices"
	"strings"
	"testing"
)

const (
	plainBinary = PlainBinary
	capBinary   = CapBinary
)

func dockerfile() ([]Instruction, error) { return ReadDockerfile("Dockerfile") }

// dockerfileLdflags is the -ldflags of the Dockerfile's go build.
func dockerfileLdflags() (string, error) {
	ins, err := dockerfile()
	if err != nil {
		return "", err
	}
	return DockerfileLdflags(ins)
}

func TestDockerfile(t *testing.T) {
	ins, err := dockerfile()
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]Instruction
	for _, in := range ins {
		if in.Cmd == "FROM" {
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
	if base := strings.Fields(final[0].Args)[0]; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("runtime base %s, want distroless static or scratch", base)
	}

	var build string
	for _, st := range stages[:len(stages)-1] {
		for _, in := range st {
			if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
				build = in.Args
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
		switch in.Cmd {
		case "COPY":
			f := strings.Fields(in.Args)
			if !strings.HasPrefix(f[0], "--from=") {
				t.Errorf("runtime stage copies %q from the context, want only the build's output", in.Args)
			}
			dests = append(dests, f[len(f)-1])
		case "USER":
			user = in.Args
		case "ENTRYPOINT":
			entry = in.Args
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
