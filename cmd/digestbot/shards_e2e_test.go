package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
)

// TestClusterShards: two replicas share the two gateway shards the fake
// Discord recommends (shards: auto), one each; the guild on each shard is
// answered; when a shard's owner is killed, the other replica claims the
// shard and its guild is answered again within the lease plus one
// identify window.
func TestClusterShards(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster end-to-end: not in -short")
	}
	const g0, g1 = "1000000000008388608", "1000000000004194304"
	work := t.TempDir()
	bin := buildDigestbot(t, work)
	etcd := etcdtest.Start(t).Addr()
	fake := fakediscord.StartT(t, fakediscord.Options{Shards: 2, MaxConcurrency: 2, Guilds: []fakediscord.Guild{
		{ID: g0, Name: "a", Channels: []fakediscord.Channel{{ID: "1000000000000000210", Name: "a"}}},
		{ID: g1, Name: "b", Channels: []fakediscord.Channel{{ID: "1000000000000000211", Name: "b"}}},
	}})
	if fakediscord.ShardOf(g0, 2) == fakediscord.ShardOf(g1, 2) {
		t.Fatal("the two guilds fall on one shard")
	}
	var reps []*replica
	for i := range 2 {
		r := &replica{name: fmt.Sprintf("s%d", i), dir: filepath.Join(work, fmt.Sprintf("s%d", i))}
		r.cfg = filepath.Join(r.dir, "digestbot.yaml")
		r.env = cliEnv(r.dir, "DISCORD_TOKEN=token-"+r.name)
		must(t, os.MkdirAll(r.dir, 0o755))
		testenv.WriteFile(t, r.cfg, fmt.Sprintf("database: %s\ndiscord:\n  api_url: %s\n  shards: auto\nbot:\n  rescan_interval: 0s\n"+
			"cluster:\n  name: %s\n  etcd:\n    endpoints: [http://%s]\n  lease: %s\n",
			filepath.Join(r.dir, "bot.db"), fake.URL(), r.name, etcd, clusterLease))
		r.out = filepath.Join(r.dir, "run.log")
		r.p = startProc(t, bin, r.out, r.env, "--config", r.cfg, "run")
		reps = append(reps, r)
	}
	owner := func(shard int) string {
		out, code := runCLI(t, bin, reps[0].env, "--config", reps[0].cfg, "cluster")
		if code != 0 {
			t.Fatalf("digestbot cluster exited %d:\n%s", code, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), fmt.Sprintf("shard %d of 2: ", shard)); ok {
				return rest
			}
		}
		return ""
	}
	deadline := time.Now().Add(40 * time.Second)
	for owner(0) == "" || owner(1) == "" || owner(0) == owner(1) {
		if time.Now().After(deadline) {
			t.Fatalf("the shards are not shared one each:\n%s\n%s", tail(reps[0].out, 2000), tail(reps[1].out, 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	help := func(guild string, limit time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		in := fakediscord.SlashCommand("help")
		in.GuildID = guild
		cb, err := fake.Exchange(ctx, in)
		if err == nil && !cb.Accepted() {
			err = fmt.Errorf("callback refused: %s", cb.Error)
		}
		return err
	}
	for _, g := range []string{g0, g1} {
		if err := help(g, 10*time.Second); err != nil {
			t.Fatalf("/help in guild %s: %v", g, err)
		}
	}
	victim := owner(fakediscord.ShardOf(g1, 2))
	for _, r := range reps {
		if r.name == victim {
			r.p.kill()
		}
	}
	killed := time.Now()
	// An interaction sent to the dead session is lost, as on Discord:
	// ask once the shard has its new owner.
	for shard := fakediscord.ShardOf(g1, 2); owner(shard) == victim || owner(shard) == ""; {
		if time.Since(killed) > clusterLease+15*time.Second {
			t.Fatalf("shard %d not claimed again %s after its owner %s was killed", shard, time.Since(killed), victim)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := help(g1, 10*time.Second); err != nil {
		t.Fatalf("/help in guild %s after its shard's owner %s was killed: %v", g1, victim, err)
	}
	t.Logf("shard owner killed: its guild answered again after %s (lease %s)", time.Since(killed).Round(time.Millisecond), clusterLease)
}
