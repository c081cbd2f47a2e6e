package fakediscord

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// textLen is a length as Discord checks it against a limit: UTF-16 code
// units (how its JavaScript clients count: an emoji outside the BMP is 2)
// after leading and trailing white space is trimmed
// (resources/message#embed-object-embed-limits: "Leading and trailing
// whitespace characters are not included (they are trimmed
// automatically)").
func textLen(s string) int { return unitLen(strings.TrimSpace(s)) }

// unitLen is the length in UTF-16 code units, untrimmed: for identifiers
// (custom_id, values), which Discord keeps as sent.
func unitLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Payload is the message-like body of a channel message, an interaction
// callback's data, a follow-up or an edit, decoded for assertions.
type Payload struct {
	Content         string           `json:"content"`
	Flags           int              `json:"flags"`
	TTS             bool             `json:"tts"`
	Embeds          []Embed          `json:"embeds"`
	Components      []Component      `json:"components"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions"`
	// Choices answer an autocomplete interaction (callback type 8).
	Choices []Choice `json:"choices"`
	// CustomID and Title belong to a modal (callback type 9).
	CustomID string `json:"custom_id"`
	Title    string `json:"title"`
}

// Message flags.
const (
	FlagSuppressEmbeds = 1 << 2
	FlagEphemeral      = 1 << 6
	FlagComponentsV2   = 1 << 15
)

// Ephemeral reports whether the payload is visible only to the invoker.
func (p Payload) Ephemeral() bool { return p.Flags&FlagEphemeral != 0 }

// CustomIDs lists the custom IDs of every component, depth first.
func (p Payload) CustomIDs() []string {
	var out []string
	var walk func([]Component)
	walk = func(cs []Component) {
		for _, c := range cs {
			if c.CustomID != "" {
				out = append(out, c.CustomID)
			}
			walk(c.Components)
		}
	}
	walk(p.Components)
	return out
}

// FindComponent returns the component with a custom ID.
func (p Payload) FindComponent(customID string) (Component, bool) {
	var found *Component
	var walk func([]Component)
	walk = func(cs []Component) {
		for i := range cs {
			if found != nil {
				return
			}
			if cs[i].CustomID == customID {
				found = &cs[i]
				return
			}
			walk(cs[i].Components)
		}
	}
	walk(p.Components)
	if found == nil {
		return Component{}, false
	}
	return *found, true
}

// AllowedMentions is the allowed_mentions object.
type AllowedMentions struct {
	Parse       []string `json:"parse"`
	Roles       []string `json:"roles"`
	Users       []string `json:"users"`
	RepliedUser bool     `json:"replied_user"`
}

// Embed is a rich embed.
type Embed struct {
	Type        string       `json:"type"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	URL         string       `json:"url"`
	Timestamp   string       `json:"timestamp"`
	Color       int          `json:"color"`
	Footer      *EmbedFooter `json:"footer"`
	Author      *EmbedAuthor `json:"author"`
	Fields      []EmbedField `json:"fields"`
	Image       *EmbedMedia  `json:"image"`
	Thumbnail   *EmbedMedia  `json:"thumbnail"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text    string `json:"text"`
	IconURL string `json:"icon_url"`
}

// EmbedAuthor is an embed's author line.
type EmbedAuthor struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	IconURL string `json:"icon_url"`
}

// EmbedField is one field of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// EmbedMedia is an embed image or thumbnail.
type EmbedMedia struct {
	URL string `json:"url"`
}

// Component is a message component: an action row (type 1) holding
// buttons (2) or a select menu (3, 5-8), or a text input (4) in a modal.
type Component struct {
	Type        int            `json:"type"`
	CustomID    string         `json:"custom_id"`
	Label       string         `json:"label"`
	Style       int            `json:"style"`
	URL         string         `json:"url"`
	Disabled    bool           `json:"disabled"`
	Placeholder string         `json:"placeholder"`
	MinValues   *int           `json:"min_values"`
	MaxValues   *int           `json:"max_values"`
	Options     []SelectOption `json:"options"`
	Components  []Component    `json:"components"`
}

// SelectOption is one option of a string select menu.
type SelectOption struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
}

// Component types.
const (
	ComponentActionRow    = 1
	ComponentButton       = 2
	ComponentStringSelect = 3
	ComponentTextInput    = 4
	ComponentUserSelect   = 5
	ComponentRoleSelect   = 6
	ComponentMentionable  = 7
	ComponentChannel      = 8
)

// File is an uploaded attachment.
type File struct {
	ID          string // attachment ID assigned by the fake
	Name        string
	ContentType string
	Data        []byte
}

// validatePayload applies Discord's message limits, every length counted
// by textLen (UTF-16 units after trimming): content ≤ 2000
// (resources/message#create-message-jsonform-params), the embed limits
// (resources/message#embed-object-embed-limits: title 256, description
// 4096, 25 fields, field name 256 and value 1024, footer 2048, author 256,
// 6000 in all, and fields required after trimming), and components
// (components/reference: 5 rows, custom_id ≤ 100). creating requires a
// non-empty message (edits may clear fields).
func validatePayload(p Payload, files int, creating bool) []fieldError {
	var errs []fieldError
	add := func(path, code, msg string) { errs = append(errs, fieldError{Path: path, Code: code, Message: msg}) }
	if n := textLen(p.Content); n > 2000 {
		add("content", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be 2000 or fewer in length (got %d).", n))
	}
	if len(p.Embeds) > 10 {
		add("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
	}
	if files > 10 {
		add("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
	}
	total := 0
	for i, e := range p.Embeds {
		ep := "embeds." + strconv.Itoa(i)
		maxLen := func(field, s string, limit int) {
			n := textLen(s)
			total += n
			if n > limit {
				add(ep+"."+field, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length (got %d).", limit, n))
			}
		}
		maxLen("title", e.Title, 256)
		maxLen("description", e.Description, 4096)
		if e.Footer != nil {
			maxLen("footer.text", e.Footer.Text, 2048)
		}
		if e.Author != nil {
			maxLen("author.name", e.Author.Name, 256)
		}
		if len(e.Fields) > 25 {
			add(ep+".fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		for j, fl := range e.Fields {
			fp := "fields." + strconv.Itoa(j)
			if strings.TrimSpace(fl.Name) == "" {
				add(ep+"."+fp+".name", "BASE_TYPE_REQUIRED", "This field is required")
			}
			if strings.TrimSpace(fl.Value) == "" {
				add(ep+"."+fp+".value", "BASE_TYPE_REQUIRED", "This field is required")
			}
			maxLen(fp+".name", fl.Name, 256)
			maxLen(fp+".value", fl.Value, 1024)
		}
	}
	if total > 6000 {
		add("embeds", "MESSAGE_EMBEDS_TOO_LONG", fmt.Sprintf("Embed size exceeds maximum size of 6000 (got %d)", total))
	}
	if p.Flags&FlagComponentsV2 == 0 {
		errs = append(errs, validateComponents(p.Components)...)
	}
	if creating && p.Content == "" && len(p.Embeds) == 0 && len(p.Components) == 0 && files == 0 {
		add("", "EMPTY_MESSAGE", "Cannot send an empty message")
	}
	return errs
}

func validateComponents(rows []Component) []fieldError {
	var errs []fieldError
	add := func(path, msg string) {
		errs = append(errs, fieldError{Path: path, Code: "COMPONENT_INVALID", Message: msg})
	}
	if len(rows) > 5 {
		add("components", "Must be 5 or fewer in length.")
	}
	ids := map[string]bool{}
	for i, row := range rows {
		rp := "components." + strconv.Itoa(i)
		if row.Type != ComponentActionRow {
			add(rp+".type", "Top-level components must be action rows")
			continue
		}
		buttons, selects := 0, 0
		for j, c := range row.Components {
			cp := rp + ".components." + strconv.Itoa(j)
			if c.CustomID != "" {
				if ids[c.CustomID] {
					add(cp+".custom_id", "Component custom id cannot be duplicated")
				}
				ids[c.CustomID] = true
				if unitLen(c.CustomID) > 100 {
					add(cp+".custom_id", "Must be 100 or fewer in length.")
				}
			}
			switch c.Type {
			case ComponentButton:
				buttons++
				if textLen(c.Label) > 80 {
					add(cp+".label", "Must be 80 or fewer in length.")
				}
				if c.Style == 5 {
					if c.URL == "" || c.CustomID != "" {
						add(cp, "A link button needs a url and no custom_id")
					}
				} else if c.Style >= 1 && c.Style <= 4 {
					if c.CustomID == "" {
						add(cp+".custom_id", "A non-link button needs a custom_id")
					}
				} else if c.Style != 6 {
					add(cp+".style", fmt.Sprintf("Value %d is not a valid button style", c.Style))
				}
			case ComponentStringSelect, ComponentUserSelect, ComponentRoleSelect, ComponentMentionable, ComponentChannel:
				selects++
				if c.CustomID == "" {
					add(cp+".custom_id", "This field is required")
				}
				if textLen(c.Placeholder) > 150 {
					add(cp+".placeholder", "Must be 150 or fewer in length.")
				}
				if c.Type == ComponentStringSelect && (len(c.Options) < 1 || len(c.Options) > 25) {
					add(cp+".options", "Must be between 1 and 25 in length.")
				}
				if c.MinValues != nil && (*c.MinValues < 0 || *c.MinValues > 25) {
					add(cp+".min_values", "int value should be between 0 and 25")
				}
				if c.MaxValues != nil && (*c.MaxValues < 1 || *c.MaxValues > 25) {
					add(cp+".max_values", "int value should be between 1 and 25")
				}
				seen := map[string]bool{}
				for k, o := range c.Options {
					op := cp + ".options." + strconv.Itoa(k)
					if n := textLen(o.Label); n < 1 || n > 100 {
						add(op+".label", "Must be between 1 and 100 in length.")
					}
					if n := unitLen(o.Value); n < 1 || n > 100 {
						add(op+".value", "Must be between 1 and 100 in length.")
					}
					if textLen(o.Description) > 100 {
						add(op+".description", "Must be 100 or fewer in length.")
					}
					if seen[o.Value] {
						add(op+".value", "Select option values must be unique")
					}
					seen[o.Value] = true
				}
			default:
				add(cp+".type", fmt.Sprintf("Component type %d is not allowed in an action row", c.Type))
			}
		}
		switch {
		case buttons+selects == 0:
			add(rp+".components", "Must be between 1 and 5 in length.")
		case selects > 0 && buttons+selects > 1:
			add(rp+".components", "A select menu must be alone in its action row")
		case buttons > 5:
			add(rp+".components", "Must be 5 or fewer in length.")
		}
	}
	return errs
}

func validateChoices(cs []Choice) []fieldError {
	var errs []fieldError
	if len(cs) > 25 {
		errs = append(errs, fieldError{Path: "data.choices", Code: "BASE_TYPE_MAX_LENGTH", Message: "Must be 25 or fewer in length."})
	}
	for i, c := range cs {
		p := "data.choices." + strconv.Itoa(i)
		if n := textLen(c.Name); n < 1 || n > 100 {
			errs = append(errs, fieldError{Path: p + ".name", Code: "BASE_TYPE_BAD_LENGTH", Message: "Must be between 1 and 100 in length."})
		}
		if s, ok := c.Value.(string); ok && unitLen(s) > 100 {
			errs = append(errs, fieldError{Path: p + ".value", Code: "BASE_TYPE_MAX_LENGTH", Message: "Must be 100 or fewer in length."})
		}
	}
	return errs
}
