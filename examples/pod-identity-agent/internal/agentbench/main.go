// Command agentbench measures this agent side by side with the official EKS
// Pod Identity Agent (0.1.37, built from ../shared/peers/) on the same EKS
// Auth emulator, and prints one table:
//
//	go run ./examples/pod-identity-agent/internal/agentbench
//
// It needs root: it builds both agents (through the Go module proxy), then
// runs itself again in a network namespace of its own, where lo holds
// 169.254.170.23 (the official agent answers only that Host) and the pods'
// source addresses (10.1.0.0/16, one per pod: our agent limits new tokens
// per address). All traffic stays inside that namespace. The emulator and
// the pods' load run in this process; each agent is its own process, whose
// CPU time and memory are read from /proc.
//
// For each agent, in turn on the same address and port:
//
//   - cold fill: a fresh agent, then N pods ask for their credentials once,
//     all at once (the time until the last answer, the answers other than
//     200, the AssumeRoleForPodIdentity calls the emulator got), for 110
//     pods (a full node) and 2,000;
//   - cached: on that agent filled with 2,000 pods, requests at a fixed rate
//     (open loop: a late answer does not delay the next request, and its
//     latency counts from when it was due) across the pods, p50 and p99;
//     the agent's CPU time (utime+stime) over those requests;
//   - memory: VmHWM of a fresh agent filled with 2,000 pods a few at a time
//     (so that it measures the cache rather than a burst's connections),
//     and that minus its VmRSS before the first pod, per pod.
//
// Both agents run with their default settings and log to a file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// insideEnv marks the run inside the network namespace.
const insideEnv = "PODIDENTITY_AGENTBENCH_NETNS"

const (
	agentAddr = "169.254.170.23"
	cluster   = "bench"
	namespace = "team-a"
	saName    = "web"
	role      = "arn:aws:iam::111122223333:role/web"
)

type config struct {
	official, ours string   // agent binaries; built when empty
	small, large   int      // pods of the two cold fills
	rate           int      // cached requests per second
	requests       int      // cached requests
	ourFlags       []string // each: extra flags for another run of our agent, space-separated
	logs           string   // where the agents' logs go
	perf           bool     // record each agent with perf during the cached requests
	rounds         int      // of everything, agents in turn; the table has the medians
}

func main() {
	var c config
	flag.StringVar(&c.official, "official", "", "official agent `binary` (default: build it with ../shared/peers/build-official-agent.sh)")
	flag.StringVar(&c.ours, "ours", "", "our agent `binary` (default: go build ./examples/pod-identity-agent)")
	flag.IntVar(&c.small, "small", 110, "pods of the first cold fill")
	flag.IntVar(&c.large, "pods", 2000, "pods of the second cold fill, then asked for cached credentials")
	flag.IntVar(&c.rate, "rate", 1000, "cached requests per second")
	flag.IntVar(&c.requests, "requests", 20000, "cached requests")
	flag.Func("our-flags", "also run our agent with these `flags` (space-separated; NAME=value goes to its environment), in a column of its own; repeatable", func(v string) error {
		c.ourFlags = append(c.ourFlags, v)
		return nil
	})
	flag.StringVar(&c.logs, "logs", "", "`directory` for the agents' logs (default: a temporary one, removed)")
	flag.IntVar(&c.rounds, "rounds", 3, "`rounds` of the whole run, the agents in turn in each; the table shows each figure's median")
	flag.BoolVar(&c.perf, "perf", false, "record each agent with perf record -g during the cached requests, into -logs")
	flag.Parse()
	var err error
	if os.Getenv(insideEnv) == "1" {
		err = inside(c)
	} else {
		err = outside(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentbench:", err)
		os.Exit(1)
	}
}

// outside builds what is missing and runs the benchmark again in a new
// network namespace.
func outside(c config) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root, for a network namespace of its own and port 80 in it")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "agentbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if c.official == "" {
		c.official = filepath.Join(tmp, "official-agent")
		fmt.Fprintln(os.Stderr, "agentbench: building the official agent")
		if err := run(root, "bash", filepath.Join(root, "..", "shared", "peers", "build-official-agent.sh"), c.official); err != nil {
			return fmt.Errorf("build the official agent: %w", err)
		}
	}
	if c.ours == "" {
		c.ours = filepath.Join(tmp, "pod-identity-agent")
		fmt.Fprintln(os.Stderr, "agentbench: building ours")
		if err := run(filepath.Join(root, "examples"), "go", "build", "-o", c.ours, "./pod-identity-agent"); err != nil {
			return fmt.Errorf("build our agent: %w", err)
		}
	}
	if c.logs == "" {
		c.logs = filepath.Join(tmp, "logs")
	}
	if err := os.MkdirAll(c.logs, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{
		"-official", c.official, "-ours", c.ours, "-logs", c.logs,
		"-small", strconv.Itoa(c.small), "-pods", strconv.Itoa(c.large),
		"-rate", strconv.Itoa(c.rate), "-requests", strconv.Itoa(c.requests), "-perf=" + strconv.FormatBool(c.perf), "-rounds", strconv.Itoa(c.rounds),
	}
	for _, f := range c.ourFlags {
		args = append(args, "-our-flags", f)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), insideEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	return cmd.Run()
}

// repoRoot is the directory holding go.work and examples/, from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "examples", "pod-identity-agent")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it from the repository (no go.work with examples/pod-identity-agent above the working directory)")
		}
		dir = parent
	}
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// inside runs the benchmark in the new network namespace.
func inside(c config) error {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", agentAddr + "/32", "dev", "lo"},
		{"addr", "add", "10.1.0.0/16", "dev", "lo"}, // the pods' source addresses
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s (needs iproute2)", strings.Join(args, " "), err, out)
		}
	}
	srv := eksauthtest.NewServer()
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: cluster, Namespace: namespace, ServiceAccount: saName, RoleARN: role})
	fmt.Fprintf(os.Stderr, "agentbench: minting %d tokens\n", c.large)
	tokens := make([]string, max(c.small, c.large))
	for i := range tokens {
		tokens[i] = srv.Token(eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: saName, Name: fmt.Sprintf("web-%04d", i)}, 24*time.Hour)
	}
	pods := make([]*http.Client, len(tokens))
	for i := range pods {
		pods[i] = podClient(i)
	}

	agents := []*agentKind{officialAgent(c.official), ourAgent(c.ours, nil)}
	for _, f := range c.ourFlags {
		agents = append(agents, ourAgent(c.ours, strings.Fields(f)))
	}
	results := make([][]result, len(agents)) // by agent, by round
	for round := range max(c.rounds, 1) {
		for i, a := range agents {
			fmt.Fprintf(os.Stderr, "agentbench: round %d: %s\n", round+1, a.name)
			r, err := measure(c, a, srv, tokens, pods)
			if err != nil {
				return fmt.Errorf("%s: %w", a.name, err)
			}
			results[i] = append(results[i], r)
		}
	}
	printTable(os.Stdout, c, agents, results)
	return nil
}

// podClient is the HTTP client of pod i, whose connections come from its
// own address, as on a node.
func podClient(i int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: podAddr(i).AsSlice()}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 2, Proxy: nil},
		Timeout:   30 * time.Second,
	}
}

// podAddr is pod i's source address.
func podAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}) }

// agentKind says how to start an agent.
type agentKind struct {
	name string
	env  []string // added to the agent's environment
	cmd  func(endpoint string, srv *eksauthtest.Server) *exec.Cmd
}

func officialAgent(bin string) *agentKind {
	return &agentKind{name: "official 0.1.37", cmd: func(endpoint string, srv *eksauthtest.Server) *exec.Cmd {
		return exec.Command(bin, "server", "-c", cluster, "--endpoint", endpoint,
			"-b", agentAddr, "-p", "80", "--probe-port", "2713", "--metrics-port", "2715", "--metrics-address", "127.0.0.1")
	}}
}

// ourAgent runs our agent with extra flags; those of the form NAME=value
// (GOGC=50, say) are set in its environment instead.
func ourAgent(bin string, extra []string) *agentKind {
	name := "podidentity"
	if len(extra) > 0 {
		name += " " + strings.Join(extra, " ")
	}
	var env []string
	extra = slices.DeleteFunc(slices.Clone(extra), func(f string) bool {
		if !strings.HasPrefix(f, "-") && strings.Contains(f, "=") {
			env = append(env, f)
			return true
		}
		return false
	})
	return &agentKind{name: name, env: env, cmd: func(endpoint string, srv *eksauthtest.Server) *exec.Cmd {
		args := []string{"-cluster", cluster, "-endpoint", endpoint, "-region", srv.Region(), "-listen", agentAddr + ":80"}
		// Before the probe server of its own (h13), the agent had no
		// -probe-port; with it, keep it off the official agent's.
		if help, _ := exec.Command(bin, "-h").CombinedOutput(); strings.Contains(string(help), "-probe-port") {
			args = append(args, "-probe-port", "0")
		}
		return exec.Command(bin, append(args, extra...)...)
	}}
}

// result is what one agent measured.
type result struct {
	small, large fill
	cached       cachedRun
	hwmKB        int64 // VmHWM once the large number of pods is cached
	idleRSSKB    int64 // VmRSS before the first pod
}

type fill struct {
	pods   int
	took   time.Duration
	errors map[string]int // answer (status or transport error) → count, for other than 200
	calls  int
}

type cachedRun struct {
	requests int
	p50, p99 time.Duration
	errors   map[string]int
	cpu      time.Duration // the agent's utime+stime over the requests
}

func measure(c config, a *agentKind, srv *eksauthtest.Server, tokens []string, pods []*http.Client) (result, error) {
	var r result
	// Cold fills, each on a fresh agent.
	for _, f := range []struct {
		run string
		n   int
		out *fill
	}{{"small", c.small, &r.small}, {"large", c.large, &r.large}} {
		p, err := start(c, a, srv, f.run)
		if err != nil {
			return r, err
		}
		*f.out = coldFill(srv, tokens[:f.n], pods[:f.n])
		p.stop()
	}

	// Memory and cached answers, on another fresh agent filled a few pods
	// at a time over connections that do not stay open: what VmHWM then
	// gains is the cache, not a burst's goroutines and buffers.
	p, err := start(c, a, srv, "cached")
	if err != nil {
		return r, err
	}
	defer p.stop()
	if r.idleRSSKB, err = procStatus(p.pid(), "VmRSS"); err != nil {
		return r, err
	}
	if err := warm(tokens[:c.large]); err != nil {
		return r, err
	}
	if r.hwmKB, err = procStatus(p.pid(), "VmHWM"); err != nil {
		return r, err
	}
	cpu0, err := procCPU(p.pid())
	if err != nil {
		return r, err
	}
	if c.perf {
		rec := exec.Command("perf", "record", "-g", "-F", "499", "-p", strconv.Itoa(p.pid()), "-o", filepath.Join(c.logs, strings.NewReplacer(" ", "_", "/", "_", "=", "_").Replace(a.name)+".perf.data"))
		if err := rec.Start(); err != nil {
			return r, fmt.Errorf("perf: %w", err)
		}
		defer func() { _ = rec.Process.Signal(syscall.SIGINT); _ = rec.Wait() }()
	}
	r.cached = cached(tokens[:c.large], pods[:c.large], c.rate, c.requests)
	cpu1, err := procCPU(p.pid())
	if err != nil {
		return r, err
	}
	r.cached.cpu = cpu1 - cpu0
	return r, nil
}

// warm has every pod ask until it is answered, 16 at a time, each request
// on a connection of its own.
func warm(tokens []string) error {
	var (
		wg   sync.WaitGroup
		next = make(chan int)
		mu   sync.Mutex
		bad  []string
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				client := &http.Client{Transport: &http.Transport{
					DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: podAddr(i).AsSlice()}}).DialContext,
					DisableKeepAlives: true,
				}, Timeout: 30 * time.Second}
				answer := ""
				for range 5 {
					if answer = get(context.Background(), client, tokens[i]); answer == "200" {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				if answer != "200" {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("pod %d: %s", i, answer))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range tokens {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(bad) > 0 {
		return fmt.Errorf("%d pods not served while warming, e.g. %s", len(bad), bad[0])
	}
	return nil
}

// process is a running agent.
type process struct {
	cmd  *exec.Cmd
	done chan error
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// start starts a fresh agent and waits until it accepts connections.
func start(c config, a *agentKind, srv *eksauthtest.Server, run string) (*process, error) {
	cmd := a.cmd(srv.URL, srv)
	node := srv.NodeCredentials()
	home := filepath.Join(c.logs, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_REGION=" + srv.Region(),
		"AWS_ACCESS_KEY_ID=" + node.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + node.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + node.SessionToken,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
	cmd.Env = append(cmd.Env, a.env...)
	name := strings.NewReplacer(" ", "_", "/", "_", "=", "_").Replace(a.name)
	log, err := os.Create(filepath.Join(c.logs, name+"-"+run+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); log.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", agentAddr+":80", time.Second)
		if err == nil {
			conn.Close()
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("exited before listening (%v); see %s", err, log.Name())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("not listening on %s:80 after 30s; see %s", agentAddr, log.Name())
		}
	}
}

// get asks the agent for a pod's credentials and returns "200" or what
// went wrong.
func get(ctx context.Context, client *http.Client, token string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+agentAddr+"/v1/credentials", nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Authorization", token)
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "transport error"
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return strconv.Itoa(resp.StatusCode)
}

// coldFill has every pod ask once, all at once.
func coldFill(srv *eksauthtest.Server, tokens []string, pods []*http.Client) fill {
	srv.ResetRequests()
	f := fill{pods: len(tokens), errors: map[string]int{}}
	answers := make([]string, len(tokens))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			answers[i] = get(context.Background(), pods[i], tokens[i])
		}()
	}
	time.Sleep(50 * time.Millisecond) // every pod at the gate
	start := time.Now()
	close(gate)
	wg.Wait()
	f.took = time.Since(start)
	for _, a := range answers {
		if a != "200" {
			f.errors[a]++
		}
	}
	time.Sleep(200 * time.Millisecond) // calls an agent makes after answering, if any
	f.calls = countCalls(srv)
	return f
}

func countCalls(srv *eksauthtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/assume-role-for-pod-identity") {
			n++
		}
	}
	return n
}

// cached sends n requests at rate per second, round robin over the pods,
// each due at its own time; latency counts from then.
func cached(tokens []string, pods []*http.Client, rate, n int) cachedRun {
	run := cachedRun{requests: n, errors: map[string]int{}}
	lat := make([]time.Duration, n)
	answers := make([]string, n)
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod := i % len(tokens)
			answers[i] = get(context.Background(), pods[pod], tokens[pod])
			lat[i] = time.Since(due)
		}()
	}
	wg.Wait()
	for _, a := range answers {
		if a != "200" {
			run.errors[a]++
		}
	}
	slices.Sort(lat)
	run.p50 = lat[n/2]
	run.p99 = lat[n*99/100]
	return run
}

// procCPU is a process's utime+stime, from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(rest) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too short", pid)
	}
	var ticks int64
	for _, f := range rest[11:13] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %v", pid, err)
		}
		ticks += v
	}
	const clkTck = 100 // USER_HZ, 100 on Linux
	return time.Duration(ticks) * time.Second / clkTck, nil
}

// procStatus reads a kB field (VmRSS, VmHWM) of /proc/PID/status.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

func printTable(w io.Writer, c config, agents []*agentKind, rs [][]result) {
	fmt.Fprintf(w, "median of %d rounds; errors: answers other than 200 (all rounds, by answer)\n", len(rs[0]))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	// row prints a figure's median over the rounds, of each agent, and
	// ours over the official's.
	row := func(label, unit string, f func(result) float64, format func(float64) string) {
		fmt.Fprint(tw, label, "\t")
		var med []float64
		for _, runs := range rs {
			v := make([]float64, len(runs))
			for i, r := range runs {
				v[i] = f(r)
			}
			slices.Sort(v)
			m := v[len(v)/2]
			med = append(med, m)
			fmt.Fprint(tw, format(m)+unit, "\t")
		}
		for _, m := range med[1:] {
			if med[0] != 0 {
				fmt.Fprintf(tw, "%.2f×\t", m/med[0])
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	errRow := func(label string, f func(result) map[string]int) {
		fmt.Fprint(tw, label, "\t")
		for _, runs := range rs {
			all := map[string]int{}
			var totals []int
			for _, r := range runs {
				n := 0
				for k, v := range f(r) {
					all[k] += v
					n += v
				}
				totals = append(totals, n)
			}
			slices.Sort(totals)
			fmt.Fprint(tw, fmt.Sprintf("%d", totals[len(totals)/2])+errorsText(all), "\t")
		}
		fmt.Fprintln(tw, strings.Repeat("\t", len(rs)-1))
	}
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	fmt.Fprint(tw, "\t")
	for _, a := range agents {
		fmt.Fprint(tw, a.name, "\t")
	}
	for range agents[1:] {
		fmt.Fprint(tw, "ratio\t")
	}
	fmt.Fprintln(tw)
	for _, which := range []struct {
		name string
		f    func(result) fill
	}{{fmt.Sprintf("cold fill, %d pods", c.small), func(r result) fill { return r.small }}, {fmt.Sprintf("cold fill, %d pods", c.large), func(r result) fill { return r.large }}} {
		row(which.name+": time", " ms", func(r result) float64 { return float64(which.f(r).took.Milliseconds()) }, ms)
		errRow(which.name+": errors", func(r result) map[string]int { return which.f(r).errors })
		row(which.name+": EKS Auth calls", "", func(r result) float64 { return float64(which.f(r).calls) }, ms)
	}
	label := fmt.Sprintf("cached, %d/s over %d pods", c.rate, c.large)
	us := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	row(label+": p50", " µs", func(r result) float64 { return float64(r.cached.p50.Microseconds()) }, us)
	row(label+": p99", " µs", func(r result) float64 { return float64(r.cached.p99.Microseconds()) }, us)
	errRow(label+": errors", func(r result) map[string]int { return r.cached.errors })
	row("agent CPU per 10,000 cached requests", " s", func(r result) float64 {
		return r.cached.cpu.Seconds() * 10000 / float64(r.cached.requests)
	}, func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) })
	row(fmt.Sprintf("VmHWM, %d pods cached", c.large), " MiB", func(r result) float64 { return float64(r.hwmKB) / 1024 }, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) })
	row("memory per cached pod (VmHWM - idle VmRSS)", " KB", func(r result) float64 {
		return float64(r.hwmKB-r.idleRSSKB) * 1024 / 1000 / float64(c.large)
	}, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) })
	tw.Flush()
}

// errorsText is " (N×answer, ...)", or "" for none.
func errorsText(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%d×%s", v, k))
	}
	slices.Sort(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}
