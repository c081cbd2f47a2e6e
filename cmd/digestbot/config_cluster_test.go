package main

import (
	"strings"
	"testing"
	"time"
)

func TestClusterConfig(t *testing.T) {
	c, err := ParseConfig("c.yaml", []byte(`cluster:
  name: replica-1
  etcd:
    endpoints: [http://10.0.0.5:2379, http://10.0.0.6:2379]
  lease: 5s
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Cluster
	if cl == nil || cl.Name != "replica-1" || len(cl.Etcd.Endpoints) != 2 || cl.Etcd.Prefix != "/digestbot/" || cl.Lease != 5*time.Second {
		t.Fatalf("cluster = %+v", cl)
	}
	for _, sh := range []struct {
		yaml string
		want int
	}{{"4", 4}, {"auto", 0}} {
		c, err := ParseConfig("c.yaml", []byte("discord:\n  shards: "+sh.yaml+"\ncluster:\n  etcd:\n    endpoints: [http://e:2379]\n"), env(nil))
		if err != nil || c.ShardCount() != sh.want {
			t.Errorf("shards: %s: %d, %v", sh.yaml, c.ShardCount(), err)
		}
	}
	c, err = ParseConfig("c.yaml", []byte("timezone: UTC\n"), env(nil))
	if err != nil || c.Cluster != nil {
		t.Fatalf("without cluster: %+v, %v", c.Cluster, err)
	}
	c, err = ParseConfig("c.yaml", []byte("cluster:\n  etcd:\n    endpoints: [https://e:2379]\n    ca: ca.pem\n"), env(nil))
	if err != nil || c.Cluster.Name == "" || c.Cluster.Lease != 10*time.Second || !strings.HasSuffix(c.Cluster.Etcd.CA, "/ca.pem") {
		t.Fatalf("defaults: %+v, %v", c.Cluster, err)
	}
}

func TestClusterConfigErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"no endpoints", "cluster:\n  name: a\n", []string{"cluster.etcd.endpoints", "at least one"}},
		{"bad endpoint", "cluster:\n  etcd:\n    endpoints: [10.0.0.5:2379]\n", []string{"c.yaml:3", "cluster.etcd.endpoints[0]", "10.0.0.5:2379"}},
		{"bad prefix", "cluster:\n  etcd:\n    endpoints: [http://e:2379]\n    prefix: digestbot\n", []string{"c.yaml:4", "cluster.etcd.prefix"}},
		{"short lease", "cluster:\n  etcd:\n    endpoints: [http://e:2379]\n  lease: 500ms\n", []string{"c.yaml:4", "cluster.lease", "at least 2s"}},
		{"fractional lease", "cluster:\n  etcd:\n    endpoints: [http://e:2379]\n  lease: 2500ms\n", []string{"cluster.lease", "whole seconds"}},
		{"password in file", "cluster:\n  etcd:\n    endpoints: [http://e:2379]\n    username: bot\n    password_env: hunter 2\n", []string{"c.yaml:5", "cluster.etcd.password_env"}},
		{"username alone", "cluster:\n  etcd:\n    endpoints: [http://e:2379]\n    username: bot\n", []string{"cluster.etcd.username", "together"}},
		{"cert without key", "cluster:\n  etcd:\n    endpoints: [http://e:2379]\n    cert: c.pem\n", []string{"cluster.etcd.cert", "together"}},
		{"bad name", "cluster:\n  name: a/b\n  etcd:\n    endpoints: [http://e:2379]\n", []string{"c.yaml:2", "cluster.name"}},
		{"unknown key", "cluster:\n  etcd:\n    endpoint: http://e:2379\n", []string{"c.yaml:3", "endpoint"}},
		{"shards without cluster", "discord:\n  shards: 4\n", []string{"c.yaml:2", "discord.shards", "cluster"}},
		{"bad shards", "discord:\n  shards: many\ncluster:\n  etcd:\n    endpoints: [http://e:2379]\n", []string{"c.yaml:2", "discord.shards", "many"}},
		{"zero shards", "discord:\n  shards: 0\ncluster:\n  etcd:\n    endpoints: [http://e:2379]\n", []string{"discord.shards"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantConfigError(t, c.yaml, c.want)
		})
	}
}

// FuzzParseTestClock: DIGESTBOT_TEST_CLOCK is parsed without panicking,
// and an accepted value gives a clock that runs forward.
func FuzzParseTestClock(f *testing.F) {
	f.Add("1700000000,15")
	f.Add("1700000000,0.5")
	f.Add(",")
	f.Add("-1,1000")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := parseTestClock(v)
		if err != nil {
			if !strings.Contains(err.Error(), "DIGESTBOT_TEST_CLOCK") {
				t.Fatalf("error %q does not name the variable", err)
			}
			return
		}
		if c.rate < 1 || c.rate > 1000 {
			t.Fatalf("accepted rate %v", c.rate)
		}
		if a, b := c.Now(), c.Now(); b.Before(a) {
			t.Fatalf("the clock ran backwards: %s then %s", a, b)
		}
	})
}

// A cluster section is among the fuzzed configurations' seeds.
func FuzzParseClusterConfig(f *testing.F) {
	f.Add([]byte("cluster:\n  name: r1\n  etcd:\n    endpoints: [http://10.0.0.5:2379]\n    prefix: /d/\n  lease: 10s\ndiscord:\n  shards: auto\n"))
	f.Add([]byte("cluster:\n  etcd:\n    endpoints: [https://e:2379]\n    username: u\n    password_env: P\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.yaml", data, env(nil))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if cl := c.Cluster; cl != nil && (len(cl.Etcd.Endpoints) == 0 || cl.Lease < minClusterLease || cl.Name == "") {
			t.Fatalf("accepted an invalid cluster section: %+v", cl)
		}
	})
}
