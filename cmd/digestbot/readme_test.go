package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's copy-paste blocks must run as written: every fenced block is
// checked here as what it is (a systemd unit, shell lines, a configuration).

// fence is one fenced block of a Markdown file.
type fence struct {
	lang string
	line int // the line of the opening fence, 1-based
	body string
}

// fences returns the fenced blocks of a Markdown text, indented ones (inside
// list items) included, with the indentation removed.
func fences(text string) []fence {
	var out []fence
	var cur *fence
	indent := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") {
				indent = line[:len(line)-len(trimmed)]
				cur = &fence{lang: strings.TrimSpace(trimmed[3:]), line: i + 1}
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			out = append(out, *cur)
			cur = nil
			continue
		}
		cur.body += strings.TrimPrefix(line, indent) + "\n"
	}
	return out
}

func readmeFences(t *testing.T) []fence {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs := fences(string(data))
	if len(fs) == 0 {
		t.Fatal("README.md: no fenced blocks found")
	}
	for _, f := range fs {
		switch f.lang {
		case "sh", "ini", "yaml", "text", "json":
		default:
			t.Errorf("README.md:%d: a fenced block needs a language this test checks (sh, ini, yaml, text, json), not %q", f.line, f.lang)
		}
	}
	return fs
}

func TestReadmeUnits(t *testing.T) {
	n := 0
	for _, f := range readmeFences(t) {
		if f.lang != "ini" {
			continue
		}
		n++
		name := fmt.Sprintf("README.md:%d", f.line)
		if errs := checkUnit(f.body); len(errs) > 0 {
			for _, err := range errs {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		verifyUnit(t, name, f.body)
	}
	if n == 0 {
		t.Fatal("README.md has no systemd unit (ini block)")
	}
}

func TestCheckUnitFindsMistakes(t *testing.T) {
	good := "[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/x run\nEnvironmentFile=-/etc/x.env\n[Install]\nWantedBy=multi-user.target\n"
	if errs := checkUnit(good); len(errs) > 0 {
		t.Fatalf("good unit: %v", errs)
	}
	for _, tc := range []struct{ name, unit, want string }{
		{"inline comment", "[Service]\nEnvironmentFile=/etc/x.env    # mode 0600\n", "inline comment"},
		{"unknown key", "[Service]\nRestrtSec=5s\n", "unknown key RestrtSec"},
		{"key outside a section", "ExecStart=/usr/bin/x\n", "outside a section"},
		{"unknown section", "[Servce]\nUser=x\n", "unknown section"},
		{"relative path", "[Service]\nExecStart=digestbot run\n", "absolute path"},
		{"relative env file", "[Service]\nEnvironmentFile=token.env\n", "absolute path"},
		{"relative rw path", "[Service]\nReadWritePaths=/var/lib/x data\n", "absolute path"},
		{"no equals", "[Service]\nExecStart /usr/bin/x\n", "not Key=Value"},
	} {
		errs := checkUnit(tc.unit)
		if len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, errs, tc.want)
		}
	}
}

// unitKeys are the keys systemd knows in the sections a service unit has
// (systemd.unit(5), systemd.service(5), systemd.exec(5), systemd.kill(5),
// systemd.resource-control(5)); the README may use only these.
var unitKeys = map[string][]string{
	"Unit": {"Description", "Documentation", "Wants", "Requires", "Requisite", "BindsTo", "PartOf",
		"Upholds", "Conflicts", "Before", "After", "OnFailure", "OnSuccess", "PropagatesReloadTo",
		"ReloadPropagatedFrom", "JoinsNamespaceOf", "RequiresMountsFor", "DefaultDependencies",
		"StartLimitIntervalSec", "StartLimitBurst", "StartLimitAction", "ConditionPathExists",
		"AssertPathExists", "StopWhenUnneeded", "RefuseManualStart", "RefuseManualStop"},
	"Service": {"Type", "ExitType", "RemainAfterExit", "PIDFile", "BusName", "ExecStart", "ExecStartPre",
		"ExecStartPost", "ExecCondition", "ExecReload", "ExecStop", "ExecStopPost", "RestartSec",
		"TimeoutStartSec", "TimeoutStopSec", "TimeoutAbortSec", "TimeoutSec", "RuntimeMaxSec",
		"WatchdogSec", "Restart", "RestartPreventExitStatus", "SuccessExitStatus", "KillMode",
		"KillSignal", "SendSIGKILL", "NotifyAccess", "User", "Group", "DynamicUser",
		"SupplementaryGroups", "WorkingDirectory", "RootDirectory", "Environment", "EnvironmentFile",
		"PassEnvironment", "UMask", "Nice", "LimitNOFILE", "LimitNPROC", "MemoryMax", "MemoryHigh",
		"CPUQuota", "TasksMax", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
		"PrivateDevices", "PrivateNetwork", "ProtectKernelTunables", "ProtectKernelModules",
		"ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
		"ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime",
		"RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute", "SystemCallFilter",
		"SystemCallArchitectures", "CapabilityBoundingSet", "AmbientCapabilities", "ReadWritePaths",
		"ReadOnlyPaths", "InaccessiblePaths", "StateDirectory", "CacheDirectory", "LogsDirectory",
		"ConfigurationDirectory", "RuntimeDirectory", "StandardOutput", "StandardError",
		"SyslogIdentifier", "LoadCredential"},
	"Install": {"WantedBy", "RequiredBy", "UpheldBy", "Also", "Alias", "DefaultInstance"},
}

// pathKeys are the keys whose values are (lists of) paths systemd requires
// to be absolute; a leading "-", "+" or "@" modifier is allowed.
var pathKeys = map[string]bool{
	"ExecStart": true, "ExecStartPre": true, "ExecStartPost": true, "ExecStop": true,
	"ExecStopPost": true, "ExecReload": true, "EnvironmentFile": true, "ReadWritePaths": true,
	"ReadOnlyPaths": true, "InaccessiblePaths": true, "PIDFile": true, "RootDirectory": true,
}

// checkUnit reads a unit as systemd does (systemd.syntax(7)): comments are
// whole lines starting with # or ;, and a # after a value is part of the
// value. It reports keys systemd does not know and relative paths.
func checkUnit(unit string) []error {
	var errs []error
	section := ""
	known := map[string]map[string]bool{}
	for s, keys := range unitKeys {
		known[s] = map[string]bool{}
		for _, k := range keys {
			known[s][k] = true
		}
	}
	lines := strings.Split(unit, "\n")
	for i := 0; i < len(lines); i++ {
		n, line := i+1, strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(lines[i])
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			section = strings.Trim(line, "[]")
			if known[section] == nil {
				errs = append(errs, fmt.Errorf("line %d: unknown section [%s]", n, section))
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("line %d: %q is not Key=Value", n, line))
			continue
		case section == "":
			errs = append(errs, fmt.Errorf("line %d: %s outside a section", n, key))
			continue
		case known[section] != nil && !known[section][key]:
			errs = append(errs, fmt.Errorf("line %d: unknown key %s in [%s]", n, key, section))
		}
		if regexp.MustCompile(`\s[#;]`).MatchString(value) {
			errs = append(errs, fmt.Errorf("line %d: %s has an inline comment: systemd reads %q as the value", n, key, value))
		}
		if pathKeys[key] {
			errs = append(errs, checkPaths(n, key, value)...)
		}
	}
	return errs
}

func checkPaths(n int, key, value string) []error {
	fields := strings.Fields(value)
	if strings.HasPrefix(key, "Exec") && len(fields) > 0 {
		fields = fields[:1] // the program; the rest are its arguments
	}
	var errs []error
	for _, f := range fields {
		p := strings.TrimLeft(f, "-+@:!")
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("line %d: %s needs an absolute path, not %q", n, key, f))
		}
	}
	return errs
}

// verifyUnit runs systemd-analyze verify on the unit, where it is installed,
// with the program and environment file pointed at temporary files.
func verifyUnit(t *testing.T, name, unit string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Logf("%s: systemd-analyze not installed; checked the syntax only", name)
		return
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "digestbot")
	env := filepath.Join(dir, "token.env")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env, []byte("DISCORD_TOKEN=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unit = strings.ReplaceAll(unit, "/usr/local/bin/digestbot", bin)
	unit = strings.ReplaceAll(unit, "/etc/digestbot/token.env", env)
	path := filepath.Join(dir, "digestbot.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", "--man=no", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	// Only what concerns this unit counts; verify also loads its
	// dependencies (multi-user.target, …) from the machine.
	var problems []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "digestbot.service") {
			problems = append(problems, l)
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s: systemd-analyze verify: %s", name, strings.Join(problems, "\n"))
	} else if err != nil {
		t.Logf("%s: systemd-analyze verify exited %v (about other units): %s", name, err, out)
	}
}

func TestReadmeCommandLines(t *testing.T) {
	n := 0
	for _, f := range readmeFences(t) {
		if f.lang != "sh" {
			continue
		}
		for i, line := range strings.Split(f.body, "\n") {
			for _, args := range digestbotCommands(line) {
				n++
				if err := parseOnly(args); err != nil {
					t.Errorf("README.md:%d: %q: %v", f.line+1+i, line, err)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("README.md has no digestbot command lines")
	}
}

// TestHelpExamples checks every `digestbot …` example that a --help text
// (and the command list) shows.
func TestHelpExamples(t *testing.T) {
	var m Main
	texts := []string{}
	var out bytes.Buffer
	m = Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if _, err := m.parse([]string{"help"}); err != nil {
		t.Fatal(err)
	}
	texts = append(texts, out.String())
	for _, c := range m.commands() {
		out.Reset()
		m = Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		if _, err := m.parse([]string{c.name, "--help"}); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s --help: %v", c.name, err)
		}
		texts = append(texts, out.String())
	}
	n := 0
	for _, text := range texts {
		for _, ex := range helpExamples(text) {
			n++
			if err := parseOnly(ex); err != nil {
				t.Errorf("help example %q: %v", strings.Join(ex, " "), err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no examples found in the help texts")
	}
}

func TestReadmeConfigs(t *testing.T) {
	for _, f := range readmeFences(t) {
		if f.lang != "yaml" {
			continue
		}
		getenv := env(map[string]string{"HOME": "/home/u", "DISCORD_TOKEN": "x"})
		if _, err := ParseConfig(fmt.Sprintf("README.md:%d", f.line), []byte(f.body), getenv); err != nil {
			t.Errorf("README.md:%d: the YAML block is not a valid configuration: %v", f.line, err)
		}
	}
}

func TestCommandLineChecks(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"digestbot --config digestbot.yaml run", true},
		{"echo '/search x' | go run ./cmd/digestbot", true},
		{"digestbot search --limit 3 border police   # a comment", true},
		{"digestbot serch x", false},
		{"digestbot list --jsn", false},
		{"export X=1 && digestbot ingest --nope", false},
	} {
		cmds := digestbotCommands(tc.line)
		if len(cmds) != 1 {
			t.Errorf("%q: found %d digestbot commands, want 1", tc.line, len(cmds))
			continue
		}
		if err := parseOnly(cmds[0]); (err == nil) != tc.ok {
			t.Errorf("%q: parse error %v, want ok=%v", tc.line, err, tc.ok)
		}
	}
}

// parseOnly parses a digestbot command line (without the program name) with
// the real flag parser, running nothing.
func parseOnly(args []string) error {
	var out bytes.Buffer
	m := Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	_, err := m.parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// digestbotCommands returns the arguments of each digestbot invocation on a
// shell line: `digestbot …`, a path ending in /digestbot, or `go run
// ./cmd/digestbot`, in each part of a pipeline or list.
func digestbotCommands(line string) [][]string {
	words := shellWords(strings.TrimPrefix(strings.TrimSpace(line), "$ "))
	var out [][]string
	var cur []string
	flush := func() {
		if args, ok := digestbotArgs(cur); ok {
			out = append(out, args)
		}
		cur = nil
	}
	for _, w := range words {
		switch w {
		case "|", "||", "&&", ";", "&":
			flush()
		default:
			cur = append(cur, w)
		}
	}
	flush()
	return out
}

func digestbotArgs(words []string) ([]string, bool) {
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		words = words[1:] // VAR=value before the command
	}
	// Redirections end the arguments.
	for i, w := range words {
		if strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "2>") {
			words = words[:i]
			break
		}
	}
	switch {
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/digestbot":
		return words[3:], true
	case len(words) >= 1 && (words[0] == "digestbot" || strings.HasSuffix(words[0], "/digestbot")):
		return words[1:], true
	}
	return nil, false
}

// shellWords splits a shell line into words as sh would (quotes, escapes),
// drops a # comment, and returns the operators |, ||, &&, ; and & as words.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	end := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == '#' && !inWord:
			end()
			return words
		case c == ' ' || c == '\t':
			end()
		case c == '|' || c == '&' || c == ';':
			end()
			op := string(c)
			if i+1 < len(line) && (line[i+1] == '|' || line[i+1] == '&') && c != ';' {
				op += string(line[i+1])
				i++
			}
			words = append(words, op)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	end()
	return words
}

// helpExamples finds `digestbot …` examples in a help text: in backquotes,
// or after "e.g." and "or", up to the end of the clause.
func helpExamples(text string) [][]string {
	var out [][]string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimRight(strings.TrimSpace(s), ".,;:")
		if seen[s] {
			return
		}
		seen[s] = true
		for _, args := range digestbotCommands(s) {
			if len(args) > 0 && strings.ToUpper(args[0]) == args[0] {
				continue // a placeholder: digestbot COMMAND --help
			}
			out = append(out, args)
		}
	}
	for _, m := range regexp.MustCompile("`(digestbot [^`]*)`").FindAllStringSubmatch(text, -1) {
		add(m[1])
	}
	plain := regexp.MustCompile("`[^`]*`").ReplaceAllString(text, "")
	for _, m := range regexp.MustCompile(`(?:e\.g\.|or|example:|^|\n)\s*(digestbot [^,\n]*)`).FindAllStringSubmatch(plain, -1) {
		add(m[1])
	}
	return out
}
