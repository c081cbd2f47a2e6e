package digest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digestbot/digestbot/internal/apperr"
)

// Poster delivers digest messages to a channel. The bot implements it for
// Discord; WriterPoster prints them.
type Poster interface {
	// Post sends m to channel and returns the ID of the message created.
	// m.Nonce identifies the message: posting the same nonce again soon
	// after must not create a second message (Discord's enforce_nonce). An
	// error wrapping ErrUndeliverable means retrying cannot help (unknown
	// channel, missing permission); any other error is retried later.
	Post(ctx context.Context, channel string, m Message) (id string, err error)
}

// ErrUndeliverable marks a post that retrying cannot deliver. An error with
// the code apperr.Forbidden (the bot may not post there) is undeliverable
// too.
var ErrUndeliverable = errors.New("message cannot be delivered")

// undeliverable reports whether retrying err cannot help.
func undeliverable(err error) bool {
	return errors.Is(err, ErrUndeliverable) || apperr.Is(err, apperr.Forbidden)
}

// WriterPoster prints each message to W as text, the way Discord would
// show it, and returns IDs "local-1", "local-2", … It remembers the nonces
// it has seen and, like Discord, does not print a repeat.
type WriterPoster struct {
	W io.Writer

	mu     sync.Mutex
	n      int
	nonces map[string]string
}

// Post prints m.
func (p *WriterPoster) Post(ctx context.Context, channel string, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, ok := p.nonces[m.Nonce]; ok && m.Nonce != "" {
		return id, nil
	}
	p.n++
	id := "local-" + strconv.Itoa(p.n)
	if m.Nonce != "" {
		if p.nonces == nil {
			p.nonces = map[string]string{}
		}
		p.nonces[m.Nonce] = id
	}
	if _, err := fmt.Fprintf(p.W, "── #%s · message %s ──\n%s\n", channel, id, FormatText(m)); err != nil {
		return "", fmt.Errorf("print message: %w", err)
	}
	return id, nil
}

var timestampRE = regexp.MustCompile(`<t:(-?\d+):D>`)

// FormatText renders a message as plain text: the content, then each embed
// as a box; Discord timestamps become dates (UTC).
func FormatText(m Message) string {
	var b strings.Builder
	dates := func(s string) string {
		s = unescape(s)
		return timestampRE.ReplaceAllStringFunc(s, func(t string) string {
			sec, err := strconv.ParseInt(timestampRE.FindStringSubmatch(t)[1], 10, 64)
			if err != nil {
				return t
			}
			return time.Unix(sec, 0).UTC().Format(time.DateOnly)
		})
	}
	if m.Content != "" {
		b.WriteString(dates(m.Content))
		b.WriteByte('\n')
	}
	for _, e := range m.Embeds {
		fmt.Fprintf(&b, "┌ %s\n", dates(e.Title))
		if e.URL != "" {
			fmt.Fprintf(&b, "│ <%s>\n", e.URL)
		}
		for _, line := range strings.Split(dates(e.Description), "\n") {
			b.WriteString("│ ")
			b.WriteString(line)
			b.WriteByte('\n')
		}
		if e.Footer != nil {
			fmt.Fprintf(&b, "└ %s\n", e.Footer.Text)
		} else {
			b.WriteString("└\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// unescape removes the backslashes escape put before markdown characters.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\*_~`|>#-", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
