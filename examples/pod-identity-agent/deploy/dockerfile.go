package deploy

import (
	"errors"
	"os"
	"regexp"
	"strings"
)

// The binaries the image holds (see the Dockerfile) and the chart runs.
const (
	PlainBinary = "/pod-identity-agent"         // no file capability: init, hybrid agent (root)
	CapBinary   = "/nonroot/pod-identity-agent" // cap_net_bind_service: the non-root agent
)

// Instruction is one instruction of a Dockerfile: its command, upper
// case, and its arguments, continuation lines joined.
type Instruction struct{ Cmd, Args string }

// ReadDockerfile reads the instructions of the Dockerfile at path,
// comments dropped, so that whatever builds the image another way (the
// one-node cluster test, which has no Docker engine) takes its facts from
// the file users build with.
func ReadDockerfile(path string) ([]Instruction, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Instruction
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
			out = append(out, Instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		}
		cur.Reset()
	}
	return out, nil
}

// DockerfileLdflags is the -ldflags of the go build among ins.
func DockerfileLdflags(ins []Instruction) (string, error) {
	re := regexp.MustCompile(`go build .*-ldflags "([^"]*)"`)
	for _, in := range ins {
		if m := re.FindStringSubmatch(in.Args); in.Cmd == "RUN" && m != nil {
			return m[1], nil
		}
	}
	return "", errors.New("Dockerfile: no go build -ldflags")
}
