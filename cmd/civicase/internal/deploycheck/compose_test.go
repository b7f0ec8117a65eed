package deploycheck

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/civicase/civicase/pkg/svc"
)

const root = "../../../.."

func load(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("civicase"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// Every service module has a container, built from deploy/Dockerfile for that service, and its
// environment passes the service's own configuration validation.
func TestEveryServiceRunsInItsOwnValidlyConfiguredContainer(t *testing.T) {
	p := load(t)
	dirs, err := os.ReadDir(filepath.Join(root, "services"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		name := d.Name()
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("service %s has no container", name)
			continue
		}
		if s.Build == nil || s.Build.Args["SERVICE"] == nil || *s.Build.Args["SERVICE"] != name {
			t.Errorf("%s: not built from deploy/Dockerfile with SERVICE=%s", name, name)
		} else if _, err := os.Stat(filepath.Join(root, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(root, "services", name, "cmd", name)); err != nil {
			t.Errorf("%s: the Dockerfile builds ./cmd/%s, which is missing", name, name)
		}
		for k, v := range s.Environment {
			if v != nil {
				t.Setenv(k, *v)
			}
		}
		if _, err := svc.LoadConfig("0.0.0.0:7100"); err != nil {
			t.Errorf("%s: environment rejected by the service: %v", name, err)
		}
		if got := s.Environment["CIVICASE_STREAM_REPLICAS"]; got == nil || *got != "3" {
			t.Errorf("%s: streams must be R3 on the cluster", name)
		}
	}
}

// The cluster has three JetStream nodes that route to each other, and the config they mount exists.
func TestNATSClusterHasThreeJetStreamNodes(t *testing.T) {
	p := load(t)
	var nodes []string
	for name, s := range p.Services {
		if strings.HasPrefix(name, "nats-") {
			nodes = append(nodes, name)
			if !strings.Contains(strings.Join(s.Command, " "), "/etc/nats/cluster.conf") {
				t.Errorf("%s does not run the cluster config", name)
			}
		}
	}
	sort.Strings(nodes)
	if strings.Join(nodes, ",") != "nats-1,nats-2,nats-3" {
		t.Fatalf("nats nodes %v", nodes)
	}
	conf, err := os.ReadFile(filepath.Join(root, "deploy/nats/cluster.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if !strings.Contains(string(conf), "nats-route://"+n+":6222") {
			t.Errorf("cluster.conf has no route to %s", n)
		}
	}
	if !strings.Contains(string(conf), "jetstream") {
		t.Error("cluster.conf does not enable JetStream")
	}
}

// Traces go from the services to the collector and on to a trace viewer.
func TestTelemetryPipelineIsWired(t *testing.T) {
	p := load(t)
	for _, name := range []string{"otel-collector", "jaeger"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("no %s container", name)
		}
	}
	conf, err := os.ReadFile(filepath.Join(root, "deploy/otel/collector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "jaeger:4317") {
		t.Error("collector does not export traces to jaeger")
	}
	if ep := p.Services["intake"].Environment["CIVICASE_OTLP_ENDPOINT"]; ep == nil || !strings.HasPrefix(*ep, "otel-collector:") {
		t.Error("services do not send traces to the collector")
	}
}
