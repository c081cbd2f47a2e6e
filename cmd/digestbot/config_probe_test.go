package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/internal/testenv"
)

// The smaller findings of the attack probe: check-config must not say ok
// for what run then refuses, and must say what is really wrong.
func TestConfigProbeFindings(t *testing.T) {
	key := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name, yaml string
		want       []string // substrings of the error; none: valid
	}{
		{"port out of range", "http:\n  listen: 127.0.0.1:99999\n", []string{"c.yaml:2", "http.listen", `"99999"`, "0 to 65535"}},
		{"negative port", "http:\n  listen: \":-1\"\n", []string{"http.listen", "0 to 65535"}},
		{"named port", "http:\n  listen: localhost:http\n", []string{"http.listen", `"http"`}},
		{"port in range", "http:\n  listen: 127.0.0.1:65535\n", nil},
		{"any port", "http:\n  listen: 127.0.0.1:0\n", nil},
		{"channel too short", "digests:\n  - name: m\n    channel: \"123\"\n    schedule: \"0 8 * * *\"\n", []string{"c.yaml:3", "digests[0].channel", "too short", "17 to 20 digits"}},
		{"channel too long", "digests:\n  - name: m\n    channel: \"" + strings.Repeat("1", 30) + "\"\n    schedule: \"0 8 * * *\"\n", []string{"digests[0].channel", "too long"}},
		{"channel not digits", "digests:\n  - name: m\n    channel: \"#general\"\n    schedule: \"0 8 * * *\"\n", []string{"digests[0].channel", "digits only"}},
		{"guild too short", "discord:\n  allowed_guilds: [\"42\"]\n", []string{"discord.allowed_guilds[0]", "too short"}},
		{"public key and listen", "http:\n  listen: 127.0.0.1:8080\ndiscord:\n  public_key: \"" + key + "\"\n", nil},
	} {
		_, err := ParseConfig("c.yaml", []byte(c.yaml), env(nil))
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v; want %q in it", c.name, err, w)
			}
		}
	}
}

// discord.public_key without the bot token: check-config says run will
// refuse, and run refuses at once with what it needs.
func TestPublicKeyNeedsToken(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	testenv.WriteFile(t, cfg, "database: "+filepath.Join(dir, "d.db")+"\nhttp:\n  listen: 127.0.0.1:0\ndiscord:\n  public_key: \""+strings.Repeat("ab", 32)+"\"\n")
	out, _, err := run(t, dir, "check-config", cfg)
	if err != nil || !strings.Contains(out, "$DISCORD_TOKEN not set: digestbot run will refuse to start") {
		t.Errorf("check-config: %v\n%s", err, out)
	}
	_, _, err = run(t, dir, "--config", cfg, "run")
	if err == nil || !strings.Contains(err.Error(), "discord.public_key is set but $DISCORD_TOKEN is empty") {
		t.Errorf("run: %v", err)
	}
}
