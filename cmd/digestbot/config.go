package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/digestbot/digestbot/corpus"
)

// Config is the YAML configuration file. config.example.yaml documents
// every key; keep the two in step.
type Config struct {
	// Database is the bbolt file. Default: $XDG_DATA_HOME/digestbot/digestbot.db.
	Database string `yaml:"database"`
	// Timezone is the IANA zone for "today", "yesterday" and schedules.
	Timezone string `yaml:"timezone"`
	Corpus   struct {
		// Folders are loaded by a bare `digestbot ingest`.
		Folders []string `yaml:"folders"`
		// MaxFileBytes rejects larger article files.
		MaxFileBytes int64 `yaml:"max_file_bytes"`
		// Feeds are polled for articles (see config_feeds.go).
		Feeds []FeedConfig `yaml:"feeds"`
	} `yaml:"corpus"`
	Log struct {
		Level  string `yaml:"level"`  // debug, info, warn, error
		Format string `yaml:"format"` // text or json
	} `yaml:"log"`
	Discord DiscordConfig  `yaml:"discord"`
	HTTP    HTTPConfig     `yaml:"http"`
	Bot     BotConfig      `yaml:"bot"`
	Digests []DigestConfig `yaml:"digests"`
	// Cluster, when set, runs this process as one replica of several
	// coordinated through etcd.
	Cluster *ClusterConfig `yaml:"cluster"`

	// Set by Validate.
	location *time.Location
	path     string // the file it was read from, for messages
}

// DefaultConfig returns the configuration used when no file is given.
func DefaultConfig() Config {
	var c Config
	c.Timezone = "UTC"
	c.Corpus.MaxFileBytes = corpus.DefaultMaxBytes
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.Discord.TokenEnv = "DISCORD_TOKEN"
	c.Bot.RescanInterval = time.Minute
	c.location = time.UTC
	return c
}

// ConfigError is a problem in a configuration file, with where it is.
type ConfigError struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted path, e.g. corpus.max_file_bytes
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// LoadConfig reads and validates a configuration file. getenv expands
// ${VAR} in paths.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data, getenv)
}

var (
	yamlLineRE   = lazyRegexp(`line (\d+): `)
	yamlStructRE = lazyRegexp(` in type (main\.Config|struct \{[^}]*\})`)
)

// ParseConfig parses configuration text; name is used in messages.
func ParseConfig(name string, data []byte, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	c.path = name
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty file (io.EOF) is a valid, all-defaults configuration.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlError(name, data, err)
	}
	c.path = name
	return c, c.Validate(data, getenv)
}

// yamlError turns a yaml.v3 error into ConfigErrors naming key and line.
func yamlError(name string, data []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		line := 0
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := yamlLineRE().ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
		return &ConfigError{File: name, Line: line, Msg: msg}
	}
	keys := keyLines(data)
	var errs []error
	for _, e := range te.Errors {
		ce := &ConfigError{File: name, Msg: e}
		if m := yamlLineRE().FindStringSubmatch(e); m != nil {
			ce.Line, _ = strconv.Atoi(m[1])
			ce.Key = keys[ce.Line]
			ce.Msg = yamlLineRE().ReplaceAllString(e, "")
			ce.Msg = yamlStructRE().ReplaceAllString(ce.Msg, "")
		}
		plainYAMLError(ce)
		errs = append(errs, ce)
	}
	return errors.Join(errs...)
}

// keyLines maps each line of a YAML document to the dotted key path it
// holds, so a decoder error "line 7" can name corpus.max_file_bytes.
func keyLines(data []byte) map[int]string {
	out := map[int]string{}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return out
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				key := k.Value
				if prefix != "" {
					key = prefix + "." + key
				}
				out[k.Line] = key
				if v.Line != k.Line || v.Kind == yaml.ScalarNode {
					out[v.Line] = key
				}
				walk(v, key)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				key := fmt.Sprintf("%s[%d]", prefix, i)
				out[c.Line] = key
				walk(c, key)
			}
		}
	}
	walk(&root, "")
	return out
}

// Validate checks values and resolves derived settings; errors name the key
// and its line in data (the file's text, may be nil).
func (c *Config) Validate(data []byte, getenv func(string) string) error {
	lines := map[string]int{}
	for line, key := range keyLines(data) {
		if l, ok := lines[key]; !ok || line < l {
			lines[key] = line
		}
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ConfigError{File: c.path, Line: lines[key], Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || strings.EqualFold(c.Timezone, "local") {
		bad("timezone", "unknown time zone %q: use an IANA name such as Europe/Berlin or UTC", c.Timezone)
	} else {
		c.location = loc
	}
	if c.Corpus.MaxFileBytes <= 0 {
		bad("corpus.max_file_bytes", "must be a positive number of bytes, got %d", c.Corpus.MaxFileBytes)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "warning", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	c.validateDiscord(bad)
	c.validateDigests(bad)
	c.validateFeeds(bad)
	base := ""
	if c.path != "" {
		base, _ = filepath.Abs(filepath.Dir(c.path))
	}
	if c.Database != "" {
		c.Database = expandPath(c.Database, base, getenv)
	}
	c.validateCluster(bad, base, getenv)
	for i, f := range c.Corpus.Folders {
		if strings.TrimSpace(f) == "" {
			bad(fmt.Sprintf("corpus.folders[%d]", i), "empty folder name")
			continue
		}
		c.Corpus.Folders[i] = expandPath(f, base, getenv)
	}
	return errors.Join(errs...)
}

// Location is the configured time zone.
func (c *Config) Location() *time.Location {
	if c.location == nil {
		return time.UTC
	}
	return c.location
}

// LogLevel is the configured slog level.
func (c *Config) LogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.Replace(c.Log.Level, "warning", "warn", 1)))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// expandPath expands ${VAR}, $VAR and a leading ~, and makes a relative path
// relative to the config file's folder.
func expandPath(p, base string, getenv func(string) string) string {
	p = os.Expand(p, getenv)
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home := getenv("HOME"); home != "" {
			p = filepath.Join(home, p[1:])
		}
	}
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	return p
}
