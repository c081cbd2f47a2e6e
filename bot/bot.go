// Package bot is digestbot's command core: slash commands, buttons, select
// menus and autocomplete as plain Go handlers that take a Request and return
// a Response. Transports (the Discord gateway, the console) turn real
// traffic into Requests and Responses back into traffic; nothing here
// imports discordgo.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/digestbot/digestbot/internal/apperr"
)

// Kind is what a Request is.
type Kind int

// The kinds of Request.
const (
	KindCommand      Kind = iota + 1 // a slash command
	KindComponent                    // a button press or select menu choice
	KindAutocomplete                 // the user is typing an option
)

// Permission bits the bot checks (Discord's values).
const (
	PermManageGuild int64 = 1 << 5
	PermAdmin       int64 = 1 << 3
)

// Request is one interaction, transport-neutral.
type Request struct {
	Kind Kind
	// Command is the slash command's name ("search") for commands and
	// autocomplete.
	Command string
	// Options are the command's options by name, as the user gave them.
	Options map[string]string
	// Focused names the option being typed, for autocomplete.
	Focused string
	// CustomID and Values are a component's ID and selected values.
	CustomID string
	Values   []string

	UserID, UserName   string
	GuildID, ChannelID string
	// Permissions are the member's permissions in the channel; Roles the
	// names of the member's roles (when the transport knows them).
	Permissions int64
	Roles       []string
	// AllChannels marks a request from the operator's console, which
	// stands for every channel: /schedule lists every digest.
	AllChannels bool
}

// Option returns an option's value, "" when absent.
func (r Request) Option(name string) string { return r.Options[name] }

// Response is what the bot answers.
type Response struct {
	Content    string
	Embeds     []Embed
	Components []Row
	// Ephemeral responses are shown only to the user who asked.
	Ephemeral bool
	// Update edits the message a component belongs to instead of sending a
	// new one.
	Update bool
	// Choices answer an autocomplete request.
	Choices []Choice
	// Files are attached to the message.
	Files []File
	// Public is a message to post in the channel for everyone, after the
	// (ephemeral) response: the "Share in channel" action.
	Public *Message
}

// Message is a plain channel message.
type Message struct {
	Content    string
	Embeds     []Embed
	Components []Row
	// Nonce lets Discord drop a repeat of the same message.
	Nonce string
}

// Embed is a rich box in a message; the limits are Discord's.
type Embed struct {
	Title       string // ≤ 256
	URL         string
	Description string // ≤ 4096
	Fields      []Field
	Footer      string // ≤ 2048
	Color       int
	Timestamp   time.Time
}

// Field is a name/value pair in an embed.
type Field struct {
	Name, Value string // ≤ 256, ≤ 1024
	Inline      bool
}

// Row is an action row of components: up to five buttons, or one select.
type Row []Component

// ComponentKind is a button or a select menu.
type ComponentKind int

// Component kinds.
const (
	Button ComponentKind = iota + 1
	Select
)

// Component is a button or a select menu.
type Component struct {
	Kind     ComponentKind
	CustomID string // ≤ 100 characters
	Label    string // buttons
	Style    ButtonStyle
	Disabled bool
	// Placeholder and Options are for select menus (≤ 25 options).
	Placeholder string
	Options     []SelectOption
}

// ButtonStyle is Discord's button colour.
type ButtonStyle int

// Button styles.
const (
	Primary   ButtonStyle = 1
	Secondary ButtonStyle = 2
	Success   ButtonStyle = 3
	Danger    ButtonStyle = 4
)

// SelectOption is one choice in a select menu.
type SelectOption struct {
	Label, Value, Description string
}

// Choice is one autocomplete suggestion.
type Choice struct {
	Name, Value string
}

// File is an attachment.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Error is a problem to show the user: what was wrong and how to fix it
// (digestbot's one user-facing error type). Handlers return it for bad
// input; any error without a code other than apperr.Internal is logged and
// the user sees a generic apology.
type Error = apperr.Error

// Errorf returns a user-facing *Error with the code apperr.Invalid.
func Errorf(format string, args ...any) error {
	return apperr.Errorf(apperr.Invalid, format, args...)
}

// userError reports whether err has a message meant for the user.
func userError(err error) bool {
	c := apperr.CodeOf(err)
	return c != "" && c != apperr.Internal
}

// ErrorResponse turns a handler error into what the user sees: the message
// of an *Error, or a generic line for anything else (logged in full).
func ErrorResponse(log *slog.Logger, req Request, err error) Response {
	if userError(err) {
		// The message may quote what the user typed: defuse mentions
		// (allowed_mentions stops pings too; this keeps the text inert).
		return Response{Content: "⚠️ " + strings.ReplaceAll(apperr.MessageOf(err), "@", "@\u200b"), Ephemeral: true}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		log.Warn("request timed out", "command", req.Command, "custom_id", req.CustomID, "error", err)
		return Response{Content: "⚠️ That took too long; please try again.", Ephemeral: true}
	}
	log.Error("request failed", "command", req.Command, "custom_id", req.CustomID, "user", req.UserID, "error", err)
	return Response{Content: "⚠️ Something went wrong on our side; it has been logged. Please try again later.", Ephemeral: true}
}
