package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Limits of the HTTP interactions endpoint.
const (
	maxInteractionBody = 1 << 20         // Discord's payloads are far smaller
	maxClockSkew       = 5 * time.Minute // older timestamps are replays
)

// ParsePublicKey decodes the application's public key as shown in the
// developer portal (64 hex digits).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord.public_key: want %d hex digits, got %q", 2*ed25519.PublicKeySize, s)
	}
	return ed25519.PublicKey(b), nil
}

// InteractionsHandler is the HTTP interactions endpoint: the transport for
// bots that receive interactions as HTTP POSTs instead of over the
// gateway. Every request is verified with Ed25519 against the application's
// public key before anything else is read from it. now is the clock for
// the replay window.
func (t *Transport) InteractionsHandler(key ed25519.PublicKey, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, status, why := verify(r, key, now())
		if status != 0 {
			t.log.Warn("refused interaction request", "status", status, "reason", why, "remote", r.RemoteAddr)
			http.Error(w, http.StatusText(status), status)
			return
		}
		var in discordgo.Interaction
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, "bad interaction payload", http.StatusBadRequest)
			t.log.Warn("undecodable interaction", "error", err)
			return
		}
		if in.Type == discordgo.InteractionPing {
			writeJSON(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
			return
		}
		if t.ctx.Err() != nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		req, err := request(&discordgo.InteractionCreate{Interaction: &in}, t.roleName)
		if err != nil {
			http.Error(w, "unsupported interaction", http.StatusBadRequest)
			return
		}
		// serve calls reply once, here in time for this HTTP response; the
		// rest (an edit after a deferral, a public follow-up) goes on after
		// the response has been sent.
		var mu sync.Mutex // guards w against a reply after we returned
		gone := false
		replied := make(chan struct{})
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.serve(&in, req, func(_ context.Context, resp *discordgo.InteractionResponse) error {
				mu.Lock()
				defer mu.Unlock()
				defer close(replied)
				if gone {
					return errors.New("the HTTP request was closed before the answer")
				}
				return writeResponse(w, resp)
			})
		}()
		select {
		case <-replied:
		case <-r.Context().Done():
		}
		mu.Lock()
		gone = true
		mu.Unlock()
	})
}

// verify checks a request's signature and age and returns its body, or
// the status to refuse it with and why.
func verify(r *http.Request, key ed25519.PublicKey, now time.Time) ([]byte, int, string) {
	sig, err := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, http.StatusUnauthorized, "missing or malformed signature"
	}
	ts := r.Header.Get("X-Signature-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, http.StatusUnauthorized, "missing or malformed timestamp"
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxInteractionBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, http.StatusRequestEntityTooLarge, "body over 1 MiB"
	}
	if err != nil {
		return nil, http.StatusBadRequest, "unreadable body"
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(key, msg, sig) {
		return nil, http.StatusUnauthorized, "bad signature"
	}
	if age := now.Sub(time.Unix(secs, 0)); age > maxClockSkew || age < -maxClockSkew {
		return nil, http.StatusUnauthorized, "timestamp outside the 5-minute window (replay?)"
	}
	return body, 0, ""
}

// writeResponse writes an interaction response as the HTTP reply,
// multipart when it carries files.
func writeResponse(w http.ResponseWriter, resp *discordgo.InteractionResponse) error {
	if resp.Type == discordgo.InteractionApplicationCommandAutocompleteResult {
		return writeJSON(w, autocompleteBody(resp))
	}
	if resp.Data != nil && len(resp.Data.Files) > 0 {
		ct, body, err := discordgo.MultipartBodyWithJSON(resp, resp.Data.Files)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ct)
		_, err = w.Write(body)
		return err
	}
	return writeJSON(w, resp)
}

func writeJSON(w http.ResponseWriter, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(data)
	return err
}
