package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// GatewayBot asks Discord (GET /gateway/bot) how many shards the bot
// should run and how many may identify at once (max_concurrency).
func (t *Transport) GatewayBot(ctx context.Context) (shards, maxConcurrency int, err error) {
	gb, err := t.s.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		return 0, 0, fmt.Errorf("discord: recommended shard count (GET /gateway/bot): %w", err)
	}
	return max(gb.Shards, 1), max(gb.SessionStartLimit.MaxConcurrency, 1), nil
}
