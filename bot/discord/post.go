package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/internal/apperr"
)

// ErrForbidden means the bot may not post in a channel (missing access or
// permissions, or the channel is gone): retrying will not help until an
// admin changes something.
// It carries the code apperr.Forbidden, which the digest scheduler treats as
// undeliverable without knowing this package.
var ErrForbidden = &apperr.Error{Code: apperr.Forbidden, Message: "the bot may not post in this channel"}

// PostPolicy bounds the retries of one channel post.
type PostPolicy struct {
	// Attempts is the most tries per message; default 6.
	Attempts int
	// MaxWait caps one wait, whether Discord's retry_after or our backoff;
	// default 60 s.
	MaxWait time.Duration
	// Backoff is the first wait after a 5xx or network error, doubled each
	// time; default 1 s.
	Backoff time.Duration
	// Sleep waits; tests make it instant. Default: a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p PostPolicy) withDefaults() PostPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 6
	}
	if p.MaxWait <= 0 {
		p.MaxWait = time.Minute
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// messageCreate is the body of POST /channels/{id}/messages. discordgo's
// MessageSend has no nonce or enforce_nonce; with both, Discord returns
// the message already created instead of posting a repeat, so a retry after
// a lost response never double-posts.
type messageCreate struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
}

// Nonce returns the nonce for a message: key itself when it fits Discord's
// 25 characters, else a hash of it.
func Nonce(key string) string {
	if len(key) <= 25 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:25]
}

// Post sends m to a channel and returns the new message's ID. It waits out
// 429s (per route or global) and backs off on 5xx and network errors, up
// to the policy's bounds; missing permissions fail at once with
// ErrForbidden.
func (t *Transport) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	p := t.opts.Post.withDefaults()
	body := messageCreate{
		Content: m.Content, Embeds: embeds(m.Embeds), Components: components(m.Components),
		AllowedMentions: noMentions(),
	}
	if m.Nonce != "" {
		body.Nonce, body.EnforceNonce = Nonce(m.Nonce), true
	}
	endpoint := discordgo.EndpointChannelMessages(channelID)
	backoff := p.Backoff
	var last error
	for attempt := 1; attempt <= p.Attempts; attempt++ {
		out, err := t.s.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
		if err == nil {
			var msg struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(out, &msg); err != nil || msg.ID == "" {
				return "", fmt.Errorf("post to channel %s: unreadable reply %q", channelID, out)
			}
			return msg.ID, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("post to channel %s: %w", channelID, ctx.Err())
		}
		wait, retry := classify(err)
		last = err
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) {
			t.rateLimited(endpoint, wait)
		}
		if !retry {
			if forbidden(err) {
				return "", fmt.Errorf("post to channel %s: %w: %v", channelID, ErrForbidden, err)
			}
			return "", fmt.Errorf("post to channel %s: %w", channelID, err)
		}
		if attempt == p.Attempts {
			break
		}
		if wait == 0 { // no retry_after from Discord: back off, doubling
			wait = backoff
			backoff *= 2
		}
		wait = min(wait, p.MaxWait)
		t.log.Warn("post failed; retrying", "channel", channelID, "attempt", attempt, "wait", wait, "error", err)
		if err := p.Sleep(ctx, wait); err != nil {
			return "", fmt.Errorf("post to channel %s: %w", channelID, err)
		}
	}
	return "", fmt.Errorf("post to channel %s: gave up after %d attempts: %w", channelID, p.Attempts, last)
}

// classify says whether a failed post is worth retrying and how long
// Discord asked us to wait (0: not said; back off).
func classify(err error) (time.Duration, bool) {
	if errors.Is(err, ErrBanned) || errors.Is(err, ErrInvalidBudget) {
		return 0, false // retrying makes it worse
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		if rl.RateLimit != nil && rl.TooManyRequests != nil && rl.RetryAfter > 0 {
			return rl.RetryAfter, true
		}
		return 0, true
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		code := re.Response.StatusCode
		switch {
		case code == http.StatusForbidden, code == http.StatusNotFound:
			return 0, false
		case code >= 500, code == http.StatusTooManyRequests:
			return 0, true
		}
		return 0, false // other 4xx: our request is wrong; a retry repeats it
	}
	return 0, true // network error
}

// forbidden reports whether Discord refused a post for lack of access
// (403: missing access or permissions) or because the channel is unknown.
func forbidden(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Response != nil &&
		(re.Response.StatusCode == http.StatusForbidden || re.Response.StatusCode == http.StatusNotFound)
}
