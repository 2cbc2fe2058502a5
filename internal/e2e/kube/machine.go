package kube

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// The sysctls the kubelet, the CNI plugins or the box itself may write:
// each is put back as it was.
var watchedSysctls = []string{
	"vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops",
	"kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes",
	"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.all.route_localnet",
	"net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
}

// The host directories the cluster's parts write into whatever their own
// root directory: what appears there is removed. (The box's own files
// live in its temp dir.)
var watchedDirs = []string{
	"/var/lib/kubelet", "/var/log/pods", "/var/log/containers", "/var/lib/cni",
	"/run/containerd", "/run/netns", "/var/run/netns", "/etc/cni", "/opt/cni", "/opt/containerd",
	"/var/lib/containerd", "/etc/kubernetes", "/var/run/kubernetes", "/run/kubernetes", "/var/lib/etcd",
}

// watchedIPTables are the tables whose chains the kubelet may add.
var watchedIPTables = []string{"filter", "nat", "mangle"}

// Machine is what the box must leave as it found it: sysctls, mounts,
// network links, iptables chains, the files of the watched directories
// and the top cgroups of each hierarchy.
type Machine struct {
	Sysctls  map[string]string // name to value; absent: no such sysctl
	Mounts   []string          // mount points, sorted
	Links    []string          // link names of the host's network namespace, sorted
	Chains   []string          // table/chain of iptables and ip6tables, sorted
	Files    []string          // paths under watchedDirs, sorted (the dirs themselves too)
	Cgroups  []string          // /sys/fs/cgroup/<hierarchy>/<top> directories, sorted
	Dmesg    string            `json:"-"`
	Warnings []string          `json:"-"`
}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

// Snapshot records the machine's state.
func Snapshot() (*Machine, error) {
	m := &Machine{Sysctls: map[string]string{}}
	for _, s := range watchedSysctls {
		b, err := os.ReadFile(sysctlPath(s))
		if err == nil {
			m.Sysctls[s] = strings.TrimSpace(string(b))
		}
	}
	mounts, err := mountPoints()
	if err != nil {
		return nil, err
	}
	m.Mounts = mounts
	if m.Links, err = linkNames(); err != nil {
		return nil, err
	}
	m.Chains = iptablesChains()
	for _, d := range watchedDirs {
		_ = filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err == nil {
				m.Files = append(m.Files, p)
			}
			return nil
		})
	}
	sort.Strings(m.Files)
	hier, _ := os.ReadDir("/sys/fs/cgroup")
	for _, h := range hier {
		tops, _ := os.ReadDir(filepath.Join("/sys/fs/cgroup", h.Name()))
		for _, t := range tops {
			if t.IsDir() {
				m.Cgroups = append(m.Cgroups, filepath.Join("/sys/fs/cgroup", h.Name(), t.Name()))
			}
		}
	}
	sort.Strings(m.Cgroups)
	return m, nil
}

func mountPoints() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 {
			out = append(out, unescapeMount(fields[4]))
		}
	}
	sort.Strings(out)
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func linkNames() ([]string, error) {
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out, nil
}

func iptablesChains() []string {
	var out []string
	for _, bin := range []string{"iptables", "ip6tables"} {
		for _, table := range watchedIPTables {
			b, err := exec.Command(bin, "-w", "-t", table, "-S").Output()
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && (f[0] == "-N" || f[0] == "-P") {
					out = append(out, bin+"/"+table+"/"+f[1])
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Diff lists how now differs from m, one line per difference.
func (m *Machine) Diff(now *Machine) []string {
	var out []string
	for _, s := range watchedSysctls {
		if m.Sysctls[s] != now.Sysctls[s] {
			out = append(out, fmt.Sprintf("sysctl %s = %q, was %q", s, now.Sysctls[s], m.Sysctls[s]))
		}
	}
	diff := func(kind string, before, after []string) {
		for _, x := range after {
			if !slices.Contains(before, x) {
				out = append(out, kind+" added: "+x)
			}
		}
		for _, x := range before {
			if !slices.Contains(after, x) {
				out = append(out, kind+" gone: "+x)
			}
		}
	}
	diff("mount", m.Mounts, now.Mounts)
	diff("link", m.Links, now.Links)
	diff("iptables chain", m.Chains, now.Chains)
	diff("file", m.Files, now.Files)
	diff("cgroup", m.Cgroups, now.Cgroups)
	return out
}

// Restore puts back what the box changed, as far as it can, and returns
// what it could not. root is the box's own directory (its mounts go); the
// links it removes are those added since m whose names it gave or whose
// kind it creates (veths of pods, its bridge, pod-id-link0); cgroupRoot is
// the cgroup subtree of its pods, removed from every hierarchy.
func (m *Machine) Restore(root string, ownLinks []string, cgroupRoot string) []string {
	var problems []string
	now, err := Snapshot()
	if err != nil {
		return []string{err.Error()}
	}
	// Mounts: the newest first, so that nested ones go before their parent.
	for i := len(now.Mounts) - 1; i >= 0; i-- {
		mp := now.Mounts[i]
		if slices.Contains(m.Mounts, mp) || !ours(mp, root) {
			continue
		}
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			problems = append(problems, fmt.Sprintf("unmount %s: %v", mp, err))
		}
	}
	for _, l := range now.Links {
		if slices.Contains(m.Links, l) {
			continue
		}
		if slices.Contains(ownLinks, l) || strings.HasPrefix(l, "veth") {
			if out, err := exec.Command("ip", "link", "del", l).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("Cannot find")) {
				problems = append(problems, fmt.Sprintf("ip link del %s: %v: %s", l, err, bytes.TrimSpace(out)))
			}
		}
	}
	for _, c := range now.Chains {
		if slices.Contains(m.Chains, c) {
			continue
		}
		parts := strings.SplitN(c, "/", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "KUBE-") {
			continue
		}
		// Only chains the kubelet made: flush and delete them.
		_ = exec.Command(parts[0], "-w", "-t", parts[1], "-F", parts[2]).Run()
		if out, err := exec.Command(parts[0], "-w", "-t", parts[1], "-X", parts[2]).CombinedOutput(); err != nil {
			problems = append(problems, fmt.Sprintf("%s -t %s -X %s: %v: %s", parts[0], parts[1], parts[2], err, bytes.TrimSpace(out)))
		}
	}
	if cgroupRoot != "" {
		hier, _ := os.ReadDir("/sys/fs/cgroup")
		for _, h := range hier {
			removeCgroupTree(filepath.Join("/sys/fs/cgroup", h.Name(), cgroupRoot), &problems)
		}
	}
	for _, s := range watchedSysctls {
		was, ok := m.Sysctls[s]
		if ok && now.Sysctls[s] != was {
			if err := os.WriteFile(sysctlPath(s), []byte(was), 0o644); err != nil {
				problems = append(problems, fmt.Sprintf("sysctl %s=%s: %v", s, was, err))
			}
		}
	}
	// Files last, deepest first: what the kubelet and containerd wrote
	// outside their root directories.
	for i := len(now.Files) - 1; i >= 0; i-- {
		p := now.Files[i]
		if slices.Contains(m.Files, p) || !ours(p, root) {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if err := os.RemoveAll(p); err != nil {
				problems = append(problems, fmt.Sprintf("remove %s: %v", p, err))
			}
		}
	}
	if root != "" {
		if err := os.RemoveAll(root); err != nil {
			problems = append(problems, fmt.Sprintf("remove %s: %v", root, err))
		}
	}
	return problems
}

// removeCgroupTree removes a cgroup directory and its children, deepest
// first (a cgroup directory is removed with rmdir, never its files).
func removeCgroupTree(dir string, problems *[]string) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			removeCgroupTree(filepath.Join(dir, e.Name()), problems)
		}
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		*problems = append(*problems, fmt.Sprintf("rmdir %s: %v", dir, err))
	}
}

// ours reports whether a path that appeared during the run is the box's to
// remove: under its root or a watched directory, and, among network
// namespaces, one the CNI made (cni-…), so that others' stay.
func ours(p, root string) bool {
	if root != "" && (p == root || strings.HasPrefix(p, root+"/")) {
		return true
	}
	for _, d := range watchedDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			if d == "/run/netns" || d == "/var/run/netns" {
				return p == d || strings.HasPrefix(filepath.Base(p), "cni-")
			}
			return true
		}
	}
	return false
}
