package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const chartDir = "chart/pod-identity-agent"

// required are the values without which the chart refuses to render.
func required() map[string]any {
	return map[string]any{
		"clusterName": "demo",
		"region":      "us-west-2",
		"image":       map[string]any{"repository": "registry.example/pod-identity-agent", "tag": "v0.1.0"},
	}
}

// render renders the chart as `helm install` would, with Helm's own
// engine, and decodes every object strictly: a field that k8s.io/api does
// not know (a typo, a wrong indentation) fails the test, as does a kind
// this test does not expect.
func render(t *testing.T, vals map[string]any) []appsv1.DaemonSet {
	t.Helper()
	out, err := renderFiles(vals)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	var dss []appsv1.DaemonSet
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		docs := releaseutil.SplitManifests(out[name])
		var keys []string
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			doc := strings.TrimSpace(docs[k])
			if doc == "" {
				continue
			}
			js, err := yaml.YAMLToJSONStrict([]byte(doc))
			if err != nil {
				t.Fatalf("%s: not YAML: %v\n%s", name, err, doc)
			}
			var meta struct{ APIVersion, Kind string }
			if err := json.Unmarshal(js, &meta); err != nil {
				t.Fatal(err)
			}
			switch meta.APIVersion + " " + meta.Kind {
			case "apps/v1 DaemonSet":
				var ds appsv1.DaemonSet
				strictDecode(t, name, js, &ds)
				dss = append(dss, ds)
			default:
				t.Fatalf("%s: unexpected object %s %s", name, meta.APIVersion, meta.Kind)
			}
		}
	}
	return dss
}

func renderFiles(vals map[string]any) (map[string]string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	values, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{
		Name: "pod-identity-agent", Namespace: "kube-system", Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(ch, values)
}

func strictDecode(t *testing.T, name string, js []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: does not decode strictly into %T: %v", name, v, err)
	}
}

func withValues(base map[string]any, path string, v any) map[string]any {
	m := base
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
	return base
}

func TestChartVariants(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals map[string]any
		want []string // DaemonSet names, and so variants
	}{
		{"cloud (default)", required(), []string{"pod-identity-agent"}},
		{"hybrid", withValues(withValues(required(), "daemonsets.hybrid.create", true), "daemonsets.cloud.create", false), []string{"pod-identity-agent-hybrid"}},
		{"cloud and hybrid", withValues(required(), "daemonsets.hybrid.create", true), []string{"pod-identity-agent", "pod-identity-agent-hybrid"}},
		{"every variant", withValues(withValues(required(), "daemonsets.hybrid.create", true), "daemonsets.hybrid-bottlerocket.create", true),
			[]string{"pod-identity-agent", "pod-identity-agent-hybrid", "pod-identity-agent-hybrid-bottlerocket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dss := render(t, tc.vals)
			var names []string
			for _, ds := range dss {
				names = append(names, ds.Name)
				t.Run(ds.Name, func(t *testing.T) { checkDaemonSet(t, &ds, variantOf(ds.Name)) })
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("DaemonSets %v, want %v", names, tc.want)
			}
		})
	}
}

func TestChartRequiresItsValues(t *testing.T) {
	for _, missing := range []string{"clusterName", "region", "image.repository"} {
		_, err := renderFiles(withValues(required(), missing, ""))
		if err == nil || !strings.Contains(err.Error(), missing+" is required") {
			t.Errorf("without %s: %v, want a message that it is required", missing, err)
		}
	}
}

func TestChartRefusesBadValues(t *testing.T) {
	for path, v := range map[string]string{"clusterName": "my cluster", "region": "US West 2"} {
		_, err := renderFiles(withValues(required(), path, v))
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s %q is not", path, v)) {
			t.Errorf("%s=%q: %v, want it refused", path, v, err)
		}
	}
	// An endpoint with a colon and slashes stays one argument.
	dss := render(t, withValues(required(), "endpoint", "https://vpce-0123.eks-auth.us-west-2.vpce.amazonaws.com"))
	if args := dss[0].Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "-endpoint=https://vpce-0123.eks-auth.us-west-2.vpce.amazonaws.com") {
		t.Errorf("args %q lack the endpoint", args)
	} else {
		checkFlagsAccepted(t, args)
	}
}

// variantOf is the variant of a DaemonSet, from its name's suffix.
func variantOf(name string) string {
	for _, v := range []string{"hybrid-bottlerocket", "hybrid"} {
		if strings.HasSuffix(name, "-"+v) {
			return v
		}
	}
	return "cloud"
}

func checkDaemonSet(t *testing.T, ds *appsv1.DaemonSet, variant string) {
	hybrid := strings.HasPrefix(variant, "hybrid")
	spec := &ds.Spec.Template.Spec
	if ds.Namespace != "kube-system" {
		t.Errorf("namespace %q", ds.Namespace)
	}
	if !spec.HostNetwork || spec.DNSPolicy != corev1.DNSDefault {
		t.Errorf("hostNetwork %v, dnsPolicy %q; want the node's network and resolver", spec.HostNetwork, spec.DNSPolicy)
	}
	if spec.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q", spec.PriorityClassName)
	}
	if len(spec.Tolerations) != 1 || spec.Tolerations[0] != (corev1.Toleration{Operator: corev1.TolerationOpExists}) {
		t.Errorf("tolerations %+v, want every taint tolerated", spec.Tolerations)
	}
	if u := ds.Spec.UpdateStrategy; u.Type != appsv1.RollingUpdateDaemonSetStrategyType || u.RollingUpdate == nil ||
		u.RollingUpdate.MaxUnavailable == nil || *u.RollingUpdate.MaxUnavailable != intstr.FromString("10%") {
		t.Errorf("updateStrategy %+v, want a rolling update of 10%%", u)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; the agent needs no API access")
	}
	if sc := spec.SecurityContext; sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v, want seccomp RuntimeDefault", sc)
	}
	sel := ds.Spec.Selector.MatchLabels
	for k, v := range sel {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("the selector's %s=%s is not on the pod template", k, v)
		}
	}
	// Each kind of node gets exactly one of the variants.
	affinity := fmt.Sprint(spec.Affinity)
	bottlerocket := map[string]string{"cloud": "", "hybrid": "Key:os.bottlerocket.aws/variant,Operator:DoesNotExist", "hybrid-bottlerocket": "Key:os.bottlerocket.aws/variant,Operator:Exists"}[variant]
	if hybrid != strings.Contains(affinity, "Operator:In,Values:[hybrid]") || !hybrid && !strings.Contains(affinity, "Operator:NotIn,Values:[fargate hybrid auto]") ||
		!strings.Contains(affinity, bottlerocket) {
		t.Errorf("affinity %s does not pick the %s variant's nodes", affinity, variant)
	}
	if se := spec.Containers[0].SecurityContext.SELinuxOptions; (variant == "hybrid-bottlerocket") != (se != nil && se.Type == "spc_t") {
		t.Errorf("%s: SELinux options %+v", variant, se)
	}

	if len(spec.InitContainers) != 1 || len(spec.Containers) != 1 {
		t.Fatalf("%d init containers and %d containers, want 1 and 1", len(spec.InitContainers), len(spec.Containers))
	}
	initC, agent := &spec.InitContainers[0], &spec.Containers[0]

	// The init container: netlink needs NET_ADMIN, and nothing else.
	checkSecurity(t, "init", initC, []corev1.Capability{"NET_ADMIN"})
	if sc := initC.SecurityContext; sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		t.Error("init: not root: netlink's NET_ADMIN comes with uid 0 only")
	}
	if !slices.Equal(initC.Command, []string{plainBinary, "init"}) || len(initC.Args) > 0 {
		t.Errorf("init: command %q args %q, want [%s init]", initC.Command, initC.Args, plainBinary)
	}

	// The agent: NET_BIND_SERVICE for port 80, and nothing else.
	checkSecurity(t, "agent", agent, []corev1.Capability{"NET_BIND_SERVICE"})
	sc := agent.SecurityContext
	wantBinary := capBinary
	if hybrid {
		wantBinary = plainBinary
		if sc.RunAsUser == nil || *sc.RunAsUser != 0 {
			t.Error("hybrid agent: not root: nodeadm's credentials file is root's, mode 0600")
		}
	} else if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("agent runs as root (runAsNonRoot %v, runAsUser %v); port 80 allows non-root through the file capability", sc.RunAsNonRoot, sc.RunAsUser)
	}
	if !slices.Equal(agent.Command, []string{wantBinary}) {
		t.Errorf("agent: command %q, want [%s]", agent.Command, wantBinary)
	}

	for _, c := range []*corev1.Container{initC, agent} {
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v, want CPU and memory requests and a memory limit", c.Name, c.Resources)
		}
		if c.Image != "registry.example/pod-identity-agent:v0.1.0" {
			t.Errorf("%s: image %q", c.Name, c.Image)
		}
	}

	// The agent's flags: accepted by the binary, and agreeing with the
	// ports and probes.
	args := expandEnv(t, agent)
	checkFlagsAccepted(t, append(agent.Command[1:], args...))
	checkFlagsAccepted(t, append(initC.Command[1:], initC.Args...))
	flags := flagValues(args)
	if _, ok := flags["listen"]; ok {
		t.Errorf("-listen=%s: the chart relies on the default addresses (and their IPv4-only fallback)", flags["listen"])
	}
	if flags["cluster"] != "demo" || flags["region"] != "us-west-2" {
		t.Errorf("-cluster=%q -region=%q, want the values", flags["cluster"], flags["region"])
	}
	if _, rotate := flags["rotate-credentials"]; rotate != hybrid {
		t.Errorf("-rotate-credentials given: %v, want %v", rotate, hybrid)
	}
	ports := map[string]int32{}
	for _, p := range agent.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["credentials"] != 80 {
		t.Errorf("credentials port %d, want 80 (the default listen addresses' port, and the one in AWS_CONTAINER_CREDENTIALS_FULL_URI)", ports["credentials"])
	}
	if fmt.Sprint(ports["probes"]) != flags["probe-port"] {
		t.Errorf("probes port %d, -probe-port=%s", ports["probes"], flags["probe-port"])
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", agent.LivenessProbe, "/healthz"}, {"readiness", agent.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s probe", p.name)
			continue
		}
		g := p.probe.HTTPGet
		port := g.Port.IntVal
		if g.Port.Type == intstr.String {
			port = ports[g.Port.StrVal]
		}
		// The probe server listens on 127.0.0.1 only: the kubelet must
		// ask there, not at the node's IP.
		if g.Path != p.path || fmt.Sprint(port) != flags["probe-port"] || g.Host != "127.0.0.1" {
			t.Errorf("%s probe %s:%d%s, want 127.0.0.1:%s%s", p.name, g.Host, port, g.Path, flags["probe-port"], p.path)
		}
	}
	shutdown, err := time.ParseDuration(flags["shutdown-timeout"])
	if err != nil {
		t.Errorf("-shutdown-timeout=%q: %v", flags["shutdown-timeout"], err)
	}
	// The agent must be done before the kubelet kills it.
	if grace := spec.TerminationGracePeriodSeconds; grace == nil || time.Duration(*grace)*time.Second < shutdown+5*time.Second {
		t.Errorf("terminationGracePeriodSeconds %v, want at least -shutdown-timeout (%v) + 5s", grace, shutdown)
	}

	if hybrid {
		env := map[string]string{}
		for _, e := range agent.Env {
			env[e.Name] = e.Value
		}
		file := env["AWS_SHARED_CREDENTIALS_FILE"]
		if len(agent.VolumeMounts) != 1 || !agent.VolumeMounts[0].ReadOnly || !strings.HasPrefix(file, agent.VolumeMounts[0].MountPath+"/") {
			t.Errorf("hybrid: AWS_SHARED_CREDENTIALS_FILE=%q, mounts %+v; want the file inside one read-only mount", file, agent.VolumeMounts)
		}
		want := map[string]string{"hybrid": "/eks-hybrid/.aws", "hybrid-bottlerocket": "/var/eks-hybrid/.aws"}[variant]
		if len(spec.Volumes) != 1 || spec.Volumes[0].HostPath == nil || spec.Volumes[0].HostPath.Path != want {
			t.Errorf("%s: volumes %+v, want nodeadm's %s", variant, spec.Volumes, want)
		}
	} else if len(spec.Volumes) > 0 || len(agent.VolumeMounts) > 0 {
		t.Errorf("cloud: volumes %+v, want none", spec.Volumes)
	}
}

func checkSecurity(t *testing.T, name string, c *corev1.Container, add []corev1.Capability) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Fatalf("%s: no securityContext", name)
	}
	if sc.Privileged == nil || *sc.Privileged {
		t.Errorf("%s: privileged not false", name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation not false", name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: root filesystem writable", name)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccomp %+v, want RuntimeDefault", name, sc.SeccompProfile)
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || !slices.Equal(sc.Capabilities.Add, add) {
		t.Errorf("%s: capabilities %+v, want drop [ALL] add %v", name, sc.Capabilities, add)
	}
}

// expandEnv does the kubelet's $(VAR) expansion of the agent's args.
func expandEnv(t *testing.T, c *corev1.Container) []string {
	t.Helper()
	fromField := map[string]string{"spec.nodeName": "ip-10-0-1-2.us-west-2.compute.internal"}
	vals := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			v, ok := fromField[e.ValueFrom.FieldRef.FieldPath]
			if !ok {
				t.Errorf("env %s from an unexpected field %s", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
			vals[e.Name] = v
		default:
			vals[e.Name] = e.Value
		}
	}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	var out []string
	for _, a := range c.Args {
		out = append(out, ref.ReplaceAllStringFunc(a, func(m string) string {
			v, ok := vals[m[2:len(m)-1]]
			if !ok {
				t.Errorf("arg %q refers to an undefined variable", a)
			}
			return v
		}))
	}
	return out
}

// flagValues maps -name=value (and -name, for booleans) to value.
func flagValues(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		m[name] = value
	}
	return m
}

// checkFlagsAccepted runs the agent with the manifest's command line and
// -version, or -h for init: the binary parses every flag (an unknown one,
// or a value of the wrong type, exits 2) before it prints its version.
func checkFlagsAccepted(t *testing.T, args []string) {
	t.Helper()
	bin := agentBinary(t)
	last := "-version"
	if len(args) > 0 && args[0] == "init" {
		last = "-h"
	}
	out, err := exec.Command(bin, append(slices.Clone(args), last)...).CombinedOutput()
	if err != nil {
		t.Errorf("the binary refuses the manifest's arguments %q: %v\n%s", args, err, out)
		return
	}
	if last == "-version" && string(out) != "pod-identity-agent "+testVersion+"\n" {
		t.Errorf("%q -version printed %q", args, out)
	}
}

const testVersion = "v0.0.0-chart-test"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// agentBinary builds the agent as the Dockerfile does (static, version
// stamped with the Dockerfile's -X), once per test run.
func agentBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		ldflags, err := dockerfileLdflags()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "pod-identity-agent-chart-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "pod-identity-agent")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", strings.ReplaceAll(ldflags, "${VERSION}", testVersion), "-o", binPath, "github.com/podidentity/podidentity/examples/pod-identity-agent")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// TestChartExtraEnv: agent.extraEnv reaches the agent container after the
// chart's own variables, valueFrom included, and nothing else.
func TestChartExtraEnv(t *testing.T) {
	env := []any{
		map[string]any{"name": "HTTPS_PROXY", "value": "http://proxy.internal:3128"},
		map[string]any{"name": "AWS_ACCESS_KEY_ID", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "node-creds", "key": "id"}}},
	}
	dss := render(t, withValues(withValues(required(), "agent.extraEnv", env), "daemonsets.hybrid.create", true))
	for _, ds := range dss {
		spec := ds.Spec.Template.Spec
		got := spec.Containers[0].Env
		if len(got) < 3 {
			t.Fatalf("%s: env %v, want the chart's and the two extra ones", ds.Name, got)
		}
		if got[0].Name != "NODE_NAME" {
			t.Errorf("%s: first variable %s, want the chart's NODE_NAME first", ds.Name, got[0].Name)
		}
		last := got[len(got)-2:]
		if last[0].Name != "HTTPS_PROXY" || last[0].Value != "http://proxy.internal:3128" ||
			last[1].Name != "AWS_ACCESS_KEY_ID" || last[1].ValueFrom == nil || last[1].ValueFrom.SecretKeyRef == nil ||
			last[1].ValueFrom.SecretKeyRef.Name != "node-creds" || last[1].ValueFrom.SecretKeyRef.Key != "id" {
			t.Errorf("%s: last variables %+v, want the extra ones as given", ds.Name, last)
		}
		if len(spec.InitContainers[0].Env) != 0 {
			t.Errorf("%s: init container env %v, want none", ds.Name, spec.InitContainers[0].Env)
		}
	}
}
