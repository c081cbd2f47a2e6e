package bot

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// RenderText draws a response as plain text, the way Discord would lay it
// out: content, embeds as boxes, then components. The console prints it and
// tests compare it with golden files.
func RenderText(r Response) string {
	var sb strings.Builder
	if r.Ephemeral {
		sb.WriteString("(only you can see this)\n")
	}
	if r.Update {
		sb.WriteString("(updates the message)\n")
	}
	writeMessage(&sb, r.Content, r.Embeds, r.Components)
	for _, f := range r.Files {
		fmt.Fprintf(&sb, "📎 %s (%d bytes)\n", f.Name, len(f.Data))
	}
	return sb.String()
}

// RenderMessageText draws a channel message as plain text.
func RenderMessageText(m Message) string {
	var sb strings.Builder
	writeMessage(&sb, m.Content, m.Embeds, m.Components)
	return sb.String()
}

// timestampRE matches Discord timestamps, <t:UNIX:STYLE>.
var timestampRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<t:(-?\d+)(?::([tTdDfFR]))?>`) })

// discordText shows Discord markup as a reader sees it: timestamps as
// dates (in UTC here; Discord uses each reader's zone).
func discordText(s string) string {
	return timestampRE().ReplaceAllStringFunc(s, func(m string) string {
		sub := timestampRE().FindStringSubmatch(m)
		var unix int64
		fmt.Sscan(sub[1], &unix)
		t := time.Unix(unix, 0).UTC()
		switch sub[2] {
		case "t":
			return t.Format("15:04")
		case "T":
			return t.Format("15:04:05")
		case "d":
			return t.Format("2006-01-02")
		case "D":
			return t.Format("January 2, 2006")
		case "R":
			return "relative to " + t.Format("2006-01-02 15:04") + " UTC"
		}
		return t.Format("Monday, January 2, 2006 15:04 UTC")
	})
}

func writeMessage(sb *strings.Builder, content string, embeds []Embed, rows []Row) {
	if content != "" {
		sb.WriteString(discordText(content))
		sb.WriteString("\n")
	}
	for _, e := range embeds {
		writeEmbed(sb, e)
	}
	for _, row := range rows {
		var parts []string
		for _, c := range row {
			switch c.Kind {
			case Button:
				label := "[" + c.Label + "]"
				if c.Disabled {
					label = "[" + c.Label + " (disabled)]"
				}
				parts = append(parts, label)
			case Select:
				var opts []string
				for i, o := range c.Options {
					opts = append(opts, fmt.Sprintf("  %d) %s", i+1, o.Label))
				}
				parts = append(parts, "["+c.Placeholder+" ▾]\n"+strings.Join(opts, "\n"))
			}
		}
		sb.WriteString(strings.Join(parts, " "))
		sb.WriteString("\n")
	}
}

func writeEmbed(sb *strings.Builder, e Embed) {
	bar := "│ "
	sb.WriteString("┌─ ")
	sb.WriteString(discordText(e.Title))
	sb.WriteString("\n")
	if e.URL != "" {
		sb.WriteString("│ <" + e.URL + ">\n")
	}
	line := func(s string) {
		for _, l := range strings.Split(s, "\n") {
			sb.WriteString(bar)
			sb.WriteString(l)
			sb.WriteString("\n")
		}
	}
	if e.Description != "" {
		line(discordText(e.Description))
	}
	for _, f := range e.Fields {
		line("▸ " + discordText(f.Name))
		line("  " + strings.ReplaceAll(discordText(f.Value), "\n", "\n  "))
	}
	if e.Footer != "" {
		line("— " + discordText(e.Footer))
	}
	sb.WriteString("└──\n")
}
