package fakediscord_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/fakediscord"
)

// topics/gateway#sharding: two connections of one application identify as
// shards [0, 2] and [1, 2]; each gets only its guilds ((guild_id >> 22) %
// 2) and their interactions. A shard outside the count is closed with 4010.
func TestGatewayShards(t *testing.T) {
	t.Parallel()
	const g0, g1 = "8388608", "4194304" // shard 0 and shard 1 of 2
	f := fakediscord.StartT(t, fakediscord.Options{Shards: 2, MaxConcurrency: 1, Guilds: []fakediscord.Guild{
		{ID: g0, Name: "even", Channels: []fakediscord.Channel{{ID: "100000", Name: "a"}}},
		{ID: g1, Name: "odd", Channels: []fakediscord.Channel{{ID: "100001", Name: "b"}}},
	}})
	if fakediscord.ShardOf(g0, 2) != 0 || fakediscord.ShardOf(g1, 2) != 1 {
		t.Fatal("ShardOf disagrees with (id >> 22) % count")
	}
	resp, err := http.Get(f.APIURL() + "gateway/bot")
	if err != nil {
		t.Fatal(err)
	}
	var gb struct {
		Shards int `json:"shards"`
		Limit  struct {
			MaxConcurrency int `json:"max_concurrency"`
		} `json:"session_start_limit"`
	}
	json.NewDecoder(resp.Body).Decode(&gb)
	resp.Body.Close()
	if gb.Shards != 2 || gb.Limit.MaxConcurrency != 1 {
		t.Fatalf("GET /gateway/bot: %+v", gb)
	}
	conns := make([]*rawConn, 2)
	for id := range conns {
		c := dialRaw(t, f, f.GatewayURL())
		c.send(2, map[string]any{"token": "tok", "intents": 1, "shard": [2]int{id, 2}, "properties": map[string]string{"os": "linux"}})
		c.until(0, "READY")
		fr := c.until(0, "GUILD_CREATE")
		var g struct {
			ID string `json:"id"`
		}
		json.Unmarshal(fr.D, &g)
		if want := []string{g0, g1}[id]; g.ID != want {
			t.Errorf("shard %d got GUILD_CREATE for %s, want %s", id, g.ID, want)
		}
		conns[id] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for id, guild := range []string{g0, g1} {
		in := fakediscord.SlashCommand("help")
		in.Unregistered, in.GuildID = true, guild
		if _, err := f.Interact(ctx, in); err != nil {
			t.Fatal(err)
		}
		fr := conns[id].until(0, "INTERACTION_CREATE")
		var got struct {
			GuildID string `json:"guild_id"`
		}
		json.Unmarshal(fr.D, &got)
		if got.GuildID != guild {
			t.Errorf("shard %d got the interaction of guild %s, want %s", id, got.GuildID, guild)
		}
	}
	bad := dialRaw(t, f, f.GatewayURL())
	bad.send(2, map[string]any{"token": "tok", "intents": 1, "shard": [2]int{2, 2}, "properties": map[string]string{"os": "linux"}})
	if fr := bad.until(-1, ""); fr.S != fakediscord.CloseInvalidShard {
		t.Errorf("shard [2, 2] closed with %d, want %d", fr.S, fakediscord.CloseInvalidShard)
	}
}
