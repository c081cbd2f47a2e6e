package main

import (
	"reflect"
	"slices"
	"strings"
)

// The messages of yaml.v3's decoder, which name Go types and fields.
var (
	yamlUnknownRE = lazyRegexp(`^field (\S+) not found(?: in type .*)?$`)
	yamlTypeRE    = lazyRegexp("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")
)

// plainYAMLError rewrites a decoder error in the configuration's terms.
// An unknown key whose value is a [flow, list] is named by its own path,
// not its first entry's.
func plainYAMLError(ce *ConfigError) {
	if m := yamlUnknownRE().FindStringSubmatch(ce.Msg); m != nil {
		if i := strings.LastIndex(ce.Key, m[1]+"["); i >= 0 && (i == 0 || ce.Key[i-1] == '.') {
			ce.Key = ce.Key[:i+len(m[1])]
		}
	}
	ce.Msg = plainYAMLMessage(ce.Key, ce.Msg)
}

// plainYAMLMessage rewrites a decoder message about key (a dotted path such
// as digests[0].max_article, "" when unknown) in the configuration's own
// terms: "unknown key max_article (did you mean max_articles?)", "must be a
// number, got \"FRY\"", never a Go type.
func plainYAMLMessage(key, msg string) string {
	if m := yamlUnknownRE().FindStringSubmatch(msg); m != nil {
		return unknownKeyMessage(key, m[1])
	}
	m := yamlTypeRE().FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	tag, value, goType := m[1], m[2], m[3]
	got := ", got " + quoteValue(tag, value)
	switch {
	case goType == "time.Duration" && tag == "int":
		return "must be a duration with a unit, such as " + value + "s, " + value + "m or " + value + "h, got " + value
	case goType == "time.Duration":
		return "must be a duration such as 30s, 5m or 1h" + got
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint") || strings.HasPrefix(goType, "float"):
		return "must be a number" + got
	case goType == "bool":
		return "must be true or false" + got
	case strings.HasPrefix(goType, "[]"):
		return "must be a list (one entry per line starting with \"- \", or [a, b])" + got
	case tag == "seq":
		return "must be a single value, not a list"
	case tag == "map":
		return "must be a single value, not a section of keys"
	case goType == "string":
		return "must be text" + got
	}
	return "has the wrong kind of value" + got
}

func quoteValue(tag, value string) string {
	switch tag {
	case "seq":
		return "a list"
	case "map":
		return "a section of keys"
	case "str":
		return `"` + value + `"`
	}
	return value
}

// unknownKeyMessage says a key is not one of those its section has, and
// which it may have meant.
func unknownKeyMessage(path, name string) string {
	known := configKeysAt(path)
	msg := "unknown key " + name
	if guess := closestKey(name, known); guess != "" {
		return msg + " (did you mean " + guess + "?)"
	}
	if len(known) > 0 {
		return msg + "; the keys here are " + strings.Join(known, ", ")
	}
	return msg
}

// configKeysAt lists the keys the section holding path may have, from the
// yaml tags of Config.
func configKeysAt(path string) []string {
	t := reflect.TypeOf(Config{})
	parts := strings.Split(path, ".")
	if len(parts) > 0 {
		parts = parts[:len(parts)-1] // the unknown key itself
	}
	for _, p := range parts {
		p, _, _ = strings.Cut(p, "[")
		f, ok := fieldByTag(t, p)
		if !ok {
			return nil
		}
		t = f.Type
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		if tag := yamlName(t.Field(i)); tag != "" {
			out = append(out, tag)
		}
	}
	slices.Sort(out)
	return out
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// closestKey returns the known key at most two edits from name (fewer
// than name has letters), the first in order on a tie; "" when none is.
func closestKey(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), k); d < bestD && d < len(name) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
