package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFakediscordRecordsChannelMessages(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "messages.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--record", rec}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	var hello struct {
		APIURL     string `json:"api_url"`
		GatewayURL string `json:"gateway_url"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || !strings.HasPrefix(hello.APIURL, "http://127.0.0.1:") || !strings.HasPrefix(hello.GatewayURL, "ws://127.0.0.1:") {
		t.Fatalf("first line %q: %+v, %v", line, hello, err)
	}
	post := func(body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", hello.APIURL+"/api/v10/channels/1000000000000000200/messages", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bot x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("post: %s", resp.Status)
		}
	}
	msg := `{"content":"Morning news","nonce":"n1","enforce_nonce":true,"embeds":[{"title":"Story","description":"It happened."}]}`
	post(msg)
	post(msg) // the same nonce: not created again
	post(`{"content":"second"}`)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d records, want 2:\n%s", len(lines), data)
	}
	var r map[string]any
	if err := json.Unmarshal(lines[0], &r); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, r["time"].(string)); err != nil {
		t.Errorf("time: %v", err)
	}
	if r["channel_id"] != "1000000000000000200" || r["nonce"] != "n1" || r["content"] != "Morning news" || r["id"] == "" {
		t.Errorf("record: %v", r)
	}
	if e, _ := r["embeds"].([]any); len(e) != 1 || e[0].(map[string]any)["title"] != "Story" {
		t.Errorf("embeds: %v", r["embeds"])
	}
}

func TestFakediscordRefusesOtherAddresses(t *testing.T) {
	err := run(context.Background(), []string{"--listen", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("listen on every interface: %v", err)
	}
}
