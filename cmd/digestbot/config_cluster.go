package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClusterConfig is the cluster: section. Without it digestbot runs alone,
// on its bbolt file only.
type ClusterConfig struct {
	// Name is this replica's name, unique in the cluster. Default: the
	// host name.
	Name string     `yaml:"name"`
	Etcd EtcdConfig `yaml:"etcd"`
	// Lease is how long a replica that stops answering keeps its claims:
	// how soon its work is taken over.
	Lease time.Duration `yaml:"lease"`
}

// EtcdConfig is the cluster.etcd: section.
type EtcdConfig struct {
	Endpoints []string `yaml:"endpoints"`
	// Prefix keys everything digestbot keeps in etcd.
	Prefix string `yaml:"prefix"`
	// TLS client files (PEM); ca alone verifies the server, cert and key
	// go together (client certificate authentication).
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// Username and the environment variable holding its password, for
	// etcd's own authentication.
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
}

// Cluster defaults.
const (
	defaultEtcdPrefix   = "/digestbot/"
	defaultClusterLease = 10 * time.Second
	minClusterLease     = 2 * time.Second
)

// maxShards bounds discord.shards (Discord's largest bots run thousands).
const maxShards = 4096

// ShardCount is discord.shards: 0 for auto.
func (c *Config) ShardCount() int {
	n, _ := strconv.Atoi(c.Discord.Shards)
	return n
}

// validateShards checks discord.shards: auto or a number, in a cluster.
func (c *Config) validateShards(bad func(key, format string, args ...any)) {
	s := c.Discord.Shards
	if s == "" {
		return
	}
	if c.Cluster == nil {
		bad("discord.shards", "shards are shared by the replicas of a cluster: add a cluster: section (one process runs one unsharded session)")
		return
	}
	if s == "auto" {
		return
	}
	if n, err := strconv.Atoi(s); err != nil || n < 1 || n > maxShards {
		bad("discord.shards", "want auto or a number of shards from 1 to %d, got %q", maxShards, s)
	}
}

// validateCluster checks the cluster: section when there is one and fills
// in its defaults.
func (c *Config) validateCluster(bad func(key, format string, args ...any), base string, getenv func(string) string) {
	c.validateShards(bad)
	cl := c.Cluster
	if cl == nil {
		return
	}
	if cl.Name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			bad("cluster.name", "not set and the host name is unknown: name this replica")
		}
		cl.Name = h
	}
	if strings.ContainsAny(cl.Name, "/\x00 \t\n") {
		bad("cluster.name", "%q: a replica name cannot contain /, spaces or control characters", cl.Name)
	}
	if len(cl.Etcd.Endpoints) == 0 {
		bad("cluster.etcd.endpoints", "at least one etcd endpoint is needed, such as http://10.0.0.5:2379")
	}
	for i, e := range cl.Etcd.Endpoints {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad(fmt.Sprintf("cluster.etcd.endpoints[%d]", i), "%q is not an etcd client URL such as http://10.0.0.5:2379", e)
		}
	}
	if cl.Etcd.Prefix == "" {
		cl.Etcd.Prefix = defaultEtcdPrefix
	}
	if !strings.HasPrefix(cl.Etcd.Prefix, "/") || !strings.HasSuffix(cl.Etcd.Prefix, "/") {
		bad("cluster.etcd.prefix", "%q must start and end with /, such as /digestbot/", cl.Etcd.Prefix)
	}
	if (cl.Etcd.Cert == "") != (cl.Etcd.Key == "") {
		bad("cluster.etcd.cert", "cert and key go together: set both or neither")
	}
	for _, p := range []*string{&cl.Etcd.CA, &cl.Etcd.Cert, &cl.Etcd.Key} {
		if *p != "" {
			*p = expandPath(*p, base, getenv)
		}
	}
	if cl.Etcd.PasswordEnv != "" && !envNameRE().MatchString(cl.Etcd.PasswordEnv) {
		bad("cluster.etcd.password_env", "%q is not an environment variable name (the password itself never goes in this file)", cl.Etcd.PasswordEnv)
	}
	if (cl.Etcd.Username == "") != (cl.Etcd.PasswordEnv == "") {
		bad("cluster.etcd.username", "username and password_env go together: set both or neither")
	}
	switch {
	case cl.Lease == 0:
		cl.Lease = defaultClusterLease
	case cl.Lease < minClusterLease:
		bad("cluster.lease", "must be at least %s, got %s", minClusterLease, cl.Lease)
	case cl.Lease%time.Second != 0:
		bad("cluster.lease", "must be whole seconds (etcd leases count seconds), got %s", cl.Lease)
	}
}
