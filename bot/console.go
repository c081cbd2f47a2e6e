package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/digestbot/digestbot/internal/termsafe"
)

// Console is a transport that reads commands from a terminal (or a
// script) and prints each response the way Discord would show it. Lines are
// slash commands with named options, `/search query:border police
// from:2023`, or with the words going to the first option, `/search border
// police`. After a response with buttons, `click N` presses the N-th button
// (`click next` finds one by its label; `next` or `prev` typed alone press
// Next and Previous) and `select N` opens the N-th entry of its menu.
type Console struct {
	Bot *Bot
	In  io.Reader
	Out io.Writer
	// The identity requests carry; Permissions default to Manage Server so
	// the operator at the console may post digests.
	UserID, UserName, GuildID, ChannelID string
	Permissions                          int64

	mu     sync.Mutex // serialises output with Post
	last   Response
	posted int
}

// Run reads and answers lines until the input ends or ctx is done.
func (c *Console) Run(ctx context.Context) error {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c.In)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				if err := <-errc; err != nil {
					return fmt.Errorf("read console input: %w", err)
				}
				return nil
			}
			if quit := c.line(ctx, line); quit {
				return nil
			}
		}
	}
}

// line handles one input line; it reports whether to quit.
func (c *Console) line(ctx context.Context, line string) bool {
	line = strings.TrimSpace(line)
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return false
	case line == "quit" || line == "exit":
		return true
	}
	req, err := c.parse(line)
	if err != nil {
		c.print("⚠️ " + err.Error() + "\n")
		return false
	}
	resp := c.Bot.Handle(ctx, req)
	if req.Kind == KindAutocomplete {
		var sb strings.Builder
		for _, ch := range resp.Choices {
			fmt.Fprintf(&sb, "  %s  →  %s\n", ch.Name, ch.Value)
		}
		c.print(sb.String())
		return false
	}
	c.mu.Lock()
	if len(resp.Components) > 0 {
		c.last = resp
	}
	c.mu.Unlock()
	c.print(RenderText(resp))
	if resp.Public != nil {
		c.print("(posted in the channel for everyone)\n" + RenderMessageText(*resp.Public))
	}
	return false
}

func (c *Console) base() Request {
	return Request{UserID: c.UserID, UserName: c.UserName, GuildID: c.GuildID, ChannelID: c.ChannelID, Permissions: c.Permissions, AllChannels: true}
}

// parse turns a console line into a request.
func (c *Console) parse(line string) (Request, error) {
	req := c.base()
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(line) {
	case "next", "prev", "previous":
		return c.component(req, "click", strings.ToLower(line[:4]))
	}
	switch word {
	case "click", "select":
		return c.component(req, word, rest)
	case "complete", "?":
		// "complete /article mohe": what autocomplete would offer.
		req.Kind = KindAutocomplete
		req.Command = "article"
		req.Focused = "id"
		req.Options = map[string]string{"id": strings.TrimPrefix(strings.TrimPrefix(rest, "/article"), " ")}
		return req, nil
	}
	if !strings.HasPrefix(word, "/") {
		return req, fmt.Errorf("type a slash command such as /search border police, /date 2023-07 or /help; after a response with buttons, click N presses the N-th (next and prev page through results) and select N opens the N-th menu entry")
	}
	req.Kind = KindCommand
	req.Command = strings.TrimPrefix(word, "/")
	var spec *CommandSpec
	for _, s := range c.Bot.Commands() {
		if s.Name == req.Command {
			spec = &s
			break
		}
	}
	if spec == nil {
		return req, fmt.Errorf("unknown command %s; try /help", word)
	}
	opts, err := parseOptions(*spec, rest)
	if err != nil {
		return req, err
	}
	req.Options = opts
	return req, nil
}

// parseOptions reads "name:value" pairs, a value running to the next
// "name:" of this command; text before any name goes to the first option.
func parseOptions(spec CommandSpec, text string) (map[string]string, error) {
	opts := map[string]string{}
	if text == "" {
		return opts, nil
	}
	type mark struct{ at, end int }
	var marks []mark
	var names []string
	for i := 0; i < len(text); i++ {
		if i > 0 && text[i-1] != ' ' {
			continue
		}
		for _, o := range spec.Options {
			if strings.HasPrefix(text[i:], o.Name+":") {
				marks = append(marks, mark{i, i + len(o.Name) + 1})
				names = append(names, o.Name)
			}
		}
	}
	lead := text
	if len(marks) > 0 {
		lead = text[:marks[0].at]
	}
	if lead = strings.TrimSpace(lead); lead != "" {
		if len(spec.Options) == 0 {
			return nil, fmt.Errorf("/%s takes no options", spec.Name)
		}
		opts[spec.Options[0].Name] = lead
	}
	for i, m := range marks {
		end := len(text)
		if i+1 < len(marks) {
			end = marks[i+1].at
		}
		opts[names[i]] = strings.TrimSpace(text[m.end:end])
	}
	return opts, nil
}

// component presses a button or picks from the menu of the last response.
func (c *Console) component(req Request, verb, arg string) (Request, error) {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	req.Kind = KindComponent
	n, numErr := strconv.Atoi(arg)
	for _, row := range last.Components {
		for _, comp := range row {
			if verb == "select" && comp.Kind == Select {
				if numErr != nil || n < 1 || n > len(comp.Options) {
					return req, fmt.Errorf("select a number from 1 to %d", len(comp.Options))
				}
				req.CustomID, req.Values = comp.CustomID, []string{comp.Options[n-1].Value}
				return req, nil
			}
		}
	}
	if verb == "select" {
		return req, fmt.Errorf("the last response has no menu")
	}
	i := 0
	for _, row := range last.Components {
		for _, comp := range row {
			if comp.Kind != Button {
				continue
			}
			i++
			if (numErr == nil && n == i) || strings.Contains(strings.ToLower(comp.Label), strings.ToLower(arg)) && arg != "" {
				if comp.Disabled {
					return req, fmt.Errorf("%q is disabled", comp.Label)
				}
				req.CustomID = comp.CustomID
				return req, nil
			}
		}
	}
	return req, fmt.Errorf("no button %q on the last response", arg)
}

// Post prints a message as if posted to a channel (scheduled digests) and
// returns an ID for it, "console-1", "console-2", …
func (c *Console) Post(_ context.Context, channelID string, m Message) (string, error) {
	c.mu.Lock()
	c.posted++
	id := fmt.Sprintf("console-%d", c.posted)
	c.mu.Unlock()
	c.print(fmt.Sprintf("── posted to #%s (message %s) ──\n", channelID, id) + RenderMessageText(m))
	return id, nil
}

// print writes s to the terminal with its control characters other than
// newlines and tabs escaped: text from article files (a file name shown as
// a source) must not drive the operator's terminal.
func (c *Console) print(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.Out, termsafe.Lines(s))
}
