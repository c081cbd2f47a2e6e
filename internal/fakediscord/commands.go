package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Command is a registered application command as the fake stores it.
type Command struct {
	ID            string
	ApplicationID string
	GuildID       string // "" for a global command
	Version       string
	Type          int // 1 chat input (slash), 2 user, 3 message
	Name          string
	Description   string
	Options       []CommandOption
	// Contexts where a global command may be used: 0 guild, 1 the bot's
	// DM, 2 other private channels; nil when the command did not say (all).
	Contexts []int
	Raw      json.RawMessage // the JSON the fake answers with
}

// CommandOption is an option declared by a command.
type CommandOption struct {
	Type         int             `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Required     bool            `json:"required"`
	Autocomplete bool            `json:"autocomplete"`
	Choices      []Choice        `json:"choices"`
	Options      []CommandOption `json:"options"`
	MinLength    *int            `json:"min_length"`
	MaxLength    *int            `json:"max_length"`
	MinValue     *float64        `json:"min_value"`
	MaxValue     *float64        `json:"max_value"`
	ChannelTypes []int           `json:"channel_types"`
}

// Choice is a command option choice or an autocomplete suggestion.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Option types.
const (
	OptSubCommand      = 1
	OptSubCommandGroup = 2
	OptString          = 3
	OptInteger         = 4
	OptBoolean         = 5
	OptUser            = 6
	OptChannel         = 7
	OptRole            = 8
	OptMentionable     = 9
	OptNumber          = 10
	OptAttachment      = 11
)

type commandJSON struct {
	Type        int             `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Options     []CommandOption `json:"options"`
	Contexts    []int           `json:"contexts"`
}

// Commands returns the commands registered in a scope: "" for global, or a
// guild ID.
func (f *Server) Commands(guildID string) []Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Command, 0, len(f.commands[guildID]))
	for _, c := range f.commands[guildID] {
		out = append(out, *c)
	}
	return out
}

// WaitCommands waits until at least n commands are registered in a scope.
func (f *Server) WaitCommands(ctx context.Context, guildID string, n int) ([]Command, error) {
	err := f.wait(ctx, fmt.Sprintf("%d commands in scope %q", n, guildID), func() bool {
		return len(f.commands[guildID]) >= n
	})
	return f.Commands(guildID), err
}

// lookupCommandLocked finds a chat command by name, guild scope first.
func (f *Server) lookupCommandLocked(guildID, name string) *Command {
	for _, scope := range []string{guildID, ""} {
		for _, c := range f.commands[scope] {
			if c.Name == name && c.Type == 1 {
				return c
			}
		}
		if guildID == "" {
			break
		}
	}
	return nil
}

// routeCommands serves /applications/{app}/commands[/{id}] and
// /applications/{app}/guilds/{g}/commands[/{id}].
func (f *Server) routeCommands(w http.ResponseWriter, r *http.Request, rec *Request, seg []string, body []byte) {
	app, scope, rest := seg[1], "", seg[3:]
	if seg[2] == "guilds" {
		scope, rest = seg[3], seg[5:]
		if _, ok := f.guild(scope); !ok {
			rec.Route = r.Method + " /applications/{app}/guilds/{id}/commands"
			writeError(w, http.StatusForbidden, codeMissingAccess, "Missing Access")
			return
		}
	}
	base := "/applications/{app}/commands"
	if scope != "" {
		base = "/applications/{app}/guilds/{id}/commands"
	}
	if len(rest) > 1 {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	if app != f.opts.ApplicationID {
		rec.Route = r.Method + " " + base
		writeError(w, http.StatusForbidden, codeMissingAccess, "Missing Access")
		return
	}
	if len(rest) == 0 {
		rec.Route = r.Method + " " + base
		switch r.Method {
		case "GET":
			f.mu.Lock()
			list := make([]json.RawMessage, 0, len(f.commands[scope]))
			for _, c := range f.commands[scope] {
				list = append(list, c.Raw)
			}
			f.mu.Unlock()
			writeJSON(w, http.StatusOK, list)
		case "PUT":
			f.bulkOverwrite(w, scope, body)
		case "POST":
			f.createCommand(w, scope, body)
		default:
			rec.Route = ""
			writeError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
		}
		return
	}
	id := rest[0]
	rec.Route = r.Method + " " + base + "/{id}"
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := -1
	for i, c := range f.commands[scope] {
		if c.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		writeError(w, http.StatusNotFound, codeUnknownCommand, "Unknown application command")
		return
	}
	switch r.Method {
	case "GET":
		writeJSON(w, http.StatusOK, f.commands[scope][idx].Raw)
	case "DELETE":
		f.commands[scope] = append(f.commands[scope][:idx:idx], f.commands[scope][idx+1:]...)
		f.notifyLocked()
		w.WriteHeader(http.StatusNoContent)
	case "PATCH":
		old := f.commands[scope][idx]
		var patch map[string]json.RawMessage
		if err := json.Unmarshal(body, &patch); err != nil {
			badJSON(w, err)
			return
		}
		var merged map[string]json.RawMessage
		json.Unmarshal(old.Raw, &merged)
		for k, v := range patch {
			merged[k] = v
		}
		mb, _ := json.Marshal(merged)
		c, errs := f.buildCommandLocked(scope, mb, old.ID)
		others := append(append([]*Command{}, f.commands[scope][:idx]...), f.commands[scope][idx+1:]...)
		errs = append(errs, checkCommandSet(append(others, c), "")...)
		if len(errs) > 0 {
			writeFormError(w, errs)
			return
		}
		f.commands[scope][idx] = c
		f.notifyLocked()
		writeJSON(w, http.StatusOK, c.Raw)
	default:
		writeError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
}

func (f *Server) bulkOverwrite(w http.ResponseWriter, scope string, body []byte) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		badJSON(w, err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	existing := map[string]string{}
	for _, c := range f.commands[scope] {
		existing[strconv.Itoa(c.Type)+"/"+c.Name] = c.ID
	}
	var cmds []*Command
	var errs []fieldError
	for i, raw := range raws {
		c, e := f.buildCommandLocked(scope, raw, "")
		for _, fe := range e {
			fe.Path = strconv.Itoa(i) + "." + fe.Path
			errs = append(errs, fe)
		}
		if c == nil {
			continue
		}
		if id, ok := existing[strconv.Itoa(c.Type)+"/"+c.Name]; ok {
			c.ID = id // Discord keeps a command's ID across overwrites
			c.Raw = withField(c.Raw, "id", id)
		}
		cmds = append(cmds, c)
	}
	errs = append(errs, checkCommandSet(cmds, "")...)
	if len(errs) > 0 {
		writeFormError(w, errs)
		return
	}
	f.commands[scope] = cmds
	f.notifyLocked()
	list := make([]json.RawMessage, 0, len(cmds))
	for _, c := range cmds {
		list = append(list, c.Raw)
	}
	writeJSON(w, http.StatusOK, list)
}

func (f *Server) createCommand(w http.ResponseWriter, scope string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, errs := f.buildCommandLocked(scope, body, "")
	if len(errs) > 0 {
		writeFormError(w, errs)
		return
	}
	// POST with an existing name replaces that command (Discord's upsert).
	list := f.commands[scope]
	status := http.StatusCreated
	replaced := false
	for i, old := range list {
		if old.Name == c.Name && old.Type == c.Type {
			c.ID = old.ID
			c.Raw = withField(c.Raw, "id", old.ID)
			list[i] = c
			replaced, status = true, http.StatusOK
		}
	}
	if !replaced {
		if errs := checkCommandSet(append(append([]*Command{}, list...), c), ""); len(errs) > 0 {
			writeFormError(w, errs)
			return
		}
		f.commands[scope] = append(list, c)
	}
	f.notifyLocked()
	writeJSON(w, status, c.Raw)
}

// buildCommandLocked decodes, validates and stamps a command body.
func (f *Server) buildCommandLocked(scope string, raw []byte, id string) (*Command, []fieldError) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, []fieldError{{Path: "", Code: "DICT_TYPE_CONVERT", Message: "Only dictionaries may be used in a DictType"}}
	}
	var cj commandJSON
	if err := json.Unmarshal(raw, &cj); err != nil {
		return nil, []fieldError{{Path: "", Code: "BASE_TYPE_BAD_TYPE", Message: err.Error()}}
	}
	if cj.Type == 0 {
		cj.Type = 1
	}
	errs := validateCommand(cj)
	if len(errs) > 0 {
		return nil, errs
	}
	if id == "" {
		id = f.newIDLocked()
	}
	c := &Command{ID: id, ApplicationID: f.opts.ApplicationID, GuildID: scope, Version: f.newIDLocked(),
		Type: cj.Type, Name: cj.Name, Description: cj.Description, Options: cj.Options, Contexts: cj.Contexts}
	set := func(k string, v any) { b, _ := json.Marshal(v); fields[k] = b }
	set("id", c.ID)
	set("application_id", c.ApplicationID)
	set("version", c.Version)
	set("type", c.Type)
	if scope != "" {
		set("guild_id", scope)
	} else {
		delete(fields, "guild_id")
	}
	if o, ok := fields["options"]; !ok || string(o) == "null" {
		set("options", []any{})
	}
	if _, ok := fields["default_member_permissions"]; !ok {
		fields["default_member_permissions"] = json.RawMessage("null")
	}
	c.Raw, _ = json.Marshal(fields)
	return c, nil
}

func withField(raw json.RawMessage, k string, v any) json.RawMessage {
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	b, _ := json.Marshal(v)
	m[k] = b
	out, _ := json.Marshal(m)
	return out
}

var chatName = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func validName(name string) bool {
	return chatName.MatchString(name) && strings.ToLower(name) == name
}

// validateCommand applies Discord's documented limits to one command.
func validateCommand(c commandJSON) []fieldError {
	var errs []fieldError
	add := func(path, msg string) {
		errs = append(errs, fieldError{Path: path, Code: "APPLICATION_COMMAND_INVALID", Message: msg})
	}
	switch c.Type {
	case 1:
		if !validName(c.Name) {
			add("name", fmt.Sprintf("Command name %q is invalid: 1-32 lowercase letters, digits, - or _", c.Name))
		}
		if n := textLen(c.Description); n < 1 || n > 100 {
			add("description", "Must be between 1 and 100 in length.")
		}
	case 2, 3:
		if n := textLen(c.Name); n < 1 || n > 32 {
			add("name", "Must be between 1 and 32 in length.")
		}
		if c.Description != "" {
			add("description", "Context menu commands cannot have a description")
		}
		if len(c.Options) > 0 {
			add("options", "Context menu commands cannot have options")
		}
	default:
		add("type", fmt.Sprintf("Value %d is not a valid command type", c.Type))
	}
	errs = append(errs, validateOptions(c.Options, "options", 0)...)
	total := textLen(c.Name) + textLen(c.Description) + optionChars(c.Options)
	if total > 4000 {
		add("", fmt.Sprintf("Command is %d characters long; the limit is 4000", total))
	}
	return errs
}

func optionChars(opts []CommandOption) int {
	n := 0
	for _, o := range opts {
		n += textLen(o.Name) + textLen(o.Description) + optionChars(o.Options)
		for _, ch := range o.Choices {
			n += textLen(ch.Name) + textLen(fmt.Sprint(ch.Value))
		}
	}
	return n
}

func validateOptions(opts []CommandOption, path string, depth int) []fieldError {
	var errs []fieldError
	add := func(p, msg string) {
		errs = append(errs, fieldError{Path: p, Code: "APPLICATION_COMMAND_OPTIONS_INVALID", Message: msg})
	}
	if len(opts) > 25 {
		add(path, "Must be 25 or fewer in length.")
	}
	seen := map[string]bool{}
	optional, subs, plain := false, 0, 0
	for i, o := range opts {
		p := path + "." + strconv.Itoa(i)
		if !validName(o.Name) {
			add(p+".name", fmt.Sprintf("Option name %q is invalid: 1-32 lowercase letters, digits, - or _", o.Name))
		}
		if seen[o.Name] {
			add(p+".name", "Option names must be unique")
		}
		seen[o.Name] = true
		if n := textLen(o.Description); n < 1 || n > 100 {
			add(p+".description", "Must be between 1 and 100 in length.")
		}
		if o.Type < OptSubCommand || o.Type > OptAttachment {
			add(p+".type", fmt.Sprintf("Value %d is not a valid option type", o.Type))
			continue
		}
		isSub := o.Type == OptSubCommand || o.Type == OptSubCommandGroup
		if isSub {
			subs++
			if depth >= 2 || (o.Type == OptSubCommandGroup && depth >= 1) {
				add(p+".type", "Sub-command nesting is too deep")
			}
			if o.Type == OptSubCommandGroup {
				for j, so := range o.Options {
					if so.Type != OptSubCommand {
						add(p+".options."+strconv.Itoa(j)+".type", "A sub-command group may only contain sub-commands")
					}
				}
			}
			errs = append(errs, validateOptions(o.Options, p+".options", depth+1)...)
			continue
		}
		plain++
		if len(o.Options) > 0 {
			add(p+".options", "Only sub-commands may have options")
		}
		if o.Required && optional {
			add(p+".required", "Required options must be placed before non-required options")
		}
		if !o.Required {
			optional = true
		}
		choosable := o.Type == OptString || o.Type == OptInteger || o.Type == OptNumber
		if len(o.Choices) > 0 && !choosable {
			add(p+".choices", "Only string, integer and number options may have choices")
		}
		if o.Autocomplete && !choosable {
			add(p+".autocomplete", "Only string, integer and number options may autocomplete")
		}
		if o.Autocomplete && len(o.Choices) > 0 {
			add(p+".autocomplete", "Autocomplete and choices are mutually exclusive")
		}
		if len(o.Choices) > 25 {
			add(p+".choices", "Must be 25 or fewer in length.")
		}
		for j, ch := range o.Choices {
			if n := textLen(ch.Name); n < 1 || n > 100 {
				add(p+".choices."+strconv.Itoa(j)+".name", "Must be between 1 and 100 in length.")
			}
			if s, ok := ch.Value.(string); ok && (o.Type != OptString || textLen(s) > 100) {
				add(p+".choices."+strconv.Itoa(j)+".value", "Choice value must match the option type and be at most 100 characters")
			}
			if _, ok := ch.Value.(float64); ok && o.Type == OptString {
				add(p+".choices."+strconv.Itoa(j)+".value", "Choice value must be a string")
			}
		}
		if o.MinLength != nil || o.MaxLength != nil {
			if o.Type != OptString {
				add(p, "min_length/max_length apply to string options only")
			}
			if o.MinLength != nil && (*o.MinLength < 0 || *o.MinLength > 6000) {
				add(p+".min_length", "int value should be between 0 and 6000")
			}
			if o.MaxLength != nil && (*o.MaxLength < 1 || *o.MaxLength > 6000) {
				add(p+".max_length", "int value should be between 1 and 6000")
			}
			if o.MinLength != nil && o.MaxLength != nil && *o.MinLength > *o.MaxLength {
				add(p+".min_length", "min_length must not exceed max_length")
			}
		}
		if o.MinValue != nil && o.MaxValue != nil && *o.MinValue > *o.MaxValue {
			add(p+".min_value", "min_value must not exceed max_value")
		}
	}
	if subs > 0 && plain > 0 {
		add(path, "Sub-commands and sub-command groups cannot be mixed with other options")
	}
	return errs
}

// checkCommandSet checks a scope's full set: unique names per type and
// Discord's per-type limits.
func checkCommandSet(cmds []*Command, path string) []fieldError {
	var errs []fieldError
	seen := map[string]bool{}
	count := map[int]int{}
	for _, c := range cmds {
		if c == nil {
			continue
		}
		key := strconv.Itoa(c.Type) + "/" + c.Name
		if seen[key] {
			errs = append(errs, fieldError{Path: path, Code: "APPLICATION_COMMANDS_DUPLICATE_NAME", Message: "Application command names must be unique: " + c.Name})
		}
		seen[key] = true
		count[c.Type]++
	}
	if count[1] > 100 {
		errs = append(errs, fieldError{Path: path, Code: "APPLICATION_COMMAND_TOO_MANY", Message: "Maximum number of chat input commands (100) reached"})
	}
	if count[2] > 15 || count[3] > 15 {
		errs = append(errs, fieldError{Path: path, Code: "APPLICATION_COMMAND_TOO_MANY", Message: "Maximum number of context menu commands (15) reached"})
	}
	return errs
}
