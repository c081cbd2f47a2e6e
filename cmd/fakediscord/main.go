// Command fakediscord runs the Discord stand-in of internal/fakediscord on
// loopback, for trying digestbot's gateway and REST paths without Discord:
//
//	fakediscord --listen 127.0.0.1:0 --record messages.jsonl
//
// Its first line on standard output is {"api_url": "...", "gateway_url":
// "..."}: put them in digestbot's discord.api_url and discord.gateway_url.
// Any token is accepted. With --record, every channel message created is
// appended to the file as one JSON line {"time", "channel_id", "id",
// "nonce", "content", "embeds"}. It serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/digestbot/digestbot/internal/fakediscord"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakediscord: %v\n", err)
		os.Exit(1)
	}
}

// record is one line of the --record file.
type record struct {
	Time      string              `json:"time"`
	ChannelID string              `json:"channel_id"`
	ID        string              `json:"id"`
	Nonce     string              `json:"nonce"`
	Content   string              `json:"content"`
	Embeds    []fakediscord.Embed `json:"embeds"`
}

// recorder appends records to a file, one JSON line each.
type recorder struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

func (r *recorder) add(m fakediscord.Message) {
	line, err := json.Marshal(record{Time: m.Created.UTC().Format(time.RFC3339Nano), ChannelID: m.ChannelID, ID: m.ID,
		Nonce: m.Nonce, Content: m.Content, Embeds: m.Embeds})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		_, err = r.f.Write(append(line, '\n'))
	}
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("record message %s: %w", m.ID, err)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakediscord", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "loopback `address` to listen on")
	recordPath := fs.String("record", "", "append every channel message created to `file`, one JSON line each")
	heartbeat := fs.Duration("heartbeat", 5*time.Second, "gateway heartbeat interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	opts := fakediscord.Options{Listen: *listen, HeartbeatInterval: *heartbeat}
	var rec *recorder
	if *recordPath != "" {
		f, err := os.OpenFile(*recordPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open the record file: %w", err)
		}
		defer f.Close()
		rec = &recorder{f: f}
		opts.OnChannelMessage = rec.add
	}
	srv := fakediscord.New(opts)
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	api, _ := json.Marshal(srv.URL())
	gw, _ := json.Marshal(srv.GatewayURL())
	if _, err := fmt.Fprintf(stdout, "{\"api_url\": %s, \"gateway_url\": %s}\n", api, gw); err != nil {
		return err
	}
	<-ctx.Done()
	srv.Close()
	if rec != nil {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.err
	}
	return nil
}
