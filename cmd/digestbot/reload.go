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
	resp, err := m.postRunningBot(ctx, path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(body), nil
}

// postRunningBot POSTs to an admin path of the running bot, with the
// admin token it left beside its database, and returns its answer when
// it is 200 OK. The caller closes the body.
func (m *Main) postRunningBot(ctx context.Context, path string) (*http.Response, error) {
	addr := m.config.HTTP.Listen
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	dbPath, err := m.databasePath()
	if err != nil {
		return nil, err
	}
	token, err := readAdminToken(dbPath)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(adminHeader, token)
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the running bot at %s: %w", addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("the bot at %s answered %s: %s", addr, resp.Status, strings.TrimSpace(string(body)))
	}
	return resp, nil
}
