package discord_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/ingest"
)

// TestMessageLimitsFollowDocs: the strict fake counts lengths in UTF-16
// units after trimming (resources/message#embed-object-embed-limits),
// requires "choices" in an autocomplete answer even when empty
// (interactions/receiving-and-responding), and offers a global command only
// in the contexts it lists (interactions/application-commands).
func TestMessageLimitsFollowDocs(t *testing.T) {
	h := start(t, fakediscord.Options{}, discord.Options{})
	ctx := ctxT(t)

	// An article whose title is 211 characters but 311 UTF-16 units: the
	// embed title must be clipped to 256 units, not characters.
	title := strings.Repeat("😀 ", 100) + "Arctic news"
	path := filepath.Join(t.TempDir(), "emoji.txt")
	text := title + "\n\nThe Arctic village held its summer fair on the square. Visitors came from far away.\n\nThe fair ended at night.\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	files, errs := corpus.Collect([]string{path})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := ingest.Run(context.Background(), h.db, files, ingest.Options{}, func(ingest.Result) {}); err != nil {
		t.Fatal(err)
	}
	ac, err := h.fake.Exchange(ctx, fakediscord.Autocomplete("article", fakediscord.Focused("id", "😀")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ac.Data.Choices) != 1 {
		t.Fatalf("autocomplete on the emoji title: %+v", ac.Data.Choices)
	}
	cb, err := h.fake.Exchange(ctx, fakediscord.SlashCommand("article", fakediscord.Str("id", ac.Data.Choices[0].Value.(string))))
	if err != nil {
		t.Fatalf("/article with a 311-unit title: %v", err)
	}
	if len(cb.Data.Embeds) != 1 || !strings.HasSuffix(cb.Data.Embeds[0].Title, "…") {
		t.Errorf("embed title not clipped: %+v", cb.Data.Embeds)
	}

	// No matches: "choices": [], which the fake requires.
	none, err := h.fake.Exchange(ctx, fakediscord.Autocomplete("article", fakediscord.Focused("id", "no title has this")))
	if err != nil {
		t.Fatalf("autocomplete with no matches: %v", err)
	}
	if !strings.Contains(string(none.Raw), `"choices":[]`) {
		t.Errorf("autocomplete with no matches sent %s", none.Raw)
	}

	// Global commands say they are for servers: not offered in DMs.
	cmds, err := h.fake.WaitCommands(ctx, "", 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if !slices.Equal(c.Contexts, []int{0}) {
			t.Errorf("/%s: contexts %v, want [0] (guilds only)", c.Name, c.Contexts)
		}
	}
	dm := fakediscord.SlashCommand("help")
	dm.DM = true
	if _, err := h.fake.Interact(ctx, dm); err == nil {
		t.Error("a global command was offered in a DM")
	}
}
