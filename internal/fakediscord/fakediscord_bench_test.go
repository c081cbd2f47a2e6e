package fakediscord_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digestbot/digestbot/internal/fakediscord"
)

func quickAnswer(s *discordgo.Session, i *discordgo.InteractionCreate) {
	s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "ok", Flags: discordgo.MessageFlagsEphemeral}})
}

// BenchmarkExchange measures one interaction's round trip through the fake
// and a real discordgo client: dispatch → handler → callback recorded.
func BenchmarkExchange(b *testing.B) {
	f := fakediscord.New(fakediscord.Options{HeartbeatInterval: 5 * time.Second})
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s, _ := discordgo.New("Bot tok")
	f.Configure(s)
	s.LogLevel = -1
	s.AddHandler(quickAnswer)
	if err := s.Open(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ApplicationCommandBulkOverwrite(f.ApplicationID(), "", searchCommands); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	in := fakediscord.SlashCommand("search", fakediscord.Str("query", "border police"))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := f.Exchange(ctx, in); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkBurst500 sends 500 interactions as fast as the gateway takes
// them, then waits for every callback.
func BenchmarkBurst500(b *testing.B) {
	f := fakediscord.New(fakediscord.Options{HeartbeatInterval: 5 * time.Second, CallbackDeadline: -1})
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s, _ := discordgo.New("Bot tok")
	f.Configure(s)
	s.LogLevel = -1
	s.AddHandler(quickAnswer)
	if err := s.Open(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ApplicationCommandBulkOverwrite(f.ApplicationID(), "", searchCommands); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	in := fakediscord.SlashCommand("search", fakediscord.Str("query", "border police"))
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		ids := make([]string, 500)
		starts := make([]time.Time, 500)
		for i := range ids {
			starts[i] = time.Now()
			sent, err := f.Interact(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = sent.ID
		}
		for i, id := range ids {
			cb, err := f.WaitCallback(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, cb.Time.Sub(starts[i]))
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ms-p99")
}
