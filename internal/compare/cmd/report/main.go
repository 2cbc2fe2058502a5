// Command report measures podidentity against the official EKS Auth client
// and prints one markdown table: the benchmarks of internal/compare (medians
// over -count interleaved rounds), the size of two equivalent minimal
// programs, and their cold start against the eksauthtest emulator.
//
// Run it from the repository root:
//
//	go run ./internal/compare/cmd/report
//
// With -profile, it also profiles one call of our client (CPU and
// allocations) and prints the top functions, for when a target is missed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

const module = "github.com/podidentity/podidentity/internal/compare"

func main() {
	var (
		count     = flag.Int("count", 6, "benchmark rounds; each figure is the median of the rounds")
		benchtime = flag.String("benchtime", "400ms", "-test.benchtime of each benchmark in each round")
		bench     = flag.String("bench", ".", "-test.bench: which benchmarks to run")
		runs      = flag.Int("runs", 15, "cold-start runs of each program; the figure is the median")
		raw       = flag.String("raw", "", "if set, write the raw benchmark output to this file (benchstat input)")
		profile   = flag.Bool("profile", false, "also profile BenchmarkCall/ours and print the top CPU and allocation sites")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("report: ")
	if *count < 1 || *runs < 1 {
		log.Fatal("-count and -runs must be positive")
	}

	dir, err := moduleDir()
	if err != nil {
		log.Fatal(err)
	}
	work, err := os.MkdirTemp("", "podidentity-report-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	r := &report{dir: dir, work: work}
	if err := r.benchmarks(*count, *benchtime, *bench, *raw); err != nil {
		log.Fatal(err)
	}
	if err := r.sizes(); err != nil {
		log.Fatal(err)
	}
	if err := r.coldStart(*runs); err != nil {
		log.Fatal(err)
	}
	r.print(os.Stdout, *count, *benchtime, *runs)
	if *profile {
		if err := r.profile(os.Stdout); err != nil {
			log.Fatal(err)
		}
	}
}

type report struct {
	dir, work string
	testBin   string
	// samples[benchmark][unit] are the values of each round.
	samples map[string]map[string][]float64
	// size[program][flags] in bytes.
	size map[string]map[string]int64
	// cold[program] is the median start-to-credentials time.
	cold map[string]time.Duration
}

// moduleDir finds internal/compare through the go command, so the report
// runs from anywhere in the workspace.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("locate %s (run from the repository root): %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func run(dir string, stdout io.Writer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// benchmarks builds the test binary once and runs it count times, so that
// the rounds of ours, the official client and the floor interleave and a
// drift of the machine's load hits all of them alike.
func (r *report) benchmarks(count int, benchtime, bench, raw string) error {
	r.testBin = filepath.Join(r.work, "compare.test")
	log.Printf("building the benchmarks")
	if err := run(r.dir, os.Stderr, "go", "test", "-c", "-o", r.testBin, "."); err != nil {
		return err
	}
	var all bytes.Buffer
	for i := range count {
		log.Printf("benchmark round %d/%d", i+1, count)
		var out bytes.Buffer
		err := run(r.dir, &out, r.testBin, "-test.run", "^$", "-test.bench", bench,
			"-test.benchmem", "-test.benchtime", benchtime, "-test.count", "1")
		all.Write(out.Bytes())
		if err != nil {
			os.Stderr.Write(out.Bytes())
			return err
		}
	}
	if raw != "" {
		if err := os.WriteFile(raw, all.Bytes(), 0o644); err != nil {
			return err
		}
	}
	r.samples = parseBench(all.Bytes())
	if len(r.samples) == 0 {
		return errors.New("no benchmark results")
	}
	return nil
}

// parseBench reads the standard benchmark format:
// BenchmarkName-P  N  v1 unit1  v2 unit2 ...
func parseBench(out []byte) map[string]map[string][]float64 {
	samples := make(map[string]map[string][]float64)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if samples[name] == nil {
			samples[name] = make(map[string][]float64)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			samples[name][f[i+1]] = append(samples[name][f[i+1]], v)
		}
	}
	return samples
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func (r *report) med(name, unit string) float64 { return median(r.samples[name][unit]) }

// buildFlags are the two builds of each program: the go command's default,
// and the usual release flags.
var buildFlags = []struct {
	name, label string
	args        []string
}{
	{"stripped", "-trimpath -ldflags=-s -w", []string{"-trimpath", "-ldflags=-s -w"}},
	{"default", "default flags", nil},
}

// programs are cmd/ours, cmd/official and cmd/floor (the same job by hand).
var programs = []string{"ours", "official", "floor"}

func (r *report) sizes() error {
	r.size = make(map[string]map[string]int64)
	for _, p := range programs {
		r.size[p] = make(map[string]int64)
		for _, bf := range buildFlags {
			out := filepath.Join(r.work, p+"-"+bf.name)
			log.Printf("building cmd/%s (%s)", p, bf.label)
			args := append([]string{"build", "-o", out}, bf.args...)
			args = append(args, "./cmd/"+p)
			if err := run(r.dir, os.Stderr, "go", args...); err != nil {
				return err
			}
			st, err := os.Stat(out)
			if err != nil {
				return err
			}
			r.size[p][bf.name] = st.Size()
		}
	}
	return nil
}

// coldStart runs each stripped program against the emulator, alternating,
// and keeps the median time from process start to exit (one retrieval).
func (r *report) coldStart(runs int) error {
	srv := eksauthtest.NewServer()
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: "demo", Namespace: "default", ServiceAccount: "app",
		RoleARN: "arn:aws:iam::111122223333:role/app"})
	tokenFile := filepath.Join(r.work, "token")
	tok := srv.Token(eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "app"}, 0)
	if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
		return err
	}
	node := srv.NodeCredentials()
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_REGION="+srv.Region(),
		"AWS_ENDPOINT_URL_EKS_AUTH="+srv.URL,
		"AWS_ACCESS_KEY_ID="+node.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+node.SecretAccessKey,
		"AWS_SESSION_TOKEN="+node.SessionToken,
		"EKS_CLUSTER_NAME=demo",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+tokenFile,
	)
	log.Printf("cold start: %d runs of each program", runs)
	times := make(map[string][]float64)
	for range runs {
		for _, p := range programs {
			d, err := startToCredentials(filepath.Join(r.work, p+"-stripped"), env)
			if err != nil {
				return fmt.Errorf("cold start of %s: %w", p, err)
			}
			times[p] = append(times[p], float64(d))
		}
	}
	r.cold = make(map[string]time.Duration)
	for p, ts := range times {
		r.cold[p] = time.Duration(median(ts))
	}
	return nil
}

func startToCredentials(bin string, env []string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
	}
	if !strings.HasPrefix(out.String(), "ASIA") {
		return 0, fmt.Errorf("printed %q, want an access key ID", out.String())
	}
	return d, nil
}

// A row of the table: the three figures (NaN when absent), how to show
// them, and the target.
type row struct {
	figure              string
	ours, official, flr float64
	format              func(float64) string
	target              string
	met                 string // "" when there is no target
}

func (r *report) rows() []row {
	ns := func(v float64) string { return fmtDuration(time.Duration(v)) }
	n := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	bytesFmt := func(v float64) string { return fmtBytes(v) }
	nan := math.NaN()
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}

	var rows []row
	for _, b := range []struct{ name, label string }{{"BenchmarkCall", "call, in-memory HTTP"}, {"BenchmarkLoopback", "call, loopback HTTP"}} {
		o, of, fl := b.name+"/ours", b.name+"/official", b.name+"/floor"
		t := row{figure: b.label + ": time/op", ours: r.med(o, "ns/op"), official: r.med(of, "ns/op"), flr: r.med(fl, "ns/op"), format: ns}
		a := row{figure: b.label + ": allocs/op", ours: r.med(o, "allocs/op"), official: r.med(of, "allocs/op"), flr: r.med(fl, "allocs/op"), format: n}
		m := row{figure: b.label + ": B/op", ours: r.med(o, "B/op"), official: r.med(of, "B/op"), flr: r.med(fl, "B/op"), format: bytesFmt}
		if b.name == "BenchmarkCall" {
			// A ceiling, not a goal: the same middleware stack as the
			// official client, with no more work per call.
			t.target, t.met = "≤ 1× official", yes(t.ours <= t.official)
			a.target, a.met = "≤ 1× official", yes(a.ours <= a.official)
		}
		rows = append(rows, t, a, m)
	}
	for _, mode := range []string{"serial", "parallel"} {
		o, of := "BenchmarkRetrieve/"+mode+"/ours", "BenchmarkRetrieve/"+mode+"/official"
		t := row{figure: "cached retrieval, " + mode + ": time/op", ours: r.med(o, "ns/op"), official: r.med(of, "ns/op"), flr: nan, format: ns,
			target: "≤ 1× official"}
		t.met = yes(t.ours <= t.official)
		a := row{figure: "cached retrieval, " + mode + ": allocs/op", ours: r.med(o, "allocs/op"), official: r.med(of, "allocs/op"), flr: nan, format: n,
			target: "0"}
		a.met = yes(a.ours == 0)
		rows = append(rows, t, a)
	}
	ho, hof := "BenchmarkHerd/ours", "BenchmarkHerd/official"
	rows = append(rows,
		row{figure: "herd of 10,000 on a cold provider: time", ours: r.med(ho, "ns/op"), official: r.med(hof, "ns/op"), flr: nan, format: ns},
		row{figure: "herd of 10,000: upstream calls", ours: r.med(ho, "upstream-calls/op"), official: r.med(hof, "upstream-calls/op"), flr: nan, format: n,
			target: "exactly 1", met: yes(maxOf(r.samples[ho]["upstream-calls/op"]) == 1 && minOf(r.samples[ho]["upstream-calls/op"]) == 1)},
	)
	for _, bf := range buildFlags {
		s := row{figure: "program size (" + bf.label + ")", ours: float64(r.size["ours"][bf.name]), official: float64(r.size["official"][bf.name]),
			flr: float64(r.size["floor"][bf.name]), format: bytesFmt}
		rows = append(rows, s)
		if bf.name == "stripped" {
			s.target = "≤ 0.6× official"
			s.met = yes(s.ours <= 0.6*s.official)
			rows[len(rows)-1] = s
			// What each client adds to the floor program: the part of the
			// size a client library decides.
			rows = append(rows, row{figure: "program size above the floor program (" + bf.label + ")",
				ours: s.ours - s.flr, official: s.official - s.flr, flr: nan, format: bytesFmt})
		}
	}
	rows = append(rows, row{figure: "cold start to first credentials", ours: float64(r.cold["ours"]), official: float64(r.cold["official"]),
		flr: float64(r.cold["floor"]), format: ns})
	return rows
}

func minOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return slices.Min(xs)
}

func maxOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return slices.Max(xs)
}

func (r *report) print(w io.Writer, count int, benchtime string, runs int) {
	goVersion := runtime.Version()
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		goVersion = strings.TrimSpace(string(out))
	}
	fmt.Fprintf(w, "Measured %s, %s, %s/%s, %s (%d CPUs).\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), goVersion, runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.NumCPU())
	fmt.Fprintf(w, "Medians of %d interleaved rounds (-benchtime %s), cold start median of %d runs; official = github.com/aws/aws-sdk-go-v2/service/eksauth %s.\n\n",
		count, benchtime, runs, officialVersion(r.dir))
	fmt.Fprintln(w, "| figure | ours | official | floor | ours/official | ours/floor | target | met? |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|---|")
	for _, x := range r.rows() {
		cell := func(v float64) string {
			if math.IsNaN(v) {
				return "—"
			}
			return x.format(v)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", x.figure,
			cell(x.ours), cell(x.official), cell(x.flr), ratio(x.ours, x.official), ratio(x.ours, x.flr),
			dash(x.target), dash(x.met))
	}
	r.printNotes(w)
}

// printNotes says where a missed ratio target asks for less than the
// floor, that is, for beating what net/http, aws/signer/v4 and
// encoding/json do alone.
func (r *report) printNotes(w io.Writer) {
	var notes []string
	sizeOurs, sizeOff, sizeFloor := float64(r.size["ours"]["stripped"]), float64(r.size["official"]["stripped"]), float64(r.size["floor"]["stripped"])
	if sizeOurs > 0.6*sizeOff && 0.6*sizeOff < sizeFloor {
		notes = append(notes, fmt.Sprintf("0.6× the official program is %s, below the floor program's %s "+
			"(net/http, crypto/tls, aws/signer/v4 and encoding/json alone): no program doing the job over net/http meets it.",
			fmtBytes(0.6*sizeOff), fmtBytes(sizeFloor)))
	}
	if len(notes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nNotes:")
	for _, n := range notes {
		fmt.Fprintln(w, "- "+n)
	}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func ratio(a, b float64) string {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return "—"
	case b == 0 && a == 0:
		return "1.00×"
	case b == 0:
		return "∞"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%.1f ns", float64(d))
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f µs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fmtBytes(v float64) string {
	switch {
	case v < 1<<10:
		return fmt.Sprintf("%.0f B", v)
	case v < 1<<20:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.2f MiB", v/(1<<20))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func officialVersion(dir string) string {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/aws/aws-sdk-go-v2/service/eksauth")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "(unknown version)"
	}
	return strings.TrimSpace(string(out))
}

// profile profiles one call of our client and prints the top CPU and
// allocation sites, so that a missed target names its hot path. CPU and
// memory are profiled in separate runs: recording every allocation
// (memprofilerate 1) would distort the CPU profile.
func (r *report) profile(w io.Writer) error {
	cpu, mem := filepath.Join(r.work, "cpu.out"), filepath.Join(r.work, "mem.out")
	log.Printf("profiling BenchmarkCall/ours")
	bench := []string{"-test.run", "^$", "-test.bench", "^BenchmarkCall$/^ours$", "-test.benchmem"}
	if err := run(r.dir, io.Discard, r.testBin, append(bench, "-test.benchtime", "3s", "-test.cpuprofile", cpu)...); err != nil {
		return err
	}
	if err := run(r.dir, io.Discard, r.testBin, append(bench, "-test.benchtime", "5000x", "-test.memprofile", mem, "-test.memprofilerate", "1")...); err != nil {
		return err
	}
	for _, p := range []struct {
		title, file string
		args        []string
	}{
		{"CPU, top 30 by cumulative time", cpu, []string{"-cum", "-nodecount=30"}},
		{"allocations by line, top 40 (objects; divide by 5,000 for per call)", mem, []string{"-sample_index=alloc_objects", "-lines", "-nodecount=40"}},
	} {
		fmt.Fprintf(w, "\n### Profile of BenchmarkCall/ours: %s\n\n```\n", p.title)
		args := append([]string{"tool", "pprof", "-top"}, p.args...)
		args = append(args, r.testBin, p.file)
		var out bytes.Buffer
		if err := run(r.dir, &out, "go", args...); err != nil {
			return err
		}
		w.Write(out.Bytes())
		fmt.Fprintln(w, "```")
	}
	return nil
}
