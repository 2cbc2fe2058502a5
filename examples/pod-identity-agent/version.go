package main

import (
	"runtime/debug"
	"strings"
)

// version is stamped at build time, as the Dockerfile does:
//
//	go build -ldflags "-X main.version=v1.2.3" ./examples/pod-identity-agent
//
// Left empty, versionString falls back to what the Go toolchain recorded.
var version string

// versionString is the agent's version: the stamped one, else the module
// version (go install ...@v1.2.3), else the VCS revision the binary was
// built from, else "devel".
func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionFromBuildInfo(bi)
}

func versionFromBuildInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := []string{"devel", rev}
	if modified == "true" {
		v = append(v, "dirty")
	}
	return strings.Join(v, "-")
}
