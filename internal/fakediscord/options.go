package fakediscord

import (
	"fmt"
	"slices"
)

// commandDataLocked fills data for a command or autocomplete interaction.
func (f *Server) commandDataLocked(in Interaction, data map[string]any) error {
	data["name"] = in.Name
	data["type"] = 1
	if in.Unregistered {
		data["id"] = f.newIDLocked()
		data["options"] = rawOpts(in.Options)
		return nil
	}
	cmd := f.lookupCommandLocked(in.GuildID, in.Name)
	if cmd == nil {
		return fmt.Errorf("fakediscord: command %q is not registered for guild %q or globally", in.Name, in.GuildID)
	}
	// interactions/application-commands#interaction-contexts: a global
	// command is offered only in the contexts it lists (all when it lists
	// none); the Discord client does not show it elsewhere.
	if cmd.GuildID == "" && cmd.Contexts != nil {
		ctx := 0
		if in.DM {
			ctx = 1
		}
		if !slices.Contains(cmd.Contexts, ctx) {
			return fmt.Errorf("fakediscord: /%s is not offered in this context (%d); its contexts are %v", in.Name, ctx, cmd.Contexts)
		}
	}
	data["id"] = cmd.ID
	if cmd.GuildID != "" {
		data["guild_id"] = cmd.GuildID
	}
	focused := 0
	opts, err := resolveOpts(cmd.Options, in.Options, in.Type == TypeAutocomplete, "/"+in.Name, &focused)
	if err != nil {
		return err
	}
	if in.Type == TypeAutocomplete && focused != 1 {
		return fmt.Errorf("fakediscord: autocomplete for /%s needs exactly one focused option, got %d", in.Name, focused)
	}
	if len(opts) > 0 {
		data["options"] = opts
	}
	return nil
}

func rawOpts(opts []Opt) []map[string]any {
	out := []map[string]any{}
	for _, o := range opts {
		m := map[string]any{"name": o.Name, "type": o.Type}
		if len(o.Options) > 0 || o.Type == OptSubCommand || o.Type == OptSubCommandGroup {
			m["options"] = rawOpts(o.Options)
		} else {
			m["value"] = o.Value
		}
		if o.Focused {
			m["focused"] = true
		}
		out = append(out, m)
	}
	return out
}

// resolveOpts checks given options against a declaration and renders them.
func resolveOpts(decl []CommandOption, given []Opt, autocomplete bool, path string, focused *int) ([]map[string]any, error) {
	out := []map[string]any{}
	seen := map[string]bool{}
	for _, g := range given {
		var spec *CommandOption
		for i := range decl {
			if decl[i].Name == g.Name {
				spec = &decl[i]
			}
		}
		if spec == nil {
			return nil, fmt.Errorf("fakediscord: %s has no option %q", path, g.Name)
		}
		if seen[g.Name] {
			return nil, fmt.Errorf("fakediscord: %s: option %q given twice", path, g.Name)
		}
		seen[g.Name] = true
		if g.Type != 0 && g.Type != spec.Type {
			return nil, fmt.Errorf("fakediscord: %s: option %q is declared as type %d, given type %d", path, g.Name, spec.Type, g.Type)
		}
		m := map[string]any{"name": g.Name, "type": spec.Type}
		if spec.Type == OptSubCommand || spec.Type == OptSubCommandGroup {
			sub, err := resolveOpts(spec.Options, g.Options, autocomplete, path+" "+g.Name, focused)
			if err != nil {
				return nil, err
			}
			m["options"] = sub
			out = append(out, m)
			continue
		}
		if g.Focused {
			if !autocomplete {
				return nil, fmt.Errorf("fakediscord: %s: option %q is focused outside autocomplete", path, g.Name)
			}
			if !spec.Autocomplete {
				return nil, fmt.Errorf("fakediscord: %s: option %q does not declare autocomplete", path, g.Name)
			}
			*focused++
			m["focused"] = true
			m["value"] = fmt.Sprint(g.Value)
			out = append(out, m)
			continue
		}
		v, err := checkOptValue(*spec, g.Value, autocomplete)
		if err != nil {
			return nil, fmt.Errorf("fakediscord: %s: option %q: %w", path, g.Name, err)
		}
		m["value"] = v
		out = append(out, m)
	}
	if !autocomplete {
		for _, d := range decl {
			if d.Required && !seen[d.Name] {
				return nil, fmt.Errorf("fakediscord: %s: required option %q missing", path, d.Name)
			}
		}
	}
	return out, nil
}

// checkOptValue enforces what the Discord client enforces before sending.
func checkOptValue(spec CommandOption, v any, lenient bool) (any, error) {
	switch spec.Type {
	case OptString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %T", v)
		}
		n := textLen(s)
		if !lenient && spec.MinLength != nil && n < *spec.MinLength {
			return nil, fmt.Errorf("%d characters, declared min_length %d", n, *spec.MinLength)
		}
		if !lenient && spec.MaxLength != nil && n > *spec.MaxLength {
			return nil, fmt.Errorf("%d characters, declared max_length %d", n, *spec.MaxLength)
		}
		if !lenient && n > 6000 {
			return nil, fmt.Errorf("%d characters, Discord's limit is 6000", n)
		}
		return s, checkChoice(spec, s)
	case OptInteger, OptNumber:
		var x float64
		switch t := v.(type) {
		case int:
			x = float64(t)
		case int64:
			x = float64(t)
		case float64:
			x = t
		default:
			return nil, fmt.Errorf("want a number, got %T", v)
		}
		if spec.Type == OptInteger && x != float64(int64(x)) {
			return nil, fmt.Errorf("%v is not an integer", x)
		}
		if spec.MinValue != nil && x < *spec.MinValue || spec.MaxValue != nil && x > *spec.MaxValue {
			return nil, fmt.Errorf("%v is outside the declared range", x)
		}
		return v, checkChoice(spec, x)
	case OptBoolean:
		if _, ok := v.(bool); !ok {
			return nil, fmt.Errorf("want a bool, got %T", v)
		}
		return v, nil
	default: // users, channels, roles, mentionables, attachments: snowflakes
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a snowflake string, got %T", v)
		}
		return s, nil
	}
}

func checkChoice(spec CommandOption, v any) error {
	if len(spec.Choices) == 0 {
		return nil
	}
	for _, c := range spec.Choices {
		if fmt.Sprint(c.Value) == fmt.Sprint(v) {
			return nil
		}
	}
	return fmt.Errorf("%v is not one of the declared choices", v)
}
