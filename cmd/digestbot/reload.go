package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

func reloadCommand() command {
	return command{
		name: "reload", args: "",
		summary: "Ask the running bot to re-read its configuration (as SIGHUP does): schedule\n" +
			"changes take effect without a restart; an invalid file is refused and the\n" +
			"running configuration kept (see the bot's log). Needs http.listen in the config.",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"reload takes no arguments"}
			}
			if m.config.HTTP.Listen == "" {
				return errors.New("reload needs http.listen in the configuration (--config FILE); or send SIGHUP to the running digestbot")
			}
			body, err := m.askRunningBot(ctx, "/-/reload")
			if err != nil {
				return err
			}
			fmt.Fprint(m.Stdout, string(body))
			return nil
		},
	}
}

// askRunningBot POSTs to an admin path of the running bot's HTTP server
// (http.listen, reached on loopback) and returns its answer.
func (m *Main) askRunningBot(ctx context.Context, path string) (string, error) {
	addr := m.config.HTTP.Listen
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("http.listen %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return "", fmt.Errorf("reach the running bot at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the bot at %s answered %s: %s", addr, resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}
